package aec

import (
	"testing"
	"time"
)

// converged returns a canceller that has run through 6 s of synthetic echo (so the filter,
// suppressor, delay estimator and drift tracker are all active), the reference and the rest
// of the microphone signal.
func converged(tb testing.TB) (*Canceller, *fakeRef, []int16) {
	tb.Helper()
	far24 := loadWAV(tb, "far24k.wav", 24000)
	far16 := loadWAV(tb, "far16k.wav", 16000)
	mic := room{delayMs: 60, gain: 0.5, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 1}.echo(far16, 16000)
	ref := &fakeRef{rate: 24000, sig: toS16(far24)}
	c, err := New(ref, Config{})
	if err != nil {
		tb.Fatal(err)
	}
	const warm = 6 * 16000
	sim{playBurst: 1}.run(tb, c, ref, mic[:warm])
	return c, ref, toS16(mic[warm:])
}

// BenchmarkProcess is the cost of one 10 ms capture period (160 samples at 16 kHz) on the
// capture callback while the far end plays: the budget is 500 µs (5 % of one core).
func BenchmarkProcess(b *testing.B) {
	c, ref, mic := converged(b)
	buf := make([]int16, 160)
	start := ref.pos
	periods := len(mic) / 160
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := i % periods
		if k == 0 {
			ref.pos = start
		}
		ref.pos += 240
		copy(buf, mic[k*160:])
		c.Process(buf)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(10*time.Millisecond)*100, "%core")
}

// TestProcessDoesNotAllocate: the capture callback must not allocate.
func TestProcessDoesNotAllocate(t *testing.T) {
	c, ref, mic := converged(t)
	buf := make([]int16, 160)
	k := 0
	allocs := testing.AllocsPerRun(500, func() {
		ref.pos += 240
		copy(buf, mic[k*160:])
		k++
		c.Process(buf)
	})
	if allocs != 0 {
		t.Errorf("Process allocates %.1f times per 10 ms period, want 0", allocs)
	}
}
