package query

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// ValidationDetails explains why doc fails the filter used as a
// collection validator: the "details" document of a
// DocumentValidationFailure's errInfo.
//
// TODO(helper-16): mongod's full generator; this placeholder names only
// the top-level operator.
func (f *Filter) ValidationDetails(doc bson.Raw) bson.Raw {
	b := bsoncore.NewDocumentBuilder()
	b.AppendString("operatorName", "$and")
	return bson.Raw(b.Build())
}
