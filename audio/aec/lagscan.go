package aec

import "math"

// presence cannot decide while the user talks: the user stands out of the microphone's quiet
// blocks just as an echo would. A user who talks from the first words of the model's first
// answer, with headphones, would then be muted by the guard for as long as they talk.
//
// lagScan decides it from finer cells: 16 bands of 500 Hz by 8 ms blocks. An echo path of any
// useful strength puts sound into the microphone's cell whenever the far end's cell was loud a
// fixed delay before, whatever the user does; the user's speech, however continuous, leaves
// some cells near the noise floor (between syllables, between formants). So for every delay
// searched, lagScan counts the far end's loud cells and, among them, the microphone cells that
// were quiet that delay later. When at every delay a good share were quiet, no delay carries an
// echo: there is no echo path, or one too weak to matter.
//
// "Loud" is relative to the microphone's own floor in that band: a far-end cell is loud when an
// echo of it scanGain down would still stand well clear of the noise. Weaker echo paths are
// below the noise for the cells counted, and the microphone's cells count as quiet; in a noisy
// room few far cells are loud enough, and the scan, conservatively, decides late or not at all
// (presence decides there once the user pauses).
const (
	scanBands  = 16
	scanBins   = Block / scanBands // FFT bins per band (the FFT is 2*Block long)
	scanQuiet  = 4.0               // a microphone cell within 6 dB of its band's floor is quiet
	scanGain   = 3.2e-4            // -35 dB: the weakest echo path that must not be missed
	scanCells  = 100               // loud far-end cells every delay needs before deciding
	scanNoEcho = 0.1               // the share of quiet cells at every delay that rules out an echo
	floorRise  = 1.0055            // the band floor's rise per block while the band is louder: 3 dB/s
	floorMin   = 1e-10             // a digitally silent microphone still has a floor
)

type lagScan struct {
	fft     *realFFT
	win     []float32 // Hann over 2*Block
	frame   []float32
	spec    []complex64
	near    []float32 // the last two blocks
	far     []float32
	nearB   [scanBands]float64
	farB    [scanBands]float64
	floor   [scanBands]float64
	loud    [][scanBands]bool // far-end cells, a ring over the delays searched
	loudN   []int             // per delay in blocks
	quietN  []int
	next, n int
	decided bool
}

func newLagScan(maxDelay int) (lagScan, error) {
	f, err := newRealFFT(2 * Block)
	if err != nil {
		return lagScan{}, err
	}
	s := lagScan{
		fft:    f,
		win:    make([]float32, 2*Block),
		frame:  make([]float32, 2*Block),
		spec:   make([]complex64, Block+1),
		near:   make([]float32, 2*Block),
		far:    make([]float32, 2*Block),
		loud:   make([][scanBands]bool, maxDelay+1),
		loudN:  make([]int, maxDelay+1),
		quietN: make([]int, maxDelay+1),
	}
	for i := range s.win {
		s.win[i] = float32(0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(2*Block)))
	}
	return s, nil
}

// restart forgets what was seen (the path may have changed).
func (s *lagScan) restart() {
	s.n, s.next, s.decided = 0, 0, false
	clear(s.loudN)
	clear(s.quietN)
	clear(s.near)
	clear(s.far)
}

// bands writes the band energies of the last two blocks of x, with b the newest, into out.
func (s *lagScan) bands(x, b []float32, out *[scanBands]float64) {
	copy(x, x[Block:])
	copy(x[Block:], b)
	for i, v := range x {
		s.frame[i] = v * s.win[i]
	}
	s.fft.forward(s.spec, s.frame)
	for k := range scanBands {
		var e float64
		for _, c := range s.spec[1+k*scanBins : 1+(k+1)*scanBins] {
			e += float64(real(c))*float64(real(c)) + float64(imag(c))*float64(imag(c))
		}
		out[k] = e
	}
}

// popFar takes the newest far-end block back, as the canceller does when the reference came
// late and its read position steps back a block: the block is read, and pushed, again.
func (s *lagScan) popFar() {
	if s.n > 0 {
		s.next = (s.next - 1 + len(s.loud)) % len(s.loud)
		s.n--
	}
}

// pushFar takes one far-end block with no microphone block, as the canceller does when the
// reference has been early for long and its read position steps forward a block.
func (s *lagScan) pushFar(far []float32) {
	if s.n == 0 {
		return // no floor yet to call it loud against; nothing counted relies on it
	}
	s.addFar(far)
	s.next = (s.next + 1) % len(s.loud)
	s.n++
}

// addFar records the far end's loud cells for far at the ring's next position.
func (s *lagScan) addFar(far []float32) {
	s.bands(s.far, far, &s.farB)
	for k, e := range s.farB {
		s.loud[s.next][k] = e*scanGain > scanQuiet*s.floor[k]
	}
}

// push takes one microphone block and the far-end block played with it, and reports whether
// this block decided that there is no echo path.
func (s *lagScan) push(near, far []float32) bool {
	if s.decided {
		return false
	}
	s.bands(s.near, near, &s.nearB)
	if s.n == 0 {
		s.floor = s.nearB
	}
	var quiet [scanBands]bool
	for k, e := range s.nearB {
		s.floor[k] = max(floorMin, min(s.floor[k]*floorRise, e))
		quiet[k] = e < scanQuiet*s.floor[k]
	}
	s.addFar(far)
	l := len(s.loud)
	for d := range min(l, s.n+1) {
		cells := &s.loud[(s.next-d+l)%l]
		for k, loud := range cells {
			if loud {
				s.loudN[d]++
				if quiet[k] {
					s.quietN[d]++
				}
			}
		}
	}
	s.next = (s.next + 1) % l
	s.n++
	if s.n%4 != 0 { // every 32 ms
		return false
	}
	for d, n := range s.loudN {
		if n < scanCells || float64(s.quietN[d]) < scanNoEcho*float64(n) {
			return false
		}
	}
	s.decided = true
	return true
}
