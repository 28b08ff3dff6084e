package integration

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// let variables reach $expr in every command that filters
// (https://www.mongodb.com/docs/manual/reference/command/find/#use-variables-in-let).
func TestLetAndExpr(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("items")
	if _, err := c.InsertMany(ctx(t), []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "qty", Value: 5}, {Key: "min", Value: 3}},
		bson.D{{Key: "_id", Value: 2}, {Key: "qty", Value: 2}, {Key: "min", Value: 3}},
		bson.D{{Key: "_id", Value: 3}, {Key: "qty", Value: 9}, {Key: "min", Value: 10}},
	}); err != nil {
		t.Fatal(err)
	}
	above := bson.D{{Key: "$expr", Value: bson.D{{Key: "$gt", Value: bson.A{"$qty", "$min"}}}}}
	if n, err := c.CountDocuments(ctx(t), above); err != nil || n != 1 {
		t.Fatalf("$expr over two fields: %d, %v", n, err)
	}
	let := bson.D{{Key: "limit", Value: bson.D{{Key: "$add", Value: bson.A{1, 1}}}}}
	overLimit := bson.D{{Key: "$expr", Value: bson.D{{Key: "$gt", Value: bson.A{"$qty", "$$limit"}}}}}
	cur, err := c.Aggregate(ctx(t), mongo.Pipeline{{{Key: "$match", Value: overLimit}}}, options.Aggregate().SetLet(let))
	if err != nil {
		t.Fatal(err)
	}
	var got []bson.M
	if err := cur.All(ctx(t), &got); err != nil || len(got) != 2 {
		t.Fatalf("aggregate with let: %v, %v", got, err)
	}
	cur, err = c.Find(ctx(t), overLimit, options.Find().SetLet(let))
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx(t), &got); err != nil || len(got) != 2 {
		t.Fatalf("find with let: %v, %v", got, err)
	}
	res, err := c.UpdateMany(ctx(t), overLimit, bson.D{{Key: "$set", Value: bson.D{{Key: "big", Value: true}}}}, options.UpdateMany().SetLet(let))
	if err != nil || res.ModifiedCount != 2 {
		t.Fatalf("update with let: %v, %v", res, err)
	}
	var doc bson.M
	if err := c.FindOneAndDelete(ctx(t), overLimit, options.FindOneAndDelete().SetLet(let).SetSort(bson.D{{Key: "qty", Value: -1}})).Decode(&doc); err != nil || doc["_id"] != int32(3) {
		t.Fatalf("findAndModify with let: %v, %v", doc, err)
	}
	del, err := c.DeleteMany(ctx(t), overLimit, options.DeleteMany().SetLet(let))
	if err != nil || del.DeletedCount != 1 {
		t.Fatalf("delete with let: %v, %v", del, err)
	}
	// An undefined variable and an evaluation error are the client's errors.
	_, err = c.DeleteMany(ctx(t), bson.D{{Key: "$expr", Value: "$$nope"}})
	wantCode(t, err, 17276)
	_, err = c.CountDocuments(ctx(t), bson.D{{Key: "$expr", Value: bson.D{{Key: "$divide", Value: bson.A{1, 0}}}}})
	wantCode(t, err, 2)
}
