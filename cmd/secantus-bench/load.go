package main

import (
	"bufio"
	"context"
	"errors"
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

// loadDB is the database the load test writes to; it is dropped at the end.
const loadDB = "secantus_load"

// Slack allowed when comparing with the baseline: the server may keep a
// few goroutines of its own around (timers, background flushes).
const goroutineSlack = 5

// loadConfig is what the load test is asked to do.
type loadConfig struct {
	uri      string
	conns    int           // concurrent connections of the mixed workload
	duration time.Duration // how long the mixed workload runs
	cycles   int           // connect/ping/disconnect cycles afterwards
	pid      int           // server process, for VmRSS from /proc; 0: none
}

// serverState is what the load test reads from serverStatus.
type serverState struct {
	conns  int64
	rssMiB int64
	// goroutines comes from SecantusDB's own serverStatus.secantus
	// section; it is -1 on servers that have none.
	goroutines int64
}

func readState(ctx context.Context, c *mongo.Client) (serverState, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	raw, err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "serverStatus", Value: 1}}).Raw()
	if err != nil {
		return serverState{}, fmt.Errorf("serverStatus: %w", err)
	}
	st := serverState{goroutines: -1}
	if v, err := raw.LookupErr("connections", "current"); err == nil {
		st.conns, _ = v.AsInt64OK()
	}
	if v, err := raw.LookupErr("mem", "resident"); err == nil {
		st.rssMiB, _ = v.AsInt64OK()
	}
	if v, err := raw.LookupErr("secantus", "goroutines"); err == nil {
		if n, ok := v.AsInt64OK(); ok {
			st.goroutines = n
		}
	}
	return st, nil
}

// settled reports whether st is back to base: no more connections than
// then, and (where the server reports them) goroutines within the slack.
func settled(st, base serverState) bool {
	return st.conns <= base.conns && (base.goroutines < 0 || st.goroutines <= base.goroutines+goroutineSlack)
}

// rssKiB reads VmRSS of process pid from /proc/pid/status, in kB.
func rssKiB(pid int) (int64, error) {
	if pid <= 0 {
		return 0, errors.New("-pid is required to read a process's RSS")
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseVmRSS(f)
}

// parseVmRSS finds the VmRSS line of a /proc/pid/status file.
func parseVmRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
		return strconv.ParseInt(v, 10, 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no VmRSS line (kernel thread or exited process?)")
}

// rssSample is the server's RSS at one moment, in MiB: from /proc when a
// pid was given (precise), else from serverStatus mem.resident (whole MiB).
type rssSample struct {
	proc   float64 // -1 when not read
	status int64
}

func (s rssSample) mib() float64 {
	if s.proc >= 0 {
		return s.proc
	}
	return float64(s.status)
}

func (s rssSample) String() string {
	if s.proc >= 0 {
		return fmt.Sprintf("%.1f MiB (/proc; serverStatus %d MiB)", s.proc, s.status)
	}
	return fmt.Sprintf("%d MiB (serverStatus)", s.status)
}

func sampleRSS(pid int, st serverState) rssSample {
	s := rssSample{proc: -1, status: st.rssMiB}
	if pid > 0 {
		if kib, err := rssKiB(pid); err == nil {
			s.proc = float64(kib) / 1024
		}
	}
	return s
}

// errorLog counts errors and keeps the first few, for the report.
type errorLog struct {
	n     atomic.Int64
	mu    sync.Mutex
	first []string
}

func (l *errorLog) add(what string, err error) {
	l.n.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.first) < 5 {
		l.first = append(l.first, what+": "+err.Error())
	}
}

