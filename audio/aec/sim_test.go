package aec

import (
	"math"
	"testing"
)

// fakeRef is a Source over a whole signal that a simulated playback callback reveals period by
// period, like audio.Reference (which keeps the last second).
type fakeRef struct {
	rate int
	sig  []int16
	pos  int
}

func (f *fakeRef) Rate() int { return f.rate }

func (f *fakeRef) Read(dst []int16) uint64 {
	m := min(len(dst), f.rate)
	clear(dst[:len(dst)-m])
	d := dst[len(dst)-m:]
	for i := range d {
		at := f.pos - m + i
		if at < 0 || at >= len(f.sig) {
			d[i] = 0
			continue
		}
		d[i] = f.sig[at]
	}
	return uint64(f.pos)
}

func toS16(x []float32) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(max(-32768, min(32767, math.Round(float64(v)*32768))))
	}
	return out
}

func toF32(x []int16) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v) / 32768
	}
	return out
}

// sim plays far (at the reference rate) and captures mic (at 16 kHz) through c in 10 ms periods;
// the player writes playBurst periods at a time (device buffering). It returns the processed
// microphone signal, aligned with mic (the canceller's latency removed).
type sim struct {
	playBurst int // periods the player writes at once (1: every period)
	lead      int // periods the player runs ahead of the microphone at the start
}

func (s sim) run(t testing.TB, c interface{ Process([]int16) }, ref *fakeRef, mic []float32) []float32 {
	t.Helper()
	const period = 160
	refPeriod := ref.rate / 100
	burst := max(1, s.playBurst)
	in := toS16(mic)
	out := make([]int16, 0, len(in)+Block)
	ref.pos = 0
	for k := 0; k*period < len(in); k++ {
		if (k+s.lead)%burst == 0 {
			ref.pos = min(len(ref.sig), (k+s.lead+burst)*refPeriod)
		}
		end := min(len(in), (k+1)*period)
		buf := append([]int16(nil), in[k*period:end]...)
		c.Process(buf)
		out = append(out, buf...)
	}
	return toF32(out[Latency(period):])
}
