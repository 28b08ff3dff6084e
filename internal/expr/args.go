package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// parseArgs parses an operator's operands: the elements of an array, or
// a single non-array value as the only operand (mongod's
// ExpressionNary::parseArguments).
func parseArgs(args bson.RawValue, pc *ParseContext) ([]Expr, error) {
	if args.Type != bson.TypeArray {
		e, err := Parse(args, pc)
		if err != nil {
			return nil, err
		}
		return []Expr{e}, nil
	}
	vals, err := bson.Raw(args.Value).Values()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	out := make([]Expr, len(vals))
	for i, v := range vals {
		if out[i], err = Parse(v, pc); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseArgsExactly parses operands and checks there are exactly n.
func parseArgsExactly(name string, args bson.RawValue, pc *ParseContext, n int) ([]Expr, error) {
	out, err := parseArgs(args, pc)
	if err != nil {
		return nil, err
	}
	if len(out) != n {
		return nil, mongoerr.Newf(mongoerr.Location16020, "Expression %s takes exactly %d arguments. %d were passed in.", name, n, len(out))
	}
	return out, nil
}

// parseArgsRange parses operands and checks there are min to max of them.
func parseArgsRange(name string, args bson.RawValue, pc *ParseContext, min, max int) ([]Expr, error) {
	out, err := parseArgs(args, pc)
	if err != nil {
		return nil, err
	}
	if len(out) < min || len(out) > max {
		return nil, mongoerr.Newf(mongoerr.Location28667, "Expression %s takes at least %d arguments, and at most %d, but %d were passed in.", name, min, max, len(out))
	}
	return out, nil
}

// evalAll evaluates operands in order, stopping at the first error.
func evalAll(ec *EvalContext, doc bson.Raw, args []Expr) ([]bson.RawValue, error) {
	out := make([]bson.RawValue, len(args))
	for i, a := range args {
		v, err := a.Eval(ec, doc)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// naryFunc is an operator over fully evaluated operands.
type naryFunc struct {
	args []Expr
	fn   func(ec *EvalContext, vals []bson.RawValue) (bson.RawValue, error)
}

func (n naryFunc) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	vals, err := evalAll(ec, doc, n.args)
	if err != nil {
		return bson.RawValue{}, err
	}
	return n.fn(ec, vals)
}

// fixed returns a parseFunc for an operator taking exactly n operands,
// all evaluated before fn runs.
func fixed(n int, fn func(ec *EvalContext, vals []bson.RawValue) (bson.RawValue, error)) parseFunc {
	return func(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
		a, err := parseArgsExactly(name, args, pc, n)
		if err != nil {
			return nil, err
		}
		return naryFunc{a, fn}, nil
	}
}

// variadic returns a parseFunc for an operator taking any number of
// operands, all evaluated before fn runs.
func variadic(fn func(ec *EvalContext, vals []bson.RawValue) (bson.RawValue, error)) parseFunc {
	return func(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
		a, err := parseArgs(args, pc)
		if err != nil {
			return nil, err
		}
		return naryFunc{a, fn}, nil
	}
}

// parseNamedArgs parses the object form of an operator's arguments
// ({input: …, find: …}) with namedArgs, refusing other fields with code
// and mongod's "<op> found an unknown argument: <field>".
func parseNamedArgs(name string, args bson.RawValue, pc *ParseContext, code mongoerr.Code, fields map[string]*Expr) error {
	elems, err := bson.Raw(args.Value).Elements()
	if err != nil {
		return mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	return namedArgs(elems, pc, fields, func(key string) error {
		return mongoerr.Newf(code, "%s found an unknown argument: %s", name, key)
	})
}

// namedArgs parses an operator's named arguments: each element whose
// key is in fields is parsed into the Expr it points to, in document
// order; any other key is refused with unknown(key).
func namedArgs(elems []bson.RawElement, pc *ParseContext, fields map[string]*Expr, unknown func(key string) error) error {
	for _, e := range elems {
		dst, ok := fields[e.Key()]
		if !ok {
			return unknown(e.Key())
		}
		x, err := Parse(e.Value(), pc)
		if err != nil {
			return err
		}
		*dst = x
	}
	return nil
}
