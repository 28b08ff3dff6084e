package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	cases := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value p50", ms(7), 50, 7 * time.Millisecond},
		{"one value p99", ms(7), 99, 7 * time.Millisecond},
		{"two values p50 takes the lower", ms(1, 2), 50, 1 * time.Millisecond},
		{"odd count p50 is the middle", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"p99 of 100 is the 99th", ms(hundred...), 99, 99 * time.Millisecond},
		{"p50 of 100 is the 50th", ms(hundred...), 50, 50 * time.Millisecond},
		{"p99 of 10 is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"p100 is the largest", ms(1, 2, 3), 100, 3 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := percentile(c.sorted, c.p); got != c.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", c.sorted, c.p, got, c.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	// Unsorted on purpose: summarize sorts.
	lat := make([]time.Duration, 200)
	for i := range lat {
		lat[i] = time.Duration(200-i) * time.Microsecond
	}
	r := summarize(lat, 200, 2*time.Second)
	if r.OpsPS != 100 {
		t.Errorf("OpsPS = %v, want 100", r.OpsPS)
	}
	if r.P50 != 100*time.Microsecond || r.P99 != 198*time.Microsecond {
		t.Errorf("P50, P99 = %v, %v; want 100µs, 198µs", r.P50, r.P99)
	}
	if z := summarize(nil, 0, 0); z.OpsPS != 0 || z.P50 != 0 {
		t.Errorf("empty run = %+v, want zeros", z)
	}
}

