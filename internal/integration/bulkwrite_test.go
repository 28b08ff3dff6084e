package integration

import (
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// The tests here drive MongoDB 8.0's bulkWrite command through the Go
// driver's Client.BulkWrite, after the drivers' CRUD spec tests
// (source/crud/tests/unified/client-bulkWrite-*.json).

func bw(db, coll string, m mongo.ClientWriteModel) mongo.ClientBulkWrite {
	return mongo.ClientBulkWrite{Database: db, Collection: coll, Model: m}
}

// bulkException unwraps the driver's ClientBulkWriteException.
func bulkException(t *testing.T, err error) mongo.ClientBulkWriteException {
	t.Helper()
	var ex mongo.ClientBulkWriteException
	if !errors.As(err, &ex) {
		t.Fatalf("want a ClientBulkWriteException, got %T %v", err, err)
	}
	return ex
}

func seed(t *testing.T, c *mongo.Collection, docs ...any) {
	t.Helper()
	if _, err := c.InsertMany(ctx(t), docs); err != nil {
		t.Fatal(err)
	}
}

// client-bulkWrite-results.json: "with verboseResults: true returns
// detailed results", across two databases (client-bulkWrite-mixed-namespaces.json).
func TestBulkWriteMixedNamespacesVerbose(t *testing.T) {
	t.Parallel()
	client, _ := connect(t)
	c0 := client.Database("db0").Collection("coll0")
	c1 := client.Database("db1").Collection("coll1")
	seed(t, c0, bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: 11}}, bson.D{{Key: "_id", Value: 2}, {Key: "x", Value: 22}}, bson.D{{Key: "_id", Value: 3}, {Key: "x", Value: 33}})
	seed(t, c1, bson.D{{Key: "_id", Value: 5}, {Key: "x", Value: 55}}, bson.D{{Key: "_id", Value: 6}, {Key: "x", Value: 66}}, bson.D{{Key: "_id", Value: 7}, {Key: "x", Value: 77}})

	res, err := client.BulkWrite(ctx(t), []mongo.ClientBulkWrite{
		bw("db0", "coll0", mongo.NewClientInsertOneModel().SetDocument(bson.D{{Key: "_id", Value: 8}, {Key: "x", Value: 88}})),
		bw("db0", "coll0", mongo.NewClientUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: 1}}).SetUpdate(bson.D{{Key: "$inc", Value: bson.D{{Key: "x", Value: 1}}}})),
		bw("db0", "coll0", mongo.NewClientUpdateManyModel().SetFilter(bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: 1}}}}).SetUpdate(bson.D{{Key: "$inc", Value: bson.D{{Key: "x", Value: 2}}}})),
		bw("db1", "coll1", mongo.NewClientReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: 4}}).SetReplacement(bson.D{{Key: "x", Value: 44}}).SetUpsert(true)),
		bw("db1", "coll1", mongo.NewClientDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: 5}})),
		bw("db1", "coll1", mongo.NewClientDeleteManyModel().SetFilter(bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: 5}}}})),
	}, options.ClientBulkWrite().SetVerboseResults(true))
	if err != nil {
		t.Fatal(err)
	}
	if res.InsertedCount != 1 || res.MatchedCount != 4 || res.ModifiedCount != 4 || res.UpsertedCount != 1 || res.DeletedCount != 3 {
		t.Fatalf("counts: %+v", res)
	}
	if !res.HasVerboseResults || res.InsertResults[0].InsertedID != int32(8) {
		t.Errorf("insert results: %+v", res.InsertResults)
	}
	if u := res.UpdateResults[1]; u.MatchedCount != 1 || u.ModifiedCount != 1 || u.UpsertedID != nil {
		t.Errorf("updateOne result: %+v", u)
	}
	if u := res.UpdateResults[2]; u.MatchedCount != 3 || u.ModifiedCount != 3 {
		t.Errorf("updateMany result: %+v", u)
	}
	// An upsert reports n: 1 (matchedCount in the driver's result) and its _id.
	if u := res.UpdateResults[3]; u.MatchedCount != 1 || u.ModifiedCount != 0 || u.UpsertedID != int32(4) {
		t.Errorf("upsert result: %+v", u)
	}
	if d := res.DeleteResults[4]; d.DeletedCount != 1 {
		t.Errorf("deleteOne result: %+v", d)
	}
	if d := res.DeleteResults[5]; d.DeletedCount != 2 {
		t.Errorf("deleteMany result: %+v", d)
	}
	if got := docsOf(t)(c0.Find(ctx(t), bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))); len(got) != 4 ||
		got[0]["x"] != int32(12) || got[1]["x"] != int32(24) || got[3]["x"] != int32(90) {
		t.Errorf("db0.coll0: %v", got)
	}
	if got := docsOf(t)(c1.Find(ctx(t), bson.D{})); len(got) != 1 || got[0]["_id"] != int32(4) || got[0]["x"] != int32(44) {
		t.Errorf("db1.coll1: %v", got)
	}
}

