package aec

import (
	"fmt"
	"math"
)

// resampler converts the far-end reference from its rate to the microphone's with a
// windowed-sinc filter evaluated at any fractional input position (phases quantised to 1/phases
// of a sample). The canceller walks the position by a step of about from/to, nudged to follow
// the drift between the playback and capture clocks. It is stateless: each output is computed
// from a window of input the caller supplies, so the canceller can step its read position
// forward or back by whole blocks without artefacts.
type resampler struct {
	ratio float64     // nominal input samples per output sample (from/to)
	half  int         // taps each side of the centre
	table [][]float32 // phases+1 rows × 2*half taps
}

const phases = 512

func newResampler(from, to int) (*resampler, error) {
	if from <= 0 || to <= 0 {
		return nil, fmt.Errorf("resample %d Hz to %d Hz: rates must be positive", from, to)
	}
	r := &resampler{ratio: float64(from) / float64(to), half: 16}
	// Cut-off just under the lower Nyquist frequency, as a fraction of the input's.
	fc := 0.92 * math.Min(1, float64(to)/float64(from))
	r.table = make([][]float32, phases+1)
	for ph := range r.table {
		frac := float64(ph) / phases
		taps := make([]float32, 2*r.half)
		var sum float64
		for j := range taps {
			u := float64(j-r.half+1) - frac // distance from the output instant, in input samples
			v := fc * sinc(fc*u) * kaiser(u/float64(r.half), 8)
			taps[j] = float32(v)
			sum += v
		}
		for j := range taps { // unity gain at DC in every phase
			taps[j] = float32(float64(taps[j]) / sum)
		}
		r.table[ph] = taps
	}
	return r, nil
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// kaiser is the Kaiser window at x in [-1, 1].
func kaiser(x, beta float64) float64 {
	if x < -1 || x > 1 {
		return 0
	}
	return besselI0(beta*math.Sqrt(1-x*x)) / besselI0(beta)
}

func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < 1e-12*sum {
			break
		}
	}
	return sum
}

// span returns the input samples [first, last] that an output at input position x reads.
func (r *resampler) span(x float64) (int64, int64) {
	c := int64(math.Floor(x))
	return c - int64(r.half) + 1, c + int64(r.half)
}

// run writes len(dst) outputs at input positions x, x+step, ... in holds input samples starting
// at absolute input index inStart; it must cover every sample the outputs read. It returns the
// position after the last output.
func (r *resampler) run(dst []float32, x, step float64, in []int16, inStart int64) float64 {
	const scale = 1.0 / 32768
	for i := range dst {
		c := math.Floor(x)
		ph := int((x-c)*phases + 0.5)
		taps := r.table[ph]
		off := int(int64(c)-inStart) - r.half + 1
		v := in[off : off+len(taps)]
		var acc float32
		for j, h := range taps {
			acc += float32(v[j]) * h
		}
		dst[i] = acc * scale
		x += step
	}
	return x
}