func TestMedianResult(t *testing.T) {
	cases := []struct {
		name string
		runs []result
		want result
	}{
		{"odd: each figure its own median",
			[]result{{Name: "w", OpsPS: 10, P50: 3, P99: 9}, {OpsPS: 30, P50: 1, P99: 7}, {OpsPS: 20, P50: 2, P99: 8}},
			result{Name: "w", OpsPS: 20, P50: 2, P99: 8}},
		{"even: mean of the middle two",
			[]result{{OpsPS: 10, P50: 4}, {OpsPS: 40, P50: 2}, {OpsPS: 20, P50: 8}, {OpsPS: 30, P50: 6}},
			result{OpsPS: 25, P50: 5}},
		{"one run", []result{{OpsPS: 5, P50: 1, P99: 2}}, result{OpsPS: 5, P50: 1, P99: 2}},
		{"no runs", nil, result{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := medianResult(c.runs)
			if got.Name != c.want.Name || got.OpsPS != c.want.OpsPS || got.P50 != c.want.P50 || got.P99 != c.want.P99 {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestEvaluateChecks(t *testing.T) {
	us := time.Microsecond
	m := map[string]result{
		"tcp-rtt":      {P50: 20 * us},
		"ping":         {P50: 60 * us},  // exactly 3x: passes
		"find-id":      {P50: 200 * us}, // 3.33x ping: fails
		"fsync":        {P50: 200 * us},
		"insert-j-c1":  {P50: 250 * us, OpsPS: 1000},
		"insert-j-c8":  {OpsPS: 3900},
		"insert-1k-c1": {OpsPS: 25000},
	}
	want := []struct {
		name string
		pass bool
	}{
		{"ping p50 <= 3x tcp-rtt p50", true},
		{"find-id p50 <= 3x ping p50", false},
		{"insert-j-c1 p50 <= 1.5x fsync p50", true},
		{"insert-j-c8 ops/s >= 4x insert-j-c1 ops/s", false},
		{"insert-1k-c1 >= 20000 ops/s", true},
	}
	got := evaluateChecks(m)
	if len(got) != len(want) {
		t.Fatalf("got %d checks, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Pass != w.pass {
			t.Errorf("check %d = %q pass=%v, want %q pass=%v", i, got[i].Name, got[i].Pass, w.name, w.pass)
		}
	}
	if got[3].Value != 3.9 {
		t.Errorf("c8/c1 ratio = %v, want 3.9", got[3].Value)
	}

	// Only the targets whose workloads ran are checked.
	partial := evaluateChecks(map[string]result{"ping": {P50: us}, "find-id": {P50: us}})
	if len(partial) != 1 || partial[0].Name != "find-id p50 <= 3x ping p50" {
		t.Errorf("partial checks = %+v", partial)
	}
}

func TestPrintTable(t *testing.T) {
	var buf bytes.Buffer
	printTable(&buf, []result{
		{Name: "ping", OpsPS: 8000, P50: 114800 * time.Nanosecond, P99: 264100 * time.Nanosecond},
		{Name: "insertmany-1000", Unit: "docs", OpsPS: 124811, P50: 6951300 * time.Nanosecond, P99: 20622700 * time.Nanosecond},
	}, 3)
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	want := []string{
		"workload                   ops/s        p50         p99",
		"ping                        8000   114.8 µs    264.1 µs",
		"insertmany-1000 (docs/s)  124811  6951.3 µs  20622.7 µs",
		"(each figure is the median of 3 run(s))",
	}
	if len(lines) != len(want) {
		t.Fatalf("table:\n%s", buf.String())
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %q\nwant %q", i, lines[i], want[i])
		}
	}
}

func TestPrintChecks(t *testing.T) {
	var buf bytes.Buffer
	printChecks(&buf, []check{
		{Name: "a", Value: 2.5, Target: 3, Unit: "x", Pass: true},
		{Name: "b", Value: 5403, Target: 20000, Unit: "ops/s", Pass: false},
	})
	out := buf.String()
	for _, want := range []string{"PASS  a", "measured 2.50x", "FAIL  b", "measured 5403 ops/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	err := writeJSON(&buf, []result{{Name: "ping", Ops: 10, OpsPS: 5, P50: 1500, P99: 3000}},
		[]check{{Name: "c", Value: 1, Target: 3, Unit: "x", Pass: true}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Runs    int
		Results []map[string]any
		Checks  []map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, buf.String())
	}
	if got.Runs != 3 || len(got.Results) != 1 || got.Results[0]["name"] != "ping" ||
		got.Results[0]["p50ns"] != 1500.0 || got.Results[0]["opsPerSec"] != 5.0 ||
		len(got.Checks) != 1 || got.Checks[0]["pass"] != true {
		t.Errorf("got %+v", got)
	}
}

func TestParseVmRSS(t *testing.T) {
	cases := []struct {
		name    string
		status  string
		want    int64
		wantErr bool
	}{
		{"typical", "Name:\tsecantusdb\nVmPeak:\t  900000 kB\nVmRSS:\t   21912 kB\nRssAnon:\t 10000 kB\n", 21912, false},
		{"no VmRSS", "Name:\tkthreadd\nState:\tS (sleeping)\n", 0, true},
		{"garbage value", "VmRSS:\tlots kB\n", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseVmRSS(strings.NewReader(c.status))
			if (err != nil) != c.wantErr || got != c.want {
				t.Errorf("parseVmRSS = %d, %v; want %d, error %v", got, err, c.want, c.wantErr)
			}
		})
	}
}

func TestSelectWorkloads(t *testing.T) {
	all := (&bench{}).workloads()
	got, err := selectWorkloads(all, "find-id, ping")
	if err != nil {
		t.Fatal(err)
	}
	// The usual order is kept, whatever the order asked.
	if len(got) != 2 || got[0].name != "ping" || got[1].name != "find-id" {
		t.Errorf("got %v", names(got))
	}
	if got, _ := selectWorkloads(all, ""); len(got) != len(all) {
		t.Errorf("empty -only selected %d of %d", len(got), len(all))
	}
	if _, err := selectWorkloads(all, "ping,nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown workload: err = %v", err)
	}
}

func names(ws []workload) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.name)
	}
	return out
}

func TestFloors(t *testing.T) {
	// The floors need no server: run them briefly and check they measured.
	b := &bench{dir: t.TempDir(), dur: 50 * time.Millisecond}
	for _, run := range []func(context.Context) (result, error){b.tcpRTT, b.fsync} {
		r, err := run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if r.Ops == 0 || r.P50 <= 0 || r.P99 < r.P50 || r.OpsPS <= 0 {
			t.Errorf("floor result %+v", r)
		}
	}
}
