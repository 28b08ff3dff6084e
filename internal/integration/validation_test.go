package integration

import (
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collection validators, after the manual's "Schema Validation" pages
// (core/schema-validation/*) and crud/tests/unified/bypassDocumentValidation.json.

func createValidated(t *testing.T, db *mongo.Database, name string, validator bson.D, extra ...bson.E) *mongo.Collection {
	t.Helper()
	cmd := bson.D{{Key: "create", Value: name}, {Key: "validator", Value: validator}}
	cmd = append(cmd, extra...)
	run(t, db, cmd)
	return db.Collection(name)
}

// writeErrorOf returns the single write error of a failed insert/update.
func writeErrorOf(t *testing.T, err error) mongo.WriteError {
	t.Helper()
	var we mongo.WriteException
	if !errors.As(err, &we) || len(we.WriteErrors) != 1 {
		t.Fatalf("want one write error, got %T %v", err, err)
	}
	return we.WriteErrors[0]
}

func TestValidatorRejectsInsertAndUpdate(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := createValidated(t, db, "v", bson.D{{Key: "qty", Value: bson.D{{Key: "$gte", Value: 0}}}})

	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 1}, {Key: "qty", Value: 5}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 2}, {Key: "qty", Value: -1}})
	we := writeErrorOf(t, err)
	if we.Code != 121 || we.Message != "Document failed validation" {
		t.Fatalf("got %d %q", we.Code, we.Message)
	}
	if id := we.Details.Lookup("failingDocumentId"); id.Int32() != 2 {
		t.Fatalf("errInfo %s", we.Details)
	}
	if _, ok := we.Details.Lookup("details").DocumentOK(); !ok {
		t.Fatalf("errInfo without details: %s", we.Details)
	}

	_, err = c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "qty", Value: -10}}}})
	if we := writeErrorOf(t, err); we.Code != 121 {
		t.Fatalf("update: %v", err)
	}
	// An upsert's new document is validated as an insert.
	_, err = c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 3}}, bson.D{{Key: "$set", Value: bson.D{{Key: "qty", Value: -3}}}},
		options.UpdateOne().SetUpsert(true))
	if we := writeErrorOf(t, err); we.Code != 121 {
		t.Fatalf("upsert: %v", err)
	}
	// findAndModify fails the command with errInfo at the top level.
	err = c.FindOneAndUpdate(ctx(t), bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "qty", Value: -2}}}}).Err()
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 121 {
		t.Fatalf("findAndModify: %T %v", err, err)
	}
	if n := count(t, c, bson.D{}); n != 1 {
		t.Fatalf("%d documents, want 1", n)
	}
	var got bson.M
	if err := c.FindOne(ctx(t), bson.D{{Key: "_id", Value: 1}}).Decode(&got); err != nil || got["qty"] != int32(5) {
		t.Fatalf("stored document changed: %v %v", got, err)
	}
}

func TestValidatorOrderedInsertStopsAtFailure(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := createValidated(t, db, "v", bson.D{{Key: "a", Value: bson.D{{Key: "$type", Value: "string"}}}})
	docs := []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: "x"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: 2}},
		bson.D{{Key: "_id", Value: 3}, {Key: "a", Value: "z"}},
	}
	_, err := c.InsertMany(ctx(t), docs)
	var we mongo.BulkWriteException
	if !errors.As(err, &we) || len(we.WriteErrors) != 1 || we.WriteErrors[0].Index != 1 || we.WriteErrors[0].Code != 121 {
		t.Fatalf("got %v", err)
	}
	if n := count(t, c, bson.D{}); n != 1 {
		t.Fatalf("ordered: %d documents, want 1", n)
	}
	_, err = c.InsertMany(ctx(t), []any{
		bson.D{{Key: "_id", Value: 4}, {Key: "a", Value: 4}},
		bson.D{{Key: "_id", Value: 5}, {Key: "a", Value: "ok"}},
	}, options.InsertMany().SetOrdered(false))
	if !errors.As(err, &we) || len(we.WriteErrors) != 1 || we.WriteErrors[0].Index != 0 {
		t.Fatalf("unordered: %v", err)
	}
	if n := count(t, c, bson.D{}); n != 2 {
		t.Fatalf("unordered: %d documents, want 2", n)
	}
}

