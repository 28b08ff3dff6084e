package integration

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// The exact replies of the write commands — field order and numeric types
// included — as mongod 8.0 answers them (reference: the manual's
// reference/command/{insert,update,delete,findAndModify} "Output"
// sections, checked against mongod's write_ops.idl reply types).

func TestWriteCommandReplyShapes(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	cases := []struct {
		name string
		cmd  bson.D
		want string // Extended JSON (relaxed) of the reply
	}{
		{"insert", bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{
			bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: bson.A{1, 2, 3}}},
			bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: bson.A{}}},
		}}},
			`{"n": 2, "ok": 1.0}`},
		{"insert duplicate, unordered", bson.D{{Key: "insert", Value: "c"}, {Key: "ordered", Value: false}, {Key: "documents", Value: bson.A{
			bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "_id", Value: 3}},
		}}},
			`{"n": 1, "writeErrors": [{"index": 0, "code": 11000, "keyPattern": {"_id": 1}, "keyValue": {"_id": 1}, "errmsg": "E11000 duplicate key error collection: test.c index: _id_ dup key: { _id: 1 }"}], "ok": 1.0}`},
		{"update modifies", bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{
			bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$push", Value: bson.D{{Key: "a", Value: 4}}}}}},
		}}},
			`{"n": 1, "nModified": 1, "ok": 1.0}`},
		{"update no-op", bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{
			bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "a.0", Value: 1}}}}}},
		}}},
			`{"n": 1, "nModified": 0, "ok": 1.0}`},
		{"update upsert and error", bson.D{{Key: "update", Value: "c"}, {Key: "ordered", Value: false}, {Key: "updates", Value: bson.A{
			bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 9}}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}}, {Key: "upsert", Value: true}},
			bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "a", Value: 1}}}}}},
			bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 10}}}, {Key: "u", Value: bson.D{{Key: "y", Value: 1}}}, {Key: "upsert", Value: true}},
		}}},
			`{"n": 2, "nModified": 0, "upserted": [{"index": 0, "_id": 9}, {"index": 2, "_id": 10}], "writeErrors": [{"index": 1, "code": 14, "errmsg": "Cannot apply $inc to a value of non-numeric type. {_id: 1} has the field 'a' of non-numeric type array"}], "ok": 1.0}`},
		{"delete", bson.D{{Key: "delete", Value: "c"}, {Key: "deletes", Value: bson.A{
			bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 10}}}, {Key: "limit", Value: 1}},
			bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 99}}}, {Key: "limit", Value: 0}},
		}}},
			`{"n": 1, "ok": 1.0}`},
		{"findAndModify update new", bson.D{{Key: "findAndModify", Value: "c"}, {Key: "query", Value: bson.D{{Key: "_id", Value: 9}}},
			{Key: "update", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "x", Value: 1}}}}}, {Key: "new", Value: true}},
			`{"lastErrorObject": {"n": 1, "updatedExisting": true}, "value": {"_id": 9, "x": 2}, "ok": 1.0}`},
		{"findAndModify upsert", bson.D{{Key: "findAndModify", Value: "c"}, {Key: "query", Value: bson.D{{Key: "_id", Value: 11}}},
			{Key: "update", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}}, {Key: "upsert", Value: true}},
			`{"lastErrorObject": {"n": 1, "updatedExisting": false, "upserted": 11}, "value": null, "ok": 1.0}`},
		{"findAndModify remove", bson.D{{Key: "findAndModify", Value: "c"}, {Key: "query", Value: bson.D{{Key: "_id", Value: 11}}},
			{Key: "remove", Value: true}, {Key: "fields", Value: bson.D{{Key: "_id", Value: 0}}}},
			`{"lastErrorObject": {"n": 1}, "value": {"x": 1}, "ok": 1.0}`},
		{"findAndModify no match", bson.D{{Key: "findAndModify", Value: "c"}, {Key: "query", Value: bson.D{{Key: "_id", Value: 404}}},
			{Key: "update", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}}},
			`{"lastErrorObject": {"n": 0, "updatedExisting": false}, "value": null, "ok": 1.0}`},
	}
	for _, tc := range cases {
		// Sequential: each case sees the previous ones' writes.
		// RunCommand turns writeErrors into an error; the raw reply is
		// still there.
		got, err := db.RunCommand(ctx(t), tc.cmd).Raw()
		if got == nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var want bson.Raw
		if err := bson.UnmarshalExtJSON([]byte(tc.want), false, &want); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got.String() != want.String() {
			t.Errorf("%s:\n got  %s\n want %s", tc.name, got, want)
		}
	}
}

