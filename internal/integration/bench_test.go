package integration

import (
	"context"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/secantusdb/secantus/secantustest"
)

func benchClient(b *testing.B) *mongo.Client {
	srv := secantustest.New(b)
	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { client.Disconnect(context.Background()) })
	return client
}

func BenchmarkPing(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	for b.Loop() {
		if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInsertOne1K(b *testing.B) {
	c := benchClient(b).Database("bench").Collection("c")
	ctx := context.Background()
	pad := strings.Repeat("x", 1000)
	i := 0
	for b.Loop() {
		i++
		if _, err := c.InsertOne(ctx, bson.D{{Key: "i", Value: i}, {Key: "pad", Value: pad}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFindByID(b *testing.B) {
	c := benchClient(b).Database("bench").Collection("c")
	ctx := context.Background()
	var docs []any
	for i := 0; i < 10000; i++ {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "n", Value: i}})
	}
	if _, err := c.InsertMany(ctx, docs); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i = (i + 7919) % 10000
		if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: i}}).Err(); err != nil {
			b.Fatal(err)
		}
	}
}
