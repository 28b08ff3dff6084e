package commands

import (
	"bytes"
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/storage/pebble"
)

// newBulkService is newAdminService with an in-memory catalog.
func newBulkService(t *testing.T) *Service {
	t.Helper()
	s := newAdminService(t)
	eng, err := pebble.Open(":memory:", pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	cat, err := catalog.Open(eng)
	if err != nil {
		t.Fatal(err)
	}
	s.Catalog = cat
	return s
}

func ins(ns int, doc D) D { return D{{"insert", ns}, {"document", doc}} }

func nsInfo(names ...string) bson.A {
	out := bson.A{}
	for _, n := range names {
		out = append(out, D{{"ns", n}})
	}
	return out
}

func TestBulkWriteValidation(t *testing.T) {
	t.Parallel()
	s := newBulkService(t)
	okOps := bson.A{ins(0, D{{"_id", 1}})}
	tooMany := make(bson.A, MaxWriteBatchSize+1)
	for i := range tooMany {
		tooMany[i] = ins(0, D{})
	}
	cases := []struct {
		name string
		db   string
		cmd  D
		code int32
	}{
		// bulkWrite is adminOnly (bulk_write.cpp).
		{"not admin", "test", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", nsInfo("test.c")}}, 13},
		// jstests/core/write/bulk/bulk_write_non_transaction.js
		{"unknown field", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", nsInfo("test.c")}, {"fooField", 0}}, 40415},
		{"nsInfo index out of range", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{ins(2, D{}), ins(0, D{})}}, {"nsInfo", nsInfo("test.c", "test.d")}}, 2},
		{"missing ops", "admin", D{{"bulkWrite", 1}, {"nsInfo", nsInfo("test.c")}}, 40414},
		{"missing nsInfo", "admin", D{{"bulkWrite", 1}, {"ops", okOps}}, 40414},
		{"insert index not a number", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"insert", "test"}, {"document", D{}}}}}, {"nsInfo", nsInfo("test.c")}}, 14},
		{"document not an object", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"insert", 0}, {"document", "test"}}}}, {"nsInfo", nsInfo("test.c")}}, 14},
		{"nsInfo entry not an object", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", bson.A{"test"}}}, 14},
		{"ops not an array", "admin", D{{"bulkWrite", 1}, {"ops", "test"}, {"nsInfo", nsInfo("test.c")}}, 14},
		{"nsInfo not an array", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", "test"}}, 14},
		// bulk_write_common::validateRequest
		{"no ops", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{}}, {"nsInfo", nsInfo("test.c")}}, 16},
		{"too many ops", "admin", D{{"bulkWrite", 1}, {"ops", tooMany}, {"nsInfo", nsInfo("test.c")}}, 16},
		{"stmtId and stmtIds", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", nsInfo("test.c")}, {"stmtId", int32(0)}, {"stmtIds", bson.A{int32(0)}}}, 72},
		{"stmtIds count", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", nsInfo("test.c")}, {"stmtIds", bson.A{int32(0), int32(1)}}}, 16},
		{"invalid namespace", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", nsInfo("test")}}, 73},
		{"encryption with two namespaces", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", bson.A{
			D{{"ns", "test.c"}, {"encryptionInformation", D{{"schema", D{}}}}}, D{{"ns", "test.d"}}}}}, 2},
		{"encryption", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", bson.A{
			D{{"ns", "test.c"}, {"encryptionInformation", D{{"schema", D{}}}}}}}}, 238},
		// IDL types: ordered and errorsOnly are "bool", not "safeBool".
		{"ordered not bool", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", nsInfo("test.c")}, {"ordered", 1}}, 14},
		{"errorsOnly not bool", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", nsInfo("test.c")}, {"errorsOnly", "x"}}, 14},
		{"let not object", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", nsInfo("test.c")}, {"let", 1}}, 14},
		{"negative batchSize", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", nsInfo("test.c")}, {"cursor", D{{"batchSize", -1}}}}, 51024},
		{"unknown cursor field", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", nsInfo("test.c")}, {"cursor", D{{"foo", 1}}}}, 40415},
		{"unknown nsInfo field", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", bson.A{D{{"ns", "test.c"}, {"foo", 1}}}}}, 40415},
		{"missing ns", "admin", D{{"bulkWrite", 1}, {"ops", okOps}, {"nsInfo", bson.A{D{}}}}, 40414},
		// Op structure (strict IDL structs).
		{"unknown op", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"replace", 0}}}}, {"nsInfo", nsInfo("test.c")}}, 40415},
		{"unknown op field", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"insert", 0}, {"document", D{}}, {"foo", 1}}}}, {"nsInfo", nsInfo("test.c")}}, 40415},
		{"duplicate op field", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"insert", 0}, {"document", D{}}, {"document", D{}}}}}, {"nsInfo", nsInfo("test.c")}}, 40413},
		{"negative nsInfo index", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{ins(-1, D{})}}, {"nsInfo", nsInfo("test.c")}}, 51024},
		{"insert without document", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"insert", 0}}}}, {"nsInfo", nsInfo("test.c")}}, 40414},
		{"update without filter", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"update", 0}, {"updateMods", D{}}}}}, {"nsInfo", nsInfo("test.c")}}, 40414},
		{"update without updateMods", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"update", 0}, {"filter", D{}}}}}, {"nsInfo", nsInfo("test.c")}}, 40414},
		{"update multi not bool", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"update", 0}, {"filter", D{}}, {"updateMods", D{}}, {"multi", 1}}}}, {"nsInfo", nsInfo("test.c")}}, 14},
		{"updateMods a string", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"update", 0}, {"filter", D{}}, {"updateMods", "x"}}}}, {"nsInfo", nsInfo("test.c")}}, 9},
		{"delete with limit", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"delete", 0}, {"filter", D{}}, {"limit", 1}}}}, {"nsInfo", nsInfo("test.c")}}, 40415},
		{"delete without filter", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"delete", 0}}}}, {"nsInfo", nsInfo("test.c")}}, 40414},
		{"delete filter not object", "admin", D{{"bulkWrite", 1}, {"ops", bson.A{D{{"delete", 0}, {"filter", 1}}}}, {"nsInfo", nsInfo("test.c")}}, 14},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, s, nil, tc.db, tc.cmd)
			if got := replyCode(r); got != tc.code {
				t.Fatalf("code %d, want %d: %s", got, tc.code, r)
			}
		})
	}
	// A command that fails validation writes nothing, even for the
	// operations before the bad one.
	s.Catalog.RLock()
	defer s.Catalog.RUnlock()
	if c := s.Catalog.Lookup("test", "c"); c != nil {
		t.Fatalf("a failed bulkWrite created test.c")
	}
}

