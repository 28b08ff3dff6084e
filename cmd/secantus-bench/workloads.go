package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// benchDB is the database every workload writes to; it is dropped at the end.
const benchDB = "secantus_bench"

// preload is the size of the collection find-id and update-inc run over.
const preload = 100_000

// bench holds what every workload needs: where the server is, where to
// fsync, and how long to run.
type bench struct {
	uri string
	dir string
	dur time.Duration
}

// workload is one named measurement; run performs it once.
type workload struct {
	name string
	run  func(ctx context.Context) (result, error)
}

// workloads lists the measurements in the order they run and print: the
// floors first, so that each run measures its own yardsticks.
func (b *bench) workloads() []workload {
	journaled := &writeconcern.WriteConcern{W: 1, Journal: ptr(true)}
	return []workload{
		{"tcp-rtt", b.tcpRTT},
		{"fsync", b.fsync},
		{"ping", b.ping},
		{"insert-1k-c1", b.insertOne(1, nil)},
		{"insert-1k-c8", b.insertOne(8, nil)},
		{"insertmany-1000", b.insertMany},
		{"find-id", b.preloaded(func(c *mongo.Collection) opFunc {
			return func(ctx context.Context, _, _ int) error {
				return c.FindOne(ctx, bson.D{{Key: "_id", Value: int32(rand.IntN(preload))}}).Err()
			}
		})},
		{"update-inc", b.preloaded(func(c *mongo.Collection) opFunc {
			return func(ctx context.Context, _, _ int) error {
				res, err := c.UpdateOne(ctx,
					bson.D{{Key: "_id", Value: int32(rand.IntN(preload))}},
					bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}})
				if err == nil && res.MatchedCount != 1 {
					err = fmt.Errorf("updateOne matched %d documents, want 1", res.MatchedCount)
				}
				return err
			}
		})},
		{"insert-j-c1", b.insertOne(1, journaled)},
		{"insert-j-c8", b.insertOne(8, journaled)},
	}
}

func ptr[T any](v T) *T { return &v }

// opFunc is one operation of a workload; worker and i say which worker
// runs it and its sequence number there (negative during warm-up).
type opFunc func(ctx context.Context, worker, i int) error

