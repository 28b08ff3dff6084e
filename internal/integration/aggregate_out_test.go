package integration

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// $out, $merge and the source stages through the official driver.

func allDocs(t *testing.T, c *mongo.Collection) []bson.M {
	t.Helper()
	return docsOf(t)(c.Find(ctx(t), bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}})))
}

func TestAggregateOut(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	src := db.Collection("src")
	if _, err := src.InsertMany(ctx(t), []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: 1}},
		bson.D{{Key: "_id", Value: 2}, {Key: "x", Value: 2}},
		bson.D{{Key: "_id", Value: 3}, {Key: "x", Value: 3}},
	}); err != nil {
		t.Fatal(err)
	}
	dst := db.Collection("dst")
	if _, err := dst.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 99}}); err != nil {
		t.Fatal(err)
	}
	// The reply's cursor is empty, whatever the batch size.
	cur, err := src.Aggregate(ctx(t), mongo.Pipeline{
		{{Key: "$match", Value: bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: 1}}}}}},
		{{Key: "$out", Value: "dst"}},
	}, options.Aggregate().SetBatchSize(0))
	if err != nil {
		t.Fatal(err)
	}
	if cur.ID() != 0 || cur.Next(ctx(t)) {
		t.Fatalf("$out returned documents or an open cursor (id %d)", cur.ID())
	}
	want := []bson.M{{"_id": int32(2), "x": int32(2)}, {"_id": int32(3), "x": int32(3)}}
	if got := allDocs(t, dst); !reflect.DeepEqual(got, want) {
		t.Fatalf("after $out: %v", got)
	}

	// A duplicate _id fails with 11000 and leaves the target as it was.
	_, err = src.Aggregate(ctx(t), mongo.Pipeline{
		{{Key: "$project", Value: bson.D{{Key: "_id", Value: "same"}}}},
		{{Key: "$out", Value: "dst"}},
	})
	wantCode(t, err, 11000)
	if got := allDocs(t, dst); !reflect.DeepEqual(got, want) {
		t.Fatalf("target changed by a failed $out: %v", got)
	}
	// No temporary collection is left behind.
	names, err := db.ListCollectionNames(ctx(t), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.HasPrefix(n, "tmp.agg_out.") {
			t.Fatalf("temporary collection left behind: %v", names)
		}
	}

	// $out into another database.
	other := db.Client().Database("test_out_other")
	t.Cleanup(func() { other.Drop(ctx(t)) })
	if _, err := src.Aggregate(ctx(t), mongo.Pipeline{
		{{Key: "$out", Value: bson.D{{Key: "db", Value: "test_out_other"}, {Key: "coll", Value: "copy"}}}},
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(allDocs(t, other.Collection("copy"))); n != 3 {
		t.Fatalf("$out to another database wrote %d documents", n)
	}

	// Bad targets.
	_, err = src.Aggregate(ctx(t), mongo.Pipeline{{{Key: "$out", Value: "system.x"}}})
	wantCode(t, err, 17385)
	_, err = src.Aggregate(ctx(t), mongo.Pipeline{{{Key: "$out", Value: "x"}}, {{Key: "$limit", Value: 1}}})
	wantCode(t, err, 40601)
	if err := db.CreateView(ctx(t), "aview", "src", mongo.Pipeline{}); err != nil {
		t.Fatal(err)
	}
	_, err = src.Aggregate(ctx(t), mongo.Pipeline{{{Key: "$out", Value: "aview"}}})
	wantCode(t, err, 166)
}

func TestAggregateOutValidation(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	validator := bson.D{{Key: "$jsonSchema", Value: bson.D{{Key: "required", Value: bson.A{"name"}}}}}
	if err := db.CreateCollection(ctx(t), "valid", options.CreateCollection().SetValidator(validator)); err != nil {
		t.Fatal(err)
	}
	src := db.Collection("src")
	if _, err := src.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	pl := mongo.Pipeline{{{Key: "$out", Value: "valid"}}}
	_, err := src.Aggregate(ctx(t), pl)
	wantCode(t, err, 121)
	if _, err := src.Aggregate(ctx(t), pl, options.Aggregate().SetBypassDocumentValidation(true)); err != nil {
		t.Fatalf("bypassDocumentValidation: %v", err)
	}
	if n := len(allDocs(t, db.Collection("valid"))); n != 1 {
		t.Fatalf("got %d documents", n)
	}
	// The target keeps its validator after $out replaced it.
	_, err = db.Collection("valid").InsertOne(ctx(t), bson.D{{Key: "_id", Value: 2}})
	wantCode(t, err, 121)
}

func TestAggregateMerge(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	src := db.Collection("src")
	if _, err := src.InsertMany(ctx(t), []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 5}},
		bson.D{{Key: "_id", Value: 2}, {Key: "n", Value: 7}},
	}); err != nil {
		t.Fatal(err)
	}
	dst := db.Collection("dst")
	if _, err := dst.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 10}, {Key: "keep", Value: true}}); err != nil {
		t.Fatal(err)
	}
	merge := func(spec bson.D) error {
		cur, err := src.Aggregate(ctx(t), mongo.Pipeline{{{Key: "$merge", Value: spec}}})
		if err == nil && cur.Next(ctx(t)) {
			t.Fatalf("$merge returned documents")
		}
		return err
	}
	// Default: merge fields, insert new documents.
	if err := merge(bson.D{{Key: "into", Value: "dst"}}); err != nil {
		t.Fatal(err)
	}
	want := []bson.M{{"_id": int32(1), "n": int32(5), "keep": true}, {"_id": int32(2), "n": int32(7)}}
	if got := allDocs(t, dst); !reflect.DeepEqual(got, want) {
		t.Fatalf("merge/insert: %v", got)
	}
	// A pipeline that adds the result's n.
	if err := merge(bson.D{{Key: "into", Value: "dst"}, {Key: "whenMatched", Value: bson.A{
		bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: bson.D{{Key: "$add", Value: bson.A{"$n", "$$new.n"}}}}}}},
	}}}); err != nil {
		t.Fatal(err)
	}
	want = []bson.M{{"_id": int32(1), "n": int32(10), "keep": true}, {"_id": int32(2), "n": int32(14)}}
	if got := allDocs(t, dst); !reflect.DeepEqual(got, want) {
		t.Fatalf("pipeline: %v", got)
	}
	// whenMatched fail: DuplicateKey with keyPattern and keyValue.
	err := merge(bson.D{{Key: "into", Value: "dst"}, {Key: "whenMatched", Value: "fail"}})
	wantCode(t, err, 11000)
	var se mongo.ServerError
	if errors.As(err, &se) && !strings.Contains(se.Error(), "whenMatched: fail") {
		t.Fatalf("message: %v", err)
	}
	// whenNotMatched fail.
	if _, err := dst.DeleteOne(ctx(t), bson.D{{Key: "_id", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	err = merge(bson.D{{Key: "into", Value: "dst"}, {Key: "whenMatched", Value: "replace"}, {Key: "whenNotMatched", Value: "fail"}})
	wantCode(t, err, 13113)
	// on a field without a unique index.
	err = merge(bson.D{{Key: "into", Value: "dst"}, {Key: "on", Value: "n"}})
	wantCode(t, err, 51183)
	// writeConcern is accepted.
	cmd := bson.D{{Key: "aggregate", Value: "src"}, {Key: "pipeline", Value: bson.A{
		bson.D{{Key: "$merge", Value: bson.D{{Key: "into", Value: "wc"}}}},
	}}, {Key: "cursor", Value: bson.D{}}, {Key: "writeConcern", Value: bson.D{{Key: "w", Value: 1}, {Key: "j", Value: true}}}}
	reply := run(t, db, cmd)
	if id := reply.Lookup("cursor", "id").Int64(); id != 0 {
		t.Fatalf("cursor id %d", id)
	}
	if n := len(allDocs(t, db.Collection("wc"))); n != 2 {
		t.Fatalf("wc: %d documents", n)
	}
}

func TestDatabaseAggregate(t *testing.T) {
	t.Parallel()
	client, db := connect(t)
	got := docsOf(t)(db.Aggregate(ctx(t), mongo.Pipeline{
		{{Key: "$documents", Value: bson.A{bson.D{{Key: "x", Value: 2}}, bson.D{{Key: "x", Value: 1}}}}},
		{{Key: "$sort", Value: bson.D{{Key: "x", Value: 1}}}},
	}))
	if !reflect.DeepEqual(got, []bson.M{{"x": int32(1)}, {"x": int32(2)}}) {
		t.Fatalf("$documents: %v", got)
	}
	// The session the driver uses is listed.
	got = docsOf(t)(db.Aggregate(ctx(t), mongo.Pipeline{{{Key: "$listLocalSessions", Value: bson.D{}}}}))
	if len(got) == 0 {
		t.Fatal("$listLocalSessions listed no session")
	}
	// $documents into $out from a database-level aggregate.
	if _, err := db.Aggregate(ctx(t), mongo.Pipeline{
		{{Key: "$documents", Value: bson.A{bson.D{{Key: "_id", Value: 1}}}}},
		{{Key: "$out", Value: "fromdocs"}},
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(allDocs(t, db.Collection("fromdocs"))); n != 1 {
		t.Fatalf("fromdocs: %d", n)
	}
	// $currentOp runs on admin and reports itself.
	got = docsOf(t)(client.Database("admin").Aggregate(ctx(t), mongo.Pipeline{
		{{Key: "$currentOp", Value: bson.D{}}},
		{{Key: "$match", Value: bson.D{{Key: "command.aggregate", Value: 1}}}},
	}))
	if len(got) != 1 || got[0]["type"] != "op" || got[0]["op"] != "command" {
		t.Fatalf("$currentOp: %v", got)
	}
	_, err := db.Aggregate(ctx(t), mongo.Pipeline{{{Key: "$currentOp", Value: bson.D{}}}})
	wantCode(t, err, 73)
	// A collection's stage at the database level, and the reverse.
	_, err = db.Aggregate(ctx(t), mongo.Pipeline{{{Key: "$match", Value: bson.D{}}}})
	wantCode(t, err, 73)
	_, err = db.Collection("c").Aggregate(ctx(t), mongo.Pipeline{{{Key: "$documents", Value: bson.A{}}}})
	wantCode(t, err, 73)
	ce := cmdErr(t, db, bson.D{{Key: "aggregate", Value: 2}, {Key: "pipeline", Value: bson.A{}}, {Key: "cursor", Value: bson.D{}}})
	if ce.Code != 9 {
		t.Fatalf("aggregate: 2: %v", ce)
	}
}

func TestCollStatsAndIndexStats(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("stats")
	if _, err := c.InsertMany(ctx(t), []any{bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "_id", Value: 2}}}); err != nil {
		t.Fatal(err)
	}
	got := docsOf(t)(c.Aggregate(ctx(t), mongo.Pipeline{
		{{Key: "$collStats", Value: bson.D{{Key: "count", Value: bson.D{}}, {Key: "storageStats", Value: bson.D{}}}}},
	}))
	if len(got) != 1 || got[0]["ns"] != "test.stats" || got[0]["count"] != int32(2) {
		t.Fatalf("$collStats: %v", got)
	}
	ss, _ := got[0]["storageStats"].(bson.D)
	m := bson.M{}
	for _, e := range ss {
		m[e.Key] = e.Value
	}
	if m["count"] != int32(2) || m["size"] != int32(28) || m["nindexes"] != int32(1) {
		t.Fatalf("storageStats: %v", got[0]["storageStats"])
	}
	_, err := db.Collection("missing").Aggregate(ctx(t), mongo.Pipeline{{{Key: "$collStats", Value: bson.D{{Key: "count", Value: bson.D{}}}}}})
	wantCode(t, err, 26)
	got = docsOf(t)(c.Aggregate(ctx(t), mongo.Pipeline{{{Key: "$indexStats", Value: bson.D{}}}}))
	if len(got) != 1 || got[0]["name"] != "_id_" {
		t.Fatalf("$indexStats: %v", got)
	}
}