// client-bulkWrite-results.json: "verboseResults: false omits detailed
// results" — the driver sends errorsOnly: true.
func TestBulkWriteSummaryOnly(t *testing.T) {
	t.Parallel()
	client, db := connect(t)
	c := db.Collection("summary")
	res, err := client.BulkWrite(ctx(t), []mongo.ClientBulkWrite{
		bw("test", "summary", mongo.NewClientInsertOneModel().SetDocument(bson.D{{Key: "_id", Value: 1}})),
		bw("test", "summary", mongo.NewClientUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: 1}}).SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "a", Value: 1}}}})),
		bw("test", "summary", mongo.NewClientUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: 2}}).SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "a", Value: 2}}}}).SetUpsert(true)),
		bw("test", "summary", mongo.NewClientDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: 1}})),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.HasVerboseResults || len(res.InsertResults)+len(res.UpdateResults)+len(res.DeleteResults) != 0 {
		t.Errorf("detailed results without verboseResults: %+v", res)
	}
	if res.InsertedCount != 1 || res.MatchedCount != 1 || res.ModifiedCount != 1 || res.UpsertedCount != 1 || res.DeletedCount != 1 {
		t.Errorf("counts: %+v", res)
	}
	if n := count(t, c, bson.D{{Key: "a", Value: 2}}); n != 1 {
		t.Errorf("upserted document missing (%d)", n)
	}
}

// client-bulkWrite-ordered.json and client-bulkWrite-partialResults.json:
// a duplicate key in the middle stops an ordered bulk write, and an
// unordered one goes on.
func TestBulkWriteDuplicateKeyOrderedAndUnordered(t *testing.T) {
	t.Parallel()
	client, db := connect(t)
	for _, ordered := range []bool{true, false} {
		name := map[bool]string{true: "ordered", false: "unordered"}[ordered]
		coll := db.Collection(name)
		for _, verbose := range []bool{true, false} {
			if _, err := coll.DeleteMany(ctx(t), bson.D{}); err != nil {
				t.Fatal(err)
			}
			_, err := client.BulkWrite(ctx(t), []mongo.ClientBulkWrite{
				bw("test", name, mongo.NewClientInsertOneModel().SetDocument(bson.D{{Key: "_id", Value: 1}})),
				bw("test", name, mongo.NewClientInsertOneModel().SetDocument(bson.D{{Key: "_id", Value: 1}})),
				bw("test", name, mongo.NewClientInsertOneModel().SetDocument(bson.D{{Key: "_id", Value: 2}})),
			}, options.ClientBulkWrite().SetOrdered(ordered).SetVerboseResults(verbose))
			ex := bulkException(t, err)
			if len(ex.WriteErrors) != 1 || ex.WriteErrors[1].Code != 11000 {
				t.Fatalf("%s verbose=%v: write errors %+v", name, verbose, ex.WriteErrors)
			}
			if ex.WriteError != nil {
				t.Errorf("%s: top-level error %v", name, ex.WriteError)
			}
			want := int64(1)
			if !ordered {
				want = 2
			}
			if ex.PartialResult == nil || ex.PartialResult.InsertedCount != want {
				t.Errorf("%s verbose=%v: partial result %+v", name, verbose, ex.PartialResult)
			}
			if n := count(t, coll, bson.D{}); n != want {
				t.Errorf("%s: %d documents stored, want %d", name, n, want)
			}
		}
	}
}

