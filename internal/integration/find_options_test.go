package integration

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/secantusdb/secantus/secantustest"
)

// connectPlain is connect without the client-side timeout: with one, the
// driver adds maxTimeMS to every RunCommand, getMore included, which
// mongod (and SecantusDB) refuse for non-awaitData cursors.
func connectPlain(t *testing.T, opts ...secantustest.Option) *mongo.Database {
	t.Helper()
	srv := secantustest.New(t, opts...)
	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Disconnect(context.Background()) })
	return client.Database("test")
}

// cursorDocs returns the batch and id of a find/getMore reply.
func cursorDocs(t *testing.T, reply bson.Raw, batch string) ([]bson.Raw, int64) {
	t.Helper()
	cur := reply.Lookup("cursor").Document()
	vals, err := cur.Lookup(batch).Array().Values()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]bson.Raw, len(vals))
	for i, v := range vals {
		out[i] = v.Document()
	}
	return out, cur.Lookup("id").Int64()
}

// fillSortable inserts n documents {_id: i, k: i % 10, pad: <size bytes>}.
func fillSortable(t *testing.T, c *mongo.Collection, n, size int) {
	t.Helper()
	pad := strings.Repeat("x", size)
	docs := make([]any, n)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i % 10}, {Key: "pad", Value: pad}}
	}
	if _, err := c.InsertMany(ctx(t), docs); err != nil {
		t.Fatal(err)
	}
}

// checkSortedStable checks ascending k and, among equal k, insertion
// (_id) order: the blocking sort is stable.
func checkSortedStable(t *testing.T, docs []bson.Raw, n int) {
	t.Helper()
	if len(docs) != n {
		t.Fatalf("got %d documents, want %d", len(docs), n)
	}
	for i := 1; i < len(docs); i++ {
		pk, k := docs[i-1].Lookup("k").Int32(), docs[i].Lookup("k").Int32()
		pid, id := docs[i-1].Lookup("_id").Int32(), docs[i].Lookup("_id").Int32()
		if pk > k || pk == k && pid > id {
			t.Fatalf("out of order at %d: {k:%d,_id:%d} then {k:%d,_id:%d}", i, pk, pid, k, id)
		}
	}
}

func drainFind(t *testing.T, db *mongo.Database, cmd bson.D) []bson.Raw {
	t.Helper()
	cur, err := db.RunCommandCursor(ctx(t), cmd)
	if err != nil {
		t.Fatal(err)
	}
	var out []bson.Raw
	for cur.Next(ctx(t)) {
		out = append(out, append(bson.Raw(nil), cur.Current...))
	}
	if err := cur.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFindSortSpillsToDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := connectPlain(t, secantustest.WithStorage(dir),
		secantustest.WithParameter("internalQueryMaxBlockingSortMemoryUsageBytes", "20000"))
	c := db.Collection("spill")
	fillSortable(t, c, 400, 500)
	sortK := bson.D{{Key: "k", Value: 1}}

	// allowDiskUse defaults to allowDiskUseByDefault (true): it spills.
	got := drainFind(t, db, bson.D{{Key: "find", Value: "spill"}, {Key: "sort", Value: sortK}, {Key: "batchSize", Value: 50}})
	checkSortedStable(t, got, 400)
	if e, _ := os.ReadDir(filepath.Join(dir, "_tmp")); len(e) != 0 {
		t.Fatalf("%d spill files left in dbpath/_tmp after the cursor was exhausted", len(e))
	}

	// Killing the cursor half way also removes its files.
	reply := run(t, db, bson.D{{Key: "find", Value: "spill"}, {Key: "sort", Value: sortK}, {Key: "batchSize", Value: 3}})
	_, id := cursorDocs(t, reply, "firstBatch")
	if e, _ := os.ReadDir(filepath.Join(dir, "_tmp")); len(e) == 0 {
		t.Fatal("no spill files while the sorted cursor is open")
	}
	run(t, db, bson.D{{Key: "killCursors", Value: "spill"}, {Key: "cursors", Value: bson.A{id}}})
	if e, _ := os.ReadDir(filepath.Join(dir, "_tmp")); len(e) != 0 {
		t.Fatalf("%d spill files left after killCursors", len(e))
	}

	// allowDiskUse: false fails as mongod does.
	ce := cmdErr(t, db, bson.D{{Key: "find", Value: "spill"}, {Key: "sort", Value: sortK}, {Key: "allowDiskUse", Value: false}})
	if ce.Code != 292 || ce.Name != "QueryExceededMemoryLimitNoDiskUseAllowed" ||
		ce.Message != "Executor error during find command :: caused by :: Sort exceeded memory limit of 20000 bytes, but did not opt in to external sorting." {
		t.Fatalf("error = %d %s %q", ce.Code, ce.Name, ce.Message)
	}

	// A sort with a limit keeps only limit documents (top-k): no spill
	// needed, so allowDiskUse: false is fine.
	got = drainFind(t, db, bson.D{{Key: "find", Value: "spill"}, {Key: "sort", Value: sortK},
		{Key: "limit", Value: 5}, {Key: "allowDiskUse", Value: false}})
	checkSortedStable(t, got, 5)
	if got[0].Lookup("_id").Int32() != 0 || got[4].Lookup("_id").Int32() != 40 {
		t.Fatalf("top 5 = %v", got)
	}

	// With allowDiskUseByDefault off, a find without allowDiskUse fails.
	run(t, db.Client().Database("admin"), bson.D{{Key: "setParameter", Value: 1}, {Key: "allowDiskUseByDefault", Value: false}})
	ce = cmdErr(t, db, bson.D{{Key: "find", Value: "spill"}, {Key: "sort", Value: sortK}})
	if ce.Code != 292 {
		t.Fatalf("error = %v, want 292", ce)
	}
	got = drainFind(t, db, bson.D{{Key: "find", Value: "spill"}, {Key: "sort", Value: sortK}, {Key: "allowDiskUse", Value: true}})
	checkSortedStable(t, got, 400)
}

