package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// BenchmarkAggregate runs five representative pipelines through the Go
// driver against an embedded in-memory server holding 100 000 documents
// of about 1 KiB (orders: customer, status, amount, quantity, date, three
// tags and padding) and 1 000 customers:
//
//   - matchGroupSort: $match on status, $group by customer with $sum, $sort;
//   - sortLimit: $sort on amount with $limit 10 (a top-k sort);
//   - lookup: $lookup of each order's customer, then $count;
//   - unwindGroup: $unwind of the tags, $group by tag;
//   - setWindowFields: a running total per customer by date, then $count.
//
// Each op drains the whole result. Compare runs by their medians:
//
//	go test ./internal/integration -run '^$' -bench Aggregate -count 5 -benchtime 20x
func BenchmarkAggregate(b *testing.B) {
	db := benchClient(b).Database("bench")
	loadOrders(b, db, 100000)
	pipelines := []struct {
		name string
		p    bson.A
	}{
		{"matchGroupSort", bson.A{
			bson.D{{Key: "$match", Value: bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{"A", "B", "C"}}}}}}},
			bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$cust"}, {Key: "total", Value: bson.D{{Key: "$sum", Value: "$amount"}}}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
			bson.D{{Key: "$sort", Value: bson.D{{Key: "total", Value: -1}}}},
		}},
		{"sortLimit", bson.A{
			bson.D{{Key: "$sort", Value: bson.D{{Key: "amount", Value: -1}}}},
			bson.D{{Key: "$limit", Value: 10}},
		}},
		{"lookup", bson.A{
			bson.D{{Key: "$lookup", Value: bson.D{{Key: "from", Value: "customers"}, {Key: "localField", Value: "cust"}, {Key: "foreignField", Value: "_id"}, {Key: "as", Value: "customer"}}}},
			bson.D{{Key: "$count", Value: "n"}},
		}},
		{"unwindGroup", bson.A{
			bson.D{{Key: "$unwind", Value: "$tags"}},
			bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$tags"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
		}},
		{"setWindowFields", bson.A{
			bson.D{{Key: "$setWindowFields", Value: bson.D{
				{Key: "partitionBy", Value: "$cust"},
				{Key: "sortBy", Value: bson.D{{Key: "date", Value: 1}}},
				{Key: "output", Value: bson.D{{Key: "running", Value: bson.D{
					{Key: "$sum", Value: "$amount"},
					{Key: "window", Value: bson.D{{Key: "documents", Value: bson.A{"unbounded", "current"}}}},
				}}}},
			}}},
			bson.D{{Key: "$count", Value: "n"}},
		}},
	}
	ctx := context.Background()
	for _, p := range pipelines {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				cur, err := db.Collection("orders").Aggregate(ctx, p.p)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for cur.Next(ctx) {
					n++
				}
				if err := cur.Err(); err != nil {
					b.Fatal(err)
				}
				cur.Close(ctx)
				if n == 0 {
					b.Fatal("no output")
				}
			}
		})
	}
}

// loadOrders fills db.orders with n documents of about 1 KiB and
// db.customers with 1 000.
func loadOrders(b *testing.B, db *mongo.Database, n int) {
	ctx := context.Background()
	pad := strings.Repeat("x", 820)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	statuses := []string{"A", "B", "C", "D", "E"}
	batch := make([]any, 0, 1000)
	for i := range n {
		batch = append(batch, bson.D{
			{Key: "_id", Value: i},
			{Key: "cust", Value: fmt.Sprintf("c%04d", i*7919%1000)},
			{Key: "status", Value: statuses[i%5]},
			{Key: "amount", Value: float64(i*31%10000) / 100},
			{Key: "qty", Value: int32(i % 17)},
			{Key: "date", Value: base.Add(time.Duration(i) * time.Minute)},
			{Key: "tags", Value: bson.A{fmt.Sprintf("t%d", i%7), fmt.Sprintf("t%d", i%11), fmt.Sprintf("t%d", i%13)}},
			{Key: "pad", Value: pad},
		})
		if len(batch) == cap(batch) {
			if _, err := db.Collection("orders").InsertMany(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if _, err := db.Collection("orders").InsertMany(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	custs := make([]any, 1000)
	for i := range custs {
		custs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("c%04d", i)}, {Key: "name", Value: fmt.Sprintf("Customer %d", i)}, {Key: "tier", Value: i % 3}}
	}
	if _, err := db.Collection("customers").InsertMany(ctx, custs); err != nil {
		b.Fatal(err)
	}
}
