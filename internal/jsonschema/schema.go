// Package jsonschema implements MongoDB's $jsonSchema query operator: the
// draft-4 dialect of JSON Schema that mongod accepts, extended with
// bsonType, and evaluated with mongod's matcher semantics.
//
// The rules that differ from plain JSON Schema, all taken from mongod's
// src/mongo/db/matcher/schema/json_schema_parser.cpp:
//
//   - every restriction keyword constrains only values of the type it is
//     about: minLength and pattern only strings, minimum and multipleOf only
//     numbers, items and minItems only arrays, properties and required only
//     objects; a value of any other type passes it;
//   - the top-level schema is matched against the document, an object, so
//     a top-level type that does not admit "object" matches nothing;
//   - a property named in properties is checked only when present (required
//     is what makes it mandatory);
//   - enum and uniqueItems compare with BSON equality in which numbers
//     compare by value across int, long, double and decimal, and the fields
//     of embedded documents compare regardless of their order (mongod's
//     UnorderedFieldsBSONElementComparator);
//   - exclusiveMinimum and exclusiveMaximum are booleans beside minimum and
//     maximum (draft 4), and type "integer" is refused.
//
// Parse reports mongod's errors (codes and messages) for unknown,
// unsupported, duplicated and malformed keywords.
//
// Known differences from mongod: pattern and patternProperties use Go's
// RE2, not PCRE (see compilePattern); names in properties, required and
// dependencies are literal field names, where mongod would read a dotted
// name as a path (and an empty name as the top level); encrypt and
// encryptMetadata are refused with QueryFeatureNotAllowed.
package jsonschema

import (
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Schema is a compiled $jsonSchema. It is immutable after Parse and safe for
// concurrent use by any number of goroutines.
//
// A Schema is a list of keyword checks applied to one value (the document
// at the top level, a property's value or an array element below it); a
// value matches when every check passes. Each check remembers the keyword
// it came from, so that a collection validator can say which keywords a
// document failed (Explain).
type Schema struct {
	checks []check
	// raw is the schema document as written, for explanations (Explain):
	// keyword specs, title and description.
	raw bson.Raw
}

// check is one keyword of a schema, compiled.
type check interface {
	// keyword is the JSON Schema keyword the check enforces.
	keyword() string
	// matches reports whether the present value v satisfies the keyword.
	matches(v bson.RawValue) bool
}

// Matches reports whether doc satisfies the schema.
func (s *Schema) Matches(doc bson.Raw) bool {
	return s.matches(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc})
}

// matches applies the schema to one present value.
func (s *Schema) matches(v bson.RawValue) bool {
	for _, c := range s.checks {
		if !c.matches(v) {
			return false
		}
	}
	return true
}

// failedKeyword returns the first keyword of s that v does not satisfy, or
// "" when v matches.
func (s *Schema) failedKeyword(v bson.RawValue) string {
	for _, c := range s.checks {
		if !c.matches(v) {
			return c.keyword()
		}
	}
	return ""
}