func TestFindSortInMemoryWithinLimit(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("sorted")
	fillSortable(t, c, 300, 50)
	got := drainFind(t, db, bson.D{{Key: "find", Value: "sorted"}, {Key: "sort", Value: bson.D{{Key: "k", Value: 1}}},
		{Key: "allowDiskUse", Value: false}, {Key: "batchSize", Value: 7}})
	checkSortedStable(t, got, 300)
}

// slowColl fills a collection big enough that scanning it cannot finish
// within one millisecond.
func slowColl(t *testing.T, db *mongo.Database) *mongo.Collection {
	t.Helper()
	c := db.Collection("slow")
	pad := strings.Repeat("y", 300)
	docs := make([]any, 0, 1000)
	for i := range 60000 {
		docs = append(docs, bson.D{{Key: "i", Value: i}, {Key: "s", Value: pad}})
		if len(docs) == cap(docs) {
			if _, err := c.InsertMany(ctx(t), docs); err != nil {
				t.Fatal(err)
			}
			docs = docs[:0]
		}
	}
	return c
}

func TestMaxTimeMS(t *testing.T) {
	t.Parallel()
	db := connectPlain(t)
	slowColl(t, db)
	nothing := bson.D{{Key: "s", Value: "no such value"}}
	for _, cmd := range []bson.D{
		{{Key: "find", Value: "slow"}, {Key: "filter", Value: nothing}, {Key: "maxTimeMS", Value: 1}},
		{{Key: "count", Value: "slow"}, {Key: "query", Value: nothing}, {Key: "maxTimeMS", Value: 1}},
		{{Key: "distinct", Value: "slow"}, {Key: "key", Value: "i"}, {Key: "maxTimeMS", Value: 1}},
	} {
		ce := cmdErr(t, db, cmd)
		if ce.Code != 50 || ce.Name != "MaxTimeMSExpired" || !strings.HasSuffix(ce.Message, "operation exceeded time limit") {
			t.Errorf("%v: error = %d %s %q", cmd[0].Key, ce.Code, ce.Name, ce.Message)
		}
	}
	ce := cmdErr(t, db, bson.D{{Key: "find", Value: "slow"}, {Key: "filter", Value: nothing}, {Key: "maxTimeMS", Value: 1}})
	if ce.Message != "Executor error during find command :: caused by :: operation exceeded time limit" {
		t.Errorf("find message = %q", ce.Message)
	}

	// A generous limit does not get in the way, and 0 means none.
	for _, ms := range []int{0, 60000} {
		raw := run(t, db, bson.D{{Key: "count", Value: "slow"}, {Key: "query", Value: bson.D{{Key: "i", Value: bson.D{{Key: "$gte", Value: 59990}}}}}, {Key: "maxTimeMS", Value: ms}})
		if n := raw.Lookup("n").Int32(); n != 10 {
			t.Fatalf("count = %d", n)
		}
	}

	// Validation, with mongod's messages.
	for _, tc := range []struct {
		v   any
		msg string
	}{
		{int64(1) << 31, "2147483648 value for maxTimeMS is out of range [0, 2147483647]"},
		{1.5, "maxTimeMS has non-integral value"},
	} {
		for _, name := range []string{"find", "count", "distinct"} {
			cmd := bson.D{{Key: name, Value: "slow"}, {Key: "maxTimeMS", Value: tc.v}}
			if name == "distinct" {
				cmd = append(cmd, bson.E{Key: "key", Value: "i"})
			}
			ce := cmdErr(t, db, cmd)
			if ce.Code != 2 || ce.Message != tc.msg {
				t.Errorf("%s maxTimeMS %v: %d %q, want BadValue %q", name, tc.v, ce.Code, ce.Message, tc.msg)
			}
		}
	}
	for _, v := range []any{-1, "abc"} {
		if ce := cmdErr(t, db, bson.D{{Key: "find", Value: "slow"}, {Key: "maxTimeMS", Value: v}}); ce.Code != 2 {
			t.Errorf("maxTimeMS %v: code %d, want BadValue", v, ce.Code)
		}
	}

	// The find's time limit carries over to its getMores: a cursor
	// opened with 1ms cannot go on to read the whole collection.
	raw, err := db.RunCommand(ctx(t), bson.D{{Key: "find", Value: "slow"}, {Key: "batchSize", Value: 1}, {Key: "maxTimeMS", Value: 1}}).Raw()
	if err == nil {
		_, id := cursorDocs(t, raw, "firstBatch")
		err = db.RunCommand(ctx(t), bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "slow"}}).Err()
		var ce mongo.CommandError
		if !errors.As(err, &ce) || ce.Code != 50 || ce.Message != "Executor error during getMore :: caused by :: operation exceeded time limit" {
			t.Fatalf("getMore past the find's time limit: %v", err)
		}
		// The failed getMore killed the cursor.
		wantCode(t, db.RunCommand(ctx(t), bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "slow"}}).Err(), 43)
	} else {
		wantCode(t, err, 50)
	}
}

