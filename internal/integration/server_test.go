package integration

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/secantusdb/secantus/secantustest"
)

func TestHandshakeAndServerInfo(t *testing.T) {
	t.Parallel()
	client, db := connect(t)
	admin := client.Database("admin")
	hello := run(t, admin, bson.D{{Key: "hello", Value: 1}})
	if !hello.Lookup("isWritablePrimary").Boolean() || hello.Lookup("maxWireVersion").Int32() != 25 ||
		hello.Lookup("maxBsonObjectSize").Int32() != 16*1024*1024 || hello.Lookup("maxWriteBatchSize").Int32() != 100000 {
		t.Fatalf("hello: %v", hello)
	}
	if _, err := hello.LookupErr("topologyVersion", "processId"); err != nil {
		t.Fatalf("hello without topologyVersion: %v", hello)
	}
	bi := run(t, admin, bson.D{{Key: "buildInfo", Value: 1}})
	if v := bi.Lookup("version").StringValue(); len(v) < 4 || v[:4] != "8.0." {
		t.Fatalf("buildInfo version %q", v)
	}
	run(t, admin, bson.D{{Key: "ping", Value: 1}})
	run(t, admin, bson.D{{Key: "hostInfo", Value: 1}})
	run(t, admin, bson.D{{Key: "getCmdLineOpts", Value: 1}})
	run(t, admin, bson.D{{Key: "getParameter", Value: "*"}})
	run(t, admin, bson.D{{Key: "getLog", Value: "startupWarnings"}})
	run(t, admin, bson.D{{Key: "connectionStatus", Value: 1}})
	run(t, admin, bson.D{{Key: "whatsmyuri", Value: 1}})
	run(t, admin, bson.D{{Key: "listCommands", Value: 1}})
	run(t, admin, bson.D{{Key: "killAllSessions", Value: bson.A{}}})
	db.Collection("c").InsertOne(ctx(t), bson.D{{Key: "a", Value: 1}})
	ss := run(t, admin, bson.D{{Key: "serverStatus", Value: 1}})
	if ss.Lookup("connections", "current").AsInt64() < 1 || ss.Lookup("opcounters", "insert").AsInt64() != 1 {
		t.Fatalf("serverStatus counters: connections %v opcounters %v", ss.Lookup("connections"), ss.Lookup("opcounters"))
	}
	ce := cmdErr(t, db, bson.D{{Key: "listDatabases", Value: 1}})
	if ce.Code != 13 {
		t.Fatalf("listDatabases outside admin: %v", ce)
	}
}

func TestFailCommand(t *testing.T) {
	t.Parallel()
	client, db := connect(t)
	admin := client.Database("admin")
	run(t, admin, bson.D{{Key: "configureFailPoint", Value: "failCommand"},
		{Key: "mode", Value: bson.D{{Key: "times", Value: 1}}},
		{Key: "data", Value: bson.D{{Key: "failCommands", Value: bson.A{"insert"}}, {Key: "errorCode", Value: 91}, {Key: "errorLabels", Value: bson.A{"RetryableWriteError"}}}}})
	_, err := db.Collection("c").InsertOne(ctx(t), bson.D{{Key: "a", Value: 1}}, options.InsertOne())
	// The driver retries a retryable error once; with times:1 the retry succeeds.
	if err != nil {
		var se mongo.ServerError
		if !errors.As(err, &se) || !se.HasErrorCode(91) {
			t.Fatalf("insert under failCommand: %v", err)
		}
	}
	raw := db.RunCommand(ctx(t), bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{}}}})
	if raw.Err() != nil {
		t.Fatalf("fail point fired more than once: %v", raw.Err())
	}
	run(t, admin, bson.D{{Key: "configureFailPoint", Value: "failCommand"},
		{Key: "mode", Value: bson.D{{Key: "times", Value: 1}}},
		{Key: "data", Value: bson.D{{Key: "failCommands", Value: bson.A{"find"}}, {Key: "closeConnection", Value: true}}}})
	// The first find's connection is closed; the driver's retryable read succeeds.
	if err := db.Collection("c").FindOne(ctx(t), bson.D{}).Err(); err != nil {
		t.Fatalf("find after one closed connection: %v", err)
	}
	ss := run(t, admin, bson.D{{Key: "serverStatus", Value: 1}})
	if ss.Lookup("connections", "totalCreated").AsInt64() < 3 {
		t.Fatalf("closeConnection did not close a connection: %v", ss.Lookup("connections"))
	}
	run(t, admin, bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: "off"}})
	if err := db.Collection("c").FindOne(ctx(t), bson.D{}).Err(); err != nil {
		t.Fatalf("after off: %v", err)
	}
}

func TestIdleCursorTimeout(t *testing.T) {
	t.Parallel()
	_, db := connect(t, secantustest.WithParameter("cursorTimeoutMillis", "200"))
	c := db.Collection("c")
	for i := 0; i < 5; i++ {
		c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: i}})
	}
	raw := run(t, db, bson.D{{Key: "find", Value: "c"}, {Key: "batchSize", Value: 1}})
	id := raw.Lookup("cursor", "id").Int64()
	time.Sleep(600 * time.Millisecond)
	ce := cmdErr(t, db, bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}})
	if ce.Code != 43 {
		t.Fatalf("getMore after idle timeout: %v", ce)
	}
}

func TestCompressionNegotiated(t *testing.T) {
	t.Parallel()
	srv := secantustest.New(t)
	for _, comp := range []string{"snappy", "zlib", "zstd"} {
		client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()).SetCompressors([]string{comp}))
		if err != nil {
			t.Fatal(err)
		}
		c := client.Database("z").Collection(comp)
		big := make([]byte, 100_000)
		if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 1}, {Key: "b", Value: string(big)}}); err != nil {
			t.Fatalf("%s insert: %v", comp, err)
		}
		var got bson.M
		if err := c.FindOne(ctx(t), bson.D{{Key: "_id", Value: 1}}).Decode(&got); err != nil || len(got["b"].(string)) != len(big) {
			t.Fatalf("%s find: %v", comp, err)
		}
		client.Disconnect(context.Background())
	}
}

func TestConcurrentWritersSameDocument(t *testing.T) {
	t.Parallel()
	_, db := connect(t)
	c := db.Collection("counter")
	c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 0}})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := c.UpdateOne(context.Background(), bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var got bson.M
	c.FindOne(ctx(t), bson.D{{Key: "_id", Value: 1}}).Decode(&got)
	if got["n"] != int32(400) {
		t.Fatalf("n = %v after 400 concurrent increments (lost updates)", got["n"])
	}
}
