package integration

import (
	"reflect"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func TestAggregateBasics(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("sales")
	c.InsertMany(ctx(t), []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "item", Value: "a"}, {Key: "qty", Value: 2}, {Key: "tags", Value: bson.A{"x", "y"}}},
		bson.D{{Key: "_id", Value: 2}, {Key: "item", Value: "b"}, {Key: "qty", Value: 5}},
		bson.D{{Key: "_id", Value: 3}, {Key: "item", Value: "a"}, {Key: "qty", Value: 1.5}},
	})
	if n, err := c.CountDocuments(ctx(t), bson.D{{Key: "item", Value: "a"}}); err != nil || n != 2 {
		t.Fatalf("countDocuments = %d, %v", n, err)
	}
	if n, err := c.CountDocuments(ctx(t), bson.D{}, options.Count().SetSkip(1).SetLimit(5)); err != nil || n != 2 {
		t.Fatalf("countDocuments skip/limit = %d, %v", n, err)
	}
	got := docsOf(t)(c.Aggregate(ctx(t), mongo.Pipeline{
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$item"}, {Key: "total", Value: bson.D{{Key: "$sum", Value: "$qty"}}}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
		{{Key: "$sort", Value: bson.D{{Key: "_id", Value: 1}}}},
	}))
	if len(got) != 2 || got[0]["_id"] != "a" || got[0]["total"] != 3.5 || got[0]["n"] != int32(2) ||
		got[1]["_id"] != "b" || got[1]["total"] != int32(5) || got[1]["n"] != int32(1) {
		t.Fatalf("group: %v", got)
	}
	got = docsOf(t)(c.Aggregate(ctx(t), mongo.Pipeline{
		{{Key: "$unwind", Value: "$tags"}},
		{{Key: "$project", Value: bson.D{{Key: "tags", Value: 1}, {Key: "_id", Value: 0}}}},
	}))
	if !reflect.DeepEqual(got, []bson.M{{"tags": "x"}, {"tags": "y"}}) {
		t.Fatalf("unwind: %v", got)
	}
	_, err := c.Aggregate(ctx(t), mongo.Pipeline{{{Key: "$bogus", Value: 1}}})
	wantCode(t, err, 40324)
}