// client-bulkWrite-errors.json: "an individual operation fails during an
// ordered bulkWrite" — an error evaluating a filter is the operation's.
func TestBulkWriteOperationError(t *testing.T) {
	t.Parallel()
	client, db := connect(t)
	seed(t, db.Collection("operr"), bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "_id", Value: 3}})
	_, err := client.BulkWrite(ctx(t), []mongo.ClientBulkWrite{
		bw("test", "operr", mongo.NewClientDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: 1}})),
		bw("test", "operr", mongo.NewClientDeleteOneModel().SetFilter(bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$_id", "$$id2"}}}}})),
		bw("test", "operr", mongo.NewClientDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: 3}})),
	}, options.ClientBulkWrite().SetVerboseResults(true))
	ex := bulkException(t, err)
	if we, ok := ex.WriteErrors[1]; !ok || we.Code != 17276 {
		t.Fatalf("write errors: %+v", ex.WriteErrors)
	}
	if ex.PartialResult == nil || ex.PartialResult.DeletedCount != 1 || ex.PartialResult.DeleteResults[0].DeletedCount != 1 {
		t.Errorf("partial result: %+v", ex.PartialResult)
	}
	if n := count(t, db.Collection("operr"), bson.D{}); n != 2 {
		t.Errorf("%d documents left, want 2", n)
	}
}

// client-bulkWrite-options.json (let, comment) and
// client-bulkWrite-update-options.json / delete-options.json (collation,
// sort).
func TestBulkWriteOptions(t *testing.T) {
	t.Parallel()
	client, db := connect(t)
	c := db.Collection("opts")
	seed(t, c,
		bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: 11}, {Key: "arr", Value: bson.A{1, 2, 3}}},
		bson.D{{Key: "_id", Value: 2}, {Key: "x", Value: 22}, {Key: "name", Value: "ABC"}},
		bson.D{{Key: "_id", Value: 3}, {Key: "x", Value: 33}, {Key: "name", Value: "abc"}},
		bson.D{{Key: "_id", Value: 4}, {Key: "x", Value: 44}, {Key: "name", Value: "zzz"}})
	ci := &options.Collation{Locale: "en_US", Strength: 2}
	res, err := client.BulkWrite(ctx(t), []mongo.ClientBulkWrite{
		// arrayFilters are not in the update package yet (issue 4): $inc
		// here, arrayFilters once they are.
		bw("test", "opts", mongo.NewClientUpdateOneModel().
			SetFilter(bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$_id", "$$id1"}}}}}).
			SetUpdate(bson.D{{Key: "$inc", Value: bson.D{{Key: "x", Value: 1}}}})),
		bw("test", "opts", mongo.NewClientUpdateOneModel().SetFilter(bson.D{{Key: "x", Value: bson.D{{Key: "$gt", Value: 20}}}}).
			SetSort(bson.D{{Key: "x", Value: -1}}).SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "top", Value: true}}}})),
		bw("test", "opts", mongo.NewClientDeleteManyModel().SetFilter(bson.D{{Key: "name", Value: "abc"}}).SetCollation(ci)),
	}, options.ClientBulkWrite().SetLet(bson.D{{Key: "id1", Value: 1}}).SetComment("bulk").SetVerboseResults(true))
	if err != nil {
		t.Fatal(err)
	}
	if res.ModifiedCount != 2 || res.DeleteResults[2].DeletedCount != 2 {
		t.Fatalf("result: %+v", res)
	}
	if n := count(t, c, bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: 12}}); n != 1 {
		t.Errorf("let variable not applied")
	}
	if n := count(t, c, bson.D{{Key: "top", Value: true}, {Key: "_id", Value: 4}}); n != 1 {
		t.Errorf("sort did not pick the highest x")
	}
}

// A pipeline update fails the operation, as the update command does until
// pipelines exist; unknown update operators too.
func TestBulkWriteUpdateErrors(t *testing.T) {
	t.Parallel()
	client, db := connect(t)
	seed(t, db.Collection("upderr"), bson.D{{Key: "_id", Value: 1}})
	_, err := client.BulkWrite(ctx(t), []mongo.ClientBulkWrite{
		bw("test", "upderr", mongo.NewClientUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: 1}}).SetUpdate(bson.D{{Key: "$bogus", Value: bson.D{{Key: "a", Value: 1}}}})),
		bw("test", "upderr", mongo.NewClientUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: 1}}).SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "a", Value: 1}}}})),
	}, options.ClientBulkWrite().SetOrdered(false))
	ex := bulkException(t, err)
	if we, ok := ex.WriteErrors[0]; !ok || we.Code == 0 {
		t.Fatalf("write errors: %+v", ex.WriteErrors)
	}
	if ex.PartialResult == nil || ex.PartialResult.ModifiedCount != 1 {
		t.Errorf("partial result: %+v", ex.PartialResult)
	}
}

