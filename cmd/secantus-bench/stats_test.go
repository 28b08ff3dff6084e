package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(100-i) * time.Millisecond
	}
	r := summarize("x", lat, 100, time.Second)
	if r.P50 != 50*time.Millisecond || r.P99 != 99*time.Millisecond || r.OpsPS != 100 {
		t.Fatalf("got %+v", r)
	}
}

func TestMedianResult(t *testing.T) {
	runs := []result{{OpsPS: 10, P50: 3}, {OpsPS: 30, P50: 1}, {OpsPS: 20, P50: 2}}
	m := medianResult(runs)
	if m.OpsPS != 20 || m.P50 != 2 {
		t.Fatalf("got %+v", m)
	}
}
