package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// condExpr is $cond: then when if is truthy, else otherwise; only the
// chosen branch is evaluated.
type condExpr struct{ ifE, thenE, elseE Expr }

// parseCond accepts [if, then, else] (or any non-document, counted as
// operands) and {if, then, else}.
func parseCond(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		a, err := parseArgsExactly(name, args, pc, 3)
		if err != nil {
			return nil, err
		}
		return condExpr{a[0], a[1], a[2]}, nil
	}
	elems, err := bson.Raw(args.Value).Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	var c condExpr
	for _, el := range elems {
		var dst *Expr
		switch el.Key() {
		case "if":
			dst = &c.ifE
		case "then":
			dst = &c.thenE
		case "else":
			dst = &c.elseE
		default:
			return nil, mongoerr.Newf(mongoerr.Location17083, "Unrecognized parameter to $cond: %s", el.Key())
		}
		if *dst, err = Parse(el.Value(), pc); err != nil {
			return nil, err
		}
	}
	switch {
	case c.ifE == nil:
		return nil, mongoerr.New(mongoerr.Location17080, "Missing 'if' parameter to $cond")
	case c.thenE == nil:
		return nil, mongoerr.New(mongoerr.Location17081, "Missing 'then' parameter to $cond")
	case c.elseE == nil:
		return nil, mongoerr.New(mongoerr.Location17082, "Missing 'else' parameter to $cond")
	}
	return c, nil
}

func (c condExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	v, err := c.ifE.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	if Truthy(v) {
		return c.thenE.Eval(ec, doc)
	}
	return c.elseE.Eval(ec, doc)
}

// ifNullExpr is $ifNull: the first operand but the last that is not
// null, undefined or missing; else the last operand's value, whatever
// it is.
type ifNullExpr struct{ args []Expr }

func parseIfNull(_ string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	a, err := parseArgs(args, pc)
	if err != nil {
		return nil, err
	}
	if len(a) < 2 {
		return nil, mongoerr.Newf(mongoerr.Location1257300, "$ifNull needs at least two arguments, had: %d", len(a))
	}
	return ifNullExpr{a}, nil
}

func (n ifNullExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	last := len(n.args) - 1
	for _, e := range n.args[:last] {
		v, err := e.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if !nullish(v) {
			return v, nil
		}
	}
	return n.args[last].Eval(ec, doc)
}

// switchExpr is $switch: the then of the first branch whose case is
// truthy, else default; with no default and no match it is an error.
type switchExpr struct {
	cases, thens []Expr
	def          Expr
}

func parseSwitch(_ string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.Newf(mongoerr.Location40060, "$switch requires an object as an argument, found: %s", typeName(args))
	}
	elems, err := bson.Raw(args.Value).Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	s := &switchExpr{}
	for _, el := range elems {
		switch el.Key() {
		case "branches":
			v := el.Value()
			if v.Type != bson.TypeArray {
				return nil, mongoerr.Newf(mongoerr.Location40061, "$switch expected an array for 'branches', found: %s", typeName(v))
			}
			branches, err := bson.Raw(v.Value).Values()
			if err != nil {
				return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
			}
			for _, b := range branches {
				c, t, err := parseBranch(b, pc)
				if err != nil {
					return nil, err
				}
				s.cases = append(s.cases, c)
				s.thens = append(s.thens, t)
			}
		case "default":
			if s.def, err = Parse(el.Value(), pc); err != nil {
				return nil, err
			}
		default:
			return nil, mongoerr.Newf(mongoerr.Location40067, "$switch found an unknown argument: %s", el.Key())
		}
	}
	if len(s.cases) == 0 {
		return nil, mongoerr.New(mongoerr.Location40068, "$switch requires at least one branch.")
	}
	return s, nil
}

func parseBranch(b bson.RawValue, pc *ParseContext) (caseE, thenE Expr, err error) {
	if b.Type != bson.TypeEmbeddedDocument {
		return nil, nil, mongoerr.Newf(mongoerr.Location40062, "$switch expected each branch to be an object, found: %s", typeName(b))
	}
	elems, err := bson.Raw(b.Value).Elements()
	if err != nil {
		return nil, nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	for _, el := range elems {
		switch el.Key() {
		case "case":
			caseE, err = Parse(el.Value(), pc)
		case "then":
			thenE, err = Parse(el.Value(), pc)
		default:
			return nil, nil, mongoerr.Newf(mongoerr.Location40063, "$switch found an unknown argument to a branch: %s", el.Key())
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if caseE == nil {
		return nil, nil, mongoerr.New(mongoerr.Location40064, "$switch requires each branch have a 'case' expression")
	}
	if thenE == nil {
		return nil, nil, mongoerr.New(mongoerr.Location40065, "$switch requires each branch have a 'then' expression.")
	}
	return caseE, thenE, nil
}

func (s *switchExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	for i, c := range s.cases {
		v, err := c.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if Truthy(v) {
			return s.thens[i].Eval(ec, doc)
		}
	}
	if s.def == nil {
		return bson.RawValue{}, mongoerr.New(mongoerr.Location40066,
			"$switch could not find a matching branch for an input, and no default was specified.")
	}
	return s.def.Eval(ec, doc)
}
