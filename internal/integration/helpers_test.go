// Package integration drives SecantusDB end to end through the official
// Go driver, against in-memory servers started by secantustest.
package integration

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/secantusdb/secantus/secantustest"
)

// connect starts a server and returns a client and a fresh database.
func connect(t *testing.T, opts ...secantustest.Option) (*mongo.Client, *mongo.Database) {
	t.Helper()
	srv := secantustest.New(t, opts...)
	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()).SetTimeout(20 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Disconnect(context.Background()) })
	return client, client.Database("test")
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// run runs a command and returns its reply (or fails the test).
func run(t *testing.T, db *mongo.Database, cmd bson.D) bson.Raw {
	t.Helper()
	raw, err := db.RunCommand(ctx(t), cmd).Raw()
	if err != nil {
		t.Fatalf("%v: %v", cmd, err)
	}
	return raw
}

// cmdErr runs a command that must fail and returns the server error.
func cmdErr(t *testing.T, db *mongo.Database, cmd bson.D) mongo.CommandError {
	t.Helper()
	err := db.RunCommand(ctx(t), cmd).Err()
	var ce mongo.CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("%v: want a command error, got %v", cmd, err)
	}
	return ce
}

func wantCode(t *testing.T, err error, code int32) {
	t.Helper()
	var se mongo.ServerError
	if !errors.As(err, &se) || !se.HasErrorCode(int(code)) {
		t.Fatalf("want error code %d, got %v", code, err)
	}
}

// docsOf returns a function reading every document of a find's cursor:
// docsOf(t)(coll.Find(...)).
func docsOf(t *testing.T) func(*mongo.Cursor, error) []bson.M {
	return func(cur *mongo.Cursor, err error) []bson.M {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []bson.M
		if err := cur.All(context.Background(), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// count counts documents with the count command.
func count(t *testing.T, c *mongo.Collection, filter bson.D) int64 {
	t.Helper()
	raw, err := c.Database().RunCommand(ctx(t), bson.D{{Key: "count", Value: c.Name()}, {Key: "query", Value: filter}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	return int64(raw.Lookup("n").Int32())
}
