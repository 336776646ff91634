package audio

import (
	"encoding/binary"
	"runtime"
	"sync"
	"testing"
)

func TestChunkQueueOrderAndDropOldest(t *testing.T) {
	const chunk = 4
	q := newChunkQueue(chunk, 3)
	period := make([]int16, 2) // two pushes per chunk
	next := int16(0)
	push := func(chunks int) {
		for range 2 * chunks {
			for i := range period {
				period[i] = next
				next++
			}
			q.push(period)
		}
	}
	pop := func() (int16, bool) {
		b := make([]byte, 2*chunk)
		if !q.pop(b) {
			return 0, false
		}
		first := int16(binary.LittleEndian.Uint16(b))
		for i := 1; i < chunk; i++ {
			if v := int16(binary.LittleEndian.Uint16(b[2*i:])); v != first+int16(i) {
				t.Fatalf("chunk starting %d is not contiguous: sample %d = %d", first, i, v)
			}
		}
		return first, true
	}
	push(2)
	if got, _ := pop(); got != 0 {
		t.Errorf("first chunk starts at %d, want 0", got)
	}
	push(5) // queue holds 1 + 5 = 6 > 3: the three oldest are dropped
	if got := q.dropped.Load(); got != 3 {
		t.Errorf("dropped = %d, want 3", got)
	}
	var got []int16
	for {
		v, ok := pop()
		if !ok {
			break
		}
		got = append(got, v)
	}
	want := []int16{16, 20, 24} // the newest three chunks
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("chunks after overflow start at %v, want %v", got, want)
	}
}

// TestChunkQueueConcurrent runs a producer and a slow consumer at full speed: every chunk the
// consumer gets must be intact, and everything must be
// accounted for as read, dropped or skipped. Run with -race.
func TestChunkQueueConcurrent(t *testing.T) {
	const (
		chunk  = 32
		total  = 20000 // chunks
		period = 8
	)
	q := newChunkQueue(chunk, 4)
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		s := make([]int16, period)
		var n uint32
		for range total * chunk / period {
			for i := range s {
				s[i] = int16(n) // wraps; contiguity is checked modulo 2^16
				n++
			}
			q.push(s)
			if n%1024 == 0 {
				runtime.Gosched()
			}
		}
	})
	var read int
	b := make([]byte, 2*chunk)
	check := func() {
		first := binary.LittleEndian.Uint16(b)
		for i := 1; i < chunk; i++ {
			if v := binary.LittleEndian.Uint16(b[2*i:]); v != first+uint16(i) {
				t.Fatalf("torn chunk: sample %d = %d after %d", i, v, first)
			}
		}
		read++
	}
	for {
		select {
		case <-done:
			for q.pop(b) {
				check()
			}
			wg.Wait()
			skippedChunks := int(q.skipped.Load()) / chunk
			if got := read + int(q.dropped.Load()) + skippedChunks; got != total {
				t.Errorf("read %d + dropped %d + skipped %d = %d, want %d", read, q.dropped.Load(), skippedChunks, got, total)
			}
			t.Logf("read %d dropped %d skipped %d", read, q.dropped.Load(), skippedChunks)
			return
		default:
		}
		if q.pop(b) {
			check()
		}
		if read%3 == 0 {
			runtime.Gosched()
		}
	}
}
