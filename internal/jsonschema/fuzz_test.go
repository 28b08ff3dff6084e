package jsonschema

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// fuzzDocs are the documents every schema the fuzzer compiles is matched
// against: one of each BSON type, nested documents and arrays, and
// duplicate-free and duplicate-laden arrays.
var fuzzDocs = []string{
	`{}`,
	`{"_id": 1, "a": 1, "b": "x", "c": null}`,
	`{"a": [1, 2.5, "x", [1], {"b": 1}], "b": {"c": {"d": [true, null]}}}`,
	`{"a": {"$numberDecimal": "NaN"}, "b": {"$numberDouble": "-Infinity"}, "c": {"$numberLong": "9223372036854775807"}, "d": {"$undefined": true}}`,
	`{"a": {"$regularExpression": {"pattern": "x", "options": "i"}}, "b": {"$binary": {"base64": "AAEC", "subType": "00"}}, "c": {"$date": "2020-01-01T00:00:00Z"}, "d": {"$minKey": 1}, "e": {"$maxKey": 1}, "f": {"$timestamp": {"t": 1, "i": 2}}, "g": {"$oid": "5f0000000000000000000000"}, "h": {"$symbol": "s"}, "i": {"$code": "f()"}}`,
	`{"a": [{"x": 1, "y": 2}, {"y": 2, "x": 1}], "b": ["héé", "😀"], "n1": 1, "n2": "x"}`,
}

// FuzzParse compiles arbitrary schemas and matches those that compile
// against fixed documents: neither step may panic, and matching is
// deterministic.
func FuzzParse(f *testing.F) {
	for _, tc := range matchCases {
		f.Add([]byte(ej(f, tc.schema)))
	}
	for _, tc := range parseErrorCases {
		f.Add([]byte(ej(f, tc.schema)))
	}
	docs := make([]bson.Raw, len(fuzzDocs))
	for i, d := range fuzzDocs {
		docs[i] = ej(f, d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(bson.Raw(data))
		if err != nil {
			return
		}
		for _, d := range docs {
			if s.Matches(d) != s.Matches(d) {
				t.Fatalf("Matches is not deterministic for schema %v", bson.Raw(data))
			}
		}
		// A schema also applies below the top level, where its other
		// keywords (numbers, strings, arrays) come into play.
		for _, d := range docs {
			vals, _ := d.Values()
			for _, v := range vals {
				s.matches(v)
			}
		}
	})
}