// bulkEntries returns a reply's cursor.firstBatch.
func bulkEntries(t *testing.T, r bson.Raw) []bson.Raw {
	t.Helper()
	if code := replyCode(r); code != 0 {
		t.Fatalf("bulkWrite failed: %s", r)
	}
	vals, err := r.Lookup("cursor", "firstBatch").Array().Values()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]bson.Raw, len(vals))
	for i, v := range vals {
		out[i] = v.Document()
	}
	return out
}

func wantDoc(t *testing.T, got bson.Raw, want D) {
	t.Helper()
	if w := mustDoc(t, want); !bytes.Equal(got, w) {
		t.Errorf("got  %s\nwant %s", got, w)
	}
}

func wantCounts(t *testing.T, r bson.Raw, counts ...int32) {
	t.Helper()
	for i, f := range []string{"nErrors", "nInserted", "nMatched", "nModified", "nUpserted", "nDeleted"} {
		if got, ok := r.Lookup(f).Int32OK(); !ok || got != counts[i] {
			t.Errorf("%s = %v, want %d (%s)", f, r.Lookup(f), counts[i], r)
		}
	}
}

// TestBulkWriteReplyShape checks the result entries byte for byte
// against mongod's BulkWriteReplyItem (bulk_write_parser.cpp serialize:
// ok, idx, code, errmsg, error details, n, nModified, upserted).
func TestBulkWriteReplyShape(t *testing.T) {
	t.Parallel()
	s := newBulkService(t)
	r := runCmd(t, s, nil, "admin", D{{"bulkWrite", 1},
		{"ops", bson.A{
			ins(0, D{{"_id", 1}, {"x", 1}}),
			ins(1, D{{"_id", 1}}),
			ins(0, D{{"_id", 1}}), // duplicate key
			D{{"update", 0}, {"filter", D{{"_id", 1}}}, {"updateMods", D{{"$inc", D{{"x", 1}}}}}},
			D{{"update", 0}, {"filter", D{{"_id", 2}}}, {"updateMods", D{{"x", 2}}}, {"upsert", true}},
			D{{"update", 0}, {"filter", D{{"_id", 1}}}, {"updateMods", D{{"$bogus", D{{"x", 1}}}}}},
			D{{"delete", 1}, {"filter", D{}}, {"multi", true}},
			D{{"delete", 0}, {"filter", D{{"_id", 9}}}},
		}},
		{"nsInfo", nsInfo("test.c", "other.d")},
		{"ordered", false},
	})
	got := bulkEntries(t, r)
	if len(got) != 8 {
		t.Fatalf("%d entries: %s", len(got), r)
	}
	wantDoc(t, got[0], D{{"ok", 1.0}, {"idx", int32(0)}, {"n", int32(1)}})
	wantDoc(t, got[1], D{{"ok", 1.0}, {"idx", int32(1)}, {"n", int32(1)}})
	if code, _ := got[2].Lookup("code").Int32OK(); code != 11000 || got[2].Lookup("keyValue").Type == 0 {
		t.Errorf("duplicate key entry: %s", got[2])
	}
	if ok, _ := got[2].Lookup("ok").DoubleOK(); ok != 0 || got[2].Lookup("n").Int32() != 0 {
		t.Errorf("duplicate key entry: %s", got[2])
	}
	wantDoc(t, got[3], D{{"ok", 1.0}, {"idx", int32(3)}, {"n", int32(1)}, {"nModified", int32(1)}})
	wantDoc(t, got[4], D{{"ok", 1.0}, {"idx", int32(4)}, {"n", int32(1)}, {"nModified", int32(0)},
		{"upserted", D{{"index", int32(0)}, {"_id", int32(2)}}}})
	// An update's own errors are per operation, with nModified: 0.
	if code, _ := got[5].Lookup("code").Int32OK(); code == 0 || got[5].Lookup("nModified").Int32() != 0 {
		t.Errorf("bad modifier entry: %s", got[5])
	}
	wantDoc(t, got[6], D{{"ok", 1.0}, {"idx", int32(6)}, {"n", int32(1)}})
	wantDoc(t, got[7], D{{"ok", 1.0}, {"idx", int32(7)}, {"n", int32(0)}})
	wantCounts(t, r, 2, 2, 1, 1, 1, 1)
	cur := r.Lookup("cursor").Document()
	if id := cur.Lookup("id").Int64(); id != 0 {
		t.Errorf("cursor id %d, want 0", id)
	}
	if ns := cur.Lookup("ns").StringValue(); ns != "admin.$cmd.bulkWrite" {
		t.Errorf("cursor ns %q", ns)
	}
}

