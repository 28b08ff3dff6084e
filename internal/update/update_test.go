package update

import (
	"bytes"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

func ej(t testing.TB, s string) bson.Raw {
	t.Helper()
	var d bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(s), true, &d); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return d
}

// Cases follow the manual's update operator pages
// (https://www.mongodb.com/docs/manual/reference/operator/update/).
func TestApply(t *testing.T) {
	for _, tc := range []struct {
		doc, upd, want string
		changed        bool
	}{
		{`{"_id": 1, "a": 1}`, `{"$set": {"a": 2}}`, `{"_id": 1, "a": 2}`, true},
		{`{"_id": 1, "a": 1}`, `{"$set": {"a": 1}}`, `{"_id": 1, "a": 1}`, false},
		{`{"_id": 1}`, `{"$set": {"b": 1, "a": 1}}`, `{"_id": 1, "a": 1, "b": 1}`, true},
		{`{"_id": 1, "z": 0}`, `{"$set": {"x.y.z": 1}}`, `{"_id": 1, "z": 0, "x": {"y": {"z": 1}}}`, true},
		{`{"_id": 1, "a": [1]}`, `{"$set": {"a.3": 4}}`, `{"_id": 1, "a": [1, null, null, 4]}`, true},
		{`{"_id": 1, "a": 1, "b": 2}`, `{"$unset": {"a": ""}}`, `{"_id": 1, "b": 2}`, true},
		{`{"_id": 1, "a": [1, 2]}`, `{"$unset": {"a.0": ""}}`, `{"_id": 1, "a": [null, 2]}`, true},
		{`{"_id": 1}`, `{"$unset": {"a": ""}}`, `{"_id": 1}`, false},
		{`{"_id": 1, "n": {"$numberInt": "1"}}`, `{"$inc": {"n": {"$numberInt": "2"}}}`, `{"_id": 1, "n": {"$numberInt": "3"}}`, true},
		{`{"_id": 1, "n": {"$numberInt": "2147483647"}}`, `{"$inc": {"n": {"$numberInt": "1"}}}`, `{"_id": 1, "n": {"$numberLong": "2147483648"}}`, true},
		{`{"_id": 1, "n": {"$numberInt": "1"}}`, `{"$inc": {"n": {"$numberDouble": "0.5"}}}`, `{"_id": 1, "n": {"$numberDouble": "1.5"}}`, true},
		{`{"_id": 1}`, `{"$inc": {"n": {"$numberLong": "5"}}}`, `{"_id": 1, "n": {"$numberLong": "5"}}`, true},
		{`{"_id": 1, "n": {"$numberInt": "3"}}`, `{"$mul": {"n": {"$numberInt": "2"}}}`, `{"_id": 1, "n": {"$numberInt": "6"}}`, true},
		{`{"_id": 1, "n": {"$numberInt": "3"}}`, `{"$min": {"n": {"$numberInt": "2"}}}`, `{"_id": 1, "n": {"$numberInt": "2"}}`, true},
		{`{"_id": 1, "n": {"$numberInt": "3"}}`, `{"$max": {"n": {"$numberInt": "2"}}}`, `{"_id": 1, "n": {"$numberInt": "3"}}`, false},
		{`{"_id": 1, "a": 1, "b": 2}`, `{"$rename": {"a": "c"}}`, `{"_id": 1, "b": 2, "c": 1}`, true},
		{`{"_id": 1, "a": 1}`, `{"x": 1}`, `{"_id": 1, "x": 1}`, true},
		{`{"_id": 1, "a": 1}`, `{"$set": {}}`, `{"_id": 1, "a": 1}`, false},
	} {
		u, err := Parse(ej(t, tc.upd), Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.upd, err)
			continue
		}
		got, changed, err := u.Apply(ej(t, tc.doc), false)
		if err != nil {
			t.Errorf("%s on %s: %v", tc.upd, tc.doc, err)
			continue
		}
		if got.String() != ej(t, tc.want).String() || changed != tc.changed {
			t.Errorf("%s on %s = %s (changed %v), want %s (changed %v)", tc.upd, tc.doc, got, changed, ej(t, tc.want), tc.changed)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		doc, upd string
		code     mongoerr.Code
	}{
		{`{"_id": 1}`, `{"$foo": {"a": 1}}`, mongoerr.FailedToParse},
		{`{"_id": 1}`, `{"$set": {"a": 1}, "$inc": {"a": 1}}`, mongoerr.ConflictingUpdateOperators},
		{`{"_id": 1}`, `{"$set": {"a": 1, "a.b": 1}}`, mongoerr.ConflictingUpdateOperators},
		{`{"_id": 1}`, `{"$set": {"_id": 2}}`, mongoerr.ImmutableField},
		{`{"_id": 1}`, `{"_id": 2, "x": 1}`, mongoerr.ImmutableField},
		{`{"_id": 1, "a": "s"}`, `{"$inc": {"a": 1}}`, mongoerr.TypeMismatch},
		{`{"_id": 1}`, `{"$inc": {"a": "x"}}`, mongoerr.TypeMismatch},
		{`{"_id": 1, "a": 1}`, `{"$set": {"a.b": 1}}`, mongoerr.PathNotViable},
	} {
		u, err := Parse(ej(t, tc.upd), Options{})
		if err == nil {
			_, _, err = u.Apply(ej(t, tc.doc), false)
		}
		if me := mongoerr.As(err); me == nil || me.Code != tc.code {
			t.Errorf("%s on %s: got %v, want code %d", tc.upd, tc.doc, err, tc.code)
		}
	}
}

