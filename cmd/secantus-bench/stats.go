package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// result is one workload's figures, from one run or the median of several.
type result struct {
	Name  string        `json:"name"`
	Ops   int64         `json:"ops"`
	Dur   time.Duration `json:"-"`
	OpsPS float64       `json:"opsPerSec"`
	P50   time.Duration `json:"p50ns"`
	P99   time.Duration `json:"p99ns"`
	// Unit says what OpsPS counts when it is not operations ("docs").
	Unit string `json:"unit,omitempty"`
}

// summarize computes the throughput and latency percentiles of one run
// from its per-operation latencies (which it sorts in place).
func summarize(lat []time.Duration, ops int64, dur time.Duration) result {
	r := result{Ops: ops, Dur: dur}
	if dur > 0 {
		r.OpsPS = float64(ops) / dur.Seconds()
	}
	slices.Sort(lat)
	r.P50 = percentile(lat, 50)
	r.P99 = percentile(lat, 99)
	return r
}

// percentile returns the p-th percentile of sorted latencies by the
// nearest-rank method: the smallest value with at least p% of the values
// at or below it. It is 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// Nearest rank is ceil(p/100 * n); compute it in integers of
	// hundredths so that 50% of 100 is exactly rank 50.
	n := len(sorted)
	rank := (int(p*100)*n + 9999) / 10000
	rank = max(1, min(rank, n))
	return sorted[rank-1]
}

// medianResult combines repeated runs of a workload figure by figure:
// each of ops/s, p50 and p99 is the median of that figure over the runs,
// so one noisy run moves none of them.
func medianResult(runs []result) result {
	if len(runs) == 0 {
		return result{}
	}
	out := runs[0]
	out.Ops = int64(median(runs, func(r result) float64 { return float64(r.Ops) }))
	out.OpsPS = median(runs, func(r result) float64 { return r.OpsPS })
	out.P50 = time.Duration(median(runs, func(r result) float64 { return float64(r.P50) }))
	out.P99 = time.Duration(median(runs, func(r result) float64 { return float64(r.P99) }))
	return out
}

func median(runs []result, f func(result) float64) float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// check is one of the project's performance targets, evaluated.
type check struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Target float64 `json:"target"`
	Unit   string  `json:"unit"` // "x" for a ratio, "ops/s" for a rate
	Pass   bool    `json:"pass"`
}

// evaluateChecks computes the project's targets from the median results;
// a target whose workloads were not run is left out.
func evaluateChecks(m map[string]result) []check {
	var out []check
	latRatio := func(name, a, b string, limit float64) {
		ra, okA := m[a]
		rb, okB := m[b]
		if !okA || !okB || rb.P50 <= 0 {
			return
		}
		v := float64(ra.P50) / float64(rb.P50)
		out = append(out, check{Name: name, Value: v, Target: limit, Unit: "x", Pass: v <= limit})
	}
	latRatio("ping p50 <= 3x tcp-rtt p50", "ping", "tcp-rtt", 3)
	latRatio("find-id p50 <= 3x ping p50", "find-id", "ping", 3)
	latRatio("insert-j-c1 p50 <= 1.5x fsync p50", "insert-j-c1", "fsync", 1.5)
	if c8, ok := m["insert-j-c8"]; ok {
		if c1, ok := m["insert-j-c1"]; ok && c1.OpsPS > 0 {
			v := c8.OpsPS / c1.OpsPS
			out = append(out, check{Name: "insert-j-c8 ops/s >= 4x insert-j-c1 ops/s", Value: v, Target: 4, Unit: "x", Pass: v >= 4})
		}
	}
	if r, ok := m["insert-1k-c1"]; ok {
		out = append(out, check{Name: "insert-1k-c1 >= 20000 ops/s", Value: r.OpsPS, Target: 20000, Unit: "ops/s", Pass: r.OpsPS >= 20000})
	}
	return out
}

// printTable writes the results as an aligned text table: the name
// column left-aligned, the figures right-aligned.
func printTable(w io.Writer, rs []result, runs int) {
	rows := [][]string{{"workload", "ops/s", "p50", "p99"}}
	for _, r := range rs {
		name := r.Name
		if r.Unit != "" {
			name += " (" + r.Unit + "/s)"
		}
		rows = append(rows, []string{name, fmt.Sprintf("%.0f", r.OpsPS), fmtDur(r.P50), fmtDur(r.P99)})
	}
	width := make([]int, 4)
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], len([]rune(cell)))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", width[i]-len([]rune(cell)))
			if i == 0 {
				b.WriteString(cell + pad)
			} else {
				b.WriteString("  " + pad + cell)
			}
		}
		fmt.Fprintln(w, b.String())
	}
	fmt.Fprintf(w, "(each figure is the median of %d run(s))\n", runs)
}

// printChecks writes one PASS/FAIL line per target.
func printChecks(w io.Writer, cs []check) {
	for _, c := range cs {
		status := "PASS"
		if !c.Pass {
			status = "FAIL"
		}
		value := fmt.Sprintf("%.2fx", c.Value)
		if c.Unit != "x" {
			value = fmt.Sprintf("%.0f %s", c.Value, c.Unit)
		}
		fmt.Fprintf(w, "%s  %-42s measured %s\n", status, c.Name, value)
	}
}

// writeJSON writes the results and checks as one JSON document.
func writeJSON(w io.Writer, rs []result, cs []check, runs int) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if rs == nil {
		rs = []result{}
	}
	if cs == nil {
		cs = []check{}
	}
	return enc.Encode(struct {
		Runs    int      `json:"runs"`
		Results []result `json:"results"`
		Checks  []check  `json:"checks"`
	}{runs, rs, cs})
}

// fmtDur formats a latency in microseconds, the scale of every figure here.
func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}
