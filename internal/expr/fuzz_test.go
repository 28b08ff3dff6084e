package expr

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// FuzzParse parses every field of an arbitrary BSON document as an
// expression and evaluates it against a fixed document: errors are
// fine, panics are not.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"e": {"$add": [1, "$a", {"$numberDecimal": "1.5"}]}}`,
		`{"e": {"$let": {"vars": {"v": "$b"}, "in": {"$cond": ["$$v.c", "$arr.x", "$$REMOVE"]}}}}`,
		`{"e": {"$switch": {"branches": [{"case": {"$gt": ["$a", 1]}, "then": {"$round": [1.25, 1]}}]}}}`,
		`{"e": {"$divide": [{"$numberDecimal": "1E+6111"}, {"$numberDecimal": "3E-6176"}]}}`,
		`{"e": {"$mod": [{"$numberDecimal": "1E+6111"}, {"$numberDecimal": "3E-6176"}]}}`,
		`{"e": {"$subtract": ["$dt", {"$numberDecimal": "-Infinity"}]}, "f": {"$pow": [-2, 63]}}`,
		`{"e": {"k": [1, "$nested.b.c", {"$literal": "$x"}]}, "f": {"$ifNull": ["$n", "$u", 1]}}`,
	}
	for _, s := range seeds {
		var d bson.Raw
		if err := bson.UnmarshalExtJSON([]byte(s), false, &d); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(d))
	}
	var doc bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(testDoc), false, &doc); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := bson.Raw(data)
		if raw.Validate() != nil {
			return
		}
		elems, err := raw.Elements()
		if err != nil {
			return
		}
		for _, el := range elems {
			pc := NewParseContext()
			e, err := Parse(el.Value(), pc)
			if err != nil {
				continue
			}
			v, err := e.Eval(&EvalContext{ClusterTime: bson.Timestamp{T: 1}}, doc)
			if err == nil {
				Truthy(v)
				Constant(e)
			}
		}
	})
}
