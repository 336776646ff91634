package aec

import (
	"math"
)

// mdf is the echo canceller's core: a partitioned-block frequency-domain adaptive filter
// (overlap-save, block b, FFT 2b, p partitions of b taps) with
//
//   - a bulk delay: the filter's first partition lines up with the far-end block delay blocks
//     ago, so a short filter covers a long path (the far-end spectra are kept for maxDelay+p
//     blocks and the filter simply reads further back);
//   - two filters (the two-path structure): a background filter that always adapts and a
//     foreground filter that makes the output. The background is copied into the foreground only
//     while it cancels better, and is reset from the foreground when it diverges (double talk),
//     so near-end speech cannot destroy a converged echo path;
//   - residual echo suppression: a spectral gain on the output, from the foreground's echo
//     estimate scaled by the measured leakage (what fraction of the echo the filter leaves),
//     through a low-delay STFT that holds the output back only SuppressDelay samples.
//
// It works on float32 samples in [-1, 1], one block at a time, and never allocates after
// construction.
type mdf struct {
	b, n, bins int
	parts      int
	maxDelay   int
	delay      int // blocks between the newest far block and the filter's first partition

	fft *realFFT

	xs      [][]complex64 // far-end spectra ring (parts+maxDelay slots), newest at head
	xpow    [][]float32   // |X|² of each slot
	head    int
	sxx     []float32 // Σ |X|² over the filter's partitions
	sxxMean float32

	fg, bg [][]complex64 // parts × bins

	xt   [][]float32 // far blocks (time domain), same ring as xs
	tbuf []float32   // n samples scratch
	taps []float32   // parts·b samples scratch (shiftTaps)

	// A copy of the foreground taken while it cancelled well, with its delay kept in step with
	// the far stream: what the echo looked like before a jump (see realigner).
	snap      [][]complex64
	snapDelay int
	haveSnap  bool
	cbuf      []complex64
	gbuf      []complex64
	yfg       []float32 // foreground echo estimate (b)
	ybg       []float32
	efg       []float32 // foreground error (b)
	ebg       []float32

	// residual echo suppression: a low-delay STFT on the foreground output (see
	// suppressResidual)
	wa, ws   []float32 // analysis and synthesis windows (n)
	ePrev    []float32 // previous efg block
	yPrev    []float32 // previous yfg block
	ola      []float32 // overlap-add tail (SuppressDelay)
	ew, yw   []complex64
	pe, pr   []float32 // smoothed |E|² and residual echo estimate per bin
	gain     []float32
	suppress bool

	mu         float32
	sef, seb   float64   // smoothed error energies
	lsef, lseb float64   // the same, smoothed longer
	sd, sy     float64   // smoothed near and echo-estimate energies
	leak       float64   // residual echo / echo estimate (power), for the suppressor
	leakReg    float64   // the same by regression, robust to double talk: for the detector
	eavg, yavg []float32 // per-bin average output and echo-estimate power (leak regression)
	pey, pyy   float64
	adapted    bool // the foreground has cancelled some echo since the last reset
	st         mdfStats

	moves               uint64    // times the taps were shifted by whole partitions
	lastDT              bool      // the last block looked like double talk
	echoOnly            bool      // the last block held little besides echo (leakage is measured)
	leakBin             []float32 // per-bin leakage for the suppressor (residual echo is not white)
	lastFarActive       bool      // the last block's far window was playing
	lastNearE, lastOutE float64   // the last block's input and output energies
	lastEchoE           float64   // the last block's foreground echo estimate energy
	lastErrE            float64   // the last block's foreground error energy (before suppression)
}

type mdfStats struct {
	blocks, farBlocks, copies, resets uint64
	nearE, outE, linE                 float64 // energies during far-active blocks (for ERLE)
}

const (
	farActiveMS = 1e-7 // mean square above which a far block counts as playing (-70 dBFS)
	noiseMS     = 1e-8 // mean square of the quietest microphone noise considered (-80 dBFS)
	stepFloor   = 0.1
)

