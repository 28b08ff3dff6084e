package main

import (
	"sort"
	"time"
)

// result is one workload's figures from one run.
type result struct {
	Name  string
	Ops   int64
	Dur   time.Duration
	P50   time.Duration
	P99   time.Duration
	OpsPS float64
}

// summarize computes throughput and latency percentiles of one run.
func summarize(name string, lat []time.Duration, ops int64, dur time.Duration) result {
	r := result{Name: name, Ops: ops, Dur: dur}
	if dur > 0 {
		r.OpsPS = float64(ops) / dur.Seconds()
	}
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		r.P50 = percentile(lat, 50)
		r.P99 = percentile(lat, 99)
	}
	return r
}

// percentile returns the p-th percentile of sorted latencies
// (nearest-rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.5) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

// medianResult combines repeated runs of a workload figure by figure.
func medianResult(runs []result) result {
	if len(runs) == 0 {
		return result{}
	}
	out := runs[0]
	out.OpsPS = medianF(runs, func(r result) float64 { return r.OpsPS })
	out.P50 = time.Duration(medianF(runs, func(r result) float64 { return float64(r.P50) }))
	out.P99 = time.Duration(medianF(runs, func(r result) float64 { return float64(r.P99) }))
	return out
}

func medianF(runs []result, f func(result) float64) float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
