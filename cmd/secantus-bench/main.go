// Command secantus-bench drives any MongoDB-compatible server through
// the official Go driver and prints, per workload, throughput and p50/p99
// latency, next to two floors measured in the same run (a loopback TCP
// round trip and an fsync in the data directory), and the project's
// ratio targets. With -load it runs the connection load test instead.
//
//	go run ./cmd/secantus-bench -uri mongodb://127.0.0.1:27017 -dir ./secantus-data
package main

import (
	"context"
	"flag"
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

func main() {
	uri := flag.String("uri", "mongodb://127.0.0.1:27017", "server to benchmark")
	dir := flag.String("dir", os.TempDir(), "directory for the fsync floor (the server's data directory)")
	dur := flag.Duration("duration", 3*time.Second, "time per workload per run")
	runs := flag.Int("runs", 3, "runs per workload (figures are medians)")
	only := flag.String("only", "", "comma-separated workloads to run (default all)")
	load := flag.Bool("load", false, "run the load test instead of the benchmarks")
	loadDur := flag.Duration("load-duration", 60*time.Second, "load test: mixed-workload duration")
	loadConns := flag.Int("load-conns", 200, "load test: concurrent connections")
	cycles := flag.Int("load-cycles", 5000, "load test: connect/disconnect cycles")
	pid := flag.Int("pid", 0, "server process id, to read its RSS from /proc")
	idleRSS := flag.Bool("idle-rss", false, "print the RSS of -pid and exit")
	flag.Parse()

	if *idleRSS {
		fmt.Printf("RSS of pid %d: %.1f MiB\n", *pid, float64(rssKiB(*pid))/1024)
		return
	}
	ctx := context.Background()
	if *load {
		ok := runLoad(ctx, os.Stdout, *uri, *loadConns, *loadDur, *cycles, *pid)
		if !ok {
			os.Exit(1)
		}
		return
	}
	b := &bench{uri: *uri, dir: *dir, dur: *dur}
	want := map[string]bool{}
	for _, w := range strings.Split(*only, ",") {
		if w != "" {
			want[w] = true
		}
	}
	results := map[string][]result{}
	var order []string
	for r := 0; r < *runs; r++ {
		for _, w := range b.workloads() {
			if len(want) > 0 && !want[w.name] {
				continue
			}
			res, err := w.run(ctx)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", w.name, err)
				os.Exit(1)
			}
			if r == 0 {
				order = append(order, w.name)
			}
			results[w.name] = append(results[w.name], res)
		}
	}
	med := map[string]result{}
	for _, n := range order {
		med[n] = medianResult(results[n])
	}
	printTable(os.Stdout, order, med, *runs)
	printChecks(os.Stdout, med)
}

type bench struct {
	uri string
	dir string
	dur time.Duration
}

type workload struct {
	name string
	run  func(ctx context.Context) (result, error)
}

func (b *bench) workloads() []workload {
	return []workload{
		{"tcp-rtt", b.tcpRTT},
		{"fsync", b.fsync},
		{"ping", b.client(1, nil, func(c *mongo.Client) opFunc {
			return func(ctx context.Context, _, _ int) error {
				return c.Database("admin").RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
			}
		})},
		{"insert-1k-c1", b.insertWorkload(1, nil)},
		{"insert-1k-c8", b.insertWorkload(8, nil)},
		{"insertmany-1000", b.insertMany},
		{"find-id", b.preloaded(func(c *mongo.Collection) opFunc {
			return func(ctx context.Context, _, _ int) error {
				return c.FindOne(ctx, bson.D{{Key: "_id", Value: rand.IntN(preload)}}).Err()
			}
		})},
		{"update-inc", b.preloaded(func(c *mongo.Collection) opFunc {
			return func(ctx context.Context, _, _ int) error {
				_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: rand.IntN(preload)}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}})
				return err
			}
		})},
		{"insert-j-c1", b.insertWorkload(1, writeconcern.Journaled())},
		{"insert-j-c8", b.insertWorkload(8, writeconcern.Journaled())},
	}
}

// opFunc is one operation of a workload; worker and i identify it.
type opFunc func(ctx context.Context, worker, i int) error

// measure runs op with n concurrent workers for d after a short warm-up.
func measure(ctx context.Context, name string, n int, d time.Duration, op opFunc) (result, error) {
	warm := time.Now().Add(d / 10)
	for i := 0; time.Now().Before(warm); i++ {
		if err := op(ctx, 0, -1-i); err != nil {
			return result{}, err
		}
	}
	var mu sync.Mutex
	var all []time.Duration
	var total int64
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<16)
			i := 0
			for ; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				if err := op(ctx, w, i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			total += int64(i)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	if firstErr != nil {
		return result{}, fmt.Errorf("%s: %w", name, firstErr)
	}
	return summarize(name, all, total, time.Since(start)), nil
}

func (b *bench) connect(pool uint64, wc *writeconcern.WriteConcern) (*mongo.Client, error) {
	o := options.Client().ApplyURI(b.uri).SetMaxPoolSize(pool)
	if wc != nil {
		o.SetWriteConcern(wc)
	}
	return mongo.Connect(o)
}

// client builds a workload running op on n workers sharing one client.
func (b *bench) client(n int, wc *writeconcern.WriteConcern, mk func(*mongo.Client) opFunc) func(context.Context) (result, error) {
	return func(ctx context.Context) (result, error) {
		c, err := b.connect(uint64(n+2), wc)
		if err != nil {
			return result{}, err
		}
		defer c.Disconnect(ctx)
		return measure(ctx, "", n, b.dur, mk(c))
	}
}

var doc1k = strings.Repeat("x", 1000)