// Unacknowledged writes (w:0, sent with moreToCome) are applied in the
// order they were sent, with no reply.
func TestUnacknowledgedWritesInOrder(t *testing.T) {
	t.Parallel()
	client, _ := connect(t)
	c := client.Database("test").Collection("w0",
		options.Collection().SetWriteConcern(writeconcern.Unacknowledged()))
	for i := range 200 {
		if i%2 == 0 {
			if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: i}, {Key: "n", Value: 0}}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: i - 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: i}}}}); err != nil {
			t.Fatal(err)
		}
	}
	// An acknowledged command on the same client follows the
	// unacknowledged ones; poll briefly in case it took another connection.
	acked := client.Database("test").Collection("w0")
	for range 100 {
		if n := count(t, acked, bson.D{{Key: "n", Value: bson.D{{Key: "$gt", Value: 0}}}}); n == 100 {
			return
		}
	}
	t.Fatalf("unacknowledged writes not all applied: %d", count(t, acked, bson.D{{Key: "n", Value: bson.D{{Key: "$gt", Value: 0}}}}))
}

// The update command's c (constants) binds variables for a pipeline
// update, literally (jstests/core/write/update/update_pipeline_shell_helpers.js,
// manual: reference/command/update "c").
func TestUpdateConstants(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("c")
	seed(t, c, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 1}})
	run(t, db, bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{
		{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}},
		{Key: "u", Value: bson.A{bson.D{{Key: "$set", Value: bson.D{{Key: "b", Value: "$$k"}, {Key: "e", Value: "$$lit"}}}}}},
		{Key: "c", Value: bson.D{{Key: "k", Value: 7}, {Key: "lit", Value: "$a"}}},
	}}}})
	var got bson.Raw
	if err := c.FindOne(ctx(t), bson.D{}).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if want := `{"_id": {"$numberInt":"1"},"a": {"$numberInt":"1"},"b": {"$numberInt":"7"},"e": "$a"}`; got.String() != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// Only pipeline updates take constants.
	raw, _ := db.RunCommand(ctx(t), bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{
		{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}},
		{Key: "c", Value: bson.D{{Key: "k", Value: 1}}},
	}}}}).Raw()
	if code := raw.Lookup("writeErrors", "0", "code").Int32(); code != 51198 {
		t.Fatalf("constants on a modifier update: %s", raw)
	}
}

// $$NOW is fixed for the whole command: every statement of an update
// sees the same value (manual: reference/aggregation-variables, NOW).
func TestNowIsPerCommand(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("now")
	// Enough statements that they span several milliseconds.
	var updates bson.A
	for i := 1; i <= 300; i++ {
		updates = append(updates, bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: i}}},
			{Key: "u", Value: bson.A{bson.D{{Key: "$set", Value: bson.D{{Key: "t", Value: "$$NOW"}}}}}},
			{Key: "upsert", Value: true}})
	}
	run(t, db, bson.D{{Key: "update", Value: "now"}, {Key: "updates", Value: updates}})
	n, err := c.Distinct(ctx(t), "t", bson.D{}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := n.Values()
	if len(vals) != 1 {
		t.Fatalf("statements saw different $$NOW values: %v", vals)
	}
}
