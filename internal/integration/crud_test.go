package integration

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func TestInsertAndDuplicateKey(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("people")
	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 1}, {Key: "name", Value: "ada"}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 1.0}})
	var we mongo.WriteException
	if !errors.As(err, &we) || len(we.WriteErrors) != 1 {
		t.Fatalf("want one write error, got %v", err)
	}
	e := we.WriteErrors[0]
	if e.Code != 11000 || e.Message != "E11000 duplicate key error collection: test.people index: _id_ dup key: { _id: 1.0 }" &&
		e.Message != "E11000 duplicate key error collection: test.people index: _id_ dup key: { _id: 1 }" {
		t.Fatalf("dup key error = %d %q", e.Code, e.Message)
	}
	raw := e.Raw
	if kp, err := raw.LookupErr("keyPattern"); err != nil || kp.String() != `{"_id": {"$numberInt":"1"}}` {
		t.Errorf("keyPattern = %v", kp)
	}
	if _, err := raw.LookupErr("keyValue", "_id"); err != nil {
		t.Errorf("keyValue missing: %v", raw)
	}

	// Ordered inserts stop at the first error; unordered go on.
	docs := []any{bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "_id", Value: 3}}}
	var bwe mongo.BulkWriteException
	_, err = c.InsertMany(ctx(t), docs)
	if !errors.As(err, &bwe) || len(bwe.WriteErrors) != 1 || bwe.WriteErrors[0].Index != 1 {
		t.Fatalf("ordered insertMany: %v", err)
	}
	if n := count(t, c, bson.D{{Key: "_id", Value: 3}}); n != 0 {
		t.Fatalf("ordered insert went past the error")
	}
	docs = []any{bson.D{{Key: "_id", Value: 4}}, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "_id", Value: 3}}}
	_, err = c.InsertMany(ctx(t), docs, options.InsertMany().SetOrdered(false))
	if !errors.As(err, &bwe) || len(bwe.WriteErrors) != 1 || bwe.WriteErrors[0].Index != 1 {
		t.Fatalf("unordered insertMany: %v", err)
	}
	if n, _ := c.EstimatedDocumentCount(ctx(t)); n != 4 {
		t.Fatalf("count = %d, want 4", n)
	}
}

func TestInsertGeneratesIDFirst(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("c")
	raw := run(t, db, bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "a", Value: 1}, {Key: "_id", Value: "x"}}, bson.D{{Key: "b", Value: 2}}}}})
	if n := raw.Lookup("n").Int32(); n != 2 {
		t.Fatalf("n = %d", n)
	}
	var got []bson.Raw
	cur, err := c.Find(ctx(t), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx(t), &got); err != nil {
		t.Fatal(err)
	}
	for _, d := range got {
		first, _ := d.IndexErr(0)
		if first.Key() != "_id" {
			t.Errorf("stored document %v does not start with _id", d)
		}
	}
	if got[1].Lookup("_id").Type != bson.TypeObjectID {
		t.Errorf("generated _id = %v", got[1].Lookup("_id"))
	}
	_, err = c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: bson.A{1}}})
	wantCode(t, err, 2)
}

