package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/secantusdb/secantus/internal/collation"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// The query corpus (testdata/corpus/*.json) pins down which documents
// MongoDB 8.0's find selects, in which order and shape, and which errors
// it reports. Every case cites the manual page or mongod jstest it comes
// from. TestQueryCorpus runs it through this package alone;
// internal/integration/query_corpus_test.go runs the same files end to end.
//
// SECANTUS_CORPUS_REPORT=1 logs one line per failing case instead of
// failing, for tracking progress while the matcher is being rewritten.

type corpusFile struct {
	Groups []corpusGroup `json:"groups"`
}

type corpusGroup struct {
	Name  string            `json:"name"`
	Docs  []json.RawMessage `json:"docs"`
	Cases []corpusCase      `json:"cases"`
}

type corpusCase struct {
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
	Error        *corpusError      `json:"error"`
}

type corpusError struct {
	Code            int32  `json:"code"`
	MessageContains string `json:"messageContains"`
}

// loadedGroup is a corpus group with its documents decoded to BSON.
type loadedGroup struct {
	file string
	corpusGroup
	docs []bson.Raw
}

func corpusReport() bool { return os.Getenv("SECANTUS_CORPUS_REPORT") == "1" }

// extDoc decodes one Extended JSON document (relaxed numbers allowed).
func extDoc(data json.RawMessage) (bson.Raw, error) {
	var d bson.Raw
	if err := bson.UnmarshalExtJSON(data, false, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", data, err)
	}
	return d, nil
}

// extValue decodes one Extended JSON value by wrapping it in a document.
func extValue(data json.RawMessage) (bson.RawValue, error) {
	d, err := extDoc(json.RawMessage(`{"v": ` + string(data) + `}`))
	if err != nil {
		return bson.RawValue{}, err
	}
	return d.Lookup("v"), nil
}

func loadCorpus(tb testing.TB) []loadedGroup {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no corpus files: %v", err)
	}
	sort.Strings(files)
	var out []loadedGroup
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var cf corpusFile
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cf); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		for _, g := range cf.Groups {
			lg := loadedGroup{file: filepath.Base(f), corpusGroup: g}
			for _, d := range g.Docs {
				doc, err := extDoc(d)
				if err != nil {
					tb.Fatalf("%s / %s: doc %v", f, g.Name, err)
				}
				lg.docs = append(lg.docs, doc)
			}
			out = append(out, lg)
		}
	}
	return out
}

// optionalDoc decodes an optional document-valued case field.
func optionalDoc(data json.RawMessage) (bson.Raw, bool, error) {
	if len(data) == 0 || string(data) == "null" {
		return nil, false, nil
	}
	d, err := extDoc(data)
	return d, true, err
}

// corpusOutcome is what running one case produced.
type corpusOutcome struct {
	docs []bson.Raw // the documents returned, in order, after projection
	err  error
}

// runDirect runs a case through ParseFilter, Matches, ParseSort,
// skip/limit and ParseProjection. skip is non-empty when the case needs
// something this layer cannot do alone.
func runDirect(g loadedGroup, c corpusCase) (out corpusOutcome, skip string, setupErr error) {
	var opts Options
	if spec, has, err := optionalDoc(c.Collation); err != nil {
		return out, "", err
	} else if has {
		coll, err := collation.Parse(spec)
		if err != nil {
			out.err = err
			return out, "", nil
		}
		if coll != nil {
			opts.Collator = coll
		}
	}
	filter, _, err := optionalDoc(c.Filter)
	if err != nil {
		return out, "", err
	}
	proj, hasProj, err := optionalDoc(c.Projection)
	if err != nil {
		return out, "", err
	}
	sortSpec, hasSort, err := optionalDoc(c.Sort)
	if err != nil {
		return out, "", err
	}
	f, err := ParseFilterWith(filter, opts)
	if err != nil {
		return corpusOutcome{err: err}, "", nil
	}
	var s *Sort
	if hasSort {
		if s, err = ParseSortWith(sortSpec, opts.Collator); err != nil {
			return corpusOutcome{err: err}, "", nil
		}
	}
	var p *Projection
	if hasProj {
		if p, err = ParseFindProjection(proj, f, opts); err != nil {
			return corpusOutcome{err: err}, "", nil
		}
	}

	var matched []bson.Raw
	for _, d := range g.docs {
		ok, err := f.MatchesErr(d)
		if err != nil {
			return corpusOutcome{err: err}, "", nil
		}
		if ok {
			matched = append(matched, d)
		}
	}
	if s != nil {
		if dir, natural := s.Natural(); natural {
			if dir < 0 {
				for i, j := 0, len(matched)-1; i < j; i, j = i+1, j-1 {
					matched[i], matched[j] = matched[j], matched[i]
				}
			}
		} else if !s.IsEmpty() {
			sort.SliceStable(matched, func(i, j int) bool { return s.Compare(matched[i], matched[j]) < 0 })
		}
	}
	if c.Skip > 0 {
		matched = matched[min(int(c.Skip), len(matched)):]
	}
	if c.Limit != 0 {
		n := c.Limit
		if n < 0 {
			n = -n
		}
		matched = matched[:min(int(n), len(matched))]
	}
	if p != nil {
		for i, d := range matched {
			pd, err := p.Apply(d)
			if err != nil {
				return corpusOutcome{err: err}, "", nil
			}
			matched[i] = pd
		}
	}
	return corpusOutcome{docs: matched}, "", nil
}

