package aec

import "math"

// realigner catches jumps of the echo path. PulseAudio (and other sound servers) sometimes
// re-buffer a stream, and the echo then arrives a few milliseconds earlier or later than
// before, all at once (seen on the CI echo path: 0.6, 3.4, 7 and 18 ms). The converged filter
// is then wrong everywhere, its error looks like double talk, and re-learning the whole
// response takes seconds during which the echo leaks through (11-20 dB of reduction instead of
// 50) and the server hears the model's own voice.
//
// But the echo path the filter had learnt is still right, only at the wrong time. The mdf keeps
// a snapshot of the foreground taken while it cancelled well; while the cancellation is poor,
// the realigner cross-correlates the last 192 ms of the microphone with that snapshot's echo
// estimate over ±40 ms (one FFT-based correlation, about half a millisecond of CPU every 64 ms,
// and only while the cancellation is poor). When the microphone matches a shifted copy of the
// estimate much better than the estimate itself, it is an echo path jump, not near-end speech
// (which matches neither), and the filter's taps are shifted by that much at once.
type realigner struct {
	w, l   int // window and largest shift searched, in samples
	b      int // block
	blocks int // blocks in the ring (w+2l rounded up)
	d      []float32
	n      int // blocks in the ring since the last restart (capped)
	pos    int // next block index to write
	since  int // blocks since the last check
	fft    *realFFT
	a, y   []float32
	fa, fy []complex64
	prefix []float64
	nearE  []float64 // per-block microphone and foreground error energies, same ring
	errE   []float64
	left   float64 // share of the microphone's energy the foreground left, at the last state
}

const (
	realignWindow   = 3072 // 192 ms at 16 kHz
	realignMaxShift = 640  // 40 ms at 16 kHz
	realignEvery    = 8    // blocks between checks
	realignActiveMS = 1e-6 // block mean square counted as sound (-60 dBFS)
)

func newRealigner(b int) (*realigner, error) {
	w, l := realignWindow, realignMaxShift
	blocks := (w + 2*l + b - 1) / b
	n := 1
	for n < w+blocks*b {
		n *= 2
	}
	f, err := newRealFFT(n)
	if err != nil {
		return nil, err
	}
	return &realigner{
		w: w, l: l, b: b, blocks: blocks,
		d:   make([]float32, blocks*b),
		fft: f, a: make([]float32, n), y: make([]float32, n),
		fa: make([]complex64, n/2+1), fy: make([]complex64, n/2+1),
		prefix: make([]float64, blocks*b+1),
		nearE:  make([]float64, blocks), errE: make([]float64, blocks),
	}, nil
}

// restart forgets the history: after the far stream or the taps moved, ages no longer match.
func (r *realigner) restart() {
	r.n, r.since = 0, 0
}

// push records one block of microphone input, its energy and the foreground's error energy.
func (r *realigner) push(near []float32, nearE, errE float64) {
	copy(r.d[r.pos*r.b:], near)
	r.nearE[r.pos] = nearE
	r.errE[r.pos] = errE
	r.pos = (r.pos + 1) % r.blocks
	r.n = min(r.n+1, r.blocks)
	r.since++
}

// state says, every realignEvery blocks with a full ring, how well the foreground cancels over
// the ring: good (better than 25 dB: worth a snapshot) or poor (worse than 15 dB: worth a check).
func (r *realigner) state() (good, poor bool) {
	if r.n < r.blocks || r.since < realignEvery {
		return false, false
	}
	var ne, ee float64
	for i := range r.nearE {
		ne += r.nearE[i]
		ee += r.errE[i]
	}
	if ne <= 0 {
		return false, false
	}
	r.since = 0
	r.left = ee / ne
	return ee*300 < ne, ee*30 > ne
}

// check (after state said poor) correlates the microphone with the snapshot's echo estimate, which predict writes for
// the block processed age blocks ago. It returns the shift, in samples, by which the echo now
// arrives later than the snapshot predicts (negative: earlier), and whether to apply it.
func (r *realigner) check(predict func(y []float32, age int) bool) (int, bool) {
	w, l, b := r.w, r.l, r.b
	total := r.blocks * b
	// Echo must fill most of the ring: a few blocks of sound in silence correlate with far
	// shifts of a periodic onset about as well as with the right one.
	active := 0
	for _, e := range r.nearE {
		if e > realignActiveMS*float64(b) {
			active++
		}
	}
	if active*5 < r.blocks*3 {
		return 0, false
	}
	clear(r.y)
	// The ring's oldest block is at r.pos; block j (0 oldest) was processed blocks-1-j ago.
	for j := range r.blocks {
		if !predict(r.y[j*b:(j+1)*b], r.blocks-1-j) {
			return 0, false
		}
	}
	// The near window ends l samples before the newest sample, so that the estimate is known
	// l samples either side of it.
	off := total - (w + 2*l)
	clear(r.a)
	var ed float64
	for i := range w {
		k := (r.pos*b + off + l + i) % total
		v := r.d[k]
		r.a[i] = v
		ed += float64(v) * float64(v)
	}
	// Keep only the estimate's part that the window can reach, starting at index 0.
	copy(r.y, r.y[off:total])
	clear(r.y[w+2*l:])
	r.prefix[0] = 0
	for j := range w + 2*l {
		v := float64(r.y[j])
		r.prefix[j+1] = r.prefix[j] + v*v
	}
	if ed <= 0 || r.prefix[w+2*l] <= 0 {
		return 0, false
	}
	// corr[m] = Σ_i a[i]·y[i+m] = IFFT(conj(A)·Y)[m]; a shift of s = l-m samples.
	r.fft.forward(r.fa, r.a)
	r.fft.forward(r.fy, r.y)
	for k := range r.fa {
		a := r.fa[k]
		r.fy[k] *= complex(real(a), -imag(a))
	}
	r.fft.inverse(r.a, r.fy)
	best, bestM := -1.0, l
	for m := 0; m <= 2*l; m++ {
		ey := r.prefix[m+w] - r.prefix[m]
		if ey <= 0 {
			continue
		}
		rho := float64(r.a[m]) / math.Sqrt(ed*ey)
		if rho > best {
			best, bestM = rho, m
		}
	}
	s := l - bestM
	// The microphone must hold echo alone (near-end speech matches no shift: ρ stays low),
	// and the snapshot, shifted, must leave at most a quarter of what the foreground leaves
	// (1-ρ² is what a best-scaled copy leaves). A shift of 0 happens too: the foreground was
	// dragged off a path that has not changed, and the snapshot simply comes back.
	if best < 0.95 || 4*(1-best*best) > r.left {
		return 0, false
	}
	return s, true
}