// runLoad runs the load test and writes its report to w: cfg.conns
// connections of mixed reads and writes for cfg.duration, then cfg.cycles
// connect/ping/disconnect cycles, then checks that nothing failed and that
// the server's connections, goroutines and RSS came back. It reports
// whether every check passed.
func runLoad(ctx context.Context, w io.Writer, cfg loadConfig) bool {
	admin, err := mongo.Connect(options.Client().ApplyURI(cfg.uri).SetMaxPoolSize(1))
	if err != nil {
		fmt.Fprintln(w, "connect:", err)
		return false
	}
	defer admin.Disconnect(ctx)
	// Drop what an interrupted earlier run left behind, so that the
	// baseline is taken on the same data every time.
	admin.Database(loadDB).Drop(ctx)
	before, err := readState(ctx, admin)
	if err != nil {
		fmt.Fprintln(w, err)
		return false
	}
	rssBefore := sampleRSS(cfg.pid, before)
	fmt.Fprintf(w, "baseline:            connections %d, goroutines %s, RSS %s\n",
		before.conns, fmtGoroutines(before.goroutines), rssBefore)

	var loadErrs errorLog
	ops, peak := mixedLoad(ctx, admin, cfg, before.conns, &loadErrs)
	fmt.Fprintf(w, "mixed load:          %d connections (peak connections.current %d) for %s: %d ops (%.0f ops/s), %d errors\n",
		cfg.conns, peak, cfg.duration, ops, float64(ops)/cfg.duration.Seconds(), loadErrs.n.Load())
	mid := waitSettled(ctx, admin, before)
	rssMid := sampleRSS(cfg.pid, mid)
	fmt.Fprintf(w, "after mixed load:    connections %d, goroutines %s, RSS %s\n",
		mid.conns, fmtGoroutines(mid.goroutines), rssMid)

	var cycleErrs errorLog
	start := time.Now()
	connectCycles(ctx, cfg.uri, cfg.cycles, &cycleErrs)
	fmt.Fprintf(w, "connect/disconnect:  %d cycles in %s, %d errors\n",
		cfg.cycles, time.Since(start).Round(time.Millisecond), cycleErrs.n.Load())
	after := waitSettled(ctx, admin, before)
	rssAfter := sampleRSS(cfg.pid, after)
	fmt.Fprintf(w, "after cycles:        connections %d, goroutines %s, RSS %s\n",
		after.conns, fmtGoroutines(after.goroutines), rssAfter)
	admin.Database(loadDB).Drop(ctx)

	fmt.Fprintln(w)
	ok := true
	report := func(pass bool, name, detail string) {
		status := "PASS"
		if !pass {
			status, ok = "FAIL", false
		}
		fmt.Fprintf(w, "%s  %-40s %s\n", status, name, detail)
	}
	report(peak >= before.conns+int64(cfg.conns), fmt.Sprintf("%d server connections reached", cfg.conns),
		fmt.Sprintf("peak %d over a baseline of %d", peak, before.conns))
	report(loadErrs.n.Load() == 0, "no errors in the mixed load", errorDetail(&loadErrs))
	report(cycleErrs.n.Load() == 0, "no errors in connect/disconnect", errorDetail(&cycleErrs))
	report(after.conns <= before.conns, "connections back to baseline",
		fmt.Sprintf("%d -> %d", before.conns, after.conns))
	if before.goroutines >= 0 {
		report(after.goroutines <= before.goroutines+goroutineSlack, "goroutines back to baseline",
			fmt.Sprintf("%d -> %d (slack %d)", before.goroutines, after.goroutines, goroutineSlack))
	} else {
		fmt.Fprintf(w, "----  %-40s %s\n", "goroutines back to baseline", "not reported by this server")
	}
	// The store legitimately grows while the mixed load writes data
	// (memtables, block cache), so the leak check is across the
	// connect/disconnect cycles, which write nothing; the growth over the
	// whole test is shown beside it.
	growth := pctGrowth(rssMid.mib(), rssAfter.mib())
	report(growth < 10, "RSS growth over the cycles < 10%",
		fmt.Sprintf("%.1f -> %.1f MiB (%+.1f%%); whole test %.1f -> %.1f MiB (%+.1f%%)",
			rssMid.mib(), rssAfter.mib(), growth,
			rssBefore.mib(), rssAfter.mib(), pctGrowth(rssBefore.mib(), rssAfter.mib())))
	return ok
}

func fmtGoroutines(n int64) string {
	if n < 0 {
		return "n/a"
	}
	return strconv.FormatInt(n, 10)
}

