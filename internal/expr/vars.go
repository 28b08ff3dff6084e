package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// parseLiteral is {$literal: v}: v as it is, never parsed as an
// expression (so "$a" stays a string and arrays stay arrays).
func parseLiteral(_ string, args bson.RawValue, _ *ParseContext) (Expr, error) {
	return constant{args}, nil
}

// letExpr is {$let: {vars: {…}, in: <expr>}}.
type letExpr struct {
	ids   []VarID
	exprs []Expr
	in    Expr
}

func parseLet(_ string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.New(mongoerr.Location16874, "$let only supports an object as its argument")
	}
	elems, err := bson.Raw(args.Value).Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	var vars, in bson.RawValue
	for _, el := range elems {
		switch el.Key() {
		case "vars":
			vars = el.Value()
		case "in":
			in = el.Value()
		default:
			return nil, mongoerr.Newf(mongoerr.Location16875, "Unrecognized parameter to $let: %s", el.Key())
		}
	}
	if vars.Type == 0 {
		return nil, mongoerr.New(mongoerr.Location16876, "Missing 'vars' parameter to $let")
	}
	if in.Type == 0 {
		return nil, mongoerr.New(mongoerr.Location16877, "Missing 'in' parameter to $let")
	}
	if vars.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.New(mongoerr.Location10065, "invalid parameter: expected an object (vars)")
	}
	varElems, err := bson.Raw(vars.Value).Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	l := &letExpr{}
	// Every definition is parsed in the outer scope: a variable of this
	// $let is visible in 'in' only, not in its sibling definitions.
	names := make([]string, 0, len(varElems))
	for _, el := range varElems {
		if err := validateVarName(el.Key(), true); err != nil {
			return nil, err
		}
		e, err := Parse(el.Value(), pc)
		if err != nil {
			return nil, err
		}
		names = append(names, el.Key())
		l.exprs = append(l.exprs, e)
	}
	for _, n := range names {
		l.ids = append(l.ids, pc.bind(n))
	}
	defer pc.unbind(len(names))
	if l.in, err = Parse(in, pc); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *letExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	vals, err := evalAll(ec, doc, l.exprs)
	if err != nil {
		return bson.RawValue{}, err
	}
	for i, id := range l.ids {
		ec.SetVar(id, vals[i])
	}
	return l.in.Eval(ec, doc)
}
