package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestQueryCorpus runs the query corpus (internal/query/testdata/corpus)
// end to end: one collection per group, each case as a find through the
// official driver. SECANTUS_CORPUS_REPORT=1 logs one line per failing
// case instead of failing.

type qcFile struct {
	Groups []qcGroup `json:"groups"`
}

type qcGroup struct {
	Name  string            `json:"name"`
	Docs  []json.RawMessage `json:"docs"`
	Cases []qcCase          `json:"cases"`
}

type qcCase struct {
	Name         string            `json:"name"`
	Ref          string            `json:"ref"`
	Filter       json.RawMessage   `json:"filter"`
	Projection   json.RawMessage   `json:"projection"`
	Sort         json.RawMessage   `json:"sort"`
	Skip         int64             `json:"skip"`
	Limit        int64             `json:"limit"`
	Collation    json.RawMessage   `json:"collation"`
	Expected     []json.RawMessage `json:"expected"`
	ExpectedDocs []json.RawMessage `json:"expectedDocs"`
	Error        *struct {
		Code            int32  `json:"code"`
		MessageContains string `json:"messageContains"`
	} `json:"error"`
}

func qcDoc(data json.RawMessage) (bson.Raw, error) {
	var d bson.Raw
	if err := bson.UnmarshalExtJSON(data, false, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", data, err)
	}
	return d, nil
}

func qcOptionalDoc(data json.RawMessage) (bson.Raw, bool, error) {
	if len(data) == 0 || string(data) == "null" {
		return nil, false, nil
	}
	d, err := qcDoc(data)
	return d, true, err
}

func qcValue(data json.RawMessage) (bson.RawValue, error) {
	d, err := qcDoc(json.RawMessage(`{"v": ` + string(data) + `}`))
	if err != nil {
		return bson.RawValue{}, err
	}
	return d.Lookup("v"), nil
}

func TestQueryCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "query", "testdata", "corpus", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	sort.Strings(files)
	report := os.Getenv("SECANTUS_CORPUS_REPORT") == "1"
	_, db := connect(t)
	bg := context.Background()

	type tally struct{ cases, failed int }
	perFile := map[string]*tally{}
	var failures []string
	gi := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cf qcFile
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cf); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		base := filepath.Base(file)
		tl := &tally{}
		perFile[base] = tl
		for _, g := range cf.Groups {
			gi++
			coll := db.Collection(fmt.Sprintf("corpus_%03d", gi))
			docs := make([]any, 0, len(g.Docs))
			for _, d := range g.Docs {
				doc, err := qcDoc(d)
				if err != nil {
					t.Fatalf("%s / %s: %v", base, g.Name, err)
				}
				docs = append(docs, doc)
			}
			if len(docs) > 0 {
				// Ordered, so the collection scan sees the documents in file order.
				if _, err := coll.InsertMany(ctx(t), docs, options.InsertMany().SetOrdered(true)); err != nil {
					t.Fatalf("%s / %s: insert: %v", base, g.Name, err)
				}
			}
			for _, c := range g.Cases {
				tl.cases++
				name := base + "/" + g.Name + "/" + c.Name
				diff, err := runCorpusCase(bg, coll, c)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if diff != "" {
					tl.failed++
					failures = append(failures, name+": "+diff)
					if !report {
						t.Errorf("%s: %s\n\tfilter %s (ref %s)", name, diff, c.Filter, c.Ref)
					}
				}
			}
		}
	}
	if report {
		for _, f := range failures {
			t.Logf("CORPUS FAIL %s", f)
		}
		names := make([]string, 0, len(perFile))
		for f := range perFile {
			names = append(names, f)
		}
		sort.Strings(names)
		var cases, failed int
		for _, f := range names {
			t.Logf("CORPUS FILE %-18s cases %4d failed %4d", f, perFile[f].cases, perFile[f].failed)
			cases += perFile[f].cases
			failed += perFile[f].failed
		}
		t.Logf("CORPUS TOTAL cases %d failed %d", cases, failed)
	}
}