func TestFindFilterProjectionSortSkipLimit(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("c")
	var in []any
	for i := 0; i < 20; i++ {
		in = append(in, bson.D{{Key: "_id", Value: i}, {Key: "n", Value: i % 5}, {Key: "sub", Value: bson.D{{Key: "v", Value: i}}}, {Key: "s", Value: fmt.Sprint("x", i)}})
	}
	if _, err := c.InsertMany(ctx(t), in); err != nil {
		t.Fatal(err)
	}
	got := docsOf(t)(c.Find(ctx(t), bson.D{{Key: "n", Value: bson.D{{Key: "$gte", Value: 3}}}, {Key: "sub.v", Value: bson.D{{Key: "$lt", Value: 10}}}},
		options.Find().SetSort(bson.D{{Key: "n", Value: -1}, {Key: "_id", Value: 1}}).SetProjection(bson.D{{Key: "n", Value: 1}}).SetSkip(1).SetLimit(2)))
	want := []bson.M{{"_id": int32(9), "n": int32(4)}, {"_id": int32(3), "n": int32(3)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	got = docsOf(t)(c.Find(ctx(t), bson.D{{Key: "_id", Value: 7}}, options.Find().SetProjection(bson.D{{Key: "sub", Value: 0}, {Key: "s", Value: 0}})))
	if !reflect.DeepEqual(got, []bson.M{{"_id": int32(7), "n": int32(2)}}) {
		t.Fatalf("by _id: %v", got)
	}
	ce := cmdErr(t, db, bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "a", Value: bson.D{{Key: "$foo", Value: 1}}}}}})
	if ce.Code != 2 || ce.Message != "unknown operator: $foo" {
		t.Fatalf("unknown operator: %v", ce)
	}
	ce = cmdErr(t, db, bson.D{{Key: "find", Value: "c"}, {Key: "bogus", Value: 1}})
	if ce.Code != 40415 {
		t.Fatalf("unknown field: %v", ce)
	}
}

func TestCursorBatchesGetMoreKillCursors(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("c")
	var in []any
	for i := 0; i < 250; i++ {
		in = append(in, bson.D{{Key: "_id", Value: i}})
	}
	if _, err := c.InsertMany(ctx(t), in); err != nil {
		t.Fatal(err)
	}
	raw := run(t, db, bson.D{{Key: "find", Value: "c"}, {Key: "batchSize", Value: 100}})
	id := raw.Lookup("cursor", "id").Int64()
	first, _ := raw.Lookup("cursor", "firstBatch").Array().Values()
	if id == 0 || len(first) != 100 || raw.Lookup("cursor", "ns").StringValue() != "test.c" {
		t.Fatalf("first batch: id=%d len=%d", id, len(first))
	}
	raw = run(t, db, bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}, {Key: "batchSize", Value: 120}})
	next, _ := raw.Lookup("cursor", "nextBatch").Array().Values()
	if len(next) != 120 || raw.Lookup("cursor", "id").Int64() != id || next[0].Document().Lookup("_id").Int32() != 100 {
		t.Fatalf("second batch: %d docs, id %v", len(next), raw.Lookup("cursor", "id"))
	}
	raw = run(t, db, bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}})
	next, _ = raw.Lookup("cursor", "nextBatch").Array().Values()
	if len(next) != 30 || raw.Lookup("cursor", "id").Int64() != 0 {
		t.Fatalf("last batch: %d docs, id %v", len(next), raw.Lookup("cursor", "id"))
	}
	ce := cmdErr(t, db, bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}})
	if ce.Code != 43 {
		t.Fatalf("getMore on exhausted cursor: %v", ce)
	}

	raw = run(t, db, bson.D{{Key: "find", Value: "c"}, {Key: "batchSize", Value: 2}})
	id = raw.Lookup("cursor", "id").Int64()
	raw = run(t, db, bson.D{{Key: "killCursors", Value: "c"}, {Key: "cursors", Value: bson.A{id, int64(12345)}}})
	killed, _ := raw.Lookup("cursorsKilled").Array().Values()
	notFound, _ := raw.Lookup("cursorsNotFound").Array().Values()
	if len(killed) != 1 || killed[0].Int64() != id || len(notFound) != 1 {
		t.Fatalf("killCursors: %v", raw)
	}

	// The driver's cursor walks every batch.
	all := docsOf(t)(c.Find(ctx(t), bson.D{}, options.Find().SetBatchSize(7)))
	if len(all) != 250 {
		t.Fatalf("driver cursor saw %d docs", len(all))
	}
}