func TestBulkWriteOrderedStops(t *testing.T) {
	t.Parallel()
	s := newBulkService(t)
	r := runCmd(t, s, nil, "admin", D{{"bulkWrite", 1},
		{"ops", bson.A{ins(0, D{{"_id", 1}}), ins(0, D{{"_id", 1}}), ins(1, D{{"_id", 1}})}},
		{"nsInfo", nsInfo("test.c", "test.d")},
	})
	got := bulkEntries(t, r)
	if len(got) != 2 || got[1].Lookup("code").Int32() != 11000 {
		t.Fatalf("entries: %s", r)
	}
	wantCounts(t, r, 1, 1, 0, 0, 0, 0)
	s.Catalog.RLock()
	defer s.Catalog.RUnlock()
	if s.Catalog.Lookup("test", "d") != nil {
		t.Errorf("the operation after the error ran")
	}
}

func TestBulkWriteErrorsOnlyAndGetMore(t *testing.T) {
	t.Parallel()
	s := newBulkService(t)
	ops := bson.A{ins(0, D{{"_id", 1}}), ins(0, D{{"_id", 1}}), ins(0, D{{"_id", 2}}), ins(0, D{{"_id", 2}})}
	r := runCmd(t, s, nil, "admin", D{{"bulkWrite", 1}, {"ops", ops}, {"nsInfo", nsInfo("test.c")},
		{"ordered", false}, {"errorsOnly", true}, {"cursor", D{{"batchSize", 1}}}})
	got := bulkEntries(t, r)
	if len(got) != 1 || got[0].Lookup("idx").Int32() != 1 {
		t.Fatalf("first batch: %s", r)
	}
	wantCounts(t, r, 2, 2, 0, 0, 0, 0)
	id := r.Lookup("cursor", "id").Int64()
	if id == 0 {
		t.Fatalf("no cursor left open: %s", r)
	}
	more := runCmd(t, s, nil, "admin", D{{"getMore", id}, {"collection", "$cmd.bulkWrite"}})
	if replyCode(more) != 0 {
		t.Fatalf("getMore: %s", more)
	}
	next, _ := more.Lookup("cursor", "nextBatch").Array().Values()
	if len(next) != 1 || next[0].Document().Lookup("idx").Int32() != 3 {
		t.Fatalf("getMore: %s", more)
	}
	if more.Lookup("cursor", "id").Int64() != 0 {
		t.Errorf("cursor not exhausted: %s", more)
	}
}

