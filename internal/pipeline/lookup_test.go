package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/collation"
	"github.com/secantusdb/secantus/internal/query"
)

func lookupTestDoc(t testing.TB, ext string) bson.Raw {
	t.Helper()
	var d bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(ext), false, &d); err != nil {
		t.Fatalf("%s: %v", ext, err)
	}
	return d
}

// TestVisitPathValues pins down the values $lookup joins on (mongod's
// document_path_support::visitAllValuesAtPath).
func TestVisitPathValues(t *testing.T) {
	tests := []struct {
		doc, path, want string // want: the values as an Extended JSON array
	}{
		{`{"a": 1}`, "a", `[1]`},
		{`{"a": [1, [2, 3]]}`, "a", `[1, [2, 3]]`},
		{`{"a": []}`, "a", `[]`},
		{`{"b": 1}`, "a", `[]`},
		{`{"a": null}`, "a", `[null]`},
		{`{"a": {"b": [1, 2]}}`, "a.b", `[1, 2]`},
		{`{"a": [{"b": 1}, {"c": 2}, 5, {"b": [3, 4]}]}`, "a.b", `[1, 3, 4]`},
		{`{"a": [[{"b": 1}]]}`, "a.b", `[]`},
		{`{"a": [{"b": 1}, {"b": 2}]}`, "a.1.b", `[2]`},
		{`{"a": [[1, 2], [3]]}`, "a.0", `[1, 2]`},
		{`{"a": {"0": 7}}`, "a.0", `[7]`},
		{`{"a": [{"01": 7}]}`, "a.01", `[7]`},
		{`{"0": {"b": 1}}`, "0.b", `[1]`},
	}
	for _, tc := range tests {
		t.Run(tc.doc+" "+tc.path, func(t *testing.T) {
			var got []bson.RawValue
			visitPathValues(lookupTestDoc(t, tc.doc), strings.Split(tc.path, "."), func(v bson.RawValue) { got = append(got, v) })
			want, _ := lookupTestDoc(t, `{"v": `+tc.want+`}`).Lookup("v").Array().Values()
			if len(got) != len(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			for i := range got {
				if bsonx.Compare(got[i], want[i]) != 0 || got[i].Type != want[i].Type {
					t.Fatalf("value %d: got %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestHashKeyEquality checks that values MongoDB finds equal hash alike
// and that unequal ones (in these samples) do not.
func TestHashKeyEquality(t *testing.T) {
	coll, err := collation.Parse(lookupTestDoc(t, `{"locale": "en", "strength": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := lookupTestDoc(t, `{"v": [1, {"$numberLong": "1"}, {"$numberDouble": "1.0"}, {"$numberDecimal": "1.000"}, 2, -0.0, 0,
		{"$numberDouble": "NaN"}, {"$numberDecimal": "NaN"}, "abc", "ABC", "abd", {"$symbol": "abc"},
		{"a": 1}, {"a": {"$numberLong": "1"}}, {"a": "X"}, {"a": "x"}, {"b": 1}, [1, 2], [{"$numberDouble": "1.0"}, 2], [2, 1],
		null, {"$regularExpression": {"pattern": "a", "options": "i"}}, {"$regularExpression": {"pattern": "a", "options": ""}},
		true, {"$date": "2020-01-01T00:00:00Z"}, {"$minKey": 1}, {"$maxKey": 1}]}`).Lookup("v").Array().Values()
	for _, c := range []struct {
		name string
		coll query.Collator
	}{{"simple", nil}, {"case-insensitive", coll}} {
		k, ok := joinKeyer(c.coll)
		if !ok {
			t.Fatalf("%s: no key function", c.name)
		}
		var sc bsonx.StringComparer
		if c.coll != nil {
			sc = coll
		}
		for _, a := range vals {
			for _, b := range vals {
				equal := bsonx.CompareWith(a, b, sc) == 0
				same := bytes.Equal(appendHashKey(nil, a, k), appendHashKey(nil, b, k))
				if equal != same {
					t.Errorf("%s: %v vs %v: equal %v, same key %v", c.name, a, b, equal, same)
				}
			}
		}
	}
}

// TestLookupHashMatchesScan runs random equality joins with the foreign
// collection hashed in memory and read per document: the outputs must be
// identical.
func TestLookupHashMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	scalars := []string{`1`, `{"$numberLong": "2"}`, `2.0`, `"a"`, `"A"`, `null`, `[]`, `[1, "a"]`, `[[1]]`, `{"x": 1}`, `3`, `[null]`}
	value := func() string {
		if rng.Intn(6) == 0 {
			return ""
		}
		return scalars[rng.Intn(len(scalars))]
	}
	doc := func(id int, field string) bson.Raw {
		v := value()
		switch {
		case v == "":
			return lookupTestDoc(t, fmt.Sprintf(`{"_id": %d}`, id))
		case rng.Intn(3) == 0:
			return lookupTestDoc(t, fmt.Sprintf(`{"_id": %d, "%s": [{"k": %s}, {"k": %s}]}`, id, field, v, scalars[rng.Intn(len(scalars))]))
		}
		return lookupTestDoc(t, fmt.Sprintf(`{"_id": %d, "%s": %s}`, id, field, v))
	}
	for round := 0; round < 40; round++ {
		var local, foreign []bson.Raw
		for i := 0; i < 20; i++ {
			local = append(local, doc(i, "l"))
			foreign = append(foreign, doc(i, "f"))
		}
		lf, ff := "l", "f"
		if round%2 == 1 {
			lf, ff = "l.k", "f.k"
		}
		spec := lookupTestDoc(t, fmt.Sprintf(`{"$lookup": {"from": "f", "localField": %q, "foreignField": %q, "as": "r"}}`, lf, ff))
		var collationSpec bson.Raw
		if round%4 >= 2 {
			collationSpec = lookupTestDoc(t, `{"locale": "en", "strength": 2}`)
		}
		var outs [2][]bson.Raw
		for i, limit := range []int64{1 << 20, 1} {
			outs[i] = runLookupPipeline(t, []bson.Raw{spec}, local, foreign, collationSpec, limit)
		}
		if len(outs[0]) != len(outs[1]) {
			t.Fatalf("round %d: %d vs %d documents", round, len(outs[0]), len(outs[1]))
		}
		for i := range outs[0] {
			if !bytes.Equal(outs[0][i], outs[1][i]) {
				t.Fatalf("round %d: hashed %s\nscanned %s", round, outs[0][i], outs[1][i])
			}
		}
	}
}

func runLookupPipeline(t *testing.T, specs []bson.Raw, local, foreign []bson.Raw, collationSpec bson.Raw, memLimit int64) []bson.Raw {
	t.Helper()
	var opts query.Options
	if collationSpec != nil {
		c, err := collation.Parse(collationSpec)
		if err != nil {
			t.Fatal(err)
		}
		opts.Collator = c
	}
	pl, err := Parse(specs, Options{Query: opts, DB: "test", Collection: "coll"})
	if err != nil {
		t.Fatal(err)
	}
	ns := newFakeNamespaces()
	ns.colls["test.f"] = foreign
	st, err := pl.Build(&rawDocsIter{docs: local}, &Env{MemLimit: memLimit, Namespaces: ns})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []bson.Raw
	for {
		d, ok, err := st.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, d)
	}
}