func TestFindShowRecordIDAndReturnKey(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("rid")
	for i := range 5 {
		if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: i * 10}, {Key: "a", Value: i}, {Key: "b", Value: "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	got := drainFind(t, db, bson.D{{Key: "find", Value: "rid"}, {Key: "showRecordId", Value: true}})
	var last int64
	for _, d := range got {
		elems, _ := d.Elements()
		rid := elems[len(elems)-1]
		if rid.Key() != "$recordId" || rid.Value().Type != bson.TypeInt64 || rid.Value().Int64() <= last {
			t.Fatalf("document %v: want a trailing increasing int64 $recordId", d)
		}
		last = rid.Value().Int64()
	}
	// With a projection and a sort, $recordId comes last and stays with
	// its document.
	got = drainFind(t, db, bson.D{{Key: "find", Value: "rid"}, {Key: "showRecordId", Value: true},
		{Key: "projection", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "sort", Value: bson.D{{Key: "a", Value: -1}}}})
	if len(got) != 5 {
		t.Fatalf("got %d documents", len(got))
	}
	first, _ := got[0].Elements()
	if len(first) != 3 || first[0].Key() != "_id" || first[1].Key() != "a" || first[2].Key() != "$recordId" ||
		first[1].Value().Int32() != 4 || first[2].Value().Int64() != last {
		t.Fatalf("first = %v", got[0])
	}

	// returnKey on a collection scan: an empty document per match.
	got = drainFind(t, db, bson.D{{Key: "find", Value: "rid"}, {Key: "filter", Value: bson.D{{Key: "a", Value: bson.D{{Key: "$gte", Value: 2}}}}},
		{Key: "returnKey", Value: true}})
	if len(got) != 3 {
		t.Fatalf("returnKey returned %d documents", len(got))
	}
	for _, d := range got {
		if len(d) != 5 {
			t.Fatalf("returnKey document = %v, want {}", d)
		}
	}
	// Through the _id index the key is {_id: ...}.
	got = drainFind(t, db, bson.D{{Key: "find", Value: "rid"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: 20}}}, {Key: "returnKey", Value: true}})
	if len(got) != 1 || got[0].Lookup("_id").Int32() != 20 || len(mustElements(t, got[0])) != 1 {
		t.Fatalf("returnKey by _id = %v", got)
	}
}

