// Command secantus-bench drives any MongoDB-compatible server through the
// official Go driver and prints, per workload, throughput and p50/p99
// latency (medians over repeated runs), next to two floors measured in the
// same run — a loopback TCP round trip and an fsync in the data directory —
// and then checks the project's performance targets as ratios to them.
//
//	secantus-bench -uri mongodb://127.0.0.1:27017 -dir ./secantus-data
//	secantus-bench -uri mongodb://127.0.0.1:27017 -only ping,find-id -json
//	secantus-bench -uri mongodb://127.0.0.1:27017 -load -pid 1234
//	secantus-bench -idle-rss -pid 1234
//
// With -load it runs the connection load test instead (see load.go), and
// with -idle-rss it only prints a process's resident set size.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command without the process around it; it returns the exit
// code: 0 when everything ran (benchmarks) or passed (load test), 1 on a
// failure, 2 on bad flags.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secantus-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	uri := fs.String("uri", "mongodb://127.0.0.1:27017", "connection string of the server to measure")
	dir := fs.String("dir", os.TempDir(), "directory for the fsync floor (put the server's data directory here)")
	dur := fs.Duration("duration", 5*time.Second, "time per workload per run (plus a tenth of it as warm-up)")
	runs := fs.Int("runs", 3, "runs of every workload; each figure printed is the median over them")
	only := fs.String("only", "", "comma-separated workloads to run (default: all)")
	asJSON := fs.Bool("json", false, "print the results and checks as JSON instead of a table")
	load := fs.Bool("load", false, "run the load test instead of the benchmarks")
	loadDur := fs.Duration("load-duration", 60*time.Second, "load test: duration of the mixed workload")
	loadConns := fs.Int("load-conns", 200, "load test: concurrent connections")
	cycles := fs.Int("load-cycles", 5000, "load test: connect/ping/disconnect cycles")
	pid := fs.Int("pid", 0, "server process id, to read its RSS (VmRSS) from /proc")
	idleRSS := fs.Bool("idle-rss", false, "print the RSS of -pid and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return 2
	}
	ctx := context.Background()

	switch {
	case *idleRSS:
		kib, err := rssKiB(*pid)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "RSS of pid %d: %.1f MiB (%d kB)\n", *pid, float64(kib)/1024, kib)
		return 0
	case *load:
		cfg := loadConfig{uri: *uri, conns: *loadConns, duration: *loadDur, cycles: *cycles, pid: *pid}
		if !runLoad(ctx, stdout, cfg) {
			return 1
		}
		return 0
	}

	b := &bench{uri: *uri, dir: *dir, dur: *dur}
	selected, err := selectWorkloads(b.workloads(), *only)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if *runs < 1 {
		*runs = 1
	}
	results, err := runBenchmarks(ctx, selected, *runs, stderr)
	cleanup(ctx, *uri)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	byName := map[string]result{}
	for _, r := range results {
		byName[r.Name] = r
	}
	checks := evaluateChecks(byName)
	if *asJSON {
		if err := writeJSON(stdout, results, checks, *runs); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	printTable(stdout, results, *runs)
	fmt.Fprintln(stdout)
	printChecks(stdout, checks)
	return 0
}

// selectWorkloads keeps the workloads named in the comma-separated list
// only (all of them when it is empty), in their usual order.
func selectWorkloads(all []workload, only string) ([]workload, error) {
	if strings.TrimSpace(only) == "" {
		return all, nil
	}
	known := map[string]bool{}
	var names []string
	for _, w := range all {
		known[w.name] = true
		names = append(names, w.name)
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !known[n] {
			return nil, fmt.Errorf("unknown workload %q (known: %s)", n, strings.Join(names, ", "))
		}
		want[n] = true
	}
	var out []workload
	for _, w := range all {
		if want[w.name] {
			out = append(out, w)
		}
	}
	return out, nil
}

// runBenchmarks runs every workload runs times — whole rounds one after
// the other, so that a slow spell of a shared machine hits one run of
// each workload rather than all runs of one — and returns the medians.
func runBenchmarks(ctx context.Context, ws []workload, runs int, progress io.Writer) ([]result, error) {
	byName := map[string][]result{}
	for round := 1; round <= runs; round++ {
		for _, w := range ws {
			fmt.Fprintf(progress, "run %d/%d: %s\n", round, runs, w.name)
			r, err := w.run(ctx)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", w.name, err)
			}
			r.Name = w.name
			byName[w.name] = append(byName[w.name], r)
		}
	}
	out := make([]result, 0, len(ws))
	for _, w := range ws {
		out = append(out, medianResult(byName[w.name]))
	}
	return out, nil
}

// cleanup drops the benchmark database, best effort.
func cleanup(ctx context.Context, uri string) {
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return
	}
	defer c.Disconnect(ctx)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c.Database(benchDB).Drop(ctx)
}