func newMDF(b, parts, maxDelay int) (*mdf, error) {
	n := 2 * b
	f, err := newRealFFT(n)
	if err != nil {
		return nil, err
	}
	bins := b + 1
	m := &mdf{
		b: b, n: n, bins: bins, parts: parts, maxDelay: maxDelay,
		fft:      f,
		xs:       make2c(parts+maxDelay, bins),
		xpow:     make2f(parts+maxDelay, bins),
		sxx:      make([]float32, bins),
		fg:       make2c(parts, bins),
		bg:       make2c(parts, bins),
		xt:       make2f(parts+maxDelay, b),
		tbuf:     make([]float32, n),
		taps:     make([]float32, parts*b),
		snap:     make2c(parts, bins),
		cbuf:     make([]complex64, bins),
		gbuf:     make([]complex64, bins),
		yfg:      make([]float32, b),
		ybg:      make([]float32, b),
		efg:      make([]float32, b),
		ebg:      make([]float32, b),
		wa:       make([]float32, n),
		ws:       make([]float32, n),
		ePrev:    make([]float32, b),
		yPrev:    make([]float32, b),
		ola:      make([]float32, SuppressDelay),
		ew:       make([]complex64, bins),
		yw:       make([]complex64, bins),
		pe:       make([]float32, bins),
		pr:       make([]float32, bins),
		gain:     make([]float32, bins),
		eavg:     make([]float32, bins),
		leakBin:  make([]float32, bins),
		yavg:     make([]float32, bins),
		suppress: true,
		mu:       1.0,
		leak:     1,
		leakReg:  1,
	}
	for k := range m.leakBin {
		m.leakBin[k] = 1
	}
	m.windows()
	return m, nil
}

func make2c(r, c int) [][]complex64 {
	all := make([]complex64, r*c)
	out := make([][]complex64, r)
	for i := range out {
		out[i] = all[i*c : (i+1)*c : (i+1)*c]
	}
	return out
}

func make2f(r, c int) [][]float32 {
	all := make([]float32, r*c)
	out := make([][]float32, r)
	for i := range out {
		out[i] = all[i*c : (i+1)*c : (i+1)*c]
	}
	return out
}

// slot returns the ring index of the far spectrum age blocks old (0 = newest).
func (m *mdf) slot(age int) int {
	h := len(m.xs)
	return ((m.head-age)%h + h) % h
}

// pushFar adds one far block to the history without filtering (used for the current block and
// when the reference stream skips ahead).
func (m *mdf) pushFar(far []float32) {
	copy(m.tbuf, m.xt[m.head])
	copy(m.tbuf[m.b:], far)
	m.head = (m.head + 1) % len(m.xs)
	copy(m.xt[m.head], far)
	x := m.xs[m.head]
	m.fft.forward(x, m.tbuf)
	p := m.xpow[m.head]
	for k, v := range x {
		p[k] = real(v)*real(v) + imag(v)*imag(v)
	}
}

// popFar forgets the newest far block (the reference stream stepped back one block).
func (m *mdf) popFar() {
	m.head = m.slot(1)
}

// place moves the filter's window to start newDelay blocks back, while everything the filters
// modelled moves ageShift blocks further into the past (the far stream gained ageShift blocks
// relative to the microphone). Taps that fall outside the window are dropped.
func (m *mdf) place(newDelay, ageShift int) {
	newDelay = max(0, min(newDelay, m.maxDelay))
	m.snapDelay += ageShift
	s := m.delay + ageShift - newDelay // partition p moves to p+s
	m.delay = newDelay
	if s == 0 {
		return
	}
	m.moves++
	for _, w := range [][][]complex64{m.fg, m.bg} {
		if s > 0 {
			for p := m.parts - 1; p >= 0; p-- {
				if q := p - s; q >= 0 {
					copy(w[p], w[q])
				} else {
					clear(w[p])
				}
			}
		} else {
			for p := range m.parts {
				if q := p - s; q < m.parts {
					copy(w[p], w[q])
				} else {
					clear(w[p])
				}
			}
		}
	}
}

// shiftTaps delays the modelled echo path by s samples (negative: advances it), in both
// filters: each filter goes to the time domain, moves, and comes back. Taps moved past either
// end of the window are dropped.
func (m *mdf) shiftTaps(s int) {
	total := m.parts * m.b
	if s == 0 || s >= total || -s >= total {
		return
	}
	m.moves++
	for _, w := range [][][]complex64{m.fg, m.bg} {
		for p := range m.parts {
			m.fft.inverse(m.tbuf, w[p])
			copy(m.taps[p*m.b:], m.tbuf[:m.b])
		}
		if s > 0 {
			copy(m.taps[s:], m.taps[:total-s])
			clear(m.taps[:s])
		} else {
			copy(m.taps, m.taps[-s:])
			clear(m.taps[total+s:])
		}
		for p := range m.parts {
			copy(m.tbuf, m.taps[p*m.b:(p+1)*m.b])
			clear(m.tbuf[m.b:])
			m.fft.forward(w[p], m.tbuf)
		}
	}
}

