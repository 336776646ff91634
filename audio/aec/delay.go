package aec

import "math"

// delayEstimator finds the bulk echo delay, in blocks, by correlating the energy envelopes
// (one value per block) of the far end and the microphone over a sliding window. Envelopes are
// robust to the echo path's filtering and phase, cheap (a few thousand multiply-adds per
// estimate), and good to about one block, which is all the adaptive filter needs: it covers
// the exact response around the estimate.
type delayEstimator struct {
	win, maxLag int
	minWin      int       // fewest blocks an estimate needs
	far         []float32 // ring of win+maxLag far envelopes
	near        []float32 // ring of win near envelopes
	nFar, nNear int       // values pushed so far
	corr        []float64 // per lag, scratch
}

func newDelayEstimator(win, minWin, maxLag int) *delayEstimator {
	return &delayEstimator{
		win:    win,
		minWin: minWin,
		maxLag: maxLag,
		far:    make([]float32, win+maxLag),
		near:   make([]float32, win),
		corr:   make([]float64, maxLag+1),
	}
}

// farActiveEnv is the envelope of a block at farActiveMS (-70 dBFS).
var farActiveEnv = float32(math.Sqrt(math.Sqrt(farActiveMS)))

func (d *delayEstimator) pushFar(block []float32) {
	d.far[d.nFar%len(d.far)] = envelope(block)
	d.nFar++
}

func (d *delayEstimator) popFar() {
	if d.nFar > 0 {
		d.nFar--
	}
}

func (d *delayEstimator) pushNear(block []float32) {
	d.near[d.nNear%len(d.near)] = envelope(block)
	d.nNear++
}

func (d *delayEstimator) reset() {
	d.nFar, d.nNear = 0, 0
}

// envelope is a compressed block level: the square root of the RMS keeps loud syllables from
// dominating the correlation.
func envelope(b []float32) float32 {
	return float32(math.Sqrt(math.Sqrt(energy(b) / float64(len(b)))))
}

// estimate returns the lag (in blocks) at which the far envelope best predicts the near one,
// the normalised correlation there, and whether there was enough far-end activity to say. The
// far ring's newest entry lines up with the near ring's newest entry at lag 0.
func (d *delayEstimator) estimate() (lag int, rho float64, ok bool) {
	w := min(d.win, d.nNear)
	maxLag := min(d.maxLag, d.nFar-w)
	if w < d.minWin || maxLag < 0 {
		return 0, 0, false
	}
	// Near window statistics.
	var nm float64
	for i := range w {
		nm += float64(d.near[(d.nNear-w+i)%d.win])
	}
	nm /= float64(w)
	var nv float64
	for i := range w {
		x := float64(d.near[(d.nNear-w+i)%d.win]) - nm
		nv += x * x
	}
	if nv <= 0 {
		return 0, 0, false
	}
	// The far end must have played for a good part of the window.
	active := 0
	fl := len(d.far)
	for i := range w {
		if d.far[(d.nFar-w+i+fl*4)%fl] > farActiveEnv {
			active++
		}
	}
	if active*4 < w {
		return 0, 0, false
	}
	best, bestLag := -2.0, 0
	for l := 0; l <= maxLag; l++ {
		// far value for near index i (i = 0 oldest .. w-1 newest) at lag l.
		var fm, fv, cov float64
		for i := range w {
			fm += float64(d.far[(d.nFar-w+i-l+fl*4)%fl])
		}
		fm /= float64(w)
		for i := range w {
			f := float64(d.far[(d.nFar-w+i-l+fl*4)%fl]) - fm
			n := float64(d.near[(d.nNear-w+i)%d.win]) - nm
			fv += f * f
			cov += f * n
		}
		r := 0.0
		if fv > 0 {
			r = cov / math.Sqrt(fv*nv)
		}
		d.corr[l] = r
		if r > best {
			best, bestLag = r, l
		}
	}
	return bestLag, best, true
}
