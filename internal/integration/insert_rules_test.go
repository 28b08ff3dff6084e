package integration

import (
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// What insert does to a document before storing it, as mongod's
// fixDocumentForInsert (jstests/core/write/insert/*.js and
// jstests/core/max_doc_size.js).

func TestInsertDocumentTooLarge(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("big")
	// {x: "xxx…"} of exactly 16 MiB + a little: within the wire limit
	// (16 MiB + 16 KiB) but over the storage limit.
	doc := bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: strings.Repeat("x", 16*1024*1024)}}
	_, err := c.InsertOne(ctx(t), doc)
	we := writeErrorOf(t, err)
	if we.Code != 2 || !strings.Contains(we.Message, "object to insert too large") {
		t.Fatalf("got %d %q", we.Code, we.Message)
	}
}

func TestInsertNestingLimit(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("deep")
	nest := func(levels int) bson.D {
		d := bson.D{{Key: "leaf", Value: 1}}
		for i := 1; i < levels; i++ {
			d = bson.D{{Key: "a", Value: d}}
		}
		return d
	}
	// The top-level document counts as level 1: 180 levels are stored,
	// 181 are not (an empty document at the bottom does not count).
	if _, err := c.InsertOne(ctx(t), nest(180)); err != nil {
		t.Fatal(err)
	}
	_, err := c.InsertOne(ctx(t), nest(181))
	if we := writeErrorOf(t, err); we.Code != 15 {
		t.Fatalf("got %d %q", we.Code, we.Message)
	}
	deepEmpty := bson.D{}
	for i := 1; i < 181; i++ {
		deepEmpty = bson.D{{Key: "a", Value: deepEmpty}}
	}
	if _, err := c.InsertOne(ctx(t), deepEmpty); err != nil {
		t.Fatal(err)
	}
}

func TestInsertFillsZeroTimestamps(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("ts")
	zero := bson.Timestamp{}
	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 1}, {Key: "t", Value: zero}, {Key: "sub", Value: bson.D{{Key: "t", Value: zero}}}}); err != nil {
		t.Fatal(err)
	}
	var got bson.Raw
	if err := c.FindOne(ctx(t), bson.D{}).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if ts, _ := got.Lookup("t").Timestamp(); ts == 0 {
		t.Fatalf("top-level Timestamp(0, 0) not filled in: %s", got)
	}
	if ts, i := got.Lookup("sub", "t").Timestamp(); ts != 0 || i != 0 {
		t.Fatalf("embedded Timestamp(0, 0) must stay as it is: %s", got)
	}
}

// A null _id is a value like any other (crud/tests/unified/create-null-ids.json,
// which the Go driver's runner skips for GODRIVER-3392).
func TestNullIDs(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("nullid")
	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: nil}, {Key: "a", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c, bson.D{{Key: "_id", Value: nil}}); n != 1 {
		t.Fatalf("%d documents with a null _id", n)
	}
	c2 := db.Collection("nullid2")
	res, err := c2.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: nil}}, bson.D{{Key: "$set", Value: bson.D{{Key: "a", Value: 1}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil || res.UpsertedCount != 1 || res.UpsertedID != nil {
		t.Fatalf("upsert: %+v %v", res, err)
	}
	var got bson.Raw
	if err := c2.FindOne(ctx(t), bson.D{}).Decode(&got); err != nil || got.String() != `{"_id": null,"a": {"$numberInt":"1"}}` {
		t.Fatalf("got %s %v", got, err)
	}
}
