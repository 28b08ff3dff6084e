package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"
)

// comparison returns the parser of $eq, $ne, $gt, $gte, $lt or $lte:
// exactly two operands compared in full BSON order, with no null
// propagation. Missing ranks with undefined, below null, so
// {$eq: ["$missing", null]} is false and {$lt: ["$missing", null]} true.
func comparison(test func(int) bool) parseFunc {
	return fixed(2, func(ec *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
		return boolValue(test(compareValues(ec, vals[0], vals[1]))), nil
	})
}

// evalCmp is $cmp: -1, 0 or 1 as an int.
func evalCmp(ec *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	c := compareValues(ec, vals[0], vals[1])
	switch {
	case c < 0:
		c = -1
	case c > 0:
		c = 1
	}
	return int32Value(int32(c)), nil
}
