package bsonx

import (
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Format renders v the way mongod prints values in error messages
// such as duplicate-key errors: { _id: "a" }, ObjectId('…'), 1.5.
func Format(v bson.RawValue) string {
	switch v.Type {
	case bson.TypeString:
		s, ok := v.StringValueOK()
		if !ok || len(v.Value) < 5 {
			return "<invalid string>"
		}
		return strconv.Quote(s)
	case bson.TypeObjectID:
		return "ObjectId('" + v.ObjectID().Hex() + "')"
	case bson.TypeInt32:
		return strconv.Itoa(int(v.Int32()))
	case bson.TypeInt64:
		return strconv.FormatInt(v.Int64(), 10)
	case bson.TypeDouble:
		// mongod prints integral doubles with a decimal point (1.0).
		f := strconv.FormatFloat(v.Double(), 'g', -1, 64)
		if !strings.ContainsAny(f, ".eEIN") {
			f += ".0"
		}
		return f
	case bson.TypeNull:
		return "null"
	case bson.TypeUndefined:
		return "undefined"
	case bson.TypeBoolean:
		return strconv.FormatBool(v.Boolean())
	case bson.TypeMinKey:
		return "MinKey"
	case bson.TypeMaxKey:
		return "MaxKey"
	case bson.TypeDateTime:
		return "new Date(" + strconv.FormatInt(v.DateTime(), 10) + ")"
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		var sb strings.Builder
		elems, _ := bson.Raw(v.Value).Elements()
		open, close := "{ ", " }"
		if v.Type == bson.TypeArray {
			open, close = "[ ", " ]"
		}
		if len(elems) == 0 {
			if v.Type == bson.TypeArray {
				return "[]"
			}
			return "{}"
		}
		sb.WriteString(open)
		for i, e := range elems {
			if i > 0 {
				sb.WriteString(", ")
			}
			if v.Type != bson.TypeArray {
				sb.WriteString(e.Key() + ": ")
			}
			sb.WriteString(Format(e.Value()))
		}
		sb.WriteString(close)
		return sb.String()
	default:
		return v.String()
	}
}
