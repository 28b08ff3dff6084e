package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// evalIn is $in: whether the first operand equals an element of the
// second, which must be an array (mongod code 40081 otherwise).
func evalIn(ec *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	arr, ok := vals[1].ArrayOK()
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.Code(40081), "$in requires an array as a second argument, found: %s", typeName(vals[1]))
	}
	elems, _ := arr.Values()
	for _, e := range elems {
		if compareValues(ec, vals[0], e) == 0 {
			return boolValue(true), nil
		}
	}
	return boolValue(false), nil
}
