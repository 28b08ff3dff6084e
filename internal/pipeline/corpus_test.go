package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/collation"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// The stage corpus (testdata/stages/*.json, one file per stage family)
// pins down what mongod 8.0 outputs for a pipeline over given documents:
// the documents, compared byte for byte (field order and BSON types
// included), or the error code. Every case cites the manual page or
// mongod jstest it comes from.
//
// A case:
//
//	{name, ref, docs?, collections?, pipeline, let?, collation?,
//	 allowDiskUse?, memLimit?,
//	 expected? | expectedCount? | error: {code, messageContains?},
//	 unordered?, expectedCollections?}
//
// docs is the aggregated collection ("coll" in database "test");
// collections holds other collections of "test" by name ($lookup,
// $unionWith read them, $out and $merge write them, and
// expectedCollections gives what they must hold afterwards, compared
// without regard to order). expected lists the output in order unless
// unordered is set; expectedCount only counts it ($sample). All values
// are Extended JSON (relaxed). $$NOW is corpusNow. allowDiskUse defaults
// to true (mongod 8.0's default) and memLimit to 100 MiB.

var corpusNow = bson.NewDateTimeFromTime(time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC))

type stageCase struct {
	Name                string                       `json:"name"`
	Ref                 string                       `json:"ref"`
	Docs                []json.RawMessage            `json:"docs"`
	Collections         map[string][]json.RawMessage `json:"collections"`
	Pipeline            []json.RawMessage            `json:"pipeline"`
	DB                  string                       `json:"db"` // "test" unless given
	Let                 json.RawMessage              `json:"let"`
	Collation           json.RawMessage              `json:"collation"`
	AllowDiskUse        *bool                        `json:"allowDiskUse"`
	MemLimit            int64                        `json:"memLimit"`
	Expected            []json.RawMessage            `json:"expected"`
	ExpectedCount       *int                         `json:"expectedCount"`
	Unordered           bool                         `json:"unordered"`
	ExpectedCollections map[string][]json.RawMessage `json:"expectedCollections"`
	Error               *struct {
		Code            int32  `json:"code"`
		MessageContains string `json:"messageContains"`
	} `json:"error"`
}

func TestStageCorpus(t *testing.T) { runCorpusDir(t, "testdata/stages", "coll") }

// The database-level corpus (testdata/dbstages/*.json) runs pipelines as
// {aggregate: 1} does: no collection, so the first stage must make its
// own documents; cases may name the database in "db".
func TestDBStageCorpus(t *testing.T) { runCorpusDir(t, "testdata/dbstages", "") }

