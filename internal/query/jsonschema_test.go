package query

import (
	"testing"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// $jsonSchema in filters (internal/jsonschema has the keyword-level
// tests). Cases follow https://www.mongodb.com/docs/manual/reference/operator/query/jsonSchema/
// and the JSON Schema draft 4 keyword definitions MongoDB implements.
func TestJSONSchema(t *testing.T) {
	for _, tc := range []struct {
		schema, doc string
		want        bool
	}{
		{`{"bsonType": "object"}`, `{"a": 1}`, true},
		{`{"properties": {"a": {"bsonType": "int"}}}`, `{"a": 1}`, true},
		{`{"properties": {"a": {"bsonType": "int"}}}`, `{"a": 1.5}`, false},
		{`{"properties": {"a": {"bsonType": "int"}}}`, `{"b": 1}`, true},
		{`{"properties": {"a": {"bsonType": ["string", "null"]}}}`, `{"a": null}`, true},
		{`{"properties": {"a": {"bsonType": "number"}}}`, `{"a": {"$numberDecimal": "1"}}`, true},
		{`{"properties": {"a": {"type": "number"}}}`, `{"a": {"$numberLong": "5"}}`, true},
		{`{"properties": {"a": {"type": "string"}}}`, `{"a": 5}`, false},
		{`{"properties": {"a": {"type": ["object", "array"]}}}`, `{"a": [1]}`, true},
		{`{"required": ["a", "b"]}`, `{"a": 1, "b": null}`, true},
		{`{"required": ["a", "b"]}`, `{"a": 1}`, false},
		{`{"properties": {"a": {"enum": [1, "x", {"b": 2}]}}}`, `{"a": {"b": 2}}`, true},
		{`{"properties": {"a": {"enum": [1, "x"]}}}`, `{"a": 2}`, false},
		{`{"properties": {"a": {"minimum": 5}}}`, `{"a": 5}`, true},
		{`{"properties": {"a": {"minimum": 5, "exclusiveMinimum": true}}}`, `{"a": 5}`, false},
		{`{"properties": {"a": {"maximum": 5}}}`, `{"a": "zzz"}`, true},
		{`{"properties": {"a": {"maximum": 5, "exclusiveMaximum": true}}}`, `{"a": 4.9}`, true},
		{`{"properties": {"a": {"multipleOf": 0.5}}}`, `{"a": 2.5}`, true},
		{`{"properties": {"a": {"multipleOf": 3}}}`, `{"a": 10}`, false},
		{`{"properties": {"a": {"multipleOf": 3}}}`, `{"a": {"$numberDecimal": "9.0"}}`, true},
		{`{"properties": {"a": {"minLength": 2, "maxLength": 3}}}`, `{"a": "héé"}`, true},
		{`{"properties": {"a": {"minLength": 2}}}`, `{"a": "x"}`, false},
		{`{"properties": {"a": {"maxLength": 1}}}`, `{"a": 12345}`, true},
		{`{"properties": {"a": {"pattern": "^x+$"}}}`, `{"a": "xxx"}`, true},
		{`{"properties": {"a": {"pattern": "^x+$"}}}`, `{"a": "xy"}`, false},
		{`{"properties": {"a": {"minItems": 1, "maxItems": 2}}}`, `{"a": []}`, false},
		{`{"properties": {"a": {"maxItems": 2}}}`, `{"a": [1, 2]}`, true},
		{`{"properties": {"a": {"uniqueItems": true}}}`, `{"a": [1, 2, 1.0]}`, false},
		{`{"properties": {"a": {"uniqueItems": true}}}`, `{"a": [1, 2]}`, true},
		{`{"properties": {"a": {"items": {"bsonType": "int"}}}}`, `{"a": [1, 2]}`, true},
		{`{"properties": {"a": {"items": {"bsonType": "int"}}}}`, `{"a": [1, "x"]}`, false},
		{`{"properties": {"a": {"items": [{"bsonType": "int"}, {"bsonType": "string"}]}}}`, `{"a": [1, "x", true]}`, true},
		{`{"properties": {"a": {"items": [{"bsonType": "int"}], "additionalItems": false}}}`, `{"a": [1, 2]}`, false},
		{`{"properties": {"a": {"items": [{"bsonType": "int"}], "additionalItems": {"bsonType": "string"}}}}`, `{"a": [1, "x"]}`, true},
		{`{"minProperties": 2}`, `{"a": 1}`, false},
		{`{"maxProperties": 2}`, `{"a": 1, "b": 2}`, true},
		{`{"properties": {"_id": {}, "a": {}}, "additionalProperties": false}`, `{"_id": 1, "a": 1}`, true},
		{`{"properties": {"_id": {}, "a": {}}, "additionalProperties": false}`, `{"_id": 1, "b": 1}`, false},
		{`{"properties": {"_id": {}}, "additionalProperties": {"bsonType": "int"}}`, `{"_id": 1, "b": 1}`, true},
		{`{"patternProperties": {"^n": {"bsonType": "int"}}}`, `{"n1": 1, "n2": "x"}`, false},
		{`{"patternProperties": {"^n": {"bsonType": "int"}}, "additionalProperties": false}`, `{"n1": 1}`, true},
		{`{"dependencies": {"a": ["b"]}}`, `{"a": 1}`, false},
		{`{"dependencies": {"a": ["b"]}}`, `{"c": 1}`, true},
		{`{"dependencies": {"a": {"required": ["c"]}}}`, `{"a": 1, "c": 2}`, true},
		{`{"allOf": [{"required": ["a"]}, {"required": ["b"]}]}`, `{"a": 1}`, false},
		{`{"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}`, `{"b": 1}`, true},
		{`{"oneOf": [{"required": ["a"]}, {"required": ["b"]}]}`, `{"a": 1, "b": 1}`, false},
		{`{"not": {"required": ["a"]}}`, `{"b": 1}`, true},
		{`{"properties": {"a": {"properties": {"b": {"bsonType": "int"}}}}}`, `{"a": {"b": "x"}}`, false},
		{`{"title": "t", "description": "d", "bsonType": "object"}`, `{}`, true},
	} {
		f, err := ParseFilter(ej(t, `{"$jsonSchema": `+tc.schema+`}`))
		if err != nil {
			t.Errorf("%s: %v", tc.schema, err)
			continue
		}
		if got := f.Matches(ej(t, tc.doc)); got != tc.want {
			t.Errorf("%s on %s = %v, want %v", tc.schema, tc.doc, got, tc.want)
		}
	}
	for _, tc := range []struct {
		schema string
		code   mongoerr.Code
	}{
		{`{"foo": 1}`, mongoerr.FailedToParse},
		{`{"$ref": "#/x"}`, mongoerr.FailedToParse},
		{`{"format": "email"}`, mongoerr.FailedToParse},
		{`{"type": "integer"}`, mongoerr.FailedToParse},
		{`{"type": "object", "bsonType": "object"}`, mongoerr.FailedToParse},
		{`{"bsonType": "nope"}`, mongoerr.BadValue},
		{`{"required": []}`, mongoerr.FailedToParse},
		{`{"required": "a"}`, mongoerr.TypeMismatch},
		{`{"minLength": -1}`, mongoerr.FailedToParse},
		{`{"minLength": "x"}`, mongoerr.FailedToParse},
		{`{"exclusiveMaximum": true}`, mongoerr.FailedToParse},
		{`{"multipleOf": 0}`, mongoerr.FailedToParse},
		{`{"properties": 1}`, mongoerr.TypeMismatch},
		{`{"enum": []}`, mongoerr.FailedToParse},
	} {
		_, err := ParseFilter(ej(t, `{"$jsonSchema": `+tc.schema+`}`))
		if me := mongoerr.As(err); me == nil || me.Code != tc.code {
			t.Errorf("%s: got %v, want code %d", tc.schema, err, tc.code)
		}
	}
}
