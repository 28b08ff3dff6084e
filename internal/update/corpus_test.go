package update

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// The update corpus (testdata/*.json and testdata/pipeline/*.json) pins
// down the document mongod 8.0 produces for an update — compared as exact
// BSON bytes, so field order and numeric types count — or the error code
// it answers. Every case cites the manual page or jstest it comes from.
// $currentDate reads CorpusNow.
//
// A case's update is an update document (operators or a replacement) or,
// given as a JSON array, a pipeline-style update. A case with a filter
// and options.isUpsert models an upsert that matched nothing: the update
// applies, as an insert, to the document seeded from the filter
// ((*Update).UpsertSeed), and doc is not used; the expected document is
// the one mongod inserts, but for the _id it generates when neither the
// filter nor the update gives one. Pipeline-style cases live in
// testdata/pipeline/.

// CorpusNow is the clock the corpus runs with.
var CorpusNow = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// CorpusCase is one entry of the update corpus.
type CorpusCase struct {
	Name     string          `json:"name"`
	Ref      string          `json:"ref"`
	Doc      json.RawMessage `json:"doc"`
	Filter   json.RawMessage `json:"filter"`
	Update   json.RawMessage `json:"update"`
	Options  *CorpusOptions  `json:"options"`
	Expected json.RawMessage `json:"expected"`
	Modified *bool           `json:"modified"`
	Error    *struct {
		Code            int32  `json:"code"`
		MessageContains string `json:"messageContains"`
	} `json:"error"`
}

// IsPipeline reports whether the case's update is a pipeline (a JSON
// array).
func (c *CorpusCase) IsPipeline() bool {
	return bytes.HasPrefix(bytes.TrimSpace(c.Update), []byte("["))
}

// UpdateValue returns the case's update as the "u" field of an update
// statement carries it: a document or an array.
func (c *CorpusCase) UpdateValue(t testing.TB) bson.RawValue {
	t.Helper()
	wrapped := append(append([]byte(`{"u": `), c.Update...), '}')
	return extDoc(t, wrapped).Lookup("u")
}

// CorpusOptions are a case's statement and per-document options.
type CorpusOptions struct {
	ArrayFilters []json.RawMessage `json:"arrayFilters"`
	MatchedIndex *int              `json:"matchedIndex"`
	IsUpsert     bool              `json:"isUpsert"`
}

func loadCorpus(t *testing.T) map[string][]CorpusCase { return loadCorpusFiles(t) }

func loadCorpusFiles(t testing.TB) map[string][]CorpusCase {
	t.Helper()
	var files []string
	for _, pattern := range []string{"testdata/*.json", "testdata/pipeline/*.json"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no corpus files")
	}
	out := map[string][]CorpusCase{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Cases []CorpusCase `json:"cases"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rel, _ := filepath.Rel("testdata", f)
		out[strings.TrimSuffix(filepath.ToSlash(rel), ".json")] = c.Cases
	}
	return out
}

func extDoc(t testing.TB, data []byte) bson.Raw {
	t.Helper()
	var d bson.Raw
	if err := bson.UnmarshalExtJSON(data, false, &d); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return d
}

func TestUpdateCorpus(t *testing.T) {
	total := 0
	for file, cases := range loadCorpus(t) {
		for _, c := range cases {
			total++
			t.Run(file+"/"+c.Name, func(t *testing.T) {
				if c.Ref == "" {
					t.Error("case without ref")
				}
				if c.IsPipeline() != strings.HasPrefix(file, "pipeline/") {
					t.Fatal("pipeline-style cases, and only they, belong in testdata/pipeline")
				}
				opts := Options{Now: func() time.Time { return CorpusNow }}
				ao := ApplyOptions{MatchedIndex: NoMatch}
				if c.Options != nil {
					for _, f := range c.Options.ArrayFilters {
						opts.ArrayFilters = append(opts.ArrayFilters, extDoc(t, f))
					}
					if c.Options.MatchedIndex != nil {
						ao.MatchedIndex = *c.Options.MatchedIndex
					}
					ao.IsInsert = c.Options.IsUpsert
				}
				u, err := ParseValue(c.UpdateValue(t), opts)
				var got bson.Raw
				var changed bool
				if err == nil {
					var doc bson.Raw
					if c.Filter != nil {
						if !ao.IsInsert {
							t.Fatal("a filter needs options.isUpsert")
						}
						doc, err = u.UpsertSeed(extDoc(t, c.Filter))
					} else {
						doc = extDoc(t, c.Doc)
					}
					if err == nil {
						got, changed, err = u.ApplyWith(doc, ao)
					}
				}
				if c.Error != nil {
					me := mongoerr.As(err)
					if me == nil || int32(me.Code) != c.Error.Code {
						t.Fatalf("got %v (result %s), want error code %d", err, got, c.Error.Code)
					}
					if !strings.Contains(me.Message, c.Error.MessageContains) {
						t.Fatalf("message %q does not contain %q", me.Message, c.Error.MessageContains)
					}
					return
				}
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				want := extDoc(t, c.Expected)
				if !bytes.Equal(got, want) {
					t.Fatalf("got  %s\nwant %s", got, want)
				}
				if c.Modified != nil && changed != *c.Modified {
					t.Fatalf("changed = %v, want %v", changed, *c.Modified)
				}
			})
		}
	}
	t.Logf("%d corpus cases", total)
}