func errorDetail(l *errorLog) string {
	n := l.n.Load()
	if n == 0 {
		return "0 errors"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d errors, first: %s", n, strings.Join(l.first, "; "))
}

// pctGrowth is the growth from a to b in percent (0 when a is unknown).
func pctGrowth(a, b float64) float64 {
	if a <= 0 {
		return 0
	}
	return (b - a) / a * 100
}

// mixedLoad runs cfg.conns workers over one client whose pool is held at
// exactly cfg.conns connections (min = max), so that the server sees that
// many connections (plus the driver's monitoring ones) over baseConns,
// the count before; each worker
// inserts, finds by _id, updates by _id and finds a small _id range, over
// its own documents. It returns the operations done and the highest
// connections.current sampled meanwhile.
func mixedLoad(ctx context.Context, admin *mongo.Client, cfg loadConfig, baseConns int64, errs *errorLog) (ops, peak int64) {
	n := uint64(cfg.conns)
	c, err := mongo.Connect(options.Client().ApplyURI(cfg.uri).SetMaxPoolSize(n).SetMinPoolSize(n))
	if err != nil {
		errs.add("connect", err)
		return 0, 0
	}
	defer c.Disconnect(ctx)
	coll := c.Database(loadDB).Collection("load")

	var peakConns atomic.Int64
	sample := func() {
		if st, err := readState(ctx, admin); err == nil && st.conns > peakConns.Load() {
			peakConns.Store(st.conns)
		}
	}
	// Give the pool a moment to open its minimum before the clock starts.
	for wait := time.Now().Add(10 * time.Second); time.Now().Before(wait); time.Sleep(100 * time.Millisecond) {
		sample()
		if peakConns.Load() >= baseConns+int64(cfg.conns) {
			break
		}
	}

	var total atomic.Int64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()

	deadline := time.Now().Add(cfg.duration)
	var wg sync.WaitGroup
	for worker := range cfg.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			total.Add(loadWorker(ctx, coll, int64(worker), deadline, errs))
		}()
	}
	wg.Wait()
	close(stop)
	sampler.Wait()
	return total.Load(), peakConns.Load()
}

// loadWorker runs one worker of the mixed load until deadline. Its
// documents have _id worker<<32 + seq, so workers never collide and a
// range of its own ids is one small _id range.
func loadWorker(ctx context.Context, coll *mongo.Collection, worker int64, deadline time.Time, errs *errorLog) int64 {
	base := worker << 32
	var inserted, ops int64
	for ; time.Now().Before(deadline); ops++ {
		opCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		var what string
		var err error
		// Every fourth operation is an insert; the others read or
		// write one of the worker's existing documents.
		pick := base
		if inserted > 0 {
			pick = base + rand.Int64N(inserted)
		}
		switch {
		case ops%4 == 0 || inserted == 0:
			what = "insertOne"
			_, err = coll.InsertOne(opCtx, bson.D{{Key: "_id", Value: base + inserted}, {Key: "w", Value: worker}, {Key: "n", Value: int32(0)}, {Key: "s", Value: "load"}})
			if err == nil {
				inserted++
			}
		case ops%4 == 1:
			what = "findOne by _id"
			err = coll.FindOne(opCtx, bson.D{{Key: "_id", Value: pick}}).Err()
		case ops%4 == 2:
			what = "updateOne $inc"
			var res *mongo.UpdateResult
			res, err = coll.UpdateOne(opCtx, bson.D{{Key: "_id", Value: pick}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}})
			if err == nil && res.MatchedCount != 1 {
				err = fmt.Errorf("matched %d documents, want 1", res.MatchedCount)
			}
		default:
			what = "find _id range"
			var cur *mongo.Cursor
			cur, err = coll.Find(opCtx, bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: pick}, {Key: "$lt", Value: pick + 10}}}})
			if err == nil {
				var docs []bson.Raw
				err = cur.All(opCtx, &docs)
				if err == nil && len(docs) == 0 {
					err = errors.New("no documents in a range that starts at an existing _id")
				}
			}
		}
		cancel()
		if err != nil {
			errs.add(what, err)
		}
	}
	return ops
}

// connectCycles runs cycles of mongo.Connect, Ping and Disconnect, four
// at a time.
func connectCycles(ctx context.Context, uri string, cycles int, errs *errorLog) {
	const parallel = 4
	var next atomic.Int64
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(cycles) {
				c, err := mongo.Connect(options.Client().ApplyURI(uri).SetMaxPoolSize(1))
				if err != nil {
					errs.add("connect", err)
					continue
				}
				pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				if err := c.Ping(pctx, nil); err != nil {
					errs.add("ping", err)
				}
				cancel()
				if err := c.Disconnect(ctx); err != nil {
					errs.add("disconnect", err)
				}
			}
		}()
	}
	wg.Wait()
}

// waitSettled waits up to 10 s for the server's connections and
// goroutines to come back to base, and returns the last state read.
func waitSettled(ctx context.Context, admin *mongo.Client, base serverState) serverState {
	var st serverState
	for wait := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		cur, err := readState(ctx, admin)
		if err == nil {
			st = cur
		}
		if (err == nil && settled(st, base)) || time.Now().After(wait) {
			return st
		}
	}
}