// runCorpusCase runs one case as a find and describes how the reply
// differs from the expectation ("" when it does not).
func runCorpusCase(bg context.Context, coll *mongo.Collection, c qcCase) (string, error) {
	filter, hasFilter, err := qcOptionalDoc(c.Filter)
	if err != nil {
		return "", err
	}
	if !hasFilter {
		filter = bson.Raw(bsonEmptyDoc)
	}
	opts := options.Find()
	if p, ok, err := qcOptionalDoc(c.Projection); err != nil {
		return "", err
	} else if ok {
		opts.SetProjection(p)
	}
	if s, ok, err := qcOptionalDoc(c.Sort); err != nil {
		return "", err
	} else if ok {
		opts.SetSort(s)
	}
	if c.Skip != 0 {
		opts.SetSkip(c.Skip)
	}
	if c.Limit != 0 {
		opts.SetLimit(c.Limit)
	}
	if col, ok, err := qcOptionalDoc(c.Collation); err != nil {
		return "", err
	} else if ok {
		var spec struct {
			Locale          string `bson:"locale"`
			CaseLevel       bool   `bson:"caseLevel"`
			CaseFirst       string `bson:"caseFirst"`
			Strength        int    `bson:"strength"`
			NumericOrdering bool   `bson:"numericOrdering"`
			Alternate       string `bson:"alternate"`
			MaxVariable     string `bson:"maxVariable"`
			Normalization   bool   `bson:"normalization"`
			Backwards       bool   `bson:"backwards"`
		}
		if err := bson.Unmarshal(col, &spec); err != nil {
			return "", fmt.Errorf("collation %s: %w", col, err)
		}
		co := options.Collation(spec)
		opts.SetCollation(&co)
	}

	cctx, cancel := context.WithTimeout(bg, 20e9)
	defer cancel()
	var got []bson.Raw
	cur, ferr := coll.Find(cctx, filter, opts)
	if ferr == nil {
		for cur.Next(cctx) {
			got = append(got, append(bson.Raw(nil), cur.Current...))
		}
		ferr = cur.Err()
		cur.Close(cctx)
	}

	if c.Error != nil {
		if ferr == nil {
			return fmt.Sprintf("want error %d, got %d documents", c.Error.Code, len(got)), nil
		}
		var se mongo.ServerError
		if !errors.As(ferr, &se) {
			return fmt.Sprintf("want error %d, got %v", c.Error.Code, ferr), nil
		}
		if !se.HasErrorCode(int(c.Error.Code)) {
			return fmt.Sprintf("want error %d, got %v", c.Error.Code, ferr), nil
		}
		if !strings.Contains(ferr.Error(), c.Error.MessageContains) {
			return fmt.Sprintf("want message containing %q, got %v", c.Error.MessageContains, ferr), nil
		}
		return "", nil
	}
	if ferr != nil {
		return fmt.Sprintf("unexpected error %v", ferr), nil
	}
	if c.ExpectedDocs != nil {
		if len(c.ExpectedDocs) != len(got) {
			return fmt.Sprintf("want %d documents, got %d: %v", len(c.ExpectedDocs), len(got), got), nil
		}
		for i, e := range c.ExpectedDocs {
			want, err := qcDoc(e)
			if err != nil {
				return "", err
			}
			if !bytes.Equal(want, got[i]) {
				return fmt.Sprintf("document %d: want %s, got %s", i, want, got[i]), nil
			}
		}
		return "", nil
	}
	var want, ids []string
	equal := len(c.Expected) == len(got)
	for i, e := range c.Expected {
		v, err := qcValue(e)
		if err != nil {
			return "", err
		}
		want = append(want, v.String())
		if equal && !v.Equal(got[i].Lookup("_id")) {
			equal = false
		}
	}
	if !equal {
		for _, d := range got {
			ids = append(ids, d.Lookup("_id").String())
		}
		return fmt.Sprintf("want _ids [%s], got [%s]", strings.Join(want, ", "), strings.Join(ids, ", ")), nil
	}
	return "", nil
}

// bsonEmptyDoc is the empty BSON document, the filter of a case without one.
var bsonEmptyDoc = []byte{5, 0, 0, 0, 0}
