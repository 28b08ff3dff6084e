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
	// keyDependent is set when the accumulator's initializer (the n of
	// $firstN and friends) is not a constant and so may read the group
	// key.
	keyDependent bool
}

// GroupAccumulator is what every accumulator ParseAccumulator makes
// implements beyond Accumulator, for the grouping stages: errors from
// the values folded in, memory accounting, and partial states that can
// be written to disk and combined later, as mongod's $group spills
// (getValue(toBeMerged) and process(merging)).
type GroupAccumulator interface {
	Accumulator
	// Accumulate is Add reporting mongod's errors ($mergeObjects of a
	// non-document, an accumulator over its own memory limit).
	Accumulate(v bson.RawValue) error
	// MemSize approximates the bytes the accumulator holds.
	MemSize() int64
	// Partial is the accumulator's state as one BSON value.
	Partial() bson.RawValue
	// Merge folds in a Partial of another accumulator of the same
	// expression that saw later input.
	Merge(partial bson.RawValue) error
}

// AccumulatorMemLimit bounds the memory of one accumulator that keeps
// values ($push, $addToSet, the N accumulators, $percentile): mongod's
// internalQueryMaxPushBytes, internalQueryMaxAddToSetBytes,
// internalQueryTopNAccumulatorBytes and
// internalQueryMaxPercentileAccumulatorBytes all default to 100 MiB. Over
// it the accumulator fails with ExceededMemoryLimit (146): it cannot
// spill.
var AccumulatorMemLimit int64 = 100 << 20

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

// NewGroup is New for the grouping stages: the accumulator with its
// memory accounting and partial states.
func (a *AccumulatorExpr) NewGroup(ec *EvalContext, key bson.RawValue) (GroupAccumulator, error) {
	acc, err := a.newAcc(ec, key)
	if err != nil {
		return nil, err
	}
	g, ok := acc.(GroupAccumulator)
	if !ok {
		return nil, mongoerr.Newf(mongoerr.InternalError, "accumulator %s cannot be used to group", a.Op)
	}
	return g, nil
}

// KeyDependent reports whether the accumulator's initializer (n) may
// read the group key: $bucketAuto refuses those.
func (a *AccumulatorExpr) KeyDependent() bool { return a.keyDependent }

// initializerRoot is the document an accumulator's initializer is
// evaluated against: the group key when it is a document, else an empty
// document, as mongod's startNewGroup.
func initializerRoot(key bson.RawValue) bson.Raw {
	if d, ok := key.DocumentOK(); ok {
		return d
	}
	return emptyDoc
}

var emptyDoc = bson.Raw{5, 0, 0, 0, 0}

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