// takeSnapshot keeps the foreground as the last known good echo path.
func (m *mdf) takeSnapshot() {
	for p, w := range m.fg {
		copy(m.snap[p], w)
	}
	m.snapDelay = m.delay
	m.haveSnap = true
}

// restoreSnapshot puts the snapshot back into both filters.
func (m *mdf) restoreSnapshot() {
	for p, w := range m.snap {
		copy(m.fg[p], w)
		copy(m.bg[p], w)
	}
	m.delay = max(0, min(m.snapDelay, m.maxDelay))
	m.moves++
}

// predict writes into y (b samples) the snapshot's echo estimate for the microphone block
// processed age blocks ago (0: the newest), or reports that the far history does not reach.
func (m *mdf) predict(y []float32, age int) bool {
	if !m.haveSnap || m.snapDelay < 0 || age+m.snapDelay+m.parts > len(m.xs) {
		return false
	}
	acc := m.gbuf
	clear(acc)
	for p, wp := range m.snap {
		x := m.xs[m.slot(age+m.snapDelay+p)]
		for k := range acc {
			acc[k] += wp[k] * x[k]
		}
	}
	m.fft.inverse(m.tbuf, acc)
	copy(y, m.tbuf[m.b:])
	return true
}

// peak returns the foreground partition holding the most energy.
func (m *mdf) peak() int {
	best, bp := float32(-1), 0
	for p, w := range m.fg {
		var e float32
		for _, v := range w {
			e += real(v)*real(v) + imag(v)*imag(v)
		}
		if e > best {
			best, bp = e, p
		}
	}
	return bp
}

// reset forgets everything learnt.
func (m *mdf) reset() {
	for p := range m.parts {
		clear(m.fg[p])
		clear(m.bg[p])
	}
	for i := range m.xs {
		clear(m.xs[i])
		clear(m.xpow[i])
		clear(m.xt[i])
	}
	clear(m.ePrev)
	clear(m.yPrev)
	clear(m.ola)
	clear(m.pe)
	clear(m.pr)
	clear(m.gain)
	m.delay = 0
	m.haveSnap = false
	m.moves++
	m.sef, m.seb, m.sd, m.sy = 0, 0, 0, 0
	m.lsef, m.lseb = 0, 0
	m.leak, m.leakReg = 1, 1
	for k := range m.leakBin {
		m.leakBin[k] = 1
	}
	clear(m.eavg)
	clear(m.yavg)
	m.pey, m.pyy = 0, 0
	m.adapted = false
}

// filter computes the echo estimate of w for the newest far block into y (b samples).
func (m *mdf) filter(y []float32, w [][]complex64) {
	acc := m.cbuf
	clear(acc)
	for p := range m.parts {
		x := m.xs[m.slot(m.delay+p)]
		wp := w[p]
		for k := range acc {
			acc[k] += wp[k] * x[k]
		}
	}
	m.fft.inverse(m.tbuf, acc)
	copy(y, m.tbuf[m.b:])
}

func energy(s []float32) float64 {
	var e float32
	for _, v := range s {
		e += v * v
	}
	return float64(e)
}

