//go:build race

package aec

// raceEnabled: the race detector slows the canceller about tenfold, too much for real time.
const raceEnabled = true