func TestBulkWriteUnacknowledged(t *testing.T) {
	t.Parallel()
	s := newBulkService(t)
	req := &Request{DB: "admin", Name: "bulkWrite", Unacknowledged: true, Body: mustDoc(t, D{{"bulkWrite", 1},
		{"ops", bson.A{ins(0, D{{"_id", 1}}), ins(0, D{{"_id", 2}})}}, {"nsInfo", nsInfo("test.c")},
		{"cursor", D{{"batchSize", 0}}}, {"writeConcern", D{{"w", 0}}}})}
	if _, err := s.Run(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	s.Catalog.RLock()
	c := s.Catalog.Lookup("test", "c")
	s.Catalog.RUnlock()
	if c == nil {
		t.Fatal("unacknowledged bulkWrite wrote nothing")
	}
	if open, _ := s.Cursors.Stats(); open != 0 {
		t.Errorf("%d cursors left open by an unacknowledged bulkWrite", open)
	}
}

// TestBulkWriteDocumentSequences sends ops and nsInfo as OP_MSG kind-1
// sections, as drivers do.
func TestBulkWriteDocumentSequences(t *testing.T) {
	t.Parallel()
	s := newBulkService(t)
	req := &Request{DB: "admin", Name: "bulkWrite", Body: mustDoc(t, D{{"bulkWrite", 1}, {"errorsOnly", false}}),
		Sequences: map[string][]bson.Raw{
			"ops":    {mustDoc(t, ins(0, D{{"_id", 1}})), mustDoc(t, D{{"delete", 0}, {"filter", D{{"_id", 1}}}})},
			"nsInfo": {mustDoc(t, D{{"ns", "test.c"}})},
		}}
	r, err := s.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(bulkEntries(t, r)) != 2 {
		t.Fatalf("reply: %s", r)
	}
	wantCounts(t, r, 0, 1, 0, 0, 0, 1)
}
