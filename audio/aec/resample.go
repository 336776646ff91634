package aec

import (
	"fmt"
	"math"
)

// resampler converts the far-end reference from its rate to the microphone's by a fixed
// rational factor up/down with a windowed-sinc polyphase filter. It is stateless: output sample
// t is computed from input samples around t*down/up, read from a window the caller supplies, so
// the canceller can step its read position forward or back by whole blocks without artefacts.
type resampler struct {
	up, down int
	half     int         // taps each side of the centre
	table    [][]float32 // up phases × 2*half taps
}

const maxPhases = 1024

func newResampler(from, to int) (*resampler, error) {
	if from <= 0 || to <= 0 {
		return nil, fmt.Errorf("resample %d Hz to %d Hz: rates must be positive", from, to)
	}
	g := gcd(from, to)
	up, down := to/g, from/g
	if up > maxPhases {
		return nil, fmt.Errorf("resample %d Hz to %d Hz: ratio %d/%d needs too many phases", from, to, up, down)
	}
	r := &resampler{up: up, down: down, half: 16}
	// Cut-off just under the lower Nyquist frequency, as a fraction of the input's.
	fc := 0.92 * math.Min(1, float64(up)/float64(down))
	if up == down {
		r.half = 1
	}
	r.table = make([][]float32, up)
	for ph := range up {
		frac := float64(ph) / float64(up)
		taps := make([]float32, 2*r.half)
		var sum float64
		for j := range taps {
			u := float64(j-r.half+1) - frac // distance from the output instant, in input samples
			v := fc * sinc(fc*u) * kaiser(u/float64(r.half), 8)
			if up == down {
				v = 0
				if j == r.half-1 {
					v = 1
				}
			}
			taps[j] = float32(v)
			sum += v
		}
		for j := range taps { // unity DC gain in every phase
			taps[j] = float32(float64(taps[j]) / sum)
		}
		r.table[ph] = taps
	}
	return r, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
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

// centre returns the input index at or before output t and the filter phase; output t reads input
// [centre-half+1, centre+half].
func (r *resampler) centre(t int64) (int64, int) {
	num, up := t*int64(r.down), int64(r.up)
	q, rem := num/up, num%up
	if rem < 0 { // floor division for positions before the start
		q--
		rem += up
	}
	return q, int(rem)
}

// run writes len(dst) outputs starting at output index t. in holds input samples starting at
// absolute input index inStart; it must cover every needed sample (see need).
func (r *resampler) run(dst []float32, t int64, in []int16, inStart int64) {
	const scale = 1.0 / 32768
	for i := range dst {
		c, ph := r.centre(t + int64(i))
		taps := r.table[ph]
		off := int(c - inStart - int64(r.half) + 1)
		x := in[off : off+len(taps)]
		var acc float32
		for j, h := range taps {
			acc += float32(x[j]) * h
		}
		dst[i] = acc * scale
	}
}

// need returns the first and one-past-last absolute input index that outputs [t, t+n) read.
func (r *resampler) need(t int64, n int) (int64, int64) {
	c0, _ := r.centre(t)
	c1, _ := r.centre(t + int64(n) - 1)
	return c0 - int64(r.half) + 1, c1 + int64(r.half) + 1
}
