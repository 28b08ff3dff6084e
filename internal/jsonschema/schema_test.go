package jsonschema

import (
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// ej reads relaxed Extended JSON into a document.
func ej(t testing.TB, s string) bson.Raw {
	t.Helper()
	var d bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(s), false, &d); err != nil {
		t.Fatalf("bad extended JSON %s: %v", s, err)
	}
	return d
}

// matchCases follow the manual's $jsonSchema page
// (https://www.mongodb.com/docs/manual/reference/operator/query/jsonSchema/)
// and mongod's json_schema_parser.cpp for what each keyword applies to.
var matchCases = []struct {
	name, schema, doc string
	want              bool
}{
	// An empty schema, and the top level being an object.
	{"empty", `{}`, `{"a": 1}`, true},
	{"title description ignored", `{"title": "t", "description": "d"}`, `{"a": 1}`, true},

	// bsonType
	{"bsonType object top", `{"bsonType": "object"}`, `{"a": 1}`, true},
	{"bsonType non-object top matches nothing", `{"bsonType": "string"}`, `{"a": "x"}`, false},
	{"bsonType array with object top", `{"bsonType": ["string", "object"]}`, `{}`, true},
	{"bsonType int", `{"properties": {"a": {"bsonType": "int"}}}`, `{"a": 1}`, true},
	{"bsonType int vs double", `{"properties": {"a": {"bsonType": "int"}}}`, `{"a": 1.5}`, false},
	{"bsonType int vs long", `{"properties": {"a": {"bsonType": "int"}}}`, `{"a": {"$numberLong": "1"}}`, false},
	{"bsonType number decimal", `{"properties": {"a": {"bsonType": "number"}}}`, `{"a": {"$numberDecimal": "1"}}`, true},
	{"bsonType number string", `{"properties": {"a": {"bsonType": "number"}}}`, `{"a": "1"}`, false},
	{"bsonType list null", `{"properties": {"a": {"bsonType": ["string", "null"]}}}`, `{"a": null}`, true},
	{"bsonType undefined", `{"properties": {"a": {"bsonType": "undefined"}}}`, `{"a": {"$undefined": true}}`, true},
	{"bsonType null vs undefined", `{"properties": {"a": {"bsonType": "null"}}}`, `{"a": {"$undefined": true}}`, false},
	{"bsonType missing property passes", `{"properties": {"a": {"bsonType": "int"}}}`, `{"b": "x"}`, true},
	{"bsonType array no traversal", `{"properties": {"a": {"bsonType": "int"}}}`, `{"a": [1]}`, false},
	{"bsonType objectId date", `{"properties": {"a": {"bsonType": ["objectId", "date"]}}}`, `{"a": {"$date": "2020-01-01T00:00:00Z"}}`, true},
	{"bsonType regex", `{"properties": {"a": {"bsonType": "regex"}}}`, `{"a": {"$regularExpression": {"pattern": "x", "options": ""}}}`, true},
	{"bsonType minKey", `{"properties": {"a": {"bsonType": "minKey"}}}`, `{"a": {"$maxKey": 1}}`, false},

	// type
	{"type number long", `{"properties": {"a": {"type": "number"}}}`, `{"a": {"$numberLong": "5"}}`, true},
	{"type string vs int", `{"properties": {"a": {"type": "string"}}}`, `{"a": 5}`, false},
	{"type string vs symbol", `{"properties": {"a": {"type": "string"}}}`, `{"a": {"$symbol": "x"}}`, false},
	{"type object or array", `{"properties": {"a": {"type": ["object", "array"]}}}`, `{"a": [1]}`, true},
	{"type boolean", `{"properties": {"a": {"type": "boolean"}}}`, `{"a": false}`, true},
	{"type null", `{"properties": {"a": {"type": "null"}}}`, `{"a": 0}`, false},
	{"type top array", `{"type": "array"}`, `{"a": 1}`, false},

	// required
	{"required present", `{"required": ["a", "b"]}`, `{"a": 1, "b": null}`, true},
	{"required missing", `{"required": ["a", "b"]}`, `{"a": 1}`, false},
	{"required undefined counts", `{"required": ["a"]}`, `{"a": {"$undefined": true}}`, true},
	{"required is literal not a path", `{"required": ["a.b"]}`, `{"a": {"b": 1}}`, false},
	{"required nested", `{"properties": {"a": {"required": ["b"]}}}`, `{"a": {"c": 1}}`, false},
	{"required nested non-object ignored", `{"properties": {"a": {"required": ["b"]}}}`, `{"a": 5}`, true},
	{"required with properties", `{"required": ["a"], "properties": {"a": {"bsonType": "int"}}}`, `{"b": 1}`, false},

	// properties
	{"properties all good", `{"properties": {"a": {"bsonType": "int"}, "b": {"bsonType": "string"}}}`, `{"a": 1, "b": "x"}`, true},
	{"properties one bad", `{"properties": {"a": {"bsonType": "int"}, "b": {"bsonType": "string"}}}`, `{"a": 1, "b": 2}`, false},
	{"properties deep", `{"properties": {"a": {"properties": {"b": {"minimum": 3}}}}}`, `{"a": {"b": 2}}`, false},
	{"properties on non-object", `{"properties": {"a": {"properties": {"b": {"bsonType": "int"}}}}}`, `{"a": [{"b": "x"}]}`, true},
	{"properties empty schema", `{"properties": {"a": {}}}`, `{"a": [1, 2]}`, true},

	// patternProperties
	{"patternProperties bad", `{"patternProperties": {"^n": {"bsonType": "int"}}}`, `{"n1": 1, "n2": "x"}`, false},
	{"patternProperties good", `{"patternProperties": {"^n": {"bsonType": "int"}}}`, `{"n1": 1, "m": "x"}`, true},
	{"patternProperties unanchored", `{"patternProperties": {"b": {"bsonType": "string"}}}`, `{"abc": 1}`, false},
	{"patternProperties every pattern applies", `{"patternProperties": {"a": {"bsonType": "int"}, "b": {"minimum": 5}}}`, `{"ab": 3}`, false},
	{"patternProperties over properties", `{"properties": {"n": {}}, "patternProperties": {"^n": {"bsonType": "int"}}}`, `{"n": "x"}`, false},

	// additionalProperties
	{"additionalProperties false ok", `{"properties": {"_id": {}, "a": {}}, "additionalProperties": false}`, `{"_id": 1, "a": 1}`, true},
	{"additionalProperties false extra", `{"properties": {"_id": {}, "a": {}}, "additionalProperties": false}`, `{"_id": 1, "b": 1}`, false},
	{"additionalProperties false _id counts", `{"properties": {"a": {}}, "additionalProperties": false}`, `{"_id": 1, "a": 1}`, false},
	{"additionalProperties schema", `{"properties": {"_id": {}}, "additionalProperties": {"bsonType": "int"}}`, `{"_id": "x", "b": 1}`, true},
	{"additionalProperties schema bad", `{"properties": {"_id": {}}, "additionalProperties": {"bsonType": "int"}}`, `{"_id": "x", "b": "y"}`, false},
	{"additionalProperties true", `{"additionalProperties": true}`, `{"b": "y"}`, true},
	{"additionalProperties with pattern", `{"patternProperties": {"^n": {}}, "additionalProperties": false}`, `{"n1": 1, "x": 1}`, false},
	{"additionalProperties nested non-object", `{"properties": {"a": {"additionalProperties": false}}}`, `{"a": "x"}`, true},

	// items
	{"items schema all", `{"properties": {"a": {"items": {"bsonType": "int"}}}}`, `{"a": [1, 2]}`, true},
	{"items schema one bad", `{"properties": {"a": {"items": {"bsonType": "int"}}}}`, `{"a": [1, "x"]}`, false},
	{"items empty array", `{"properties": {"a": {"items": {"bsonType": "int"}}}}`, `{"a": []}`, true},
	{"items non-array", `{"properties": {"a": {"items": {"bsonType": "int"}}}}`, `{"a": "x"}`, true},
	{"items tuple", `{"properties": {"a": {"items": [{"bsonType": "int"}, {"bsonType": "string"}]}}}`, `{"a": [1, "x", true]}`, true},
	{"items tuple bad", `{"properties": {"a": {"items": [{"bsonType": "int"}, {"bsonType": "string"}]}}}`, `{"a": [1, 2]}`, false},
	{"items tuple short array", `{"properties": {"a": {"items": [{"bsonType": "int"}, {"bsonType": "string"}]}}}`, `{"a": [1]}`, true},
	{"items nested arrays", `{"properties": {"a": {"items": {"items": {"type": "number"}}}}}`, `{"a": [[1, 2], [3, "x"]]}`, false},

	// additionalItems
	{"additionalItems false", `{"properties": {"a": {"items": [{"bsonType": "int"}], "additionalItems": false}}}`, `{"a": [1, 2]}`, false},
	{"additionalItems false exact", `{"properties": {"a": {"items": [{"bsonType": "int"}], "additionalItems": false}}}`, `{"a": [1]}`, true},
	{"additionalItems schema", `{"properties": {"a": {"items": [{"bsonType": "int"}], "additionalItems": {"bsonType": "string"}}}}`, `{"a": [1, "x", "y"]}`, true},
	{"additionalItems schema bad", `{"properties": {"a": {"items": [{"bsonType": "int"}], "additionalItems": {"bsonType": "string"}}}}`, `{"a": [1, "x", 3]}`, false},
	{"additionalItems ignored with items schema", `{"properties": {"a": {"items": {}, "additionalItems": false}}}`, `{"a": [1, 2]}`, true},
	{"additionalItems ignored without items", `{"properties": {"a": {"additionalItems": false}}}`, `{"a": [1, 2]}`, true},

	// minItems / maxItems
	{"minItems fail", `{"properties": {"a": {"minItems": 1, "maxItems": 2}}}`, `{"a": []}`, false},
	{"maxItems ok", `{"properties": {"a": {"maxItems": 2}}}`, `{"a": [1, 2]}`, true},
	{"maxItems fail", `{"properties": {"a": {"maxItems": 2}}}`, `{"a": [1, 2, 3]}`, false},
	{"minItems non-array", `{"properties": {"a": {"minItems": 3}}}`, `{"a": "abc"}`, true},
	{"minItems top level", `{"minItems": 3}`, `{"a": 1}`, true},

	// uniqueItems
	{"uniqueItems numeric dup", `{"properties": {"a": {"uniqueItems": true}}}`, `{"a": [1, 2, 1.0]}`, false},
	{"uniqueItems ok", `{"properties": {"a": {"uniqueItems": true}}}`, `{"a": [1, 2, "1"]}`, true},
	{"uniqueItems field order ignored", `{"properties": {"a": {"uniqueItems": true}}}`, `{"a": [{"x": 1, "y": 2}, {"y": 2, "x": 1}]}`, false},
	{"uniqueItems false", `{"properties": {"a": {"uniqueItems": false}}}`, `{"a": [1, 1]}`, true},
	{"uniqueItems arrays differ by order", `{"properties": {"a": {"uniqueItems": true}}}`, `{"a": [[1, 2], [2, 1]]}`, true},
	{"uniqueItems non-array", `{"properties": {"a": {"uniqueItems": true}}}`, `{"a": {"x": 1, "y": 1}}`, true},

	// minLength / maxLength
	{"minLength maxLength code points", `{"properties": {"a": {"minLength": 2, "maxLength": 3}}}`, `{"a": "héé"}`, true},
	{"minLength fail", `{"properties": {"a": {"minLength": 2}}}`, `{"a": "x"}`, false},
	{"maxLength non-string", `{"properties": {"a": {"maxLength": 1}}}`, `{"a": 12345}`, true},
	{"maxLength fail", `{"properties": {"a": {"maxLength": 2}}}`, `{"a": "😀😀😀"}`, false},
	{"maxLength symbol ignored", `{"properties": {"a": {"maxLength": 1}}}`, `{"a": {"$symbol": "long"}}`, true},
	{"minLength double arg", `{"properties": {"a": {"minLength": 2.0}}}`, `{"a": "ab"}`, true},

	// pattern
	{"pattern match", `{"properties": {"a": {"pattern": "^x+$"}}}`, `{"a": "xxx"}`, true},
	{"pattern no match", `{"properties": {"a": {"pattern": "^x+$"}}}`, `{"a": "xy"}`, false},
	{"pattern non-string", `{"properties": {"a": {"pattern": "^x+$"}}}`, `{"a": 5}`, true},
	{"pattern unanchored", `{"properties": {"a": {"pattern": "b"}}}`, `{"a": "abc"}`, true},
	{"pattern dollar before final newline", `{"properties": {"a": {"pattern": "^x$"}}}`, `{"a": "x\n"}`, true},
	{"pattern dollar not before other text", `{"properties": {"a": {"pattern": "^x$"}}}`, `{"a": "x\ny"}`, false},
	{"pattern escaped dollar", `{"properties": {"a": {"pattern": "\\$1"}}}`, `{"a": "costs $1"}`, true},
	{"pattern dollar in class", `{"properties": {"a": {"pattern": "^[$]$"}}}`, `{"a": "$"}`, true},

	// minimum / maximum / exclusive*
	{"minimum equal", `{"properties": {"a": {"minimum": 5}}}`, `{"a": 5}`, true},
	{"minimum below", `{"properties": {"a": {"minimum": 5}}}`, `{"a": 4.99}`, false},
	{"minimum exclusive equal", `{"properties": {"a": {"minimum": 5, "exclusiveMinimum": true}}}`, `{"a": 5}`, false},
	{"minimum exclusive false", `{"properties": {"a": {"minimum": 5, "exclusiveMinimum": false}}}`, `{"a": 5}`, true},
	{"minimum cross type", `{"properties": {"a": {"minimum": {"$numberDecimal": "5.5"}}}}`, `{"a": {"$numberLong": "6"}}`, true},
	{"minimum non-number", `{"properties": {"a": {"minimum": 5}}}`, `{"a": "1"}`, true},
	{"minimum array not traversed", `{"properties": {"a": {"minimum": 5}}}`, `{"a": [1]}`, true},
	{"minimum NaN value", `{"properties": {"a": {"minimum": 5}}}`, `{"a": {"$numberDouble": "NaN"}}`, false},
	{"maximum NaN both", `{"properties": {"a": {"maximum": {"$numberDouble": "NaN"}}}}`, `{"a": {"$numberDecimal": "NaN"}}`, true},
	{"maximum NaN limit", `{"properties": {"a": {"minimum": {"$numberDouble": "NaN"}}}}`, `{"a": 1}`, false},
	{"maximum non-number", `{"properties": {"a": {"maximum": 5}}}`, `{"a": "zzz"}`, true},
	{"maximum exclusive", `{"properties": {"a": {"maximum": 5, "exclusiveMaximum": true}}}`, `{"a": 4.9}`, true},
	{"maximum exclusive equal", `{"properties": {"a": {"maximum": 5, "exclusiveMaximum": true}}}`, `{"a": {"$numberLong": "5"}}`, false},
	{"maximum over", `{"properties": {"a": {"maximum": 5}}}`, `{"a": 5.0000001}`, false},
	{"maximum top level", `{"maximum": 5}`, `{"a": 10}`, true},
	{"maximum large long exact", `{"properties": {"a": {"maximum": {"$numberLong": "9007199254740993"}}}}`, `{"a": 9007199254740992.0}`, true},

	// multipleOf
	{"multipleOf half", `{"properties": {"a": {"multipleOf": 0.5}}}`, `{"a": 2.5}`, true},
	{"multipleOf int fail", `{"properties": {"a": {"multipleOf": 3}}}`, `{"a": 10}`, false},
	{"multipleOf decimal", `{"properties": {"a": {"multipleOf": 3}}}`, `{"a": {"$numberDecimal": "9.0"}}`, true},
	{"multipleOf tenth", `{"properties": {"a": {"multipleOf": 0.1}}}`, `{"a": 0.3}`, true},
	{"multipleOf non-number", `{"properties": {"a": {"multipleOf": 2}}}`, `{"a": "3"}`, true},
	{"multipleOf infinity value", `{"properties": {"a": {"multipleOf": 2}}}`, `{"a": {"$numberDouble": "Infinity"}}`, false},
	{"multipleOf NaN value", `{"properties": {"a": {"multipleOf": 2}}}`, `{"a": {"$numberDouble": "NaN"}}`, false},
	{"multipleOf infinite divisor zero", `{"properties": {"a": {"multipleOf": {"$numberDouble": "Infinity"}}}}`, `{"a": 0}`, true},
	{"multipleOf infinite divisor", `{"properties": {"a": {"multipleOf": {"$numberDouble": "Infinity"}}}}`, `{"a": 4}`, false},

	// enum
	{"enum object", `{"properties": {"a": {"enum": [1, "x", {"b": 2}]}}}`, `{"a": {"b": 2}}`, true},
	{"enum miss", `{"properties": {"a": {"enum": [1, "x"]}}}`, `{"a": 2}`, false},
	{"enum numeric", `{"properties": {"a": {"enum": [1, "x"]}}}`, `{"a": {"$numberDecimal": "1.00"}}`, true},
	{"enum field order ignored", `{"properties": {"a": {"enum": [{"x": 1, "y": 2}]}}}`, `{"a": {"y": 2, "x": 1}}`, true},
	{"enum field order ignored at depth", `{"properties": {"a": {"enum": [{"x": [{"p": 1, "q": {"r": 1, "s": 2}}]}]}}}`, `{"a": {"x": [{"q": {"s": 2, "r": 1}, "p": 1}]}}`, true},
	{"enum field names matter", `{"properties": {"a": {"enum": [{"x": 1}]}}}`, `{"a": {"y": 1}}`, false},
	{"enum array order matters", `{"properties": {"a": {"enum": [[1, 2]]}}}`, `{"a": [2, 1]}`, false},
	{"enum no array traversal", `{"properties": {"a": {"enum": [1]}}}`, `{"a": [1]}`, false},
	{"enum null vs undefined", `{"properties": {"a": {"enum": [null]}}}`, `{"a": {"$undefined": true}}`, false},
	{"enum top level whole document", `{"enum": [{"a": 1}, 5]}`, `{"a": 1}`, true},
	{"enum top level miss", `{"enum": [{"a": 1}, 5]}`, `{"a": 1, "b": 2}`, false},
	{"enum top level non-objects", `{"enum": [1, "x"]}`, `{"a": 1}`, false},

	// minProperties / maxProperties
	{"minProperties fail", `{"minProperties": 2}`, `{"a": 1}`, false},
	{"maxProperties ok", `{"maxProperties": 2}`, `{"a": 1, "b": 2}`, true},
	{"maxProperties fail", `{"maxProperties": 1}`, `{"a": 1, "b": 2}`, false},
	{"minProperties nested", `{"properties": {"a": {"minProperties": 1}}}`, `{"a": {}}`, false},
	{"minProperties nested non-object", `{"properties": {"a": {"minProperties": 1}}}`, `{"a": []}`, true},

	// dependencies
	{"dependencies list missing", `{"dependencies": {"a": ["b"]}}`, `{"a": 1}`, false},
	{"dependencies list not triggered", `{"dependencies": {"a": ["b"]}}`, `{"c": 1}`, true},
	{"dependencies list present", `{"dependencies": {"a": ["b", "c"]}}`, `{"a": 1, "b": 2, "c": 3}`, true},
	{"dependencies schema ok", `{"dependencies": {"a": {"required": ["c"]}}}`, `{"a": 1, "c": 2}`, true},
	{"dependencies schema fail", `{"dependencies": {"a": {"properties": {"c": {"bsonType": "string"}}}}}`, `{"a": 1, "c": 2}`, false},
	{"dependencies nested non-object", `{"properties": {"x": {"dependencies": {"a": ["b"]}}}}`, `{"x": 5}`, true},
	{"dependencies nested", `{"properties": {"x": {"dependencies": {"a": ["b"]}}}}`, `{"x": {"a": 1}}`, false},
	{"dependencies title annotation", `{"dependencies": {"title": "t", "a": ["b"]}}`, `{"a": 1, "b": 1}`, true},

	// allOf / anyOf / oneOf / not
	{"allOf fail", `{"allOf": [{"required": ["a"]}, {"required": ["b"]}]}`, `{"a": 1}`, false},
	{"allOf ok", `{"allOf": [{"required": ["a"]}, {"required": ["b"]}]}`, `{"a": 1, "b": 1}`, true},
	{"allOf nested", `{"properties": {"a": {"allOf": [{"minimum": 1}, {"maximum": 3}]}}}`, `{"a": 4}`, false},
	{"anyOf ok", `{"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}`, `{"b": 1}`, true},
	{"anyOf fail", `{"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}`, `{"c": 1}`, false},
	{"anyOf nested types", `{"properties": {"a": {"anyOf": [{"bsonType": "int"}, {"bsonType": "string"}]}}}`, `{"a": "x"}`, true},
	{"oneOf exactly one", `{"oneOf": [{"required": ["a"]}, {"required": ["b"]}]}`, `{"a": 1}`, true},
	{"oneOf both", `{"oneOf": [{"required": ["a"]}, {"required": ["b"]}]}`, `{"a": 1, "b": 1}`, false},
	{"oneOf none", `{"oneOf": [{"required": ["a"]}, {"required": ["b"]}]}`, `{"c": 1}`, false},
	{"not ok", `{"not": {"required": ["a"]}}`, `{"b": 1}`, true},
	{"not fail", `{"not": {"required": ["a"]}}`, `{"a": 1}`, false},
	{"not empty schema", `{"not": {}}`, `{"a": 1}`, false},
	{"not nested type", `{"properties": {"a": {"not": {"bsonType": "string"}}}}`, `{"a": 1}`, true},
	{"not top-level non-object type", `{"not": {"bsonType": "string"}}`, `{"a": 1}`, true},
	{"not top-level restriction", `{"not": {"minimum": 5}}`, `{"a": 1}`, false},
}