func (b *bench) insertWorkload(n int, wc *writeconcern.WriteConcern) func(context.Context) (result, error) {
	return func(ctx context.Context) (result, error) {
		c, err := b.connect(uint64(n+2), wc)
		if err != nil {
			return result{}, err
		}
		defer c.Disconnect(ctx)
		coll := c.Database("secantus_bench").Collection(fmt.Sprintf("insert_%d", time.Now().UnixNano()))
		defer coll.Drop(ctx)
		return measure(ctx, "", n, b.dur, func(ctx context.Context, w, i int) error {
			_, err := coll.InsertOne(ctx, bson.D{{Key: "w", Value: w}, {Key: "i", Value: i}, {Key: "pad", Value: doc1k}})
			return err
		})
	}
}

func (b *bench) insertMany(ctx context.Context) (result, error) {
	c, err := b.connect(4, nil)
	if err != nil {
		return result{}, err
	}
	defer c.Disconnect(ctx)
	coll := c.Database("secantus_bench").Collection(fmt.Sprintf("many_%d", time.Now().UnixNano()))
	defer coll.Drop(ctx)
	batch := make([]any, 1000)
	for i := range batch {
		batch[i] = bson.D{{Key: "i", Value: i}, {Key: "pad", Value: strings.Repeat("y", 100)}}
	}
	r, err := measure(ctx, "", 1, b.dur, func(ctx context.Context, _, _ int) error {
		_, err := coll.InsertMany(ctx, batch)
		return err
	})
	r.OpsPS *= 1000 // report documents per second; latencies are per batch
	return r, err
}

const preload = 100_000

// preloaded runs op against a collection of 100 000 small documents with
// _id 0..99999, loaded (untimed) on first use.
func (b *bench) preloaded(mk func(*mongo.Collection) opFunc) func(context.Context) (result, error) {
	return func(ctx context.Context) (result, error) {
		c, err := b.connect(4, nil)
		if err != nil {
			return result{}, err
		}
		defer c.Disconnect(ctx)
		coll := c.Database("secantus_bench").Collection("preloaded")
		if n, _ := coll.EstimatedDocumentCount(ctx); n != preload {
			coll.Drop(ctx)
			for start := 0; start < preload; start += 1000 {
				batch := make([]any, 1000)
				for i := range batch {
					batch[i] = bson.D{{Key: "_id", Value: start + i}, {Key: "n", Value: 0}, {Key: "s", Value: "value"}}
				}
				if _, err := coll.InsertMany(ctx, batch); err != nil {
					return result{}, err
				}
			}
		}
		return measure(ctx, "", 1, b.dur, mk(coll))
	}
}

// tcpRTT is the floor for ping: a 64-byte echo over loopback TCP.
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
		c.(*net.TCPConn).SetNoDelay(true)
		io.Copy(c, c)
		c.Close()
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return result{}, err
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetNoDelay(true)
	buf := make([]byte, 64)
	return measure(ctx, "", 1, b.dur, func(context.Context, int, int) error {
		if _, err := conn.Write(buf); err != nil {
			return err
		}
		_, err := io.ReadFull(conn, buf)
		return err
	})
}

// fsync is the floor for j:true writes: append 512 bytes and fsync.
func (b *bench) fsync(ctx context.Context) (result, error) {
	f, err := os.CreateTemp(b.dir, "secantus-bench-fsync-*")
	if err != nil {
		return result{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	block := make([]byte, 512)
	return measure(ctx, "", 1, b.dur, func(context.Context, int, int) error {
		if _, err := f.Write(block); err != nil {
			return err
		}
		return f.Sync()
	})
}

func printTable(w io.Writer, order []string, med map[string]result, runs int) {
	fmt.Fprintf(w, "%-18s %14s %12s %12s   (median of %d runs)\n", "workload", "ops/s", "p50", "p99", runs)
	for _, n := range order {
		r := med[n]
		fmt.Fprintf(w, "%-18s %14.0f %12s %12s\n", n, r.OpsPS, fmtDur(r.P50), fmtDur(r.P99))
	}
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
}

func printChecks(w io.Writer, m map[string]result) {
	check := func(name string, have, limit float64, ok bool, unit string) {
		status := "PASS"
		if !ok {
			status = "FAIL"
		}
		fmt.Fprintf(w, "%s  %-46s %8.2f%s (target %s)\n", status, name, have, unit, fmt.Sprint(limit))
	}
	ratio := func(a, b time.Duration) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	fmt.Fprintln(w)
	if a, okA := m["ping"]; okA {
		if b, okB := m["tcp-rtt"]; okB {
			r := ratio(a.P50, b.P50)
			check("ping p50 / tcp-rtt p50", r, 3, r <= 3, "x")
		}
	}
	if a, okA := m["find-id"]; okA {
		if b, okB := m["ping"]; okB {
			r := ratio(a.P50, b.P50)
			check("find-id p50 / ping p50", r, 3, r <= 3, "x")
		}
	}
	if a, okA := m["insert-j-c1"]; okA {
		if b, okB := m["fsync"]; okB {
			r := ratio(a.P50, b.P50)
			check("insert-j-c1 p50 / fsync p50", r, 1.5, r <= 1.5, "x")
		}
	}
	if a, okA := m["insert-j-c8"]; okA {
		if b, okB := m["insert-j-c1"]; okB && b.OpsPS > 0 {
			r := a.OpsPS / b.OpsPS
			check("insert-j-c8 ops/s / insert-j-c1 ops/s", r, 4, r >= 4, "x")
		}
	}
	if a, ok := m["insert-1k-c1"]; ok {
		check("insert-1k-c1 ops/s", a.OpsPS, 20000, a.OpsPS >= 20000, "")
	}
}
