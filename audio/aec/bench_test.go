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

// BenchmarkRealignCheck is the cost of one realigner check (the cross-correlation of 192 ms of
// microphone with the snapshot's echo estimate over ±40 ms). It runs only while the
// cancellation is poor, at most every 8 blocks (64 ms).
func BenchmarkRealignCheck(b *testing.B) {
	c, _, _ := converged(b)
	if !c.m.haveSnap || c.ra.n < c.ra.blocks {
		b.Fatal("no snapshot or ring after warming up")
	}
	b.ReportAllocs()
	for b.Loop() {
		c.ra.check(c.m.predict)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(realignEvery*Block*1e9/16000)*100, "%core-while-poor")
}

// TestRealignDoesNotAllocate: following a jump happens on the capture callback too.
func TestRealignDoesNotAllocate(t *testing.T) {
	c, _, _ := converged(t)
	allocs := testing.AllocsPerRun(20, func() {
		c.ra.check(c.m.predict)
		c.shiftPath(3)
		c.shiftPath(-3)
		c.m.restoreSnapshot()
	})
	if allocs != 0 {
		t.Errorf("a realignment allocates %.1f times, want 0", allocs)
	}
}

// BenchmarkLagScan is the cost of one block (8 ms) of the lag scan, which runs only until the
// guard is off: until the filter converged or no echo path was found.
func BenchmarkLagScan(b *testing.B) {
	far := loadWAV(b, "far16k.wav", 16000)
	near := loadWAV(b, "near16k.wav", 16000)
	s, err := newLagScan(60)
	if err != nil {
		b.Fatal(err)
	}
	blocks := min(len(far), len(near)) / Block
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := i % blocks * Block
		s.decided = false
		s.push(near[k:k+Block], far[k:k+Block])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(8*time.Millisecond)*100, "%core")
}
