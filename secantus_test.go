package secantus_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/secantusdb/secantus"
)

// BenchmarkStartToFirstPing measures what a test pays for its own server:
// embedded start (in memory, port 0) until the first ping through the Go
// driver has been answered, plus shutdown.
func BenchmarkStartToFirstPing(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		srv, err := secantus.Start(ctx, secantus.Config{Addr: "127.0.0.1:0", Storage: secantus.InMemory})
		if err != nil {
			b.Fatal(err)
		}
		client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
		if err != nil {
			b.Fatal(err)
		}
		if err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		client.Disconnect(ctx)
		srv.Close()
		b.StartTimer()
	}
}

func TestStartServeClose(t *testing.T) {
	t.Parallel()
	srv, err := secantus.Start(context.Background(), secantus.Config{Addr: "127.0.0.1:0", Storage: secantus.InMemory})
	if err != nil {
		t.Fatal(err)
	}
	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Ping(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	client.Disconnect(context.Background())
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	<-srv.Done()
}