// runCorpusDir runs the cases of every file in dir as aggregates on
// collection coll ("" for database-level ones).
func runCorpusDir(t *testing.T, dir, coll string) {
	files, err := filepath.Glob(dir + "/*.json")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Cases []stageCase `json:"cases"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		family := strings.TrimSuffix(filepath.Base(f), ".json")
		for _, tc := range c.Cases {
			total++
			t.Run(family+"/"+tc.Name, func(t *testing.T) { runStageCase(t, tc, coll) })
		}
	}
	t.Logf("%d corpus cases in %s", total, dir)
}

func runStageCase(t *testing.T, tc stageCase, coll string) {
	t.Helper()
	if tc.Ref == "" {
		t.Error("case without ref")
	}
	if tc.DB == "" {
		tc.DB = "test"
	}
	ns := newFakeNamespaces()
	if coll != "" {
		ns.colls[tc.DB+"."+coll] = extJSONDocs(t, tc.Docs)
	}
	for name, docs := range tc.Collections {
		ns.colls[tc.DB+"."+name] = extJSONDocs(t, docs)
	}
	got, err := runCorpusPipeline(t, tc, ns, coll)
	if tc.Error != nil {
		me := mongoerr.As(err)
		if me == nil || int32(me.Code) != tc.Error.Code {
			t.Fatalf("got %v (output %v), want error code %d", err, got, tc.Error.Code)
		}
		if !strings.Contains(me.Message, tc.Error.MessageContains) {
			t.Fatalf("message %q does not contain %q", me.Message, tc.Error.MessageContains)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	switch {
	case tc.ExpectedCount != nil:
		if len(got) != *tc.ExpectedCount {
			t.Fatalf("got %d documents, want %d: %v", len(got), *tc.ExpectedCount, got)
		}
	case tc.Expected != nil || tc.ExpectedCollections == nil:
		compareDocs(t, "output", got, extJSONDocs(t, tc.Expected), tc.Unordered)
	}
	for name, docs := range tc.ExpectedCollections {
		compareDocs(t, "collection "+name, ns.colls[tc.DB+"."+name], extJSONDocs(t, docs), true)
	}
}

// runCorpusPipeline parses and runs the case's pipeline as an aggregate
// command on tc.DB.coll (or on tc.DB, for coll "") would.
func runCorpusPipeline(t *testing.T, tc stageCase, ns *fakeNamespaces, coll string) ([]bson.Raw, error) {
	var opts query.Options
	if len(tc.Collation) > 0 {
		c, err := collation.Parse(extJSONDoc(t, tc.Collation))
		if err != nil {
			return nil, err
		}
		opts.Collator = c
	}
	var let bson.Raw
	if len(tc.Let) > 0 {
		let = extJSONDoc(t, tc.Let)
	}
	var collator expr.Collator
	if opts.Collator != nil {
		collator = opts.Collator
	}
	sc, err := expr.NewScopeAt(let, collator, corpusNow)
	if err != nil {
		return nil, err
	}
	opts.Scope = sc
	specs := make([]bson.Raw, len(tc.Pipeline))
	for i, s := range tc.Pipeline {
		specs[i] = extJSONDoc(t, s)
	}
	pl, err := Parse(specs, Options{Query: opts, DB: tc.DB, Collection: coll})
	if err != nil {
		return nil, err
	}
	env := &Env{MemLimit: 100 << 20, AllowDiskUse: true, TempDir: t.TempDir(), Namespaces: ns}
	if tc.MemLimit > 0 {
		env.MemLimit = tc.MemLimit
	}
	if tc.AllowDiskUse != nil {
		env.AllowDiskUse = *tc.AllowDiskUse
	}
	ctx := context.Background()
	var src exec.Stage = &sliceIter{}
	if coll != "" {
		if src, err = ns.Open(ctx, tc.DB, coll); err != nil {
			return nil, err
		}
	}
	if pl.Filter != nil {
		src = &exec.Filter{In: src, F: pl.Filter} // as the scan a command pushes it into
	}
	st, err := pl.Build(src, env)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var out []bson.Raw
	for {
		d, ok, err := st.Next(ctx)
		if err != nil {
			return out, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, append(bson.Raw(nil), d...))
	}
}

func compareDocs(t *testing.T, what string, got, want []bson.Raw, unordered bool) {
	t.Helper()
	if unordered {
		got = append([]bson.Raw(nil), got...)
		want = append([]bson.Raw(nil), want...)
		for _, l := range [][]bson.Raw{got, want} {
			sort.Slice(l, func(i, j int) bool { return bytes.Compare(l[i], l[j]) < 0 })
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: got %d documents, want %d\ngot  %v\nwant %v", what, len(got), len(want), got, want)
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%s: document %d differs\ngot  %s\nwant %s\n(all: %v)", what, i, got[i], want[i], got)
		}
	}
}

func extJSONDoc(t *testing.T, data []byte) bson.Raw {
	t.Helper()
	var d bson.Raw
	if err := bson.UnmarshalExtJSON(data, false, &d); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return d
}

func extJSONDocs(t *testing.T, list []json.RawMessage) []bson.Raw {
	t.Helper()
	out := make([]bson.Raw, 0, len(list))
	for _, d := range list {
		out = append(out, extJSONDoc(t, d))
	}
	return out
}