func TestMatches(t *testing.T) {
	for _, tc := range matchCases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(ej(t, tc.schema))
			if err != nil {
				t.Fatalf("Parse(%s): %v", tc.schema, err)
			}
			if got := s.Matches(ej(t, tc.doc)); got != tc.want {
				t.Errorf("schema %s, doc %s: Matches = %v, want %v", tc.schema, tc.doc, got, tc.want)
			}
		})
	}
}

// parseErrorCases are mongod's parse errors, code and message, from
// json_schema_parser.cpp and BSONElement::parseIntegerElementToLong.
var parseErrorCases = []struct {
	schema string
	code   mongoerr.Code
	msg    string // the whole message, or "" for the code alone
}{
	{`{"$ref": "#/a"}`, mongoerr.FailedToParse, "$jsonSchema keyword '$ref' is not currently supported"},
	{`{"$schema": "x"}`, mongoerr.FailedToParse, "$jsonSchema keyword '$schema' is not currently supported"},
	{`{"default": 1}`, mongoerr.FailedToParse, "$jsonSchema keyword 'default' is not currently supported"},
	{`{"definitions": {}}`, mongoerr.FailedToParse, "$jsonSchema keyword 'definitions' is not currently supported"},
	{`{"format": "email"}`, mongoerr.FailedToParse, "$jsonSchema keyword 'format' is not currently supported"},
	{`{"id": "x"}`, mongoerr.FailedToParse, "$jsonSchema keyword 'id' is not currently supported"},
	{`{"foo": 1}`, mongoerr.FailedToParse, "Unknown $jsonSchema keyword: foo"},
	{`{"properties": {"a": {"$foo": 1}}}`, mongoerr.FailedToParse, "Unknown $jsonSchema keyword: $foo"},
	{`{"minimum": 1, "minimum": 2}`, mongoerr.FailedToParse, "Duplicate $jsonSchema keyword: minimum"},
	{`{"description": 1}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'description' must be of type string"},
	{`{"title": {}}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'title' must be of type string"},

	// type / bsonType
	{`{"type": "object", "bsonType": "object"}`, mongoerr.FailedToParse, "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'"},
	{`{"type": "integer"}`, mongoerr.FailedToParse, "$jsonSchema type 'integer' is not currently supported."},
	{`{"type": ["string", "integer"]}`, mongoerr.FailedToParse, "$jsonSchema type 'integer' is not currently supported."},
	{`{"bsonType": "integer"}`, mongoerr.FailedToParse, "$jsonSchema type 'integer' is not currently supported."},
	{`{"type": "int"}`, mongoerr.BadValue, "Unknown type name alias: int"},
	{`{"type": ["string", "double", "bogus"]}`, mongoerr.BadValue, "Unknown type name alias: bogus"},
	{`{"bsonType": "bogus"}`, mongoerr.BadValue, "Unknown type name alias: bogus"},
	{`{"bsonType": "missing"}`, mongoerr.BadValue, "'missing' is not a legal type name. To query for non-existence of a field, use {$exists:false}."},
	{`{"type": 1}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'type' must be either a string or an array of strings"},
	{`{"bsonType": {}}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'bsonType' must be either a string or an array of strings"},
	{`{"bsonType": ["int", 2]}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'bsonType' array elements must be strings"},
	{`{"bsonType": ["int", "int"]}`, mongoerr.FailedToParse, "$jsonSchema keyword 'bsonType' has duplicate value: int"},
	{`{"type": []}`, mongoerr.FailedToParse, "$jsonSchema keyword 'type' must name at least one type"},

	// length and count keywords
	{`{"minLength": "1"}`, mongoerr.FailedToParse, `Expected a number in: minLength: "1"`},
	{`{"maxLength": -1}`, mongoerr.FailedToParse, "Expected a non-negative number in: maxLength: -1"},
	{`{"minLength": 1.5}`, mongoerr.FailedToParse, "Expected an integer: minLength: 1.5"},
	{`{"maxItems": {"$numberDouble": "NaN"}}`, mongoerr.FailedToParse, ""},
	{`{"minItems": 1e300}`, mongoerr.FailedToParse, "Cannot represent as a 64-bit integer: minItems: 1e+300"},
	{`{"minItems": {"$numberDecimal": "1.5"}}`, mongoerr.FailedToParse, "Cannot represent as a 64-bit integer: minItems: 1.5"},
	{`{"maxItems": true}`, mongoerr.FailedToParse, "Expected a number in: maxItems: true"},
	{`{"minProperties": -2}`, mongoerr.FailedToParse, "Expected a non-negative number in: minProperties: -2"},
	{`{"maxProperties": null}`, mongoerr.FailedToParse, "Expected a number in: maxProperties: null"},

	// pattern
	{`{"pattern": 1}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'pattern' must be a string"},
	{`{"pattern": {"$regularExpression": {"pattern": "a", "options": ""}}}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'pattern' must be a string"},
	{`{"pattern": "(a"}`, mongoerr.Location51091, ""},

	// numbers
	{`{"minimum": "1"}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'minimum' must be a number"},
	{`{"maximum": null}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'maximum' must be a number"},
	{`{"maximum": 1, "exclusiveMaximum": 1}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'exclusiveMaximum' must be a boolean"},
	{`{"minimum": 1, "exclusiveMinimum": "yes"}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'exclusiveMinimum' must be a boolean"},
	{`{"exclusiveMaximum": true}`, mongoerr.FailedToParse, "$jsonSchema keyword 'maximum' must be a present if exclusiveMaximum is present"},
	{`{"exclusiveMinimum": false}`, mongoerr.FailedToParse, "$jsonSchema keyword 'minimum' must be a present if exclusiveMinimum is present"},
	{`{"multipleOf": "2"}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'multipleOf' must be a number"},
	{`{"multipleOf": 0}`, mongoerr.FailedToParse, "$jsonSchema keyword 'multipleOf' must have a positive value"},
	{`{"multipleOf": -1.5}`, mongoerr.FailedToParse, "$jsonSchema keyword 'multipleOf' must have a positive value"},
	{`{"multipleOf": {"$numberDecimal": "-0"}}`, mongoerr.FailedToParse, "$jsonSchema keyword 'multipleOf' must have a positive value"},

	// arrays
	{`{"uniqueItems": 1}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'uniqueItems' must be a boolean"},
	{`{"items": 1}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'items' must be an array or an object, not int"},
	{`{"items": [{}, "x"]}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'items' requires that each element of the array is an object, but found a string"},
	{`{"items": {"foo": 1}}`, mongoerr.FailedToParse, "Unknown $jsonSchema keyword: foo"},
	{`{"additionalItems": 1}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'additionalItems' must be either an object or a boolean, but got a int"},
	{`{"items": {}, "additionalItems": {"minimum": "x"}}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'minimum' must be a number"},

	// objects
	{`{"required": "a"}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'required' must be an array, but found an element of type string"},
	{`{"required": ["a", 1]}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'required' must be an array of strings, but found an element of type: int"},
	{`{"required": []}`, mongoerr.FailedToParse, "$jsonSchema keyword 'required' cannot be an empty array"},
	{`{"required": ["a", "a"]}`, mongoerr.FailedToParse, "$jsonSchema keyword 'required' array cannot contain duplicate values"},
	{`{"properties": []}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'properties' must be an object"},
	{`{"properties": {"a": 1}}`, mongoerr.TypeMismatch, "Nested schema for $jsonSchema property 'a' must be an object"},
	{`{"properties": {"a": {"type": "integer"}}}`, mongoerr.FailedToParse, "$jsonSchema type 'integer' is not currently supported."},
	{`{"patternProperties": 1}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'patternProperties' must be an object"},
	{`{"patternProperties": {"^a": true}}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'patternProperties' has property '^a' which is not an object"},
	{`{"patternProperties": {"(": {}}}`, mongoerr.Location51091, ""},
	{`{"additionalProperties": "no"}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'additionalProperties' must be an object or a boolean"},
	{`{"additionalProperties": {"bsonType": 1}}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'bsonType' must be either a string or an array of strings"},
	{`{"dependencies": []}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'dependencies' must be an object"},
	{`{"dependencies": {"a": 1}}`, mongoerr.TypeMismatch, "property 'a' in $jsonSchema keyword 'dependencies' must be either an object or an array"},
	{`{"dependencies": {"a": []}}`, mongoerr.FailedToParse, "property 'a' in $jsonSchema keyword 'dependencies' cannot be an empty array"},
	{`{"dependencies": {"a": ["b", 1]}}`, mongoerr.TypeMismatch, "array 'a' in $jsonSchema keyword 'dependencies' can only contain strings, but found element of type: int"},
	{`{"dependencies": {"a": ["b", "b"]}}`, mongoerr.FailedToParse, "array 'a' in $jsonSchema keyword 'dependencies' contains duplicate element: b"},

	// logical
	{`{"allOf": {}}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'allOf' must be an array"},
	{`{"anyOf": []}`, mongoerr.BadValue, "$jsonSchema keyword 'anyOf' must be a non-empty array"},
	{`{"oneOf": [{}, 1]}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'oneOf' must be an array of objects, but found an element of type int"},
	{`{"not": []}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'not' must be an object, but found an element of type array"},
	{`{"not": {"bsonType": "x"}}`, mongoerr.BadValue, "Unknown type name alias: x"},
	{`{"enum": 1}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'enum' must be an array, but found an element of type int"},
	{`{"enum": []}`, mongoerr.FailedToParse, "$jsonSchema keyword 'enum' cannot be an empty array"},
	{`{"enum": [1, 1.0]}`, mongoerr.FailedToParse, "$jsonSchema keyword 'enum' array cannot contain duplicate values."},
	{`{"enum": [{"a": 1, "b": 2}, {"b": 2, "a": 1}]}`, mongoerr.FailedToParse, "$jsonSchema keyword 'enum' array cannot contain duplicate values."},

	// encryption is not implemented
	{`{"encrypt": {}}`, mongoerr.QueryFeatureNotAllowed, ""},
	{`{"bsonType": "binData", "encrypt": {}}`, mongoerr.FailedToParse, "$jsonSchema keyword 'encrypt' cannot be used in conjunction with 'bsonType', 'encrypt' implies type 'bsonType::BinData'"},

	// mongod's order: names first, then type, then the keyword groups.
	{`{"minimum": "x", "foo": 1}`, mongoerr.FailedToParse, "Unknown $jsonSchema keyword: foo"},
	{`{"enum": [], "minimum": "x"}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'minimum' must be a number"},
	{`{"required": [], "bsonType": "bogus"}`, mongoerr.BadValue, "Unknown type name alias: bogus"},
	{`{"items": 1, "pattern": 2}`, mongoerr.TypeMismatch, "$jsonSchema keyword 'pattern' must be a string"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseErrorCases {
		t.Run(tc.schema, func(t *testing.T) {
			_, err := Parse(ej(t, tc.schema))
			if err == nil {
				t.Fatalf("Parse(%s) succeeded, want code %d", tc.schema, tc.code)
			}
			me := mongoerr.As(err)
			if me.Code != tc.code {
				t.Errorf("Parse(%s): code %d (%v), want %d", tc.schema, me.Code, err, tc.code)
			}
			if tc.msg != "" && me.Message != tc.msg {
				t.Errorf("Parse(%s): message\n  %q\nwant\n  %q", tc.schema, me.Message, tc.msg)
			}
		})
	}
}

func TestParseInvalidBSON(t *testing.T) {
	good := ej(t, `{"properties": {"a": {"minimum": 1}}}`)
	bad := append(bson.Raw(nil), good...)
	bad[len(bad)-3] = 0x7f // break the nested document's terminator
	if _, err := Parse(bad); !mongoerr.Is(err, mongoerr.InvalidBSON) {
		t.Errorf("Parse(truncated) = %v, want InvalidBSON", err)
	}
	if _, err := Parse(bson.Raw{1, 2}); !mongoerr.Is(err, mongoerr.InvalidBSON) {
		t.Errorf("Parse(short) = %v, want InvalidBSON", err)
	}
}

func TestParseDepthLimit(t *testing.T) {
	// Built by hand: the Extended JSON reader has its own depth limit.
	nest := func(levels int) bson.Raw {
		doc := bsoncore.NewDocumentBuilder().Build()
		for range levels {
			doc = bsoncore.NewDocumentBuilder().AppendDocument("not", doc).Build()
		}
		return bson.Raw(doc)
	}
	if _, err := Parse(nest(maxDepth)); err != nil {
		t.Fatalf("Parse(%d levels): %v", maxDepth, err)
	}
	if _, err := Parse(nest(maxDepth + 1)); !mongoerr.Is(err, mongoerr.InvalidBSON) {
		t.Errorf("Parse(too deep) = %v, want InvalidBSON", err)
	}
}

// TestFailedKeyword checks that a schema can name the keyword a value
// fails, which collection validators will report.
func TestFailedKeyword(t *testing.T) {
	for _, tc := range []struct{ schema, doc, want string }{
		{`{"required": ["a"], "minProperties": 3}`, `{"b": 1}`, "required"},
		{`{"required": ["b"], "minProperties": 3}`, `{"b": 1}`, "minProperties"},
		{`{"bsonType": "object", "properties": {"a": {"bsonType": "int"}}}`, `{"a": "x"}`, "properties"},
		{`{"properties": {"_id": {}}, "additionalProperties": false}`, `{"_id": 1, "x": 1}`, "additionalProperties"},
		{`{"bsonType": "array"}`, `{"_id": 1}`, "bsonType"},
		{`{"enum": [{"a": 1}]}`, `{"a": 1}`, ""},
	} {
		s, err := Parse(ej(t, tc.schema))
		if err != nil {
			t.Fatalf("Parse(%s): %v", tc.schema, err)
		}
		got := s.failedKeyword(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: ej(t, tc.doc)})
		if got != tc.want {
			t.Errorf("schema %s, doc %s: failed keyword %q, want %q", tc.schema, tc.doc, got, tc.want)
		}
	}
}

func TestCompilePatternRewrite(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`a$`, `a(?:\n?\z)`},
		{`a\$`, `a\$`},
		{`[$]`, `[$]`},
		{`[]$]$`, `[]$](?:\n?\z)`},
		{`\Qa$\E$`, `\Qa$\E(?:\n?\z)`},
		{`a\Z`, `a(?:\n?\z)`},
		{`^abc`, `^abc`},
	} {
		if got := pcreEnds(tc.in); got != tc.want {
			t.Errorf("pcreEnds(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if _, err := compilePattern("a(?=b)"); !mongoerr.Is(err, mongoerr.Location51091) {
		t.Errorf("lookahead: %v, want Location51091 (RE2 has none)", err)
	}
	if _, err := compilePattern("a\x00b"); err == nil || !strings.Contains(err.Error(), "null byte") {
		t.Errorf("NUL: %v, want the embedded null byte error", err)
	}
}