func mustElements(t *testing.T, d bson.Raw) []bson.RawElement {
	t.Helper()
	e, err := d.Elements()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestFindBatchingOptions(t *testing.T) {
	t.Parallel()
	db := connectPlain(t)
	c := db.Collection("batches")
	fillSortable(t, c, 10, 1)

	// Negative limit: rejected by the server (drivers translate it).
	ce := cmdErr(t, db, bson.D{{Key: "find", Value: "batches"}, {Key: "limit", Value: -2}})
	if ce.Code != 51024 || ce.Message != "BSON field 'limit' value must be >= 0, actual value '-2'" {
		t.Fatalf("limit -2: %d %q", ce.Code, ce.Message)
	}
	// The driver's negative limit becomes limit + singleBatch.
	docs := docsOf(t)(c.Find(ctx(t), bson.D{}, options.Find().SetLimit(-3)))
	if len(docs) != 3 {
		t.Fatalf("driver limit -3: %d documents", len(docs))
	}

	// singleBatch closes the cursor after the first batch.
	reply := run(t, db, bson.D{{Key: "find", Value: "batches"}, {Key: "batchSize", Value: 2}, {Key: "singleBatch", Value: true}})
	if d, id := cursorDocs(t, reply, "firstBatch"); len(d) != 2 || id != 0 {
		t.Fatalf("singleBatch: %d documents, id %d", len(d), id)
	}
	// batchSize 0: an empty first batch and an open cursor.
	reply = run(t, db, bson.D{{Key: "find", Value: "batches"}, {Key: "batchSize", Value: 0}})
	d, id := cursorDocs(t, reply, "firstBatch")
	if len(d) != 0 || id == 0 {
		t.Fatalf("batchSize 0: %d documents, id %d", len(d), id)
	}
	reply = run(t, db, bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "batches"}})
	if d, id := cursorDocs(t, reply, "nextBatch"); len(d) != 10 || id != 0 {
		t.Fatalf("getMore after batchSize 0: %d documents, id %d", len(d), id)
	}
	// A batch that reaches the limit exhausts the cursor at once.
	reply = run(t, db, bson.D{{Key: "find", Value: "batches"}, {Key: "limit", Value: 4}, {Key: "batchSize", Value: 4}})
	if d, id := cursorDocs(t, reply, "firstBatch"); len(d) != 4 || id != 0 {
		t.Fatalf("limit = batchSize: %d documents, id %d", len(d), id)
	}
	reply = run(t, db, bson.D{{Key: "find", Value: "batches"}, {Key: "limit", Value: 5}, {Key: "batchSize", Value: 3}})
	d, id = cursorDocs(t, reply, "firstBatch")
	if len(d) != 3 || id == 0 {
		t.Fatalf("limit 5 batchSize 3: %d documents, id %d", len(d), id)
	}
	reply = run(t, db, bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "batches"}, {Key: "batchSize", Value: 2}})
	if d, id := cursorDocs(t, reply, "nextBatch"); len(d) != 2 || id != 0 {
		t.Fatalf("getMore to the limit: %d documents, id %d", len(d), id)
	}

	// noCursorTimeout and comment are accepted and carried by the cursor.
	reply = run(t, db, bson.D{{Key: "find", Value: "batches"}, {Key: "batchSize", Value: 1}, {Key: "noCursorTimeout", Value: true}, {Key: "comment", Value: "tagged"}})
	if _, id := cursorDocs(t, reply, "firstBatch"); id == 0 {
		t.Fatal("cursor closed")
	}

	// min/max need an index hint; the planner does not do index bounds yet.
	ce = cmdErr(t, db, bson.D{{Key: "find", Value: "batches"}, {Key: "min", Value: bson.D{{Key: "_id", Value: 2}}}})
	if ce.Code != 51173 {
		t.Fatalf("min without hint: %v", ce)
	}
	ce = cmdErr(t, db, bson.D{{Key: "find", Value: "batches"}, {Key: "max", Value: bson.D{{Key: "_id", Value: 2}}}, {Key: "hint", Value: bson.D{{Key: "_id", Value: 1}}}})
	if ce.Code != 238 {
		t.Fatalf("max with hint: %v", ce)
	}
}

