package integration

import (
	"reflect"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestViews follows the manual's "Create and Query a View": a read-only
// view defined by a pipeline, read with find, count and distinct,
// listed as a view, refusing writes.
func TestViews(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	students := db.Collection("students")
	if _, err := students.InsertMany(ctx(t), []any{
		bson.D{{Key: "sID", Value: 22001}, {Key: "name", Value: "Alex"}, {Key: "year", Value: 1}, {Key: "score", Value: 4.0}},
		bson.D{{Key: "sID", Value: 21001}, {Key: "name", Value: "bernie"}, {Key: "year", Value: 2}, {Key: "score", Value: 3.7}},
		bson.D{{Key: "sID", Value: 20010}, {Key: "name", Value: "Chris"}, {Key: "year", Value: 3}, {Key: "score", Value: 2.5}},
		bson.D{{Key: "sID", Value: 22021}, {Key: "name", Value: "Drew"}, {Key: "year", Value: 1}, {Key: "score", Value: 3.2}},
		bson.D{{Key: "sID", Value: 17301}, {Key: "name", Value: "harley"}, {Key: "year", Value: 6}, {Key: "score", Value: 3.1}},
		bson.D{{Key: "sID", Value: 21022}, {Key: "name", Value: "Farmer"}, {Key: "year", Value: 1}, {Key: "score", Value: 2.2}},
		bson.D{{Key: "sID", Value: 20020}, {Key: "name", Value: "george"}, {Key: "year", Value: 3}, {Key: "score", Value: 2.8}},
		bson.D{{Key: "sID", Value: 18020}, {Key: "name", Value: "Harley"}, {Key: "year", Value: 5}, {Key: "score", Value: 2.8}},
	}); err != nil {
		t.Fatal(err)
	}
	firstYears := mongo.Pipeline{
		{{Key: "$match", Value: bson.D{{Key: "year", Value: 1}}}},
		{{Key: "$project", Value: bson.D{{Key: "_id", Value: 0}, {Key: "name", Value: 1}, {Key: "score", Value: 1}}}},
	}
	if err := db.CreateView(ctx(t), "firstYears", "students", firstYears); err != nil {
		t.Fatal(err)
	}
	v := db.Collection("firstYears")
	got := docsOf(t)(v.Find(ctx(t), bson.D{}, options.Find().SetSort(bson.D{{Key: "score", Value: -1}})))
	want := []bson.M{{"name": "Alex", "score": 4.0}, {"name": "Drew", "score": 3.2}, {"name": "Farmer", "score": 2.2}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("find on view: %v", got)
	}
	got = docsOf(t)(v.Find(ctx(t), bson.D{{Key: "score", Value: bson.D{{Key: "$gt", Value: 3}}}},
		options.Find().SetSort(bson.D{{Key: "name", Value: 1}}).SetSkip(1).SetLimit(1).SetProjection(bson.D{{Key: "name", Value: 1}})))
	if !reflect.DeepEqual(got, []bson.M{{"name": "Drew"}}) {
		t.Fatalf("find with options on view: %v", got)
	}
	if n, err := v.CountDocuments(ctx(t), bson.D{{Key: "score", Value: bson.D{{Key: "$lt", Value: 3.5}}}}); err != nil || n != 2 {
		t.Fatalf("countDocuments on view = %d, %v", n, err)
	}
	if n, err := v.EstimatedDocumentCount(ctx(t)); err != nil || n != 3 {
		t.Fatalf("estimatedDocumentCount on view = %d, %v", n, err)
	}
	var names []string
	if err := v.Distinct(ctx(t), "name", bson.D{}).Decode(&names); err != nil || !reflect.DeepEqual(names, []string{"Alex", "Drew", "Farmer"}) {
		t.Fatalf("distinct on view = %v, %v", names, err)
	}

	// A view on a view.
	if err := db.CreateView(ctx(t), "topFirstYears", "firstYears", mongo.Pipeline{
		{{Key: "$match", Value: bson.D{{Key: "score", Value: bson.D{{Key: "$gte", Value: 3}}}}}},
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Collection("topFirstYears").CountDocuments(ctx(t), bson.D{}); err != nil || n != 2 {
		t.Fatalf("count on a view of a view = %d, %v", n, err)
	}

	// listCollections shows the view's definition.
	specs, err := db.ListCollectionSpecifications(ctx(t), bson.D{{Key: "name", Value: "firstYears"}})
	if err != nil || len(specs) != 1 || specs[0].Type != "view" || !specs[0].ReadOnly {
		t.Fatalf("listCollections: %+v, %v", specs, err)
	}
	if on := specs[0].Options.Lookup("viewOn").StringValue(); on != "students" {
		t.Fatalf("viewOn = %q", on)
	}

	// Writes are refused.
	_, err = v.InsertOne(ctx(t), bson.D{{Key: "name", Value: "x"}})
	wantCode(t, err, 166)
	_, err = v.UpdateMany(ctx(t), bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}})
	wantCode(t, err, 166)
	_, err = v.DeleteMany(ctx(t), bson.D{})
	wantCode(t, err, 166)
	ce := cmdErr(t, db, bson.D{{Key: "listIndexes", Value: "firstYears"}})
	wantCode(t, ce, 166)

	// A bad definition is refused at create.
	ce = cmdErr(t, db, bson.D{{Key: "create", Value: "bad"}, {Key: "viewOn", Value: "students"}, {Key: "pipeline", Value: bson.A{bson.D{{Key: "$nope", Value: 1}}}}})
	wantCode(t, ce, 40324)
	ce = cmdErr(t, db, bson.D{{Key: "create", Value: "bad"}, {Key: "viewOn", Value: "students"}, {Key: "capped", Value: true}})
	wantCode(t, ce, 72)

	// Dropping the view leaves the collection.
	if err := v.Drop(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n, err := students.CountDocuments(ctx(t), bson.D{}); err != nil || n != 8 {
		t.Fatalf("students after dropping the view = %d, %v", n, err)
	}
}