func TestUpsertSeed(t *testing.T) {
	for _, tc := range []struct{ filter, want string }{
		{`{"a": 1, "b": {"$gt": 1}}`, `{"a": 1}`},
		{`{"a.b": 1, "_id": 5}`, `{"_id": 5, "a": {"b": 1}}`},
		{`{"a": 1, "a.b": 2}`, ``},
		{`{"$and": [{"a": 1}, {"c": {"$eq": 2}}]}`, `{"a": 1, "c": 2}`},
		{`{}`, `{}`},
		{`{"a": {"$gt": 1}}`, `{}`},
		// Seeded paths go in path order, whatever the filter's order.
		{`{"b": 1, "a.y": 2, "a.x": 3}`, `{"a": {"x": 3, "y": 2}, "b": 1}`},
		{`{"x": {"$in": [{"$regularExpression": {"pattern": "a", "options": ""}}]}}`, `{}`},
	} {
		got, err := UpsertSeed(ej(t, tc.filter))
		if tc.want == "" {
			if !mongoerr.Is(err, mongoerr.NotSingleValueField) {
				t.Errorf("%s: got %v, want NotSingleValueField", tc.filter, err)
			}
			continue
		}
		if err != nil || got.String() != ej(t, tc.want).String() {
			t.Errorf("%s: got %s %v, want %s", tc.filter, got, err, ej(t, tc.want))
		}
	}
}

