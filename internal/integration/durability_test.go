package integration

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/secantusdb/secantus"
	"github.com/secantusdb/secantus/secantustest"
)

func TestPersistenceAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	start := func() (*secantus.Server, *mongo.Client) {
		srv, err := secantus.Start(context.Background(), secantus.Config{Addr: "127.0.0.1:0", Storage: dir})
		if err != nil {
			t.Fatal(err)
		}
		client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
		if err != nil {
			t.Fatal(err)
		}
		return srv, client
	}
	srv, client := start()
	c := client.Database("app").Collection("items")
	for i := 0; i < 100; i++ {
		if _, err := c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: i}, {Key: "v", Value: i * i}}); err != nil {
			t.Fatal(err)
		}
	}
	c.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: 5}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: "updated"}}}})
	c.DeleteOne(ctx(t), bson.D{{Key: "_id", Value: 6}})
	client.Database("app").CreateCollection(ctx(t), "empty")
	client.Disconnect(ctx(t))
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	srv, client = start()
	defer srv.Close()
	defer client.Disconnect(context.Background())
	c = client.Database("app").Collection("items")
	if n := count(t, c, bson.D{}); n != 99 {
		t.Fatalf("after restart: %d documents, want 99", n)
	}
	var got bson.M
	c.FindOne(ctx(t), bson.D{{Key: "_id", Value: 5}}).Decode(&got)
	if got["v"] != "updated" {
		t.Fatalf("doc 5 = %v", got)
	}
	names, _ := client.Database("app").ListCollectionNames(ctx(t), bson.D{})
	if strings.Join(names, ",") != "empty,items" {
		t.Fatalf("collections after restart: %v", names)
	}
	// Record ids continue after the restart: natural order stays insertion order.
	c.InsertOne(ctx(t), bson.D{{Key: "_id", Value: -1}})
	var last bson.M
	c.FindOne(ctx(t), bson.D{}, options.FindOne().SetSort(bson.D{{Key: "$natural", Value: -1}})).Decode(&last)
	if last["_id"] != int32(-1) {
		t.Fatalf("last in natural order = %v", last)
	}
}

// TestCrashChild is the server process of TestCrashJournaledWrites; it
// only runs when that test starts it.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("SECANTUS_CRASH_DIR")
	if dir == "" {
		t.Skip("helper process for TestCrashJournaledWrites")
	}
	srv, err := secantus.Start(context.Background(), secantus.Config{Addr: "127.0.0.1:0", Storage: dir})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("LISTENING", srv.Addr().String())
	select {}
}

// TestCrashJournaledWrites kills a server with SIGKILL while clients
// insert with j:true, and checks that every acknowledged document is
// there after reopening the data directory.
func TestCrashJournaledWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a server process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), "SECANTUS_CRASH_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	addr := ""
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatal("child server did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	client, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + addr + "/?directConnection=true").
		SetWriteConcern(writeconcern.Journaled()).SetTimeout(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	c := client.Database("crash").Collection("c")
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				if _, err := c.InsertOne(context.Background(), bson.D{{Key: "_id", Value: id}, {Key: "pad", Value: strings.Repeat("x", 200)}}); err != nil {
					return
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Kill() // SIGKILL mid-stream
	cmd.Wait()
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}

	srv := secantustest.New(t, secantustest.WithStorage(dir))
	client2, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		t.Fatal(err)
	}
	defer client2.Disconnect(context.Background())
	c2 := client2.Database("crash").Collection("c")
	var missing []string
	for _, id := range acked {
		if err := c2.FindOne(ctx(t), bson.D{{Key: "_id", Value: id}}).Err(); err != nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged j:true writes lost after SIGKILL, e.g. %v", len(missing), len(acked), missing[:min(5, len(missing))])
	}
	t.Logf("%d acknowledged journaled writes all present after SIGKILL", len(acked))
	v := run(t, client2.Database("crash"), bson.D{{Key: "validate", Value: "c"}})
	if !v.Lookup("valid").Boolean() {
		t.Fatalf("validate after crash: %v", v)
	}
}