func TestCursorSnapshot(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("c")
	for i := 0; i < 10; i++ {
		c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: i}})
	}
	raw := run(t, db, bson.D{{Key: "find", Value: "c"}, {Key: "batchSize", Value: 2}})
	id := raw.Lookup("cursor", "id").Int64()
	c.DeleteMany(ctx(t), bson.D{})
	c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 100}})
	raw = run(t, db, bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}})
	next, _ := raw.Lookup("cursor", "nextBatch").Array().Values()
	if len(next) != 8 {
		t.Fatalf("cursor saw %d documents after a concurrent delete, want the 8 of its snapshot", len(next))
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("c")
	c.InsertMany(ctx(t), []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 1}, {Key: "b", Value: "x"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: 2}},
		bson.D{{Key: "_id", Value: 3}, {Key: "a", Value: 2}},
	})
	res, err := c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "c.d", Value: true}}}, {Key: "$inc", Value: bson.D{{Key: "a", Value: 5}}}, {Key: "$unset", Value: bson.D{{Key: "b", Value: ""}}}})
	if err != nil || res.MatchedCount != 1 || res.ModifiedCount != 1 {
		t.Fatalf("updateOne: %+v %v", res, err)
	}
	var got bson.Raw
	c.FindOne(ctx(t), bson.D{{Key: "_id", Value: 1}}).Decode(&got)
	if got.String() != `{"_id": {"$numberInt":"1"},"a": {"$numberInt":"6"},"c": {"d": true}}` {
		t.Fatalf("after update: %s", got)
	}
	res, err = c.UpdateMany(ctx(t), bson.D{{Key: "a", Value: 2}}, bson.D{{Key: "$set", Value: bson.D{{Key: "m", Value: 1}}}})
	if err != nil || res.MatchedCount != 2 || res.ModifiedCount != 2 {
		t.Fatalf("updateMany: %+v %v", res, err)
	}
	// A no-op update matches but modifies nothing.
	res, _ = c.UpdateMany(ctx(t), bson.D{{Key: "a", Value: 2}}, bson.D{{Key: "$set", Value: bson.D{{Key: "m", Value: 1}}}})
	if res.MatchedCount != 2 || res.ModifiedCount != 0 {
		t.Fatalf("no-op updateMany: %+v", res)
	}
	res, err = c.ReplaceOne(ctx(t), bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "z", Value: 1}})
	if err != nil || res.ModifiedCount != 1 {
		t.Fatalf("replaceOne: %+v %v", res, err)
	}
	c.FindOne(ctx(t), bson.D{{Key: "_id", Value: 2}}).Decode(&got)
	if got.String() != `{"_id": {"$numberInt":"2"},"z": {"$numberInt":"1"}}` {
		t.Fatalf("after replace: %s", got)
	}
	res, err = c.UpdateOne(ctx(t), bson.D{{Key: "k", Value: "new"}, {Key: "n", Value: bson.D{{Key: "$gt", Value: 1}}}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 1}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil || res.UpsertedCount != 1 || res.UpsertedID == nil {
		t.Fatalf("upsert: %+v %v", res, err)
	}
	c.FindOne(ctx(t), bson.D{{Key: "k", Value: "new"}}).Decode(&got)
	if v, _ := got.LookupErr("v"); v.Int32() != 1 || got.Lookup("n").Type != 0 {
		t.Fatalf("upserted doc: %s", got)
	}
	_, err = c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 3}}, bson.D{{Key: "$set", Value: bson.D{{Key: "_id", Value: 9}}}})
	wantCode(t, err, 66)
	_, err = c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 3}}, bson.D{{Key: "$bogus", Value: bson.D{{Key: "a", Value: 1}}}})
	wantCode(t, err, 9)
}

