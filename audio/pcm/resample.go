// Package pcm converts 16-bit PCM audio: to and from float samples, and between sample rates
// with a windowed-sinc resampler, in one piece or as a stream. It has no device code, so the
// protocol package can use it too.
package pcm

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

// kernel is the windowed-sinc low-pass for one pair of rates: its cutoff sits just below the
// lower of the two Nyquist frequencies, so downsampling does not alias.
type kernel struct {
	from, to int
	fc       float64 // bandwidth as a fraction of the input Nyquist frequency
	half     int     // half-width in input samples
	step     float64 // table index advance per input sample
	table    []float64
}

func newKernel(from, to int) kernel {
	fc := sincCutoff
	if to < from {
		fc *= float64(to) / float64(from)
	}
	return kernel{from: from, to: to, fc: fc, half: int(float64(sincZeros) / fc), step: fc * sincOversample, table: sincTable()}
}

// at computes output sample n from in, which holds input samples base… (samples outside it
// count as silence).
func (k kernel) at(in []float32, base, n int64) float32 {
	num := n * int64(k.from)
	k0 := num / int64(k.to)
	frac := float64(num%int64(k.to)) / float64(k.to)
	var acc float64
	// Left side: j <= k0, distance d = k0+frac-j >= 0.
	for j := min(k0, base+int64(len(in))-1); j >= max(k0-int64(k.half), base); j-- {
		pos := (float64(k0-j) + frac) * k.step
		i := int(pos)
		if i >= sincZeros*sincOversample {
			break
		}
		f := pos - float64(i)
		acc += float64(in[j-base]) * (k.table[i] + f*(k.table[i+1]-k.table[i]))
	}
	// Right side: j > k0, distance d = j-k0-frac > 0.
	for j := max(k0+1, base); j <= k0+int64(k.half)+1 && j < base+int64(len(in)); j++ {
		pos := (float64(j-k0) - frac) * k.step
		i := int(pos)
		if i >= sincZeros*sincOversample {
			break
		}
		f := pos - float64(i)
		acc += float64(in[j-base]) * (k.table[i] + f*(k.table[i+1]-k.table[i]))
	}
	return float32(acc * k.fc)
}

// Resample converts mono samples from one rate to another. The output has
// ceil(len(in)·to/from) samples; samples outside the input count as silence. It returns a copy
// when the rates are equal and nil when either rate is not positive.
func Resample(in []float32, from, to int) []float32 {
	if from <= 0 || to <= 0 {
		return nil
	}
	if from == to {
		return append([]float32(nil), in...)
	}
	k := newKernel(from, to)
	nOut := int((int64(len(in))*int64(to) + int64(from) - 1) / int64(from))
	out := make([]float32, nOut)
	for n := range out {
		out[n] = k.at(in, 0, int64(n))
	}
	return out
}

// Stream resamples audio that arrives in pieces (a server's chunks) so that the pieces join
// seamlessly: it keeps the input the filter still needs and holds back the last few
// milliseconds of output (the filter's half-width) until more input or Flush.
type Stream struct {
	k    kernel
	buf  []float32 // input samples base…
	base int64
	n    int64 // next output sample
	end  int64 // input samples written so far
}

// NewStream returns a resampler from one rate to another (both positive).
func NewStream(from, to int) *Stream { return &Stream{k: newKernel(from, to)} }

// Write adds input and appends to dst the output that no later input can change.
func (s *Stream) Write(dst, in []float32) []float32 {
	s.buf = append(s.buf, in...)
	s.end += int64(len(in))
	for {
		k0 := s.n * int64(s.k.from) / int64(s.k.to)
		if k0+int64(s.k.half)+1 >= s.end {
			break
		}
		dst = append(dst, s.k.at(s.buf, s.base, s.n))
		s.n++
	}
	s.trim()
	return dst
}

// Flush appends the rest of the output, as if silence followed, and starts over.
func (s *Stream) Flush(dst []float32) []float32 {
	last := (s.end*int64(s.k.to) + int64(s.k.from) - 1) / int64(s.k.from)
	for ; s.n < last; s.n++ {
		dst = append(dst, s.k.at(s.buf, s.base, s.n))
	}
	*s = Stream{k: s.k}
	return dst
}

// trim drops input no future output needs.
func (s *Stream) trim() {
	keep := s.n*int64(s.k.from)/int64(s.k.to) - int64(s.k.half) - 1
	if drop := keep - s.base; drop > 0 {
		drop = min(drop, int64(len(s.buf)))
		s.buf = append(s.buf[:0], s.buf[drop:]...)
		s.base += drop
	}
}