func TestFindReadConcern(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	fillSortable(t, db.Collection("rc"), 3, 1)
	for _, level := range []string{"local", "available", "majority"} {
		got := drainFind(t, db, bson.D{{Key: "find", Value: "rc"}, {Key: "readConcern", Value: bson.D{{Key: "level", Value: level}}}})
		if len(got) != 3 {
			t.Fatalf("readConcern %s: %d documents", level, len(got))
		}
		raw := run(t, db, bson.D{{Key: "count", Value: "rc"}, {Key: "readConcern", Value: bson.D{{Key: "level", Value: level}}}})
		if raw.Lookup("n").Int32() != 3 {
			t.Fatalf("count readConcern %s = %v", level, raw)
		}
	}
	if err := db.RunCommand(ctx(t), bson.D{{Key: "find", Value: "rc"}, {Key: "readConcern", Value: bson.D{{Key: "level", Value: "bogus"}}}}).Err(); err == nil {
		t.Fatal("readConcern level bogus accepted")
	}
}

func TestCountOptions(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	fillSortable(t, db.Collection("cnt"), 20, 1)
	q := bson.D{{Key: "k", Value: bson.D{{Key: "$lt", Value: 5}}}} // 10 documents
	for _, tc := range []struct {
		opts bson.D
		n    int32
	}{
		{nil, 10},
		{bson.D{{Key: "limit", Value: 4}}, 4},
		{bson.D{{Key: "limit", Value: -4}}, 4}, // count's negative limit is its absolute value
		{bson.D{{Key: "skip", Value: 8}}, 2},
		{bson.D{{Key: "skip", Value: 8}, {Key: "limit", Value: 5}}, 2},
		{bson.D{{Key: "skip", Value: 30}}, 0},
		{bson.D{{Key: "hint", Value: "_id_"}}, 10},
		{bson.D{{Key: "comment", Value: "c"}, {Key: "maxTimeMS", Value: 10000}}, 10},
	} {
		cmd := append(bson.D{{Key: "count", Value: "cnt"}, {Key: "query", Value: q}}, tc.opts...)
		if n := run(t, db, cmd).Lookup("n").Int32(); n != tc.n {
			t.Errorf("count %v = %d, want %d", tc.opts, n, tc.n)
		}
	}
	// Without a query the collection's counters answer, with the same
	// skip/limit rules.
	if n := run(t, db, bson.D{{Key: "count", Value: "cnt"}, {Key: "limit", Value: -7}}).Lookup("n").Int32(); n != 7 {
		t.Errorf("count limit -7 = %d", n)
	}
	for _, tc := range []struct {
		opts bson.D
		code int32
		msg  string
	}{
		{bson.D{{Key: "skip", Value: -1}}, 9, "Expected a non-negative number in: skip: -1"},
		{bson.D{{Key: "skip", Value: "a"}}, 2, "skip value is not a valid number"},
		{bson.D{{Key: "limit", Value: "a"}}, 2, "limit value is not a valid number"},
		{bson.D{{Key: "limit", Value: 1.5}}, 9, "Expected an integer: limit: 1.5"},
		{bson.D{{Key: "hint", Value: "nope"}}, 2, "hint provided does not correspond to an existing index"},
	} {
		ce := cmdErr(t, db, append(bson.D{{Key: "count", Value: "cnt"}, {Key: "query", Value: q}}, tc.opts...))
		if ce.Code != tc.code || ce.Message != tc.msg {
			t.Errorf("count %v: %d %q, want %d %q", tc.opts, ce.Code, ce.Message, tc.code, tc.msg)
		}
	}
}

