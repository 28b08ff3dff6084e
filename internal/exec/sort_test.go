package exec

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// docs is a Stage over fixed documents.
type docs struct {
	d      []bson.Raw
	pos    int
	closed bool
}

func (s *docs) Next(context.Context) (bson.Raw, bool, error) {
	if s.pos >= len(s.d) {
		return nil, false, nil
	}
	s.pos++
	return s.d[s.pos-1], true, nil
}

func (s *docs) Close() { s.closed = true }

// input makes n documents {k: <small int>, i: <position>, pad: "..."}:
// many equal keys, so that stability shows.
func input(n, keys, pad int) []bson.Raw {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]bson.Raw, n)
	for i := range out {
		b, _ := bson.Marshal(bson.D{{Key: "k", Value: r.IntN(keys)}, {Key: "i", Value: i}, {Key: "pad", Value: string(make([]byte, pad))}})
		out[i] = b
	}
	return out
}

// want sorts by k then by input position (a stable sort).
func want(in []bson.Raw, desc bool) []int32 {
	s := slices.Clone(in)
	slices.SortStableFunc(s, func(a, b bson.Raw) int {
		c := int(a.Lookup("k").Int32() - b.Lookup("k").Int32())
		if desc {
			c = -c
		}
		return c
	})
	out := make([]int32, len(s))
	for i, d := range s {
		out[i] = d.Lookup("i").Int32()
	}
	return out
}

func drain(t *testing.T, st Stage) []int32 {
	t.Helper()
	var out []int32
	for {
		d, ok, err := st.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, d.Lookup("i").Int32())
	}
}

