package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"
)

// andExpr is $and: true unless an operand is falsy; operands after the
// first falsy one are not evaluated. {$and: []} is true.
type andExpr struct{ args []Expr }

func parseAnd(_ string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	a, err := parseArgs(args, pc)
	return andExpr{a}, err
}

func (a andExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	for _, e := range a.args {
		v, err := e.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if !Truthy(v) {
			return falseValue, nil
		}
	}
	return trueValue, nil
}

// orExpr is $or: false unless an operand is truthy; evaluation stops at
// the first truthy one. {$or: []} is false.
type orExpr struct{ args []Expr }

func parseOr(_ string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	a, err := parseArgs(args, pc)
	return orExpr{a}, err
}

func (o orExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	for _, e := range o.args {
		v, err := e.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if Truthy(v) {
			return trueValue, nil
		}
	}
	return falseValue, nil
}

func evalNot(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	return boolValue(!Truthy(vals[0])), nil
}