func TestBypassDocumentValidation(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := createValidated(t, db, "v", bson.D{{Key: "x", Value: bson.D{{Key: "$gt", Value: 1}}}})
	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: 0}}, options.InsertOne().SetBypassDocumentValidation(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: -5}}}},
		options.UpdateOne().SetBypassDocumentValidation(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReplaceOne(ctx(t), bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "x", Value: -6}},
		options.Replace().SetBypassDocumentValidation(true)); err != nil {
		t.Fatal(err)
	}
	if err := c.FindOneAndUpdate(ctx(t), bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: -7}}}},
		options.FindOneAndUpdate().SetBypassDocumentValidation(true)).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BulkWrite(ctx(t), []mongo.WriteModel{mongo.NewInsertOneModel().SetDocument(bson.D{{Key: "_id", Value: 2}, {Key: "x", Value: 0}})},
		options.BulkWrite().SetBypassDocumentValidation(true)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c, bson.D{{Key: "x", Value: bson.D{{Key: "$lte", Value: 1}}}}); n != 2 {
		t.Fatalf("%d invalid documents stored, want 2", n)
	}
	// bypassDocumentValidation: false validates.
	_, err := c.InsertOne(ctx(t), bson.D{{Key: "x", Value: 0}}, options.InsertOne().SetBypassDocumentValidation(false))
	if we := writeErrorOf(t, err); we.Code != 121 {
		t.Fatal(err)
	}
}

func TestValidationLevelAndAction(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("v")
	seed(t, c, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: "bad"}}, bson.D{{Key: "_id", Value: 2}, {Key: "n", Value: 2}})
	run(t, db, bson.D{{Key: "collMod", Value: "v"}, {Key: "validator", Value: bson.D{{Key: "n", Value: bson.D{{Key: "$type", Value: "number"}}}}},
		{Key: "validationLevel", Value: "moderate"}})

	// Moderate: an invalid document may be updated to another invalid one;
	// a valid one may not become invalid; inserts are always checked.
	if _, err := c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: "worse"}}}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: "x"}}}})
	if we := writeErrorOf(t, err); we.Code != 121 {
		t.Fatal(err)
	}
	_, err = c.InsertOne(ctx(t), bson.D{{Key: "n", Value: "x"}})
	if we := writeErrorOf(t, err); we.Code != 121 {
		t.Fatal(err)
	}

	// warn: the write succeeds.
	run(t, db, bson.D{{Key: "collMod", Value: "v"}, {Key: "validationAction", Value: "warn"}})
	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 3}, {Key: "n", Value: "x"}}); err != nil {
		t.Fatal(err)
	}
	// off: nothing is checked.
	run(t, db, bson.D{{Key: "collMod", Value: "v"}, {Key: "validationAction", Value: "error"}, {Key: "validationLevel", Value: "off"}})
	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 4}, {Key: "n", Value: "x"}}); err != nil {
		t.Fatal(err)
	}
	// listCollections shows what was set.
	specs, err := db.ListCollectionSpecifications(ctx(t), bson.D{{Key: "name", Value: "v"}})
	if err != nil || len(specs) != 1 {
		t.Fatal(err)
	}
	want := `{"validator": {"n": {"$type": "number"}},"validationLevel": "off","validationAction": "error"}`
	if got := specs[0].Options.String(); got != want {
		t.Fatalf("options %s, want %s", got, want)
	}
	// An empty validator removes it.
	run(t, db, bson.D{{Key: "collMod", Value: "v"}, {Key: "validator", Value: bson.D{}}, {Key: "validationLevel", Value: "strict"}})
	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "n", Value: "x"}}); err != nil {
		t.Fatal(err)
	}
}