func sortSpec(t *testing.T, spec bson.D) *query.Sort {
	t.Helper()
	raw, _ := bson.Marshal(spec)
	s, err := query.ParseSort(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func dirEntries(t *testing.T, dir string) int {
	t.Helper()
	e, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return len(e)
}

func TestSortInMemoryIsStable(t *testing.T) {
	in := input(500, 7, 10)
	st := &Sort{In: &docs{d: in}, Spec: sortSpec(t, bson.D{{Key: "k", Value: 1}}), MemLimit: 100 << 20}
	got := drain(t, st)
	if !slices.Equal(got, want(in, false)) {
		t.Fatalf("order differs from a stable sort")
	}
	if st.Spills != 0 {
		t.Fatalf("spilled %d runs within the limit", st.Spills)
	}
}

func TestSortOverLimitWithoutDiskUse(t *testing.T) {
	in := input(200, 7, 100)
	st := &Sort{In: &docs{d: in}, Spec: sortSpec(t, bson.D{{Key: "k", Value: 1}}), MemLimit: 4096}
	defer st.Close()
	_, _, err := st.Next(context.Background())
	if !mongoerr.Is(err, mongoerr.QueryExceededMemoryLimitNoDiskUseAllowed) {
		t.Fatalf("err = %v, want 292", err)
	}
	if msg := mongoerr.As(err).Message; msg != "Sort exceeded memory limit of 4096 bytes, but did not opt in to external sorting." {
		t.Fatalf("message = %q", msg)
	}
}

func TestSortSpillsAndMerges(t *testing.T) {
	for _, desc := range []bool{false, true} {
		t.Run(fmt.Sprint("desc=", desc), func(t *testing.T) {
			dir := t.TempDir()
			in := input(3000, 13, 200)
			dirn := 1
			if desc {
				dirn = -1
			}
			st := &Sort{In: &docs{d: in}, Spec: sortSpec(t, bson.D{{Key: "k", Value: dirn}}),
				MemLimit: 16 << 10, AllowDiskUse: true, TempDir: dir}
			got := drain(t, st)
			if !slices.Equal(got, want(in, desc)) {
				t.Fatalf("merged order differs from a stable sort")
			}
			if st.Spills < 10 {
				t.Fatalf("spills = %d, want many runs", st.Spills)
			}
			if n := dirEntries(t, dir); n != 0 {
				t.Fatalf("%d spill files left after the output was exhausted", n)
			}
			st.Close()
		})
	}
}

func TestSortCloseRemovesSpillFiles(t *testing.T) {
	dir := t.TempDir()
	src := &docs{d: input(1000, 5, 200)}
	st := &Sort{In: src, Spec: sortSpec(t, bson.D{{Key: "k", Value: 1}}), MemLimit: 8 << 10, AllowDiskUse: true, TempDir: dir}
	for range 3 {
		if _, ok, err := st.Next(context.Background()); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if dirEntries(t, dir) == 0 {
		t.Fatal("no spill files while merging")
	}
	st.Close()
	if n := dirEntries(t, dir); n != 0 {
		t.Fatalf("%d spill files left after Close", n)
	}
	if !src.closed {
		t.Fatal("input not closed")
	}
}

func TestSortTopKKeepsOnlyK(t *testing.T) {
	in := input(5000, 50, 200)
	// Far more input than the limit allows, but only k documents are
	// ever held: no error and no spill, even without allowDiskUse.
	st := &Sort{In: &docs{d: in}, Spec: sortSpec(t, bson.D{{Key: "k", Value: 1}}), Limit: 10, MemLimit: 8 << 10}
	got := drain(t, st)
	if w := want(in, false)[:10]; !slices.Equal(got, w) {
		t.Fatalf("top-k = %v, want %v", got, w)
	}
	if st.Spills != 0 {
		t.Fatalf("top-k spilled %d runs", st.Spills)
	}
}

func TestSortTopKSpills(t *testing.T) {
	in := input(4000, 9, 300)
	dir := t.TempDir()
	// k documents alone exceed the limit: spill runs of at most k.
	st := &Sort{In: &docs{d: in}, Spec: sortSpec(t, bson.D{{Key: "k", Value: 1}}), Limit: 100,
		MemLimit: 8 << 10, AllowDiskUse: true, TempDir: dir}
	got := drain(t, st)
	if w := want(in, false)[:100]; !slices.Equal(got, w) {
		t.Fatalf("top-k with spills differs from a stable sort")
	}
	if st.Spills == 0 {
		t.Fatal("expected spills")
	}
	if n := dirEntries(t, dir); n != 0 {
		t.Fatalf("%d spill files left", n)
	}
	st2 := &Sort{In: &docs{d: in}, Spec: sortSpec(t, bson.D{{Key: "k", Value: 1}}), Limit: 100, MemLimit: 8 << 10}
	defer st2.Close()
	if _, _, err := st2.Next(context.Background()); !mongoerr.Is(err, mongoerr.QueryExceededMemoryLimitNoDiskUseAllowed) {
		t.Fatalf("err = %v, want 292", err)
	}
}

func TestSortStopsOnDeadline(t *testing.T) {
	in := input(2000, 5, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st := &Sort{In: &docs{d: in}, Spec: sortSpec(t, bson.D{{Key: "k", Value: 1}}), MemLimit: 100 << 20}
	defer st.Close()
	var err error
	for range len(in) {
		if _, _, err = st.Next(ctx); err != nil {
			break
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestRecordIDAppendAndSplit(t *testing.T) {
	doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: "x"}})
	with := appendRecordID(doc, 42)
	if err := with.Validate(); err != nil {
		t.Fatal(err)
	}
	elems, _ := with.Elements()
	if last := elems[len(elems)-1]; last.Key() != "$recordId" || last.Value().Int64() != 42 {
		t.Fatalf("last field = %v", last)
	}
	rest, rid, ok := splitRecordID(with)
	if !ok || rid != 42 || string(rest) != string(doc) {
		t.Fatalf("split = %v %d %v", rest, rid, ok)
	}
	if _, _, ok := splitRecordID(doc); ok {
		t.Fatal("split found a $recordId in a document without one")
	}
}

func TestReturnKey(t *testing.T) {
	doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: "k1"}, {Key: "a", Value: 1}})
	st := &ReturnKey{In: &docs{d: []bson.Raw{doc}}}
	if d, _, _ := st.Next(context.Background()); len(d) != 5 {
		t.Fatalf("collection scan returnKey = %v, want {}", d)
	}
	st = &ReturnKey{In: &docs{d: []bson.Raw{doc}}, IDIndex: true}
	d, _, _ := st.Next(context.Background())
	if err := d.Validate(); err != nil || d.Lookup("_id").StringValue() != "k1" || len(mustElems(d)) != 1 {
		t.Fatalf("_id lookup returnKey = %v", d)
	}
}

func mustElems(d bson.Raw) []bson.RawElement {
	e, _ := d.Elements()
	return e
}
