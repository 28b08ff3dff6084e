package expr

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestArraySetCollation checks that the array and set operators compare
// elements through the collation, as mongod's ValueComparator does: the
// corpus runs with the simple collation only.
func TestArraySetCollation(t *testing.T) {
	cases := []struct {
		expr         string
		simple, fold string // Extended JSON of the results
	}{
		{`{"$setUnion": [["b", "a"], ["A", "B", "c"]]}`, `["A", "B", "a", "b", "c"]`, `["a", "b", "c"]`},
		{`{"$setIntersection": [["a", "b"], ["B"]]}`, `[]`, `["B"]`},
		{`{"$setDifference": [["a", "B", "c"], ["b", "C"]]}`, `["a", "B", "c"]`, `["a"]`},
		{`{"$setEquals": [["a", "b"], ["B", "A"]]}`, `false`, `true`},
		{`{"$setIsSubset": [["A"], ["a", "b"]]}`, `false`, `true`},
		{`{"$indexOfArray": [["x", "ABC", "abc"], "abc"]}`, `{"$numberInt": "2"}`, `{"$numberInt": "1"}`},
		{`{"$sortArray": {"input": ["b", "A", "a", "B"], "sortBy": 1}}`, `["A", "B", "a", "b"]`, `["A", "a", "b", "B"]`},
		{`{"$sortArray": {"input": [{"k": "b"}, {"k": "A"}, {"k": "a"}], "sortBy": {"k": -1}}}`,
			`[{"k": "b"}, {"k": "a"}, {"k": "A"}]`, `[{"k": "b"}, {"k": "A"}, {"k": "a"}]`},
		{`{"$maxN": {"n": 2, "input": ["a", "B", "c"]}}`, `["c", "a"]`, `["c", "B"]`},
		{`{"$minN": {"n": 1, "input": ["b", "A"]}}`, `["A"]`, `["A"]`},
	}
	for _, tc := range cases {
		e, err := Parse(mustDoc(t, `{"e": `+tc.expr+`}`).Lookup("e"), NewParseContext())
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		for _, run := range []struct {
			coll Collator
			want string
		}{{nil, tc.simple}, {foldCase{}, tc.fold}} {
			got, err := e.Eval(&EvalContext{Collator: run.coll}, bson.Raw{5, 0, 0, 0, 0})
			if err != nil {
				t.Fatalf("%s: %v", tc.expr, err)
			}
			want := mustDoc(t, `{"v": `+run.want+`}`).Lookup("v")
			if got.Type != want.Type || got.String() != want.String() {
				t.Errorf("%s with collator %T: got %s, want %s", tc.expr, run.coll, got, want)
			}
		}
	}
}

// TestIterationScopes checks that $map, $filter and $reduce variables
// are bound at parse time and do not leak out of their bodies.
func TestIterationScopes(t *testing.T) {
	pc := NewParseContext()
	e, err := Parse(mustDoc(t, `{"e": {"$map": {"input": [1, 2], "as": "v", "in": {"$reduce": {
		"input": [10, 20], "initialValue": "$$v", "in": {"$add": ["$$value", "$$this", "$$v"]}}}}}}`).Lookup("e"), pc)
	if err != nil {
		t.Fatal(err)
	}
	if len(pc.scope) != 0 {
		t.Fatalf("bindings leaked out of $map/$reduce: %v", pc.scope)
	}
	got, err := e.Eval(NewEvalContext(), bson.Raw{5, 0, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	// v=1: 1+10+1=12, 12+20+1=33; v=2: 2+10+2=14, 14+20+2=36.
	if want := `[{"$numberInt":"33"},{"$numberInt":"36"}]`; got.String() != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if _, err := Parse(mustDoc(t, `{"e": "$$v"}`).Lookup("e"), pc); err == nil {
		t.Fatal("$$v resolved after its $map ended")
	}
}

// FuzzArraySetObjectOps parses and evaluates mutations of the array, set
// and object corpus expressions (with their documents): errors are fine,
// panics are not.
func FuzzArraySetObjectOps(f *testing.F) {
	for _, file := range []string{"testdata/array.json", "testdata/set.json", "testdata/object.json"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var c struct {
			Cases []exprCase `json:"cases"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			f.Fatal(err)
		}
		for _, tc := range c.Cases {
			doc := tc.Doc
			if len(doc) == 0 {
				doc = []byte(`{}`)
			}
			var d bson.Raw
			s := `{"e": ` + string(tc.Expr) + `, "doc": ` + string(doc) + `}`
			if err := bson.UnmarshalExtJSON([]byte(s), false, &d); err != nil {
				f.Fatal(err)
			}
			f.Add([]byte(d))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// $range may legitimately build arrays of millions of elements
		// (mongod's limit is 100 MiB), too slow to fuzz.
		if bytes.Contains(data, []byte("$range")) {
			return
		}
		raw := bson.Raw(data)
		// Decoding checks nested values that Validate lets through
		// (such as a zero string length), which no caller ever passes on.
		var full bson.D
		if raw.Validate() != nil || bson.Unmarshal(raw, &full) != nil {
			return
		}
		e, err := raw.LookupErr("e")
		if err != nil {
			return
		}
		doc := bson.Raw{5, 0, 0, 0, 0}
		if d, ok := raw.Lookup("doc").DocumentOK(); ok {
			doc = d
		}
		x, err := Parse(e, NewParseContext())
		if err != nil {
			return
		}
		for _, coll := range []Collator{nil, foldCase{}} {
			_, _ = x.Eval(&EvalContext{Collator: coll}, doc)
		}
	})
}