func TestValidatorJSONSchemaErrInfo(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	schema := bson.D{{Key: "$jsonSchema", Value: bson.D{
		{Key: "bsonType", Value: "object"},
		{Key: "required", Value: bson.A{"name"}},
		{Key: "properties", Value: bson.D{{Key: "name", Value: bson.D{{Key: "bsonType", Value: "string"}}}}},
	}}}
	c := createValidated(t, db, "s", schema)
	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "name", Value: "ok"}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 7}, {Key: "name", Value: 3}})
	we := writeErrorOf(t, err)
	if we.Code != 121 || we.Details.Lookup("details", "operatorName").StringValue() != "$jsonSchema" {
		t.Fatalf("got %d %s", we.Code, we.Details)
	}
	// The details name the failing rule as mongod does.
	want := `{"operatorName": "$jsonSchema","schemaRulesNotSatisfied": [{"operatorName": "properties","propertiesNotSatisfied": [{"propertyName": "name","details": [{"operatorName": "bsonType","specifiedAs": {"bsonType": "string"},"reason": "type did not match","consideredValue": {"$numberInt":"3"},"consideredType": "int"}]}]}]}`
	if got := we.Details.Lookup("details").Document().String(); got != want {
		t.Fatalf("details\n got  %s\n want %s", got, want)
	}
}

func TestValidatorOptionErrors(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	cases := []struct {
		name string
		cmd  bson.D
		code int32
	}{
		{"validator not a document", bson.D{{Key: "create", Value: "a"}, {Key: "validator", Value: 1}}, 14},
		{"bad level", bson.D{{Key: "create", Value: "a"}, {Key: "validator", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "validationLevel", Value: "lax"}}, 2},
		{"bad action", bson.D{{Key: "create", Value: "a"}, {Key: "validationAction", Value: "ignore"}}, 2},
		{"unknown operator", bson.D{{Key: "create", Value: "a"}, {Key: "validator", Value: bson.D{{Key: "a", Value: bson.D{{Key: "$foo", Value: 1}}}}}}, 2},
		{"$where", bson.D{{Key: "create", Value: "a"}, {Key: "validator", Value: bson.D{{Key: "$where", Value: "true"}}}}, 224},
		{"$text", bson.D{{Key: "create", Value: "a"}, {Key: "validator", Value: bson.D{{Key: "$or", Value: bson.A{bson.D{{Key: "$text", Value: bson.D{{Key: "$search", Value: "x"}}}}}}}}}, 224},
		{"$near", bson.D{{Key: "create", Value: "a"}, {Key: "validator", Value: bson.D{{Key: "loc", Value: bson.D{{Key: "$near", Value: bson.A{0, 0}}}}}}}, 224},
		{"system collection", bson.D{{Key: "create", Value: "system.js"}, {Key: "validator", Value: bson.D{{Key: "a", Value: 1}}}}, 72},
		{"collMod missing", bson.D{{Key: "collMod", Value: "nope"}, {Key: "validator", Value: bson.D{{Key: "a", Value: 1}}}}, 26},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if e := cmdErr(t, db, tc.cmd); e.Code != tc.code {
				t.Fatalf("got %d %s, want %d", e.Code, e.Message, tc.code)
			}
		})
	}
	adminErr := cmdErr(t, db.Client().Database("admin"), bson.D{{Key: "create", Value: "a"}, {Key: "validator", Value: bson.D{{Key: "a", Value: 1}}}})
	if adminErr.Code != 72 {
		t.Fatalf("admin: %v", adminErr)
	}
}

// The validator uses the collection's default collation.
func TestValidatorUsesDefaultCollation(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := createValidated(t, db, "v", bson.D{{Key: "s", Value: "abc"}},
		bson.E{Key: "collation", Value: bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}}})
	if _, err := c.InsertOne(ctx(t), bson.D{{Key: "s", Value: "ABC"}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.InsertOne(ctx(t), bson.D{{Key: "s", Value: "abd"}})
	if we := writeErrorOf(t, err); we.Code != 121 {
		t.Fatal(err)
	}
}