// checkOutcome compares an outcome with the case's expectation and
// returns a description of the difference, or "".
func checkOutcome(c corpusCase, out corpusOutcome, codeOf func(error) (int32, string, bool)) (string, error) {
	if c.Error != nil {
		if out.err == nil {
			return fmt.Sprintf("want error %d, got %d documents", c.Error.Code, len(out.docs)), nil
		}
		code, msg, ok := codeOf(out.err)
		if !ok {
			return fmt.Sprintf("want error %d, got non-server error %v", c.Error.Code, out.err), nil
		}
		if code != c.Error.Code {
			return fmt.Sprintf("want error %d, got %d %q", c.Error.Code, code, msg), nil
		}
		if !strings.Contains(msg, c.Error.MessageContains) {
			return fmt.Sprintf("want message containing %q, got %q", c.Error.MessageContains, msg), nil
		}
		return "", nil
	}
	if out.err != nil {
		return fmt.Sprintf("unexpected error %v", out.err), nil
	}
	if c.ExpectedDocs != nil {
		var want []bson.Raw
		for _, d := range c.ExpectedDocs {
			wd, err := extDoc(d)
			if err != nil {
				return "", err
			}
			want = append(want, wd)
		}
		if len(want) != len(out.docs) {
			return fmt.Sprintf("want %d documents %s, got %d %s", len(want), docsString(want), len(out.docs), docsString(out.docs)), nil
		}
		for i := range want {
			if !bytes.Equal(want[i], out.docs[i]) {
				return fmt.Sprintf("document %d: want %s, got %s", i, want[i], out.docs[i]), nil
			}
		}
		return "", nil
	}
	var want []bson.RawValue
	for _, e := range c.Expected {
		v, err := extValue(e)
		if err != nil {
			return "", err
		}
		want = append(want, v)
	}
	var got []bson.RawValue
	for _, d := range out.docs {
		got = append(got, d.Lookup("_id"))
	}
	if len(want) != len(got) {
		return fmt.Sprintf("want _ids %s, got %s", idsString(want), idsString(got)), nil
	}
	for i := range want {
		if !want[i].Equal(got[i]) {
			return fmt.Sprintf("want _ids %s, got %s", idsString(want), idsString(got)), nil
		}
	}
	return "", nil
}

func idsString(vs []bson.RawValue) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func docsString(ds []bson.Raw) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func mongoCode(err error) (int32, string, bool) {
	var me *mongoerr.Error
	if errors.As(err, &me) {
		return int32(me.Code), me.Message, true
	}
	return 0, "", false
}

func TestQueryCorpus(t *testing.T) {
	groups := loadCorpus(t)
	report := corpusReport()
	type tally struct{ cases, failed, skipped int }
	perFile := map[string]*tally{}
	var failures []string
	for _, g := range groups {
		if perFile[g.file] == nil {
			perFile[g.file] = &tally{}
		}
		tl := perFile[g.file]
		for _, c := range g.Cases {
			tl.cases++
			name := g.file + "/" + g.Name + "/" + c.Name
			if c.Ref == "" {
				t.Errorf("%s: case has no ref", name)
			}
			var diff string
			var skip string
			func() {
				defer func() {
					if r := recover(); r != nil {
						diff = fmt.Sprintf("panic: %v", r)
					}
				}()
				out, sk, err := runDirect(g, c)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if skip = sk; skip != "" {
					return
				}
				if diff, err = checkOutcome(c, out, mongoCode); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}()
			switch {
			case skip != "":
				tl.skipped++
				t.Run(name, func(t *testing.T) { t.Skip(skip) })
			case diff != "":
				tl.failed++
				failures = append(failures, name+": "+diff)
				if !report {
					t.Errorf("%s: %s\n\tfilter %s (ref %s)", name, diff, c.Filter, c.Ref)
				}
			}
		}
	}
	if report {
		for _, f := range failures {
			t.Logf("CORPUS FAIL %s", f)
		}
		files := make([]string, 0, len(perFile))
		for f := range perFile {
			files = append(files, f)
		}
		sort.Strings(files)
		total := tally{}
		for _, f := range files {
			tl := perFile[f]
			t.Logf("CORPUS FILE %-18s cases %4d failed %4d skipped %4d", f, tl.cases, tl.failed, tl.skipped)
			total.cases += tl.cases
			total.failed += tl.failed
			total.skipped += tl.skipped
		}
		t.Logf("CORPUS TOTAL cases %d failed %d skipped %d", total.cases, total.failed, total.skipped)
	}
}

// FuzzParseFilter parses arbitrary bytes as a filter and matches the
// result against a corpus group's documents: neither may panic.
func FuzzParseFilter(f *testing.F) {
	groups := loadCorpus(f)
	for gi, g := range groups {
		for _, c := range g.Cases {
			if filter, ok, err := optionalDoc(c.Filter); err == nil && ok {
				f.Add([]byte(filter), uint16(gi))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, gi uint16) {
		if bson.Raw(data).Validate() != nil {
			return
		}
		flt, err := ParseFilter(bson.Raw(data))
		if err != nil {
			return
		}
		for _, d := range groups[int(gi)%len(groups)].docs {
			flt.Matches(d)
			_, _ = flt.MatchesErr(d)
		}
	})
}
