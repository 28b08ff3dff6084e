package integration

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collations change how strings compare in every query command, and a
// collection's default collation applies when a command gives none
// (https://www.mongodb.com/docs/manual/reference/collation/).
func TestCollation(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("words")
	if _, err := c.InsertMany(ctx(t), []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "w", Value: "PING"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "w", Value: "ping"}},
		bson.D{{Key: "_id", Value: 3}, {Key: "w", Value: "píng"}},
	}); err != nil {
		t.Fatal(err)
	}
	ci := &options.Collation{Locale: "en_US", Strength: 2}
	if n, err := c.CountDocuments(ctx(t), bson.D{{Key: "w", Value: "ping"}}, options.Count().SetCollation(ci)); err != nil || n != 2 {
		t.Fatalf("count with strength 2: %d, %v", n, err)
	}
	if n, err := c.CountDocuments(ctx(t), bson.D{{Key: "w", Value: "ping"}}); err != nil || n != 1 {
		t.Fatalf("count without collation: %d, %v", n, err)
	}
	var vals []string
	if err := c.Distinct(ctx(t), "w", bson.D{}, options.Distinct().SetCollation(ci)).Decode(&vals); err != nil || len(vals) != 2 {
		t.Fatalf("distinct with strength 2: %v, %v", vals, err)
	}
	res, err := c.DeleteMany(ctx(t), bson.D{{Key: "w", Value: "PING"}}, options.DeleteMany().SetCollation(&options.Collation{Locale: "en", Strength: 1}))
	if err != nil || res.DeletedCount != 3 {
		t.Fatalf("delete with strength 1: %v, %v", res, err)
	}
	_, err = c.CountDocuments(ctx(t), bson.D{}, options.Count().SetCollation(&options.Collation{Locale: "xx_nope"}))
	wantCode(t, err, 2)

	// A collection default collation, reported resolved by listCollections.
	if err := db.CreateCollection(ctx(t), "ci", options.CreateCollection().SetCollation(ci)); err != nil {
		t.Fatal(err)
	}
	d := db.Collection("ci")
	d.InsertMany(ctx(t), []any{bson.D{{Key: "w", Value: "b"}}, bson.D{{Key: "w", Value: "A"}}, bson.D{{Key: "w", Value: "a"}}})
	if n, err := d.CountDocuments(ctx(t), bson.D{{Key: "w", Value: "a"}}); err != nil || n != 2 {
		t.Fatalf("default collation: %d, %v", n, err)
	}
	cur, err := d.Find(ctx(t), bson.D{}, options.Find().SetSort(bson.D{{Key: "w", Value: 1}, {Key: "_id", Value: 1}}).SetProjection(bson.D{{Key: "_id", Value: 0}}))
	if err != nil {
		t.Fatal(err)
	}
	var got []bson.M
	if err := cur.All(ctx(t), &got); err != nil || len(got) != 3 || got[2]["w"] != "b" {
		t.Fatalf("sort under the default collation: %v, %v", got, err)
	}
	specs, err := db.ListCollectionSpecifications(ctx(t), bson.D{{Key: "name", Value: "ci"}})
	if err != nil || len(specs) != 1 {
		t.Fatal(specs, err)
	}
	if loc, _ := specs[0].Options.Lookup("collation", "locale").StringValueOK(); loc != "en_US" {
		t.Fatalf("listCollections options: %v", specs[0].Options)
	}
	if v, _ := specs[0].Options.Lookup("collation", "version").StringValueOK(); v != "57.1" {
		t.Fatalf("collation not resolved: %v", specs[0].Options)
	}
}

// Update operators compare strings under the command's collation
// (manual: reference/collation, "Operations that Support Collation";
// mongod's update nodes take the collator).
func TestUpdateOperatorsUseCollation(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("uc")
	seed(t, c, bson.D{{Key: "_id", Value: 1}, {Key: "tags", Value: bson.A{"abc", "Def"}}, {Key: "s", Value: "b"}, {Key: "nums", Value: bson.A{"10", "9", "100"}}})
	ci := options.UpdateOne().SetCollation(&options.Collation{Locale: "en", Strength: 2})
	apply := func(u bson.D, opts *options.UpdateOneOptionsBuilder) {
		t.Helper()
		if _, err := c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 1}}, u, opts); err != nil {
			t.Fatal(err)
		}
	}
	apply(bson.D{{Key: "$addToSet", Value: bson.D{{Key: "tags", Value: "ABC"}}}}, ci)
	apply(bson.D{{Key: "$pull", Value: bson.D{{Key: "tags", Value: "def"}}}}, ci)
	apply(bson.D{{Key: "$max", Value: bson.D{{Key: "s", Value: "B"}}}}, ci)
	apply(bson.D{{Key: "$push", Value: bson.D{{Key: "nums", Value: bson.D{{Key: "$each", Value: bson.A{}}, {Key: "$sort", Value: 1}}}}}},
		options.UpdateOne().SetCollation(&options.Collation{Locale: "en", NumericOrdering: true}))
	var got bson.Raw
	if err := c.FindOne(ctx(t), bson.D{}).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := `{"_id": {"$numberInt":"1"},"tags": ["abc"],"s": "b","nums": ["9","10","100"]}`
	if got.String() != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
