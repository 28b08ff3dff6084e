package commands

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

func typeName(t bson.Type) string { return bsonx.TypeName(t) }

func typeMismatch(field, want string, v bson.RawValue) error {
	return mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '%s' is the wrong type '%s', expected type '%s'", field, typeName(v.Type), want)
}

func typeMismatchf(format string, args ...any) error {
	return mongoerr.Newf(mongoerr.TypeMismatch, format, args...)
}