func TestDistinctOptions(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("dist")
	if _, err := c.InsertMany(ctx(t), []any{
		bson.D{{Key: "v", Value: "b"}, {Key: "g", Value: 1}},
		bson.D{{Key: "v", Value: bson.A{3, "a", bson.A{1, 2}}}, {Key: "g", Value: 1}},
		bson.D{{Key: "v", Value: int64(3)}, {Key: "g", Value: 2}},
		bson.D{{Key: "v", Value: 1.0}, {Key: "g", Value: 2}},
		bson.D{{Key: "v", Value: bson.D{{Key: "x", Value: 1}}}, {Key: "g", Value: 2}},
		bson.D{{Key: "v", Value: nil}, {Key: "g", Value: 3}},
		bson.D{{Key: "g", Value: 3}},
		bson.D{{Key: "w", Value: bson.A{bson.D{{Key: "x", Value: 5}}, bson.D{{Key: "x", Value: bson.A{6, 5}}}}}, {Key: "g", Value: 4}},
	}); err != nil {
		t.Fatal(err)
	}
	raw := run(t, db, bson.D{{Key: "distinct", Value: "dist"}, {Key: "key", Value: "v"}})
	vals, _ := raw.Lookup("values").Array().Values()
	// Sorted in BSON order, arrays unwound one level (the nested [1, 2]
	// stays an array), 3 and NumberLong(3) one value.
	var got []string
	for _, v := range vals {
		got = append(got, v.String())
	}
	want := []string{`null`, `{"$numberDouble":"1.0"}`, `{"$numberInt":"3"}`, `"a"`, `"b"`, `{"x": {"$numberInt":"1"}}`, `[{"$numberInt":"1"},{"$numberInt":"2"}]`}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("distinct v = %v\nwant       %v", got, want)
	}
	// Through arrays of documents.
	raw = run(t, db, bson.D{{Key: "distinct", Value: "dist"}, {Key: "key", Value: "w.x"}})
	if s := raw.Lookup("values").String(); s != `[{"$numberInt":"5"},{"$numberInt":"6"}]` {
		t.Fatalf("distinct w.x = %s", s)
	}
	// query, hint, comment, maxTimeMS, readConcern.
	raw = run(t, db, bson.D{{Key: "distinct", Value: "dist"}, {Key: "key", Value: "v"}, {Key: "query", Value: bson.D{{Key: "g", Value: 1}}},
		{Key: "hint", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "comment", Value: "x"}, {Key: "maxTimeMS", Value: 5000},
		{Key: "readConcern", Value: bson.D{{Key: "level", Value: "local"}}}})
	if s := raw.Lookup("values").String(); s != `[{"$numberInt":"3"},"a","b",[{"$numberInt":"1"},{"$numberInt":"2"}]]` {
		t.Fatalf("distinct with query = %s", s)
	}
	// Missing collection: no values.
	raw = run(t, db, bson.D{{Key: "distinct", Value: "none"}, {Key: "key", Value: "v"}})
	if s := raw.Lookup("values").String(); s != `[]` {
		t.Fatalf("distinct on a missing collection = %s", s)
	}
}

func TestDistinctTooBig(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("big")
	// 20 MiB of distinct strings.
	big := strings.Repeat("z", 1<<20)
	for i := range 20 {
		if _, err := c.InsertOne(ctx(t), bson.D{{Key: "s", Value: big + string(rune('a'+i))}}); err != nil {
			t.Fatal(err)
		}
	}
	ce := cmdErr(t, db, bson.D{{Key: "distinct", Value: "big"}, {Key: "key", Value: "s"}})
	if ce.Code != 17217 || ce.Message != "Executor error during distinct command :: caused by :: distinct too big, 16mb cap" {
		t.Fatalf("error = %d %q", ce.Code, ce.Message)
	}
}
