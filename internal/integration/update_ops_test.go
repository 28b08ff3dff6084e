package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// updateCase mirrors an entry of internal/update/testdata.
type updateCase struct {
	Name    string          `json:"name"`
	Doc     json.RawMessage `json:"doc"`
	Filter  json.RawMessage `json:"filter"`
	Update  json.RawMessage `json:"update"`
	Options *struct {
		ArrayFilters []json.RawMessage `json:"arrayFilters"`
		MatchedIndex *int              `json:"matchedIndex"`
		IsUpsert     bool              `json:"isUpsert"`
	} `json:"options"`
	Expected json.RawMessage `json:"expected"`
	Modified *bool           `json:"modified"`
	Error    *struct {
		Code int32 `json:"code"`
	} `json:"error"`
}

func extJSON(t *testing.T, data []byte) bson.Raw {
	t.Helper()
	var d bson.Raw
	if err := bson.UnmarshalExtJSON(data, false, &d); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return d
}

// TestUpdateCorpusEndToEnd runs the update corpus through updateOne and
// replaceOne: the stored document must be the expected one byte for
// byte, nModified must follow the no-op rule, errors must carry the
// expected code. Operator, replacement and pipeline updates run against
// the case's document; upsert cases run against an empty collection with
// their filter. Cases that need a positional match, a document without
// _id or the pinned $currentDate clock run only in the pure layer
// (internal/update).
func TestUpdateCorpusEndToEnd(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	files, _ := filepath.Glob("../update/testdata/*.json")
	pipelines, _ := filepath.Glob("../update/testdata/pipeline/*.json")
	files = append(files, pipelines...)
	if len(files) == 0 {
		t.Fatal("no update corpus")
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			Cases []updateCase `json:"cases"`
		}
		if err := json.Unmarshal(data, &file); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range file.Cases {
			upsert := c.Options != nil && c.Options.IsUpsert
			if c.Options != nil && c.Options.MatchedIndex != nil || upsert && len(c.Filter) == 0 ||
				bytes.Contains(c.Update, []byte("$currentDate")) {
				continue
			}
			var upd any
			replacement := false
			if trimmed := bytes.TrimSpace(c.Update); len(trimmed) > 0 && trimmed[0] == '[' {
				wrapped := extJSON(t, append(append([]byte(`{"p": `), c.Update...), '}'))
				vals, _ := wrapped.Lookup("p").Array().Values()
				var stages []bson.Raw
				for _, v := range vals {
					stages = append(stages, v.Document())
				}
				upd = stages
			} else {
				doc := extJSON(t, c.Update)
				first, err := doc.IndexErr(0)
				replacement = err != nil || !strings.HasPrefix(first.Key(), "$")
				upd = doc
			}
			var filter bson.Raw
			n++
			coll := db.Collection(fmt.Sprintf("u%d", n))
			if upsert {
				filter = extJSON(t, c.Filter)
			} else {
				doc := extJSON(t, c.Doc)
				id, err := doc.LookupErr("_id")
				if err != nil {
					n--
					continue
				}
				if _, err := coll.InsertOne(ctx(t), doc); err != nil {
					t.Fatalf("%s: insert: %v", c.Name, err)
				}
				filter, _ = bson.Marshal(bson.D{{Key: "_id", Value: id}})
			}
			var res *mongo.UpdateResult
			if replacement {
				res, err = coll.ReplaceOne(ctx(t), filter, upd, options.Replace().SetUpsert(upsert))
			} else {
				opts := options.UpdateOne().SetUpsert(upsert)
				if c.Options != nil && len(c.Options.ArrayFilters) > 0 {
					var af []any
					for _, a := range c.Options.ArrayFilters {
						af = append(af, extJSON(t, a))
					}
					opts.SetArrayFilters(af)
				}
				res, err = coll.UpdateOne(ctx(t), filter, upd, opts)
			}
			name := strings.TrimPrefix(f, "../update/testdata/") + "/" + c.Name
			if c.Error != nil {
				var se mongo.ServerError
				if !errors.As(err, &se) || !se.HasErrorCode(int(c.Error.Code)) {
					t.Errorf("%s: got %v, want code %d", name, err, c.Error.Code)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			got, err := coll.FindOne(ctx(t), bson.D{}).Raw()
			if err != nil {
				t.Errorf("%s: find: %v", name, err)
				continue
			}
			want := extJSON(t, c.Expected)
			if _, err := want.LookupErr("_id"); err != nil && upsert {
				// The corpus leaves out the _id the server generates.
				got = withoutFirst(got)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s:\n got  %s\n want %s", name, got, want)
			}
			if !upsert && c.Modified != nil && (res.ModifiedCount == 1) != *c.Modified {
				t.Errorf("%s: nModified %d, want modified %v", name, res.ModifiedCount, *c.Modified)
			}
		}
	}
	t.Logf("%d corpus cases ran end to end", n)
	if n < 150 {
		t.Errorf("only %d cases ran end to end", n)
	}
}

func TestUpdateArrayOperators(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("students")
	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 1}, {Key: "scores", Value: bson.A{int32(89), int32(70)}}}); err != nil {
		t.Fatal(err)
	}
	upd := bson.D{{Key: "$push", Value: bson.D{{Key: "scores", Value: bson.D{
		{Key: "$each", Value: bson.A{int32(100), int32(20)}},
		{Key: "$sort", Value: int32(-1)},
		{Key: "$slice", Value: int32(3)},
	}}}}}
	res, err := c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 1}}, upd)
	if err != nil || res.MatchedCount != 1 || res.ModifiedCount != 1 {
		t.Fatalf("push: %v %+v", err, res)
	}
	got, _ := c.FindOne(ctx(t), bson.D{}).Raw()
	if want := `{"_id": {"$numberInt":"1"},"scores": [{"$numberInt":"100"},{"$numberInt":"89"},{"$numberInt":"70"}]}`; got.String() != want {
		t.Errorf("after $push: %s", got)
	}
	// $addToSet of a present value and $pull of an absent one change nothing.
	res, err = c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 1}}, bson.D{
		{Key: "$addToSet", Value: bson.D{{Key: "scores", Value: int32(89)}}},
	})
	if err != nil || res.ModifiedCount != 0 {
		t.Fatalf("addToSet no-op: %v %+v", err, res)
	}
	res, err = c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 1}}, bson.D{
		{Key: "$pull", Value: bson.D{{Key: "scores", Value: bson.D{{Key: "$lt", Value: 80}}}}},
	})
	if err != nil || res.ModifiedCount != 1 {
		t.Fatalf("pull: %v %+v", err, res)
	}
	got, _ = c.FindOne(ctx(t), bson.D{}).Raw()
	if want := `{"_id": {"$numberInt":"1"},"scores": [{"$numberInt":"100"},{"$numberInt":"89"}]}`; got.String() != want {
		t.Errorf("after $pull: %s", got)
	}
	// $push onto a non-array answers mongod's BadValue.
	_, err = c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$push", Value: bson.D{{Key: "_id", Value: 1}}}})
	var we mongo.WriteException
	if !errors.As(err, &we) || len(we.WriteErrors) != 1 || we.WriteErrors[0].Code != 2 {
		t.Errorf("push on non-array: %v", err)
	}
}

