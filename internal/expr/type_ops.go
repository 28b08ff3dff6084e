package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
)

// Type inspection: $type and $isNumber.

func init() {
	register(map[string]parseFunc{
		"$type":     fixed(1, evalType),
		"$isNumber": fixed(1, evalIsNumber),
	})
}

// evalType is $type: the BSON type's alias, "missing" for an absent value.
func evalType(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	return bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, bsonx.TypeName(vals[0].Type))}, nil
}

// evalIsNumber is $isNumber: true for int, long, double and decimal only;
// null and missing give false, not null.
func evalIsNumber(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	return boolValue(numeric(vals[0])), nil
}