// A replacement may restate _id with any value that compares equal, as
// mongod's ObjectReplaceExecutor checks the immutable _id by comparison:
// the stored _id is then the replacement's.
func TestReplacementNumericallyEqualID(t *testing.T) {
	u, err := Parse(ej(t, `{"_id": {"$numberDouble": "1.0"}, "a": 2}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := u.Apply(ej(t, `{"_id": {"$numberInt": "1"}, "a": 1}`), false)
	if want := ej(t, `{"_id": {"$numberDouble": "1.0"}, "a": 2}`); err != nil || !bytes.Equal(got, want) {
		t.Errorf("got %s, %v; want %s", got, err, want)
	}
}

func FuzzApply(f *testing.F) {
	f.Add([]byte(ej(f, `{"$set": {"a.b": 1}}`)), []byte(ej(f, `{"_id": 1, "a": {"c": 1}}`)))
	f.Add([]byte(ej(f, `{"$inc": {"n": 1}}`)), []byte(ej(f, `{"_id": 1, "n": 1}`)))
	// Seed from the corpus: every update and document pair.
	for _, cases := range loadCorpusFiles(f) {
		for _, c := range cases {
			if c.IsPipeline() || c.Doc == nil {
				continue
			}
			f.Add([]byte(extDoc(f, c.Update)), []byte(extDoc(f, c.Doc)))
		}
	}
	f.Fuzz(func(t *testing.T, upd, doc []byte) {
		// The wire layer validates documents in depth before they get
		// here; decoding them fully stands in for it.
		var d1, d2 bson.D
		if bson.Unmarshal(upd, &d1) != nil || bson.Unmarshal(doc, &d2) != nil {
			return
		}
		u, err := Parse(upd, Options{})
		if err != nil {
			return
		}
		out, _, err := u.ApplyWith(doc, ApplyOptions{MatchedIndex: 0})
		if err == nil && bson.Raw(out).Validate() != nil {
			t.Fatalf("invalid BSON out of %s on %s", bson.Raw(upd), bson.Raw(doc))
		}
	})
}

func TestParseValue(t *testing.T) {
	doc := ej(t, `{"u": {"$set": {"a": 1}}, "p": [{"$set": {"a": 1}}], "s": 1}`)
	if u, err := ParseValue(doc.Lookup("u"), Options{}); err != nil || u.IsReplacement() {
		t.Errorf("document: %v", err)
	}
	if _, err := ParseValue(doc.Lookup("p"), Options{}); err != nil {
		t.Errorf("pipeline: %v", err)
	}
	if _, err := ParseValue(doc.Lookup("s"), Options{}); !mongoerr.Is(err, mongoerr.FailedToParse) {
		t.Errorf("scalar: got %v, want FailedToParse", err)
	}
}

// Pipeline-style updates
// (https://www.mongodb.com/docs/manual/tutorial/update-documents-with-aggregation-pipeline/).
func TestPipelineUpdates(t *testing.T) {
	for _, tc := range []struct{ doc, pipeline, want string }{
		{`{"_id": 1, "a": 1}`, `[{"$set": {"b": {"$add": ["$a", 1]}}}]`, `{"_id": 1, "a": 1, "b": 2}`},
		{`{"_id": 1, "a": 1}`, `[{"$set": {"a": 5, "c.d": "$a"}}]`, `{"_id": 1, "a": 5, "c": {"d": 1}}`},
		{`{"_id": 1, "a": 1, "b": 2}`, `[{"$unset": ["a"]}, {"$addFields": {"n": "$$REMOVE"}}]`, `{"_id": 1, "b": 2}`},
		{`{"_id": 1, "a": 1, "b": 2}`, `[{"$project": {"b": 1}}]`, `{"_id": 1, "b": 2}`},
		{`{"_id": 1, "a": {"x": 1}}`, `[{"$replaceWith": {"$mergeObjects": []}}]`, `{"_id": 1}`},
		{`{"_id": 1, "a": {"x": 1}}`, `[{"$replaceWith": {"$noSuchOperator": []}}]`, ``},
		{`{"_id": 1}`, `[{"$replaceWith": {"$setField": {"field": {"$literal": "$a"}, "value": 1, "input": "$$ROOT"}}}]`, `{"_id": 1, "$a": 1}`},
		{`{"_id": 1, "foo": {}}`, `[{"$set": {"foo": {"$setField": {"field": {"$literal": "a.b"}, "value": 1, "input": "$foo"}}}}]`, `{"_id": 1, "foo": {"a.b": 1}}`},
		{`{"_id": 1, "a": 1}`, `[{"$replaceRoot": {"newRoot": {"_id": "$_id", "z": "$a"}}}]`, `{"_id": 1, "z": 1}`},
	} {
		raw := ej(t, `{"p": `+tc.pipeline+`}`).Lookup("p")
		u, err := ParseValue(raw, Options{})
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s parsed", tc.pipeline)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.pipeline, err)
		}
		out, changed, err := u.Apply(ej(t, tc.doc), false)
		if err != nil || !changed || !bytes.Equal(out, ej(t, tc.want)) {
			t.Errorf("%s on %s = %s, %v, %v; want %s", tc.pipeline, tc.doc, bson.Raw(out), changed, err, tc.want)
		}
	}
	for _, tc := range []struct {
		doc, pipeline string
		code          mongoerr.Code
	}{
		{`{"_id": 1}`, `[{"$group": {"_id": null}}]`, mongoerr.InvalidOptions},
		{`{"_id": 1}`, `[{"$set": {"_id": 2}}]`, mongoerr.ImmutableField},
		{`{"_id": 1}`, `[{"$replaceWith": 5}]`, mongoerr.Code(40228)},
	} {
		raw := ej(t, `{"p": `+tc.pipeline+`}`).Lookup("p")
		u, err := ParseValue(raw, Options{})
		if err == nil {
			_, _, err = u.Apply(ej(t, tc.doc), false)
		}
		if !mongoerr.Is(err, tc.code) {
			t.Errorf("%s: got %v, want code %d", tc.pipeline, err, tc.code)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct{ doc, upd, msg string }{
		{`{"_id": 1, "a": "s"}`, `{"$inc": {"a": 1}}`, "Cannot apply $inc to a value of non-numeric type. {_id: 1} has the field 'a' of non-numeric type string"},
		{`{"_id": 1}`, `{"_id": 2}`, "After applying the update, the (immutable) field '_id' was found to have been altered to _id: 2"},
		{`{"_id": 1, "a": 1}`, `{"$set": {"a.b": 1}}`, "Cannot create field 'b' in element {a: 1}"},
		{`{"_id": 1}`, `{"$foo": {"a": 1}}`, "Unknown modifier: $foo. Expected a valid update modifier or pipeline-style update specified as an array"},
	} {
		u, err := Parse(ej(t, tc.upd), Options{})
		if err == nil {
			_, _, err = u.Apply(ej(t, tc.doc), false)
		}
		if me := mongoerr.As(err); me == nil || me.Message != tc.msg {
			t.Errorf("%s on %s: got %v, want %q", tc.upd, tc.doc, err, tc.msg)
		}
	}
}
