package audio

import (
	"math"
	"sync"
	"sync/atomic"
)

// levelMeter accumulates the level of what a device callback sees, with atomics only (the
// callback never waits), for a meter that polls it.
type levelMeter struct {
	sumSq atomic.Uint64
	n     atomic.Uint64
	peak  atomic.Uint32

	mu   sync.Mutex // serialises level
	last Level
	seen bool
}

// add folds in one period of samples; real-time safe.
func (l *levelMeter) add(s []int16) {
	var sum uint64
	var peak uint32
	for _, v := range s {
		x := int64(v)
		sum += uint64(x * x)
		peak = max(peak, uint32(abs32(int32(v))))
	}
	l.sumSq.Add(sum)
	l.n.Add(uint64(len(s)))
	for {
		old := l.peak.Load()
		if peak <= old || l.peak.CompareAndSwap(old, peak) {
			break
		}
	}
}

// level returns the level since the previous call, or the previous level when nothing came.
func (l *levelMeter) level() Level {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, sum, peak := l.n.Swap(0), l.sumSq.Swap(0), l.peak.Swap(0)
	if n == 0 {
		if !l.seen {
			return Level{RMS: math.Inf(-1), Peak: math.Inf(-1)}
		}
		return l.last
	}
	l.seen = true
	l.last = Level{RMS: dBFS(math.Sqrt(float64(sum) / float64(n))), Peak: dBFS(float64(peak))}
	return l.last
}
