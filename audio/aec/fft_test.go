package aec

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

func TestRealFFT(t *testing.T) {
	for _, n := range []int{4, 8, 16, 256, 512} {
		f, err := newRealFFT(n)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		got := make([]complex64, n/2+1)
		f.forward(got, x)
		for k := range got {
			var want complex128
			for i, v := range x {
				want += complex(float64(v), 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(k*i)/float64(n)))
			}
			if d := cmplx.Abs(complex128(got[k]) - want); d > 1e-3*math.Sqrt(float64(n)) {
				t.Errorf("n=%d bin %d: got %v, want %v", n, k, got[k], want)
			}
		}
		back := make([]float32, n)
		f.inverse(back, got)
		for i := range x {
			if d := math.Abs(float64(back[i] - x[i])); d > 1e-4 {
				t.Errorf("n=%d sample %d: round trip %v, want %v", n, i, back[i], x[i])
			}
		}
	}
}

func TestRealFFTSizes(t *testing.T) {
	for _, n := range []int{0, 2, 3, 100, 257} {
		if _, err := newRealFFT(n); err == nil {
			t.Errorf("newRealFFT(%d): no error", n)
		}
	}
}