// process cancels the echo of the newest far block (pushed with pushFar) in near and writes b
// samples of output, SuppressDelay samples late (the suppressor's overlap).
func (m *mdf) process(near, out []float32, adapt bool) {
	m.st.blocks++
	m.lastDT = false
	m.echoOnly = false
	clear(m.sxx)
	for p := range m.parts {
		pw := m.xpow[m.slot(m.delay+p)]
		for k, v := range pw {
			m.sxx[k] += v
		}
	}
	var sum float32
	for _, v := range m.sxx {
		sum += v
	}
	m.sxxMean = sum / float32(m.bins)
	farActive := float64(m.sxxMean) > farActiveMS*float64(m.parts*m.n)
	m.filter(m.yfg, m.fg)
	m.filter(m.ybg, m.bg)
	for i, d := range near {
		m.efg[i] = d - m.yfg[i]
		m.ebg[i] = d - m.ybg[i]
	}
	d, ef, eb, y := energy(near), energy(m.efg), energy(m.ebg), energy(m.yfg)
	const a = 0.5
	m.sd = a*m.sd + (1-a)*d
	m.sef = a*m.sef + (1-a)*ef
	m.seb = a*m.seb + (1-a)*eb
	m.sy = a*m.sy + (1-a)*y
	const la = 0.9
	m.lsef = la*m.lsef + (1-la)*ef
	m.lseb = la*m.lseb + (1-la)*eb

	if farActive && adapt {
		m.st.farBlocks++
		// Double talk (or a changed echo path): the foreground's error is well above the
		// residual echo it is expected to leave. Slow the background down in proportion, so
		// near-end speech does not drag it far; a changed path still gets learnt because the
		// leakage estimate rises with the error there.
		// Until the filter has first converged (6 dB), every error is echo: full speed.
		if !m.adapted && m.sef < 0.25*m.sd {
			m.adapted = true
		}
		expected := 3*m.leakReg*m.sy + noiseMS*float64(m.b)
		step := 1.0
		dt := m.adapted && m.sef > 4*expected && m.sd > 1.25*m.sy
		m.lastDT = dt
		if dt {
			step = 4 * expected / m.sef
		}
		m.adapt(float32(max(step, stepFloor)))
		// The suppressor's leakage: the residual echo's share of the echo estimate, measured
		// where the microphone holds little besides echo.
		m.echoOnly = m.sy > 0 && m.sd < 2*m.sy && !dt
		if m.echoOnly {
			m.leak = 0.95*m.leak + 0.05*min(m.sef/m.sy, 1)
		}
		switch {
		case (m.seb < 0.9*m.sef && eb < ef && !dt) || (m.lseb < 0.7*m.lsef && m.seb < 0.7*m.sef):
			for p := range m.parts {
				copy(m.fg[p], m.bg[p])
			}
			m.sef, m.lsef = m.seb, m.lseb
			m.st.copies++
		case m.seb > 4*m.sef && m.sef < m.sd:
			for p := range m.parts {
				copy(m.bg[p], m.fg[p])
			}
			m.seb, m.lseb = m.sef, m.lsef
			m.st.resets++
		}
	}
	m.suppressResidual(out, farActive)
	m.lastFarActive = farActive
	m.lastNearE = d
	m.lastErrE = ef
	m.lastEchoE = y
	m.lastOutE = energy(out)
	if farActive {
		m.st.nearE += d
		m.st.linE += ef
		m.st.outE += m.lastOutE
	}
}

// adapt runs one constrained NLMS step of the background filter on its error.
func (m *mdf) adapt(scale float32) {
	// Σ|X|² over the filter window (from process), regularised.
	reg := 0.01*m.sxxMean + float32(m.parts)*float32(m.n)*1e-8

	clear(m.tbuf[:m.b])
	copy(m.tbuf[m.b:], m.ebg)
	e := m.gbuf
	m.fft.forward(e, m.tbuf)
	for k := range e {
		e[k] *= complex(scale*m.mu/(m.sxx[k]+reg), 0)
	}
	g := m.cbuf
	for p := range m.parts {
		x := m.xs[m.slot(m.delay+p)]
		for k := range g {
			xc := complex(real(x[k]), -imag(x[k]))
			g[k] = xc * e[k]
		}
		w := m.bg[p]
		for k := range w {
			w[k] += g[k]
		}
		// Constraint: keep the first b taps (a linear, not circular, convolution). It can be
		// applied to each partition only every constrainEvery blocks, in turn (as Speex's MDF
		// does): with 4, a quarter of the FFTs and better single-talk ERLE, but the background
		// filter drifts further in double talk (measured: near-to-distortion 9.9 -> 6.2 dB), so
		// every block it is.
		if (uint64(p)+m.st.blocks)%constrainEvery == 0 {
			m.fft.inverse(m.tbuf, w)
			clear(m.tbuf[m.b:])
			m.fft.forward(w, m.tbuf)
		}
	}
}

const constrainEvery = 1

// updateLeak estimates the leakage, the fraction of the echo estimate's power that remains in
// the output, by regressing the output's power spectrum on the echo estimate's over time: how
// much the output's power moves with the estimate's. Near-end speech does not move with the
// far end, so it averages out and double talk does not inflate the estimate (the idea of
// Valin's "On adjusting the learning rate in frequency domain echo cancellation with double
// talk", 2007).
func (m *mdf) updateLeak() {
	var pey, pyy float64
	for k := range m.ew {
		e, y := m.ew[k], m.yw[k]
		pe := real(e)*real(e) + imag(e)*imag(e)
		py := real(y)*real(y) + imag(y)*imag(y)
		m.eavg[k] = 0.95*m.eavg[k] + 0.05*pe
		m.yavg[k] = 0.95*m.yavg[k] + 0.05*py
		de, dy := pe-m.eavg[k], py-m.yavg[k]
		pey += float64(de * dy)
		pyy += float64(dy * dy)
	}
	const a = 0.05
	m.pey = (1-a)*m.pey + a*pey
	m.pyy = (1-a)*m.pyy + a*pyy
	if m.pyy > 0 {
		m.leakReg = max(5e-4, min(1, m.pey/m.pyy))
	}
}

