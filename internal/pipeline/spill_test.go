package pipeline

import (
	"context"
	"os"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Blocking stages over ten times their memory limit: with allowDiskUse
// they spill and still produce exact results; without it they fail with
// QueryExceededMemoryLimitNoDiskUseAllowed (292), as mongod.

const (
	spillDocs   = 20000
	spillGroups = 5000
	spillLimit  = 1 << 20
)

// spillInput is ~10 MiB of documents {_id: i, k: i % spillGroups, v: i,
// pad: <500 bytes>}.
func spillInput() []bson.Raw {
	pad := strings.Repeat("x", 500)
	docs := make([]bson.Raw, spillDocs)
	for i := range docs {
		b := bsonx.NewBuilder()
		b.AppendInt32("_id", int32(i))
		b.AppendInt32("k", int32(i%spillGroups))
		b.AppendInt32("v", int32(i))
		b.AppendString("pad", pad)
		docs[i] = b.Finish()
	}
	return docs
}

func runSpill(t *testing.T, pipeline string, allowDisk bool) ([]bson.Raw, error, string) {
	t.Helper()
	var arr bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(`{"p": `+pipeline+`}`), false, &arr); err != nil {
		t.Fatal(err)
	}
	vals, _ := arr.Lookup("p").Array().Values()
	specs := make([]bson.Raw, len(vals))
	for i, v := range vals {
		specs[i] = v.Document()
	}
	pl, err := Parse(specs, Options{DB: "test", Collection: "coll"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := pl.Build(&sliceIter{docs: spillInput()}, &Env{MemLimit: spillLimit, AllowDiskUse: allowDisk, TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var out []bson.Raw
	var runErr error
	spilled := false
	for {
		d, ok, err := st.Next(context.Background())
		if err != nil {
			runErr = err
			break
		}
		if !ok {
			break
		}
		if !spilled {
			entries, _ := os.ReadDir(dir)
			spilled = len(entries) > 0
		}
		out = append(out, append(bson.Raw(nil), d...))
	}
	st.Close()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d spill files left after Close", len(entries))
	}
	if allowDisk && runErr == nil && !spilled {
		t.Errorf("no spill file was written")
	}
	return out, runErr, dir
}

func TestGroupSpill(t *testing.T) {
	const pipeline = `[{"$group": {"_id": "$k", "n": {"$sum": 1}, "s": {"$sum": "$v"}, "f": {"$first": "$v"},
		"l": {"$last": "$v"}, "p": {"$push": "$v"}, "m": {"$max": "$v"}, "a": {"$avg": "$v"},
		"t": {"$topN": {"n": 2, "sortBy": {"v": -1}, "output": "$v"}}, "set": {"$addToSet": {"$mod": ["$v", 2]}}}}]`
	out, err, _ := runSpill(t, pipeline, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != spillGroups {
		t.Fatalf("got %d groups, want %d", len(out), spillGroups)
	}
	seen := map[int32]bool{}
	for _, d := range out {
		k := d.Lookup("_id").Int32()
		seen[k] = true
		// The group of k holds v = k, k+5000, k+10000, k+15000.
		if n := d.Lookup("n").Int32(); n != 4 {
			t.Fatalf("group %d: n = %d", k, n)
		}
		if s := d.Lookup("s").Int32(); s != 4*k+30000 {
			t.Fatalf("group %d: s = %d", k, s)
		}
		if f, l := d.Lookup("f").Int32(), d.Lookup("l").Int32(); f != k || l != k+15000 {
			t.Fatalf("group %d: first %d last %d", k, f, l)
		}
		p, _ := d.Lookup("p").Array().Values()
		if len(p) != 4 || p[0].Int32() != k || p[3].Int32() != k+15000 {
			t.Fatalf("group %d: push %v", k, d.Lookup("p"))
		}
		if m := d.Lookup("m").Int32(); m != k+15000 {
			t.Fatalf("group %d: max %d", k, m)
		}
		if a := d.Lookup("a").Double(); a != float64(k)+7500 {
			t.Fatalf("group %d: avg %v", k, a)
		}
		top, _ := d.Lookup("t").Array().Values()
		if len(top) != 2 || top[0].Int32() != k+15000 || top[1].Int32() != k+10000 {
			t.Fatalf("group %d: topN %v", k, d.Lookup("t"))
		}
		set, _ := d.Lookup("set").Array().Values()
		if len(set) != 1 {
			t.Fatalf("group %d: addToSet %v", k, d.Lookup("set"))
		}
	}
	if len(seen) != spillGroups {
		t.Fatalf("%d distinct _id values", len(seen))
	}
}

func TestGroupSpillRefused(t *testing.T) {
	_, err, _ := runSpill(t, `[{"$group": {"_id": "$k", "p": {"$push": "$pad"}}}]`, false)
	me := mongoerr.As(err)
	if me == nil || me.Code != mongoerr.QueryExceededMemoryLimitNoDiskUseAllowed {
		t.Fatalf("got %v, want error 292", err)
	}
	if !strings.Contains(me.Message, "Exceeded memory limit for $group") {
		t.Fatalf("message %q", me.Message)
	}
}

func TestSortSpill(t *testing.T) {
	out, err, _ := runSpill(t, `[{"$sort": {"k": -1, "v": 1}}]`, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != spillDocs {
		t.Fatalf("got %d documents", len(out))
	}
	for i := 1; i < len(out); i++ {
		pk, pv := out[i-1].Lookup("k").Int32(), out[i-1].Lookup("v").Int32()
		k, v := out[i].Lookup("k").Int32(), out[i].Lookup("v").Int32()
		if pk < k || (pk == k && pv >= v) {
			t.Fatalf("out of order at %d: (%d,%d) then (%d,%d)", i, pk, pv, k, v)
		}
	}
	_, err, _ = runSpill(t, `[{"$sort": {"k": -1, "v": 1}}]`, false)
	if me := mongoerr.As(err); me == nil || me.Code != mongoerr.QueryExceededMemoryLimitNoDiskUseAllowed {
		t.Fatalf("got %v, want error 292", err)
	}
}

func TestBucketAutoSpill(t *testing.T) {
	out, err, _ := runSpill(t, `[{"$bucketAuto": {"groupBy": "$v", "buckets": 4, "output": {"n": {"$sum": 1}, "lo": {"$min": "$v"}}}}]`, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 {
		t.Fatalf("got %d buckets", len(out))
	}
	for i, d := range out {
		if n := d.Lookup("n").Int32(); n != spillDocs/4 {
			t.Fatalf("bucket %d: %d documents", i, n)
		}
		if lo := d.Lookup("lo").Int32(); lo != int32(i*spillDocs/4) {
			t.Fatalf("bucket %d: min %d", i, lo)
		}
	}
}
