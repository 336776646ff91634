package aec

import (
	"fmt"
	"math"
	"math/bits"
)

// realFFT transforms n real samples (n a power of two) to their n/2+1 non-negative frequency
// bins and back, through one complex FFT of n/2 points. The forward transform is unscaled; the
// inverse divides by n, so inverse(forward(x)) == x. All buffers are preallocated: forward and
// inverse do not allocate.
type realFFT struct {
	n, m int         // real length, complex length (n/2)
	rev  []int32     // bit reversal permutation for m
	tw   []complex64 // exp(-2πik/m), k < m/2: the complex FFT's twiddles
	itw  []complex64 // their conjugates, for the inverse
	post []complex64 // exp(-2πik/n), k <= m: the real<->complex split twiddles
	work []complex64 // m points
}

func newRealFFT(n int) (*realFFT, error) {
	if n < 4 || n&(n-1) != 0 {
		return nil, fmt.Errorf("fft size %d: want a power of two >= 4", n)
	}
	m := n / 2
	f := &realFFT{
		n:    n,
		m:    m,
		rev:  make([]int32, m),
		tw:   make([]complex64, m/2),
		itw:  make([]complex64, m/2),
		post: make([]complex64, m+1),
		work: make([]complex64, m),
	}
	lg := bits.Len(uint(m)) - 1
	for i := range m {
		f.rev[i] = int32(bits.Reverse32(uint32(i)) >> (32 - lg))
	}
	if lg == 0 {
		f.rev[0] = 0
	}
	for k := range f.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(m))
		f.tw[k] = complex(float32(c), float32(s))
		f.itw[k] = complex(float32(c), float32(-s))
	}
	for k := range f.post {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		f.post[k] = complex(float32(c), float32(s))
	}
	return f, nil
}

// fft runs an in-place radix-2 complex FFT of f.m points on f.work; inverse conjugates the
// twiddles (no scaling).
func (f *realFFT) fft(inverse bool) {
	w := f.work
	for i, r := range f.rev {
		if int(r) > i {
			w[i], w[r] = w[r], w[i]
		}
	}
	m := f.m
	tw := f.tw
	if inverse {
		tw = f.itw
	}
	// First stage: twiddle 1.
	for i := 0; i+1 < m; i += 2 {
		u, v := w[i], w[i+1]
		w[i], w[i+1] = u+v, u-v
	}
	for size := 4; size <= m; size <<= 1 {
		half := size >> 1
		step := m / size
		for start := 0; start < m; start += size {
			lo := w[start : start+half : start+half]
			hi := w[start+half : start+size : start+size]
			for j := range lo {
				t := tw[j*step]
				h := hi[j]
				// complex multiply written out: Go's complex64 multiply checks for NaN/Inf.
				vr := real(h)*real(t) - imag(h)*imag(t)
				vi := real(h)*imag(t) + imag(h)*real(t)
				u := lo[j]
				lo[j] = complex(real(u)+vr, imag(u)+vi)
				hi[j] = complex(real(u)-vr, imag(u)-vi)
			}
		}
	}
}

// forward writes the n/2+1 bins of the real signal x (len n) into dst (len n/2+1).
func (f *realFFT) forward(dst []complex64, x []float32) {
	m := f.m
	w := f.work
	for i := range m {
		w[i] = complex(x[2*i], x[2*i+1])
	}
	f.fft(false)
	// Split: X[k] = Ze[k] + W^k Zo[k], Ze = (Z[k]+conj(Z[m-k]))/2, Zo = -i(Z[k]-conj(Z[m-k]))/2.
	for k := 0; k <= m/2; k++ {
		a := w[k%m]
		b := w[(m-k)%m]
		bc := complex(real(b), -imag(b))
		ze := (a + bc) * 0.5
		d := (a - bc) * 0.5
		zo := complex(imag(d), -real(d)) // -i*d
		dst[k] = ze + f.post[k]*zo
		if k != 0 && k != m-k {
			// The mirror bin m-k from the same pair: Ze and Zo are conjugate-symmetric.
			zec := complex(real(ze), -imag(ze))
			zoc := complex(real(zo), -imag(zo))
			dst[m-k] = zec + f.post[m-k]*zoc
		}
	}
	dst[m] = complex(real(w[0])-imag(w[0]), 0)
	dst[0] = complex(real(w[0])+imag(w[0]), 0)
}

// inverse writes the real signal (len n) whose n/2+1 bins are src into x, scaled by 1/n.
func (f *realFFT) inverse(x []float32, src []complex64) {
	m := f.m
	w := f.work
	for k := range m {
		a := src[k]
		b := src[m-k]
		bc := complex(real(b), -imag(b))
		ze := (a + bc) * 0.5
		p := f.post[k]
		zo := (a - bc) * 0.5 * complex(real(p), -imag(p)) // divide by W^k
		w[k] = ze + complex(-imag(zo), real(zo))          // Ze + i*Zo
	}
	f.fft(true)
	s := 1 / float32(m)
	for i := range m {
		x[2*i] = real(w[i]) * s
		x[2*i+1] = imag(w[i]) * s
	}
}