func TestUpdateArrayFilters(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("grades")
	docs := []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "grades", Value: bson.A{95, 92, 90}}},
		bson.D{{Key: "_id", Value: 2}, {Key: "grades", Value: bson.A{98, 100, 102}}},
	}
	if _, err := c.InsertMany(ctx(t), docs); err != nil {
		t.Fatal(err)
	}
	opts := options.UpdateMany().SetArrayFilters([]any{bson.D{{Key: "element", Value: bson.D{{Key: "$gte", Value: 100}}}}})
	res, err := c.UpdateMany(ctx(t), bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "grades.$[element]", Value: 100}}}}, opts)
	if err != nil || res.MatchedCount != 2 || res.ModifiedCount != 1 {
		t.Fatalf("updateMany: %v %+v", err, res)
	}
	got, _ := c.FindOne(ctx(t), bson.D{{Key: "_id", Value: 2}}).Raw()
	if want := `{"_id": {"$numberInt":"2"},"grades": [{"$numberInt":"98"},{"$numberInt":"100"},{"$numberInt":"100"}]}`; got.String() != want {
		t.Errorf("after arrayFilters: %s", got)
	}
	one := options.UpdateOne().SetArrayFilters([]any{bson.D{{Key: "x", Value: 1}}})
	_, err = c.UpdateOne(ctx(t), bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "a", Value: 1}}}}, one)
	wantCode(t, err, 9) // the array filter for identifier 'x' was not used
	_, err = c.UpdateOne(ctx(t), bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "grades.$[y]", Value: 1}}}}, one)
	wantCode(t, err, 2) // no array filter found for identifier 'y'
	// $[] on every element, through findOneAndUpdate.
	after := options.FindOneAndUpdate().SetReturnDocument(options.After)
	got, err = c.FindOneAndUpdate(ctx(t), bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "grades.$[]", Value: 1}}}}, after).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"_id": {"$numberInt":"1"},"grades": [{"$numberInt":"96"},{"$numberInt":"93"},{"$numberInt":"91"}]}`; got.String() != want {
		t.Errorf("after $[]: %s", got)
	}
}

func TestUpdatePositionalOperator(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("students")
	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 1}, {Key: "grades", Value: bson.A{85, 80, 80}}}); err != nil {
		t.Fatal(err)
	}
	res, err := c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 1}, {Key: "grades", Value: 80}}, bson.D{{Key: "$set", Value: bson.D{{Key: "grades.$", Value: 82}}}})
	if err != nil || res.ModifiedCount != 1 {
		t.Fatalf("positional: %v %+v", err, res)
	}
	got, _ := c.FindOne(ctx(t), bson.D{}).Raw()
	if want := `{"_id": {"$numberInt":"1"},"grades": [{"$numberInt":"85"},{"$numberInt":"82"},{"$numberInt":"80"}]}`; got.String() != want {
		t.Errorf("after positional $: %s", got)
	}
	// Without an array in the query the positional operator has no match.
	_, err = c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "grades.$", Value: 1}}}})
	wantCode(t, err, 2)
}

// withoutFirst drops a document's first field.
func withoutFirst(d bson.Raw) bson.Raw {
	elems, _ := d.Elements()
	b := bsoncore.NewDocumentBuilder()
	for _, e := range elems[1:] {
		b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(e.Value().Type), Data: e.Value().Value})
	}
	return bson.Raw(b.Build())
}
