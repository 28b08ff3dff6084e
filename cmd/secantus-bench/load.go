package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// serverState is what the load test reads from serverStatus.
type serverState struct {
	conns      int64
	rssMiB     int64
	goroutines int64 // SecantusDB's own serverStatus.secantus section; -1 elsewhere
}

func readState(ctx context.Context, c *mongo.Client) (serverState, error) {
	raw, err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "serverStatus", Value: 1}}).Raw()
	if err != nil {
		return serverState{}, err
	}
	st := serverState{goroutines: -1}
	st.conns = raw.Lookup("connections", "current").AsInt64()
	st.rssMiB = raw.Lookup("mem", "resident").AsInt64()
	if g, err := raw.LookupErr("secantus", "goroutines"); err == nil {
		st.goroutines = g.AsInt64()
	}
	return st, nil
}

// rssKiB reads VmRSS of a process from /proc (0 when unavailable).
func rssKiB(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// runLoad runs conns connections of mixed reads and writes for d, then
// cycles connect/disconnect, and checks that the server comes back to its
// baseline: no errors, goroutines back, RSS growth under 10%.
func runLoad(ctx context.Context, w io.Writer, uri string, conns int, d time.Duration, cycles, pid int) bool {
	admin, err := mongo.Connect(options.Client().ApplyURI(uri).SetMaxPoolSize(1))
	if err != nil {
		fmt.Fprintln(w, "connect:", err)
		return false
	}
	defer admin.Disconnect(ctx)
	before, err := readState(ctx, admin)
	if err != nil {
		fmt.Fprintln(w, "serverStatus:", err)
		return false
	}
	rssBefore := rssKiB(pid)
	fmt.Fprintf(w, "baseline: connections %d, goroutines %d, RSS %d MiB (serverStatus), %.1f MiB (/proc)\n",
		before.conns, before.goroutines, before.rssMiB, float64(rssBefore)/1024)

	var ops, errs atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	clients := make([]*mongo.Client, conns)
	for i := range clients {
		c, err := mongo.Connect(options.Client().ApplyURI(uri).SetMaxPoolSize(1).SetMinPoolSize(1))
		if err != nil {
			fmt.Fprintln(w, "connect:", err)
			return false
		}
		clients[i] = c
	}
	coll := "load"
	deadline := time.Now().Add(d)
	var peak atomic.Int64
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func(i int, c *mongo.Client) {
			defer wg.Done()
			col := c.Database("secantus_load").Collection(coll)
			for n := 0; time.Now().Before(deadline); n++ {
				id := fmt.Sprintf("%d-%d", i, n)
				var err error
				switch n % 4 {
				case 0:
					_, err = col.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "i", Value: i}, {Key: "n", Value: n}})
				case 1:
					err = col.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("%d-%d", i, n-1)}}).Err()
				case 2:
					_, err = col.UpdateOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("%d-%d", i, n-2)}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}})
				case 3:
					var cur *mongo.Cursor
					cur, err = col.Find(ctx, bson.D{{Key: "i", Value: i}, {Key: "n", Value: bson.D{{Key: "$gte", Value: n - 8}}}}, options.Find().SetLimit(5))
					if err == nil {
						var out []bson.Raw
						err = cur.All(ctx, &out)
					}
				}
				if err != nil {
					fail(err)
				}
				ops.Add(1)
				if i == 0 && n%200 == 0 {
					if st, err := readState(ctx, c); err == nil && st.conns > peak.Load() {
						peak.Store(st.conns)
					}
				}
				_ = rand.IntN
			}
		}(i, c)
	}
	wg.Wait()
	for _, c := range clients {
		c.Disconnect(ctx)
	}
	fmt.Fprintf(w, "mixed load: %d connections for %s: %d ops (%.0f ops/s), %d errors, peak server connections %d\n",
		conns, d, ops.Load(), float64(ops.Load())/d.Seconds(), errs.Load(), peak.Load())

	mid := waitBaseline(ctx, admin, before)
	rssMid := rssKiB(pid)
	fmt.Fprintf(w, "after mixed load: connections %d, goroutines %d, RSS %.1f MiB (/proc)\n", mid.conns, mid.goroutines, float64(rssMid)/1024)

	var cerrs atomic.Int64
	start := time.Now()
	var cwg sync.WaitGroup
	per := cycles / 4
	for g := 0; g < 4; g++ {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			for i := 0; i < per; i++ {
				c, err := mongo.Connect(options.Client().ApplyURI(uri).SetMaxPoolSize(1))
				if err == nil {
					err = c.Ping(ctx, nil)
					c.Disconnect(ctx)
				}
				if err != nil {
					cerrs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	cwg.Wait()
	fmt.Fprintf(w, "connect/disconnect: %d cycles in %s, %d errors\n", per*4, time.Since(start).Round(time.Millisecond), cerrs.Load())

	after := waitBaseline(ctx, admin, before)
	rssAfter := rssKiB(pid)
	fmt.Fprintf(w, "after: connections %d, goroutines %d, RSS %d MiB (serverStatus), %.1f MiB (/proc)\n",
		after.conns, after.goroutines, after.rssMiB, float64(rssAfter)/1024)

	ok := true
	report := func(name string, pass bool, detail string) {
		s := "PASS"
		if !pass {
			s, ok = "FAIL", false
		}
		fmt.Fprintf(w, "%s  %-32s %s\n", s, name, detail)
	}
	report("no errors", errs.Load()+cerrs.Load() == 0, fmt.Sprintf("%d errors (first: %v)", errs.Load()+cerrs.Load(), firstErr.Load()))
	report("connections back to baseline", after.conns <= before.conns, fmt.Sprintf("%d -> %d", before.conns, after.conns))
	if before.goroutines >= 0 {
		report("goroutines back to baseline", after.goroutines <= before.goroutines+2, fmt.Sprintf("%d -> %d", before.goroutines, after.goroutines))
	}
	if rssMid > 0 {
		// The store legitimately grows during the mixed load (memtables,
		// block cache); the leak check is across the connect/disconnect
		// cycles, which add no data.
		growth := float64(rssAfter-rssMid) / float64(rssMid) * 100
		report("RSS growth over cycles < 10%", growth < 10, fmt.Sprintf("%.1f MiB -> %.1f MiB (%+.1f%%); %.1f MiB before the load", float64(rssMid)/1024, float64(rssAfter)/1024, growth, float64(rssBefore)/1024))
	}
	admin.Database("secantus_load").Drop(ctx)
	return ok
}

// waitBaseline waits up to 15 s for the server's connections and
// goroutines to come back to base, and returns the last state read.
func waitBaseline(ctx context.Context, admin *mongo.Client, base serverState) serverState {
	var st serverState
	for wait := time.Now().Add(15 * time.Second); ; {
		st, _ = readState(ctx, admin)
		if (st.conns <= base.conns && (st.goroutines < 0 || st.goroutines <= base.goroutines+2)) || time.Now().After(wait) {
			return st
		}
		time.Sleep(200 * time.Millisecond)
	}
}
