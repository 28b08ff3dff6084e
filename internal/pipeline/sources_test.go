package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// The database-level corpus (testdata/dbstages/*.json) runs pipelines
// as {aggregate: 1} does: no collection, so the first stage must make
// its own documents. Cases have the stage corpus's format plus "db",
// the database the command runs in ("test" unless given).

type dbStageCase struct {
	stageCase
	DB string `json:"db"`
}

func TestDBStageCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/dbstages/*.json")
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
			Cases []dbStageCase `json:"cases"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		family := strings.TrimSuffix(filepath.Base(f), ".json")
		for _, tc := range c.Cases {
			total++
			t.Run(family+"/"+tc.Name, func(t *testing.T) { runDBStageCase(t, tc) })
		}
	}
	t.Logf("%d database-level corpus cases", total)
}

func runDBStageCase(t *testing.T, tc dbStageCase) {
	if tc.Ref == "" {
		t.Error("case without ref")
	}
	db := tc.DB
	if db == "" {
		db = "test"
	}
	ns := newFakeNamespaces()
	for name, docs := range tc.Collections {
		ns.colls[db+"."+name] = extJSONDocs(t, docs)
	}
	got, err := func() ([]bson.Raw, error) {
		var let bson.Raw
		if len(tc.Let) > 0 {
			let = extJSONDoc(t, tc.Let)
		}
		sc, err := expr.NewScopeAt(let, nil, corpusNow)
		if err != nil {
			return nil, err
		}
		specs := make([]bson.Raw, len(tc.Pipeline))
		for i, s := range tc.Pipeline {
			specs[i] = extJSONDoc(t, s)
		}
		pl, err := Parse(specs, Options{Query: query.Options{Scope: sc}, DB: db})
		if err != nil {
			return nil, err
		}
		st, err := pl.Build(&sliceIter{}, &Env{MemLimit: 100 << 20, AllowDiskUse: true, TempDir: t.TempDir(), Namespaces: ns})
		if err != nil {
			return nil, err
		}
		defer st.Close()
		var out []bson.Raw
		for {
			d, ok, err := st.Next(context.Background())
			if err != nil || !ok {
				return out, err
			}
			out = append(out, append(bson.Raw(nil), d...))
		}
	}()
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
	if tc.Expected != nil || tc.ExpectedCollections == nil {
		compareDocs(t, "output", got, extJSONDocs(t, tc.Expected), tc.Unordered)
	}
	for name, docs := range tc.ExpectedCollections {
		compareDocs(t, "collection "+name, ns.colls[db+"."+name], extJSONDocs(t, docs), true)
	}
}
