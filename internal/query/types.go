package query

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

func bsonTypeOf(v bson.RawValue) bsoncore.Type { return bsoncore.Type(v.Type) }