// SuppressDelay is the residual echo suppressor's latency in samples (1 ms at 16 kHz): the
// overlap of its synthesis windows.
const SuppressDelay = 16

// windows builds the suppressor's low-delay STFT windows (after Mauler and Martin, "A low
// delay, variable resolution, perfect reconstruction spectral analysis-synthesis system for
// speech enhancement", 2007). A frame is the last two blocks; the hop is one block. A plain 50 %
// sqrt-Hann overlap-add holds the output back a whole block (8 ms), until the next frame has
// added its half. Here the analysis window is long (a sine rise over almost the whole frame,
// for the frequency resolution the gains need) with a short fall at its end, and the synthesis
// window is zero except where the output is finished: the product of the two rises over L
// samples at the start of the newest block and falls over the frame's last L, so consecutive
// frames add to one and only those last L samples wait for the next frame.
func (m *mdf) windows() {
	n, b, L := m.n, m.b, SuppressDelay
	for i := range n - L {
		m.wa[i] = float32(math.Sin(math.Pi * (float64(i) + 0.5) / float64(2*(n-L))))
	}
	for j := range L {
		m.wa[n-L+j] = float32(math.Cos(math.Pi * (float64(j) + 0.5) / float64(2*L)))
	}
	for i := range m.ws {
		var p float64 // the product of the two windows
		switch {
		case i < b-L:
		case i < b:
			p = math.Pow(math.Sin(math.Pi*(float64(i-b+L)+0.5)/float64(2*L)), 2)
		case i < n-L:
			p = 1
		default:
			p = math.Pow(math.Cos(math.Pi*(float64(i-n+L)+0.5)/float64(2*L)), 2)
		}
		if p > 0 {
			m.ws[i] = float32(p / float64(m.wa[i]))
		}
	}
}

// suppressResidual applies the residual echo suppressor to the foreground output and writes
// the output block: the frame's samples from L before the newest block's start to L before
// its end.
func (m *mdf) suppressResidual(out []float32, farActive bool) {
	b, n, L := m.b, m.n, SuppressDelay
	for i := range b {
		m.tbuf[i] = m.ePrev[i] * m.wa[i]
		m.tbuf[b+i] = m.efg[i] * m.wa[b+i]
	}
	m.fft.forward(m.ew, m.tbuf)
	for i := range b {
		m.tbuf[i] = m.yPrev[i] * m.wa[i]
		m.tbuf[b+i] = m.yfg[i] * m.wa[b+i]
	}
	m.fft.forward(m.yw, m.tbuf)
	copy(m.ePrev, m.efg)
	copy(m.yPrev, m.yfg)

	if farActive {
		m.updateLeak()
	}
	for k := range m.ew {
		e, y := m.ew[k], m.yw[k]
		pe := real(e)*real(e) + imag(e)*imag(e)
		py := real(y)*real(y) + imag(y)*imag(y)
		if m.echoOnly && py > 0 {
			m.leakBin[k] = 0.9*m.leakBin[k] + 0.1*min(pe/py, 1)
		}
		r := m.leakBin[k] * py
		m.pe[k] = 0.5*m.pe[k] + 0.5*pe
		m.pr[k] = max(r, 0.6*m.pr[k]) // residual echo decays slower than the estimate (reverb)
		g := float32(1)
		if m.suppress && m.pe[k] > 0 {
			g = 1 - 2*m.pr[k]/m.pe[k]
			g = max(g, 0.05)
			if m.pr[k] < 0.5*m.pe[k] {
				// Limit how fast the gain falls: fewer artefacts. Not when the residual
				// echo dominates (the onset of far-end speech after a pause): there the
				// first blocks would otherwise leak echo that a voice detector takes for
				// the user talking.
				g = max(g, m.gain[k]*0.5)
			}
		}
		m.gain[k] = g
		m.ew[k] = e * complex(g, 0)
	}
	m.fft.inverse(m.tbuf, m.ew)
	y := m.tbuf[b-L : n-L]
	w := m.ws[b-L : n-L]
	for i := range L {
		out[i] = m.ola[i] + y[i]*w[i]
	}
	for i := L; i < b; i++ {
		out[i] = y[i] * w[i]
	}
	for i := range L {
		m.ola[i] = m.tbuf[n-L+i] * m.ws[n-L+i]
	}
}