func TestDeleteCountDistinct(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("c")
	c.InsertMany(ctx(t), []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "t", Value: "a"}, {Key: "tags", Value: bson.A{"x", "y"}}},
		bson.D{{Key: "_id", Value: 2}, {Key: "t", Value: "b"}, {Key: "tags", Value: bson.A{"y", 1}}},
		bson.D{{Key: "_id", Value: 3}, {Key: "t", Value: "a"}, {Key: "tags", Value: 1.0}},
		bson.D{{Key: "_id", Value: 4}, {Key: "t", Value: "c"}},
	})
	raw := run(t, db, bson.D{{Key: "count", Value: "c"}, {Key: "query", Value: bson.D{{Key: "t", Value: "a"}}}})
	if raw.Lookup("n").Int32() != 2 {
		t.Fatalf("count: %v", raw)
	}
	raw = run(t, db, bson.D{{Key: "count", Value: "c"}, {Key: "skip", Value: 1}, {Key: "limit", Value: 2}})
	if raw.Lookup("n").Int32() != 2 {
		t.Fatalf("count skip/limit: %v", raw)
	}
	vals, err := c.Distinct(ctx(t), "tags", bson.D{}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if got := vals.String(); got != `[{"$numberInt":"1"},"x","y"]` {
		t.Fatalf("distinct tags = %s", got)
	}
	res, err := c.DeleteOne(ctx(t), bson.D{{Key: "t", Value: "a"}})
	if err != nil || res.DeletedCount != 1 {
		t.Fatalf("deleteOne: %v %v", res, err)
	}
	res, err = c.DeleteMany(ctx(t), bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{2, 3, 4}}}}})
	if err != nil || res.DeletedCount != 3 {
		t.Fatalf("deleteMany: %v %v", res, err)
	}
	if n := count(t, c, bson.D{}); n != 0 {
		t.Fatalf("left %d", n)
	}
}

func TestFindAndModify(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("c")
	c.InsertMany(ctx(t), []any{bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 1}}, bson.D{{Key: "_id", Value: 2}, {Key: "n", Value: 5}}})
	var got bson.M
	err := c.FindOneAndUpdate(ctx(t), bson.D{}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}},
		options.FindOneAndUpdate().SetSort(bson.D{{Key: "n", Value: -1}}).SetReturnDocument(options.After)).Decode(&got)
	if err != nil || got["n"] != int32(6) {
		t.Fatalf("findOneAndUpdate: %v %v", got, err)
	}
	err = c.FindOneAndDelete(ctx(t), bson.D{{Key: "_id", Value: 1}}).Decode(&got)
	if err != nil || got["n"] != int32(1) {
		t.Fatalf("findOneAndDelete: %v %v", got, err)
	}
	err = c.FindOneAndReplace(ctx(t), bson.D{{Key: "_id", Value: 9}}, bson.D{{Key: "r", Value: 1}},
		options.FindOneAndReplace().SetUpsert(true).SetReturnDocument(options.After)).Decode(&got)
	if err != nil || got["_id"] != int32(9) || got["r"] != int32(1) {
		t.Fatalf("findOneAndReplace upsert: %v %v", got, err)
	}
	if err := c.FindOneAndDelete(ctx(t), bson.D{{Key: "_id", Value: 99}}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
		t.Fatalf("no match: %v", err)
	}
}

