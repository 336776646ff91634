package audio

import (
	"math"
	"sync"
)

// Resampler design. The kernel is a Kaiser-windowed sinc evaluated from a finely sampled table
// (bandlimited interpolation): any pair of rates works, including ones without a small common
// factor, and the table is shared by all conversions.
const (
	sincZeros      = 48   // zero crossings of the kernel on each side
	sincOversample = 512  // table entries per zero crossing; linear interpolation in between
	sincCutoff     = 0.92 // -6 dB point as a fraction of the lower Nyquist frequency
	kaiserBeta     = 9.0  // about 90 dB stopband attenuation
)

// sincTable holds sinc(u)·kaiser(u/sincZeros) for u = i/sincOversample, i = 0..zeros·oversample,
// plus one guard entry so interpolation never reads past the end.
var sincTable = sync.OnceValue(func() []float64 {
	n := sincZeros*sincOversample + 2
	t := make([]float64, n)
	i0b := besselI0(kaiserBeta)
	for i := range t {
		u := float64(i) / sincOversample
		if u >= sincZeros {
			continue
		}
		x := u / sincZeros
		w := besselI0(kaiserBeta*math.Sqrt(1-x*x)) / i0b
		s := 1.0
		if u != 0 {
			s = math.Sin(math.Pi*u) / (math.Pi * u)
		}
		t[i] = s * w
	}
	return t
})

// besselI0 is the zeroth-order modified Bessel function of the first kind (power series).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 200; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

// Resample converts mono samples from one rate to another with a windowed-sinc low-pass filter
// whose cutoff sits just below the lower of the two Nyquist frequencies, so downsampling does not
// alias. The output has ceil(len(in)·to/from) samples; samples outside the input count as silence.
// It returns a copy when the rates are equal and nil when either rate is not positive.
func Resample(in []float32, from, to int) []float32 {
	if from <= 0 || to <= 0 {
		return nil
	}
	if from == to {
		return append([]float32(nil), in...)
	}
	table := sincTable()
	fc := sincCutoff // kernel bandwidth in cycles per input sample ×2 (1 = input Nyquist)
	if to < from {
		fc *= float64(to) / float64(from)
	}
	half := float64(sincZeros) / fc // kernel half-width in input samples
	step := fc * sincOversample     // table index advance per input sample
	nOut := int((int64(len(in))*int64(to) + int64(from) - 1) / int64(from))
	out := make([]float32, nOut)
	for n := range out {
		num := int64(n) * int64(from)
		k0 := int(num / int64(to))
		frac := float64(num%int64(to)) / float64(to)
		lo := k0 - int(half)
		hi := k0 + int(half) + 1
		var acc float64
		// Left side: k <= k0, distance d = k0+frac-k >= 0.
		kStart := max(lo, 0)
		for k := min(k0, len(in)-1); k >= kStart; k-- {
			pos := (float64(k0-k) + frac) * step
			i := int(pos)
			if i >= sincZeros*sincOversample {
				break
			}
			f := pos - float64(i)
			acc += float64(in[k]) * (table[i] + f*(table[i+1]-table[i]))
		}
		// Right side: k > k0, distance d = k-k0-frac > 0.
		for k := max(k0+1, 0); k <= hi && k < len(in); k++ {
			pos := (float64(k-k0) - frac) * step
			i := int(pos)
			if i >= sincZeros*sincOversample {
				break
			}
			f := pos - float64(i)
			acc += float64(in[k]) * (table[i] + f*(table[i+1]-table[i]))
		}
		out[n] = float32(acc * fc)
	}
	return out
}
