package aec

import (
	"math"
	"math/cmplx"
)

// driftTracker keeps the echo path from sliding in time. The clocks of the speaker and the
// microphone never run at exactly the same rate (and PulseAudio's loopback adapts its rate), so
// with a fixed resampling ratio the echo arrives a little later or earlier every second and the
// adaptive filter is forever chasing it. The tracker compares the converged foreground filter
// with a snapshot taken a few seconds earlier: a shift of d samples turns each bin's
// cross-spectrum W_now·conj(W_then) into |W|²·e^{-j2πkd/n}, so the energy-weighted phase step
// between neighbouring bins gives d, and d over the elapsed time is the drift. Each measurement
// corrects half of it (a first-order loop that converges on the true clock ratio without
// reacting to the filter's own adaptation noise).
type driftTracker struct {
	then     [][]complex64 // the foreground filter at the snapshot
	cross    []complex128  // Σ_p W_now·conj(W_then) per bin
	interval int           // blocks between checks
	baseline int           // blocks between snapshot and measurement
	blocks   int           // since the last check
	active   int           // far-active blocks since the last check
	elapsed  int           // blocks since the snapshot
	have     bool
	moves    uint64  // m.moves at the snapshot
	integral float64 // accumulated ratio correction (the clock drift)
	before   float64 // integral before the last measurement
}

func newDriftTracker(parts, bins, interval, baseline int) *driftTracker {
	return &driftTracker{
		then: make2c(parts, bins), cross: make([]complex128, bins),
		interval: interval, baseline: baseline,
	}
}

// reset forgets the snapshot and the measured drift.
func (d *driftTracker) reset() {
	d.before = 0
	d.jumped()
}

// jumped forgets the snapshot and the last measurement, which may hold part of a jump of the
// echo path that the realigner has just followed (seen: -109 ppm measured on a path without
// drift, after which the realigner had to follow the reference sliding away every half
// second). The drift measured before stays: a rate-adapting sound server's loopback slides
// 100-600 ppm and jumps now and then too (measured on the CI echo path), and starting again
// from zero after each jump left the echo path sliding for 10 s at a time.
func (d *driftTracker) jumped() {
	d.have = false
	d.blocks, d.active, d.elapsed = 0, 0, 0
	d.integral = d.before
}

// update is called once per block. It reports whether it measured a new drift (integral, the
// relative correction of the reference read rate: the step is ratio·(1+integral)).
func (d *driftTracker) update(m *mdf) bool {
	d.blocks++
	d.elapsed++
	if m.lastFarActive {
		d.active++
	}
	if d.blocks < d.interval {
		return false
	}
	// A filter that has not converged yet is measured too: while the path slides by more than
	// the filter can follow, it never converges (a 400 ppm slide held the leakage at 0.3-0.6
	// for 30 s), and the shift check below rejects what does not look like a moved copy.
	usable := d.active*2 >= d.interval && m.leak < 0.7
	d.blocks, d.active = 0, 0
	if !usable {
		return false
	}
	if !d.have || d.moves != m.moves || d.elapsed > 8*d.baseline {
		if m.leak < 0.6 { // start from a filter that has found the path
			d.snapshot(m)
		}
		return false
	}
	if d.elapsed < d.baseline {
		return false
	}
	shift, ok := d.shift(m)
	samples := float64(d.elapsed * m.b)
	d.snapshot(m)
	if !ok || math.Abs(shift/samples) > maxDriftStep {
		// A shift this fast is no clock: the echo path jumped (PulseAudio re-buffering a
		// stream moves it by a few milliseconds at once). Taking it for drift would keep the
		// reference sliding away long after the jump (measured: -573 ppm from one 3.4 ms
		// jump on a path with no drift, and the echo reduction fell from 50 to 13 dB).
		return false
	}
	// A later echo means the reference is read too fast.
	d.before = d.integral
	d.integral -= 0.5 * shift / samples
	d.integral = max(-maxDrift, min(maxDrift, d.integral))
	return true
}

func (d *driftTracker) snapshot(m *mdf) {
	for p, w := range m.fg {
		copy(d.then[p], w)
	}
	d.have = true
	d.moves = m.moves
	d.elapsed = 0
}

// shift measures how many samples later the echo path now sits than at the snapshot. It fails
// when the path no longer looks like a shifted copy (a new room, a diverged filter).
func (d *driftTracker) shift(m *mdf) (float64, bool) {
	clear(d.cross)
	for p, w := range m.fg {
		s := d.then[p]
		for k := range w {
			d.cross[k] += complex128(w[k]) * cmplx.Conj(complex128(s[k]))
		}
	}
	var acc complex128
	var mag float64
	for k := 1; k < len(d.cross); k++ {
		v := d.cross[k] * cmplx.Conj(d.cross[k-1])
		acc += v
		mag += cmplx.Abs(v)
	}
	if mag == 0 || cmplx.Abs(acc) < 0.5*mag {
		return 0, false
	}
	n := float64(2 * (len(d.cross) - 1))
	return -cmplx.Phase(acc) * n / (2 * math.Pi), true
}