func TestCollectionCommands(t *testing.T) {
	t.Parallel()
	client, db := connect(t)
	run(t, db, bson.D{{Key: "create", Value: "a"}})
	ce := cmdErr(t, db, bson.D{{Key: "create", Value: "a"}, {Key: "capped", Value: true}, {Key: "size", Value: 1000}})
	if ce.Code != 48 && ce.Code != 238 {
		t.Fatalf("create existing with other options: %v", ce)
	}
	db.Collection("b").InsertOne(ctx(t), bson.D{{Key: "x", Value: 1}})
	names, err := db.ListCollectionNames(ctx(t), bson.D{})
	if err != nil || strings.Join(names, ",") != "a,b" {
		t.Fatalf("collections = %v %v", names, err)
	}
	names, _ = db.ListCollectionNames(ctx(t), bson.D{{Key: "name", Value: "b"}})
	if len(names) != 1 {
		t.Fatalf("filtered = %v", names)
	}
	specs, err := db.Collection("b").Indexes().ListSpecifications(ctx(t))
	if err != nil || len(specs) != 1 || specs[0].Name != "_id_" {
		t.Fatalf("indexes = %v %v", specs, err)
	}
	ce = cmdErr(t, db, bson.D{{Key: "listIndexes", Value: "nope"}})
	if ce.Code != 26 {
		t.Fatalf("listIndexes missing: %v", ce)
	}
	run(t, client.Database("admin"), bson.D{{Key: "renameCollection", Value: "test.b"}, {Key: "to", Value: "test.c"}})
	if n := count(t, db.Collection("c"), bson.D{}); n != 1 {
		t.Fatalf("renamed collection has %d docs", n)
	}
	res, err := client.ListDatabases(ctx(t), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range res.Databases {
		found = found || d.Name == "test"
	}
	if !found {
		t.Fatalf("listDatabases: %+v", res)
	}
	stats := run(t, db, bson.D{{Key: "dbStats", Value: 1}})
	if stats.Lookup("collections").Int64() != 2 || stats.Lookup("objects").Int64() != 1 {
		t.Fatalf("dbStats: %v", stats)
	}
	cs := run(t, db, bson.D{{Key: "collStats", Value: "c"}})
	if cs.Lookup("count").Int64() != 1 {
		t.Fatalf("collStats: %v", cs)
	}
	v := run(t, db, bson.D{{Key: "validate", Value: "c"}})
	if !v.Lookup("valid").Boolean() || v.Lookup("nrecords").Int64() != 1 {
		t.Fatalf("validate: %v", v)
	}
	if err := db.Collection("c").Drop(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := db.Collection("never").Drop(ctx(t)); err != nil {
		t.Fatalf("drop missing: %v", err)
	}
	if err := db.Drop(ctx(t)); err != nil {
		t.Fatal(err)
	}
	names, _ = db.ListCollectionNames(ctx(t), bson.D{})
	if len(names) != 0 {
		t.Fatalf("after dropDatabase: %v", names)
	}
	ce = cmdErr(t, client.Database("bad.db"), bson.D{{Key: "create", Value: "x"}})
	if ce.Code != 73 {
		t.Fatalf("invalid db name: %v", ce)
	}
	ce = cmdErr(t, db, bson.D{{Key: "create", Value: "a$b"}})
	if ce.Code != 73 {
		t.Fatalf("invalid collection name: %v", ce)
	}
	ce = cmdErr(t, db, bson.D{{Key: "noSuchCommand", Value: 1}})
	if ce.Code != 59 || ce.Name != "CommandNotFound" || ce.Message != "no such command: 'noSuchCommand'" {
		t.Fatalf("unknown command: %v", ce)
	}
}

func TestClusteredCollectionAndCollMod(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	run(t, db, bson.D{{Key: "create", Value: "cl"}, {Key: "clusteredIndex", Value: bson.D{{Key: "key", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "unique", Value: true}, {Key: "name", Value: "by id"}}}})
	c := db.Collection("cl")
	for _, id := range []int{5, 1, 3} {
		if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: id}}); err != nil {
			t.Fatal(err)
		}
	}
	got := docsOf(t)(c.Find(ctx(t), bson.D{}))
	if !reflect.DeepEqual(got, []bson.M{{"_id": int32(1)}, {"_id": int32(3)}, {"_id": int32(5)}}) {
		t.Fatalf("clustered natural order: %v", got)
	}
	specs, err := c.Indexes().ListSpecifications(ctx(t))
	if err != nil || len(specs) != 1 || specs[0].Name != "by id" || specs[0].Clustered == nil || !*specs[0].Clustered {
		t.Fatalf("listIndexes: %+v %v", specs, err)
	}
	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 3}}); err == nil {
		t.Fatal("duplicate _id accepted in a clustered collection")
	}
	run(t, db, bson.D{{Key: "collMod", Value: "cl"}, {Key: "changeStreamPreAndPostImages", Value: bson.D{{Key: "enabled", Value: true}}}})
	specsC, _ := db.ListCollectionSpecifications(ctx(t), bson.D{{Key: "name", Value: "cl"}})
	if len(specsC) != 1 || specsC[0].Options.Lookup("changeStreamPreAndPostImages", "enabled").Boolean() != true {
		t.Fatalf("options after collMod: %+v", specsC)
	}
	ce := cmdErr(t, db, bson.D{{Key: "collMod", Value: "nope"}, {Key: "changeStreamPreAndPostImages", Value: bson.D{{Key: "enabled", Value: true}}}})
	if ce.Code != 26 {
		t.Fatalf("collMod on a missing collection: %v", ce)
	}
}
