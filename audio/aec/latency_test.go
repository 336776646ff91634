package aec

import (
	"fmt"
	"math"
	"testing"
)

// TestLatency puts the user's speech (no far end playing: the path the microphone takes most of
// the time) through the canceller in periods of several sizes and finds, by cross-correlation,
// how late it comes out: exactly Latency(period), which is SuppressDelay alone (1 ms) for periods
// of whole blocks, the default. The speech must come out unchanged otherwise.
func TestLatency(t *testing.T) {
	near := loadWAV(t, "near16k.wav", 16000)
	for _, period := range []int{128, 256, 160, 320, 441} {
		t.Run(fmt.Sprintf("%d-sample periods", period), func(t *testing.T) {
			ref := &fakeRef{rate: 24000}
			c, err := New(ref, Config{})
			if err != nil {
				t.Fatal(err)
			}
			in := toS16(near)
			out := make([]int16, 0, len(in))
			for k := 0; k+period <= len(in); k += period {
				b := append([]int16(nil), in[k:k+period]...)
				c.Process(b)
				out = append(out, b...)
			}
			lag, corr := bestLag(toF32(in), toF32(out), 2*Block)
			want := Latency(period)
			t.Logf("period %d: output %d samples late (Latency %d), correlation %.4f", period, lag, want, corr)
			if lag != want {
				t.Errorf("the speech came out %d samples late, want Latency(%d) = %d", lag, period, want)
			}
			if corr < 0.999 {
				t.Errorf("the speech came out changed: correlation %.4f with the input, want >= 0.999", corr)
			}
		})
	}
	if got := Latency(128); got != SuppressDelay {
		t.Errorf("Latency(Block) = %d, want SuppressDelay (%d)", got, SuppressDelay)
	}
}

// bestLag returns the lag in [0, maxLag] at which out best matches in, and the normalised
// correlation there.
func bestLag(in, out []float32, maxLag int) (int, float64) {
	best, bestC := 0, math.Inf(-1)
	n := len(out) - maxLag
	for lag := 0; lag <= maxLag; lag++ {
		var xy, xx, yy float64
		for i := range n {
			x, y := float64(in[i]), float64(out[i+lag])
			xy += x * y
			xx += x * x
			yy += y * y
		}
		if c := xy / math.Sqrt(xx*yy+1e-30); c > bestC {
			best, bestC = lag, c
		}
	}
	return best, bestC
}
