package integration

import (
	"bytes"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ejRaw parses relaxed Extended JSON into a document.
func ejRaw(t *testing.T, s string) bson.Raw {
	t.Helper()
	var d bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(s), false, &d); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return d
}

// TestProjection runs find projections end to end through the driver;
// the cases follow the manual's projection pages
// (https://www.mongodb.com/docs/manual/reference/method/db.collection.find/#projection).
func TestProjection(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	coll := db.Collection("proj")
	docs := []string{
		`{"_id": 1, "item": "socks", "qty": 100, "details": {"colors": ["blue", "red"], "sizes": ["S", "M", "L"]}, "grades": [{"g": 80, "m": 1}, {"g": 95, "m": 2}, {"g": 70, "m": 3}], "tags": [1, 2, 3, 4]}`,
		`{"_id": 2, "item": "hat", "qty": 5, "tags": "none", "grades": [{"g": 90, "m": 4}]}`,
	}
	for _, d := range docs {
		if _, err := coll.InsertOne(ctx(t), ejRaw(t, d)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, filter, proj string
		want               []string
		code               int32
	}{
		{name: "inclusion", filter: `{}`, proj: `{"item": 1}`, want: []string{`{"_id": 1, "item": "socks"}`, `{"_id": 2, "item": "hat"}`}},
		{name: "exclusion", filter: `{"_id": 2}`, proj: `{"grades": 0, "tags": 0}`, want: []string{`{"_id": 2, "item": "hat", "qty": 5}`}},
		{name: "_id only", filter: `{"_id": 2}`, proj: `{"_id": 1}`, want: []string{`{"_id": 2}`}},
		{name: "through an array", filter: `{"_id": 1}`, proj: `{"_id": 0, "grades.m": 1}`, want: []string{`{"grades": [{"m": 1}, {"m": 2}, {"m": 3}]}`}},
		{name: "computed fields", filter: `{"_id": 1}`, proj: `{"name": "$item", "double": {"$multiply": ["$qty", 2]}, "qty": 1}`, want: []string{`{"_id": 1, "qty": 100, "name": "socks", "double": 200}`}},
		{name: "slice in inclusion", filter: `{"_id": 1}`, proj: `{"qty": 1, "details.colors": {"$slice": 1}}`, want: []string{`{"_id": 1, "qty": 100, "details": {"colors": ["blue"]}}`}},
		{name: "slice alone", filter: `{}`, proj: `{"_id": 0, "item": 0, "details": 0, "grades": 0, "tags": {"$slice": [-3, 2]}}`, want: []string{`{"qty": 100, "tags": [2, 3]}`, `{"qty": 5, "tags": "none"}`}},
		{name: "elemMatch", filter: `{}`, proj: `{"grades": {"$elemMatch": {"g": {"$gte": 90}}}, "item": 1}`, want: []string{`{"_id": 1, "item": "socks", "grades": [{"g": 95, "m": 2}]}`, `{"_id": 2, "item": "hat", "grades": [{"g": 90, "m": 4}]}`}},
		{name: "meta indexKey on a collection scan", filter: `{"_id": 2}`, proj: `{"item": 1, "k": {"$meta": "indexKey"}}`, want: []string{`{"_id": 2, "item": "hat"}`}},
		{name: "positional", filter: `{"grades.g": {"$gt": 90}}`, proj: `{"grades.$": 1}`, want: []string{`{"_id": 1, "grades": [{"g": 95, "m": 2}]}`}},
		{name: "positional without a matched element", filter: `{"_id": 1}`, proj: `{"grades.$": 1}`, code: 51246},
		{name: "mixed", filter: `{}`, proj: `{"item": 1, "qty": 0}`, code: 31254},
		{name: "collision", filter: `{}`, proj: `{"details": 1, "details.colors": 1}`, code: 31249},
		{name: "positional and slice", filter: `{"tags": 2}`, proj: `{"tags.$": {"$slice": 1}}`, code: 31271},
		{name: "elemMatch on a nested field", filter: `{}`, proj: `{"details.colors": {"$elemMatch": {"$eq": "red"}}}`, code: 31275},
		{name: "textScore without $text", filter: `{}`, proj: `{"s": {"$meta": "textScore"}}`, code: 40218},
		{name: "dollar field", filter: `{}`, proj: `{"$item": 1}`, code: 16410},
		{name: "empty sub-projection", filter: `{}`, proj: `{"details": {}}`, code: 51270},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := options.Find().SetProjection(ejRaw(t, tc.proj)).SetSort(bson.D{{Key: "_id", Value: 1}})
			cur, err := coll.Find(ctx(t), ejRaw(t, tc.filter), opts)
			var got []bson.Raw
			if err == nil {
				for cur.Next(ctx(t)) {
					got = append(got, append(bson.Raw(nil), cur.Current...))
				}
				err = cur.Err()
				cur.Close(ctx(t))
			}
			if tc.code != 0 {
				wantCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d documents %v, want %v", len(got), got, tc.want)
			}
			for i, w := range tc.want {
				if want := ejRaw(t, w); !bytes.Equal(got[i], want) {
					t.Errorf("document %d: got %s, want %s", i, got[i], want)
				}
			}
		})
	}
}

// TestProjectionFindOne checks FindOne's projection option, and that a
// projection error reaches the driver before any document is read.
func TestProjectionFindOne(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	coll := db.Collection("proj1")
	if _, err := coll.InsertOne(ctx(t), ejRaw(t, `{"_id": 1, "a": {"b": 1, "c": 2}, "arr": [5, 6, 7]}`)); err != nil {
		t.Fatal(err)
	}
	got, err := coll.FindOne(ctx(t), bson.D{}, options.FindOne().SetProjection(ejRaw(t, `{"a": {"c": 1}, "arr": {"$slice": -1}, "x": {"$literal": 1}}`))).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if want := ejRaw(t, `{"_id": 1, "a": {"c": 2}, "arr": [7], "x": 1}`); !bytes.Equal(got, want) {
		t.Fatalf("got %s, want %s", got, want)
	}
	err = coll.FindOne(ctx(t), bson.D{}, options.FindOne().SetProjection(ejRaw(t, `{"a": 0, "b": 1}`))).Err()
	wantCode(t, err, 31253)
	empty := db.Collection("proj_empty")
	err = empty.FindOne(ctx(t), bson.D{}, options.FindOne().SetProjection(ejRaw(t, `{"s": {"$meta": "bogus"}}`))).Err()
	wantCode(t, err, 17308)
}
