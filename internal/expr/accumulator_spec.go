package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// AccumulatorExpr is a parsed accumulator as the stages that group
// documents use it: {$op: <argument>} in $group, $bucket, $bucketAuto
// and $setWindowFields. The stage evaluates Input on each document of a
// group and feeds the value to an accumulator from New.
type AccumulatorExpr struct {
	// Op is the accumulator's name ("$sum").
	Op    string
	input Expr
	// newAcc makes an empty accumulator; key is the group's key ($group's
	// _id; null where there is none), which the n of the N accumulators
	// may refer to.
	newAcc func(ec *EvalContext, key bson.RawValue) (Accumulator, error)
}

// accumulatorParsers holds how each accumulator parses its argument;
// the files of the accumulator families register into it.
var accumulatorParsers = map[string]func(op string, arg bson.RawValue, pc *ParseContext) (*AccumulatorExpr, error){}

// IsAccumulator reports whether op names an accumulator.
func IsAccumulator(op string) bool {
	_, ok := accumulatorParsers[op]
	return ok
}

// ParseAccumulator parses the argument of accumulator op.
func ParseAccumulator(op string, arg bson.RawValue, pc *ParseContext) (*AccumulatorExpr, error) {
	parse, ok := accumulatorParsers[op]
	if !ok {
		return nil, mongoerr.Newf(mongoerr.Location15952, "unknown group operator '%s'", op)
	}
	return parse(op, arg, pc)
}

// Input evaluates what the accumulator takes from doc.
func (a *AccumulatorExpr) Input(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	return a.input.Eval(ec, doc)
}

// New returns an empty accumulator for a group whose key is key.
func (a *AccumulatorExpr) New(ec *EvalContext, key bson.RawValue) (Accumulator, error) {
	return a.newAcc(ec, key)
}

// simpleAccumulator parses the accumulators whose argument is one
// expression, evaluated per document ($sum, $avg, $min, $max,
// $stdDevPop, $stdDevSamp).
func simpleAccumulator(op string, arg bson.RawValue, pc *ParseContext) (*AccumulatorExpr, error) {
	if arg.Type == bson.TypeArray {
		return nil, mongoerr.Newf(mongoerr.Location40237, "The %s accumulator is a unary operator", op)
	}
	x, err := Parse(arg, pc)
	if err != nil {
		return nil, err
	}
	return &AccumulatorExpr{Op: op, input: x, newAcc: func(ec *EvalContext, _ bson.RawValue) (Accumulator, error) {
		return NewAccumulator(op, ec), nil
	}}, nil
}

func init() {
	for _, op := range []string{"$sum", "$avg", "$min", "$max", "$stdDevPop", "$stdDevSamp"} {
		accumulatorParsers[op] = simpleAccumulator
	}
}
