package bsonx

import (
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// typeAliases are MongoDB's names for the BSON types, as $type, $jsonSchema's
// bsonType and error messages use them.
var typeAliases = map[bson.Type]string{
	bson.TypeDouble: "double", bson.TypeString: "string", bson.TypeEmbeddedDocument: "object",
	bson.TypeArray: "array", bson.TypeBinary: "binData", bson.TypeUndefined: "undefined",
	bson.TypeObjectID: "objectId", bson.TypeBoolean: "bool", bson.TypeDateTime: "date",
	bson.TypeNull: "null", bson.TypeRegex: "regex", bson.TypeDBPointer: "dbPointer",
	bson.TypeJavaScript: "javascript", bson.TypeSymbol: "symbol", bson.TypeCodeWithScope: "javascriptWithScope",
	bson.TypeInt32: "int", bson.TypeTimestamp: "timestamp", bson.TypeInt64: "long",
	bson.TypeDecimal128: "decimal", bson.TypeMinKey: "minKey", bson.TypeMaxKey: "maxKey",
}

var aliasTypes = func() map[string]bson.Type {
	m := make(map[string]bson.Type, len(typeAliases))
	for t, n := range typeAliases {
		m[n] = t
	}
	return m
}()

// TypeName returns MongoDB's alias for t ("int", "objectId", …), or
// "missing" for the zero type that stands for an absent value.
func TypeName(t bson.Type) string {
	if n, ok := typeAliases[t]; ok {
		return n
	}
	if t == 0 {
		return "missing"
	}
	return fmt.Sprintf("type %d", byte(t))
}

// TypeByAlias returns the BSON type MongoDB names alias.
func TypeByAlias(alias string) (bson.Type, bool) {
	t, ok := aliasTypes[alias]
	return t, ok
}

// ValidType reports whether code is the number of a BSON type ($type
// accepts exactly these: 1–19, -1 for MinKey and 127 for MaxKey).
func ValidType(code int64) bool {
	if code == -1 || code == 127 {
		return true
	}
	_, ok := typeAliases[bson.Type(code)]
	return ok && code >= 1 && code <= 19
}

// IsNumber reports whether t is one of the four numeric types.
func IsNumber(t bson.Type) bool {
	switch t {
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		return true
	}
	return false
}
