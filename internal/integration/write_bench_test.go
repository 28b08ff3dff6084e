package integration

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// BenchmarkWrites measures write throughput through the Go driver against
// an embedded in-memory server, with 1 and 8 concurrent clients (8
// goroutines sharing one driver connection pool):
//
//   - insert: insertOne of a small new document;
//   - updateByID: updateOne {_id: k} {$inc: {n: 1}} over 10 000 documents;
//   - push: updateOne {_id: k} {$push: {a: {$each: [i], $slice: -50}}}
//     over 1 000 documents (sliced so documents stay a realistic size).
//
// Each reports ops/s; compare runs by their medians (-count) and against
// BenchmarkPing from the same run.
//
//	go test ./internal/integration -run '^$' -bench 'Writes|Ping' -count 5
func BenchmarkWrites(b *testing.B) {
	type workload struct {
		name  string
		setup func(b *testing.B, c *mongo.Collection)
		op    func(ctx context.Context, c *mongo.Collection, i int64) error
	}
	preload := func(n int) func(b *testing.B, c *mongo.Collection) {
		return func(b *testing.B, c *mongo.Collection) {
			docs := make([]any, n)
			for i := range docs {
				docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "n", Value: 0}, {Key: "a", Value: bson.A{}}}
			}
			if _, err := c.InsertMany(context.Background(), docs); err != nil {
				b.Fatal(err)
			}
		}
	}
	workloads := []workload{
		{"insert", nil, func(ctx context.Context, c *mongo.Collection, i int64) error {
			_, err := c.InsertOne(ctx, bson.D{{Key: "i", Value: i}, {Key: "s", Value: "some text"}})
			return err
		}},
		{"updateByID", preload(10000), func(ctx context.Context, c *mongo.Collection, i int64) error {
			_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: int32(i * 7919 % 10000)}},
				bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}})
			return err
		}},
		{"push", preload(1000), func(ctx context.Context, c *mongo.Collection, i int64) error {
			_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: int32(i * 7919 % 1000)}},
				bson.D{{Key: "$push", Value: bson.D{{Key: "a", Value: bson.D{{Key: "$each", Value: bson.A{i}}, {Key: "$slice", Value: -50}}}}}})
			return err
		}},
	}
	for _, w := range workloads {
		for _, clients := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/c%d", w.name, clients), func(b *testing.B) {
				c := benchClient(b).Database("bench").Collection("c")
				if w.setup != nil {
					w.setup(b, c)
				}
				runClients(b, clients, func(ctx context.Context, i int64) error { return w.op(ctx, c, i) })
			})
		}
	}
}

// runClients runs b.N operations spread over the given number of
// concurrent goroutines and reports the throughput.
func runClients(b *testing.B, clients int, op func(ctx context.Context, i int64) error) {
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range clients {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := op(ctx, i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