// measure runs op on n concurrent workers for d, after a warm-up of d/10
// on one worker, and summarizes the latencies of every operation.
func measure(ctx context.Context, n int, d time.Duration, op opFunc) (result, error) {
	warm := time.Now().Add(d / 10)
	for i := -1; time.Now().Before(warm); i-- {
		if err := op(ctx, 0, i); err != nil {
			return result{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	var (
		mu       sync.Mutex
		all      []time.Duration
		total    int64
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			var err error
			for i := 0; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				if err = op(ctx, w, i); err != nil {
					break
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			all = append(all, lat...)
			total += int64(len(lat))
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return result{}, firstErr
	}
	return summarize(all, total, elapsed), nil
}

// connect opens a client with a pool just large enough for the workload's
// workers, and wc as its default write concern when not nil.
func (b *bench) connect(ctx context.Context, pool uint64, wc *writeconcern.WriteConcern) (*mongo.Client, error) {
	o := options.Client().ApplyURI(b.uri).SetMaxPoolSize(pool)
	if wc != nil {
		o.SetWriteConcern(wc)
	}
	c, err := mongo.Connect(o)
	if err != nil {
		return nil, err
	}
	// Fail here, with a clear message, rather than in the warm-up.
	if err := c.Ping(ctx, nil); err != nil {
		c.Disconnect(ctx)
		return nil, fmt.Errorf("ping %s: %w", b.uri, err)
	}
	return c, nil
}

// freshCollection names a collection no earlier run used.
func freshCollection(c *mongo.Client, prefix string) *mongo.Collection {
	return c.Database(benchDB).Collection(fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano()))
}

func (b *bench) ping(ctx context.Context) (result, error) {
	c, err := b.connect(ctx, 2, nil)
	if err != nil {
		return result{}, err
	}
	defer c.Disconnect(ctx)
	admin := c.Database("admin")
	return measure(ctx, 1, b.dur, func(ctx context.Context, _, _ int) error {
		return admin.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
	})
}

// pad1k makes each inserted document about 1 KiB of BSON.
var pad1k = strings.Repeat("x", 1000)

// insertOne inserts 1 KiB documents with n workers into a fresh
// collection, with write concern wc (nil: the server's default).
func (b *bench) insertOne(n int, wc *writeconcern.WriteConcern) func(context.Context) (result, error) {
	return func(ctx context.Context) (result, error) {
		c, err := b.connect(ctx, uint64(n+1), wc)
		if err != nil {
			return result{}, err
		}
		defer c.Disconnect(ctx)
		coll := freshCollection(c, "insert")
		defer coll.Drop(ctx)
		return measure(ctx, n, b.dur, func(ctx context.Context, w, i int) error {
			_, err := coll.InsertOne(ctx, bson.D{{Key: "w", Value: w}, {Key: "i", Value: i}, {Key: "pad", Value: pad1k}})
			return err
		})
	}
}

// insertMany inserts batches of 1 000 small documents; the result counts
// documents per second, and its latencies are per batch.
func (b *bench) insertMany(ctx context.Context) (result, error) {
	c, err := b.connect(ctx, 2, nil)
	if err != nil {
		return result{}, err
	}
	defer c.Disconnect(ctx)
	coll := freshCollection(c, "many")
	defer coll.Drop(ctx)
	pad := strings.Repeat("y", 100)
	batch := make([]any, 1000)
	for i := range batch {
		batch[i] = bson.D{{Key: "i", Value: i}, {Key: "pad", Value: pad}}
	}
	r, err := measure(ctx, 1, b.dur, func(ctx context.Context, _, _ int) error {
		// The driver adds a fresh _id to each document as it encodes
		// it, so the same batch can be sent again and again.
		_, err := coll.InsertMany(ctx, batch)
		return err
	})
	r.OpsPS *= float64(len(batch))
	r.Unit = "docs"
	return r, err
}

// preloaded runs op on one worker over the collection "preloaded" of
// 100 000 small documents with _id 0..99 999, loaded (untimed) once and
// reused by later workloads and runs.
func (b *bench) preloaded(mk func(*mongo.Collection) opFunc) func(context.Context) (result, error) {
	return func(ctx context.Context) (result, error) {
		c, err := b.connect(ctx, 2, nil)
		if err != nil {
			return result{}, err
		}
		defer c.Disconnect(ctx)
		coll := c.Database(benchDB).Collection("preloaded")
		n, err := coll.CountDocuments(ctx, bson.D{})
		if err != nil {
			return result{}, err
		}
		if n != preload {
			if err := loadPreloaded(ctx, coll); err != nil {
				return result{}, fmt.Errorf("preload: %w", err)
			}
		}
		return measure(ctx, 1, b.dur, mk(coll))
	}
}

func loadPreloaded(ctx context.Context, coll *mongo.Collection) error {
	if err := coll.Drop(ctx); err != nil {
		return err
	}
	const batchSize = 1000
	for start := 0; start < preload; start += batchSize {
		batch := make([]any, batchSize)
		for i := range batch {
			batch[i] = bson.D{{Key: "_id", Value: int32(start + i)}, {Key: "n", Value: int32(0)}, {Key: "s", Value: "value"}}
		}
		if _, err := coll.InsertMany(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

// tcpRTT is the floor for ping: a 64-byte round trip over one persistent
// loopback TCP connection to an in-process echo server.
func (b *bench) tcpRTT(ctx context.Context) (result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return result{}, err
	}
	defer conn.Close()
	buf := make([]byte, 64)
	return measure(ctx, 1, b.dur, func(context.Context, int, int) error {
		if _, err := conn.Write(buf); err != nil {
			return err
		}
		_, err := io.ReadFull(conn, buf)
		return err
	})
}

// fsync is the floor for j:true writes: append a 512-byte block to a
// file in the data directory and fsync it.
func (b *bench) fsync(ctx context.Context) (result, error) {
	f, err := os.CreateTemp(b.dir, "secantus-bench-fsync-*")
	if err != nil {
		return result{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	block := make([]byte, 512)
	return measure(ctx, 1, b.dur, func(context.Context, int, int) error {
		if _, err := f.Write(block); err != nil {
			return err
		}
		return f.Sync()
	})
}
