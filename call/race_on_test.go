//go:build race

package call

// raceEnabled: the race detector slows grabbing and encoding a 1080p frame several-fold, so a
// test that measures the capture path against real time runs without it (scripts/check.sh).
const raceEnabled = true
