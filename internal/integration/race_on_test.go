//go:build race

package integration

// raceEnabled reports a -race build, whose instrumentation changes heap
// figures (shadow memory, pools that drop items) enough to void them.
const raceEnabled = true