// The result cursor works with getMore, and the command runs only on
// admin (bulk_write.cpp: adminOnly).
func TestBulkWriteCursorAndAdminOnly(t *testing.T) {
	t.Parallel()
	client, db := connect(t)
	admin := client.Database("admin")
	cmd := bson.D{{Key: "bulkWrite", Value: 1},
		{Key: "ops", Value: bson.A{
			bson.D{{Key: "insert", Value: 0}, {Key: "document", Value: bson.D{{Key: "_id", Value: 1}}}},
			bson.D{{Key: "insert", Value: 1}, {Key: "document", Value: bson.D{{Key: "_id", Value: 1}}}},
			bson.D{{Key: "delete", Value: 0}, {Key: "filter", Value: bson.D{}}, {Key: "multi", Value: true}},
		}},
		{Key: "nsInfo", Value: bson.A{bson.D{{Key: "ns", Value: "test.cur0"}}, bson.D{{Key: "ns", Value: "test.cur1"}}}},
		{Key: "cursor", Value: bson.D{{Key: "batchSize", Value: 1}}},
	}
	r := run(t, admin, cmd)
	if ns := r.Lookup("cursor", "ns").StringValue(); ns != "admin.$cmd.bulkWrite" {
		t.Errorf("cursor ns %q", ns)
	}
	id := r.Lookup("cursor", "id").Int64()
	if id == 0 {
		t.Fatalf("batchSize 1 left no cursor: %s", r)
	}
	seen := 1
	for id != 0 {
		more := run(t, admin, bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "$cmd.bulkWrite"}, {Key: "batchSize", Value: 1}})
		vals, _ := more.Lookup("cursor", "nextBatch").Array().Values()
		for _, v := range vals {
			if got := v.Document().Lookup("idx").Int32(); got != int32(seen) {
				t.Errorf("entry %d has idx %d", seen, got)
			}
			seen++
		}
		id = more.Lookup("cursor", "id").Int64()
	}
	if seen != 3 {
		t.Errorf("%d entries through the cursor, want 3", seen)
	}
	ce := cmdErr(t, db, cmd)
	if ce.Code != 13 {
		t.Errorf("bulkWrite on test: %v", ce)
	}
}

// client-bulkWrite-errors.json: unacknowledged writes must be unordered
// and without verbose results; they still happen.
func TestBulkWriteUnacknowledged(t *testing.T) {
	t.Parallel()
	client, db := connect(t)
	res, err := client.BulkWrite(ctx(t), []mongo.ClientBulkWrite{
		bw("test", "unack", mongo.NewClientInsertOneModel().SetDocument(bson.D{{Key: "_id", Value: 1}})),
		bw("test", "unack", mongo.NewClientInsertOneModel().SetDocument(bson.D{{Key: "_id", Value: 2}})),
	}, options.ClientBulkWrite().SetOrdered(false).SetWriteConcern(writeconcern.Unacknowledged()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Acknowledged {
		t.Errorf("result acknowledged: %+v", res)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count(t, db.Collection("unack"), bson.D{}) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("unacknowledged bulkWrite never applied")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The driver splits a large bulk write into several bulkWrite commands
// (maxWriteBatchSize, maxMessageSizeBytes); all of them land.
func TestBulkWriteManyOperations(t *testing.T) {
	t.Parallel()
	client, db := connect(t)
	const n = 5000
	writes := make([]mongo.ClientBulkWrite, 0, n)
	for i := range n {
		writes = append(writes, bw("test", "many", mongo.NewClientInsertOneModel().SetDocument(bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: "xxxxxxxxxxxxxxxxxxxxxxxx"}})))
	}
	res, err := client.BulkWrite(ctx(t), writes, options.ClientBulkWrite().SetVerboseResults(true))
	if err != nil {
		t.Fatal(err)
	}
	if res.InsertedCount != n || len(res.InsertResults) != n {
		t.Errorf("inserted %d (%d results), want %d", res.InsertedCount, len(res.InsertResults), n)
	}
	if got := count(t, db.Collection("many"), bson.D{}); got != n {
		t.Errorf("%d documents stored, want %d", got, n)
	}
}
