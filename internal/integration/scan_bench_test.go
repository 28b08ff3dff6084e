package integration

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/secantusdb/secantus"
)

// scanFixture is one in-memory server per test process holding
// collections of ~1 KiB documents: "scan100k" (100 000 of them) and
// "scan20k" (the first 20 000). It is never closed: it lives as long as
// the process, so that every benchmark run and test can share it.
type scanFixture struct {
	client *mongo.Client
	db     *mongo.Database
	err    error
}

var (
	scanOnce sync.Once
	scanData scanFixture
)

// scanDoc is document i: grp = i % 1000, nested.x = i, tag = "t-<i % 4000>",
// kind "a" for even i, name "name-<i, 6 digits>", and padding to ~1 KiB.
func scanDoc(i int, pad string) bson.D {
	kind := "b"
	if i%2 == 0 {
		kind = "a"
	}
	return bson.D{
		{Key: "_id", Value: i},
		{Key: "n", Value: i},
		{Key: "grp", Value: i % 1000},
		{Key: "kind", Value: kind},
		{Key: "tag", Value: fmt.Sprintf("t-%d", i%4000)},
		{Key: "name", Value: fmt.Sprintf("name-%06d", i)},
		{Key: "nested", Value: bson.D{{Key: "x", Value: i}, {Key: "y", Value: "nested value"}, {Key: "z", Value: bson.A{1, 2, 3}}}},
		{Key: "pad", Value: pad},
	}
}

func scanSetup() (*scanFixture, error) {
	scanOnce.Do(func() {
		srv, err := secantus.Start(context.Background(), secantus.Config{Addr: "127.0.0.1:0", Storage: secantus.InMemory})
		if err != nil {
			scanData.err = err
			return
		}
		client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
		if err != nil {
			scanData.err = err
			return
		}
		db := client.Database("scan")
		pad := strings.Repeat("p", 830)
		ctx := context.Background()
		for _, coll := range []struct {
			name string
			n    int
		}{{"scan100k", 100_000}, {"scan20k", 20_000}} {
			batch := make([]any, 0, 1000)
			for i := range coll.n {
				batch = append(batch, scanDoc(i, pad))
				if len(batch) == cap(batch) {
					if _, err := db.Collection(coll.name).InsertMany(ctx, batch); err != nil {
						scanData.err = err
						return
					}
					batch = batch[:0]
				}
			}
		}
		scanData.client, scanData.db = client, db
	})
	return &scanData, scanData.err
}

// scanFilters each select 100 of the 100 000 documents.
var scanFilters = []struct {
	name   string
	filter bson.D
}{
	{"EqTopLevelInt", bson.D{{Key: "grp", Value: 7}}},
	{"RangeNested", bson.D{{Key: "nested.x", Value: bson.D{{Key: "$gte", Value: 5000}, {Key: "$lt", Value: 5100}}}}},
	{"InStrings", bson.D{{Key: "tag", Value: bson.D{{Key: "$in", Value: bson.A{"t-1", "t-2", "t-3", "t-4"}}}}}},
	{"AndOr", bson.D{{Key: "$and", Value: bson.A{
		bson.D{{Key: "grp", Value: bson.D{{Key: "$lt", Value: 2}}}},
		bson.D{{Key: "$or", Value: bson.A{bson.D{{Key: "kind", Value: "a"}}, bson.D{{Key: "n", Value: bson.D{{Key: "$lt", Value: 0}}}}}}},
	}}}},
	{"RegexPrefix", bson.D{{Key: "name", Value: bson.D{{Key: "$regex", Value: "^name-0001"}}}}},
}

// findAll runs a find and drains every batch; it returns the count.
func findAll(ctx context.Context, c *mongo.Collection, filter bson.D) (int, error) {
	cur, err := c.Find(ctx, filter)
	if err != nil {
		return 0, err
	}
	defer cur.Close(ctx)
	n := 0
	for cur.Next(ctx) {
		n++
	}
	return n, cur.Err()
}

// BenchmarkFindScan100k times a whole find (collection scan, all batches
// drained through the driver) over 100 000 documents of ~1 KiB, for
// filters that each select 100 documents.
func BenchmarkFindScan100k(b *testing.B) {
	fx, err := scanSetup()
	if err != nil {
		b.Fatal(err)
	}
	c := fx.db.Collection("scan100k")
	for _, f := range scanFilters {
		b.Run(f.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				n, err := findAll(ctx, c, f.filter)
				if err != nil {
					b.Fatal(err)
				}
				if n != 100 {
					b.Fatalf("%s matched %d documents, want 100", f.name, n)
				}
			}
		})
	}
}

// TestFindScanMemoryFlat checks that a collection scan streams: the heap
// grows by about as much for 100 000 documents as for 20 000, and stays
// far below the size of the data (~100 MiB).
func TestFindScanMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100 000-document collection")
	}
	if raceEnabled {
		t.Skip("heap figures are not meaningful under the race detector")
	}
	fx, err := scanSetup()
	if err != nil {
		t.Fatal(err)
	}
	peak := func(coll string) uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		var top atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			var m runtime.MemStats
			for {
				runtime.ReadMemStats(&m)
				if m.HeapInuse > top.Load() {
					top.Store(m.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		n, err := findAll(context.Background(), fx.db.Collection(coll), bson.D{{Key: "grp", Value: 7}})
		close(stop)
		<-done
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("%s: no match", coll)
		}
		if top.Load() < base {
			return 0
		}
		return top.Load() - base
	}
	small, big := peak("scan20k"), peak("scan100k")
	t.Logf("peak heap growth: 20k docs %.1f MiB, 100k docs %.1f MiB", float64(small)/(1<<20), float64(big)/(1<<20))
	if big > 64<<20 {
		t.Fatalf("scanning 100k documents grew the heap by %d MiB: the scan does not stream", big>>20)
	}
}
