package audio

import (
	"encoding/binary"
	"sync/atomic"
)

// chunkQueue hands fixed-size s16le chunks from the capture callback (the single producer) to a
// reader (the single consumer) without locks. When the reader falls behind, the oldest chunk is
// dropped and counted; the producer never waits.
//
// Entries are the slots [tail, head). The producer fills slot head, publishes it by advancing
// head, and drops the oldest by advancing tail with a CAS. The consumer claims slot tail, checks
// that tail did not move, copies, releases the claim and advances tail with a CAS (retrying if
// the producer dropped that chunk meanwhile). There are capacity+2 physical slots, so the slot
// being filled can only coincide with one the consumer is still copying if the consumer stalled
// for two whole chunks; the producer sees the claim and drops the new audio instead.
type chunkQueue struct {
	slots      [][]byte
	chunkBytes int
	capacity   uint64

	head  atomic.Uint64
	tail  atomic.Uint64
	claim atomic.Uint64 // 1 + the slot the consumer is copying; 0 when none

	fill  int  // producer: bytes written into slot head
	stall bool // producer: the current slot was claimed; skip until the next chunk boundary

	dropped atomic.Uint64 // chunks dropped to make room (drop-oldest)
	skipped atomic.Uint64 // samples lost because the consumer held the slot
	ready   chan struct{} // one-slot doorbell for the consumer
}

func newChunkQueue(chunkSamples, capacity int) *chunkQueue {
	q := &chunkQueue{
		slots:      make([][]byte, capacity+2),
		chunkBytes: 2 * chunkSamples,
		capacity:   uint64(capacity),
		ready:      make(chan struct{}, 1),
	}
	for i := range q.slots {
		q.slots[i] = make([]byte, q.chunkBytes)
	}
	return q
}

// push appends samples; called only by the producer. It never blocks or allocates.
func (q *chunkQueue) push(samples []int16) {
	n := uint64(len(q.slots))
	for len(samples) > 0 {
		h := q.head.Load()
		if q.fill == 0 {
			c := q.claim.Load()
			q.stall = c != 0 && (c-1)%n == h%n
		}
		k := min(len(samples), (q.chunkBytes-q.fill)/2)
		if q.stall {
			q.skipped.Add(uint64(k))
		} else {
			slot := q.slots[h%n][q.fill:]
			for i, v := range samples[:k] {
				binary.LittleEndian.PutUint16(slot[2*i:], uint16(v))
			}
		}
		q.fill += 2 * k
		samples = samples[k:]
		if q.fill < q.chunkBytes {
			continue
		}
		q.fill = 0
		if q.stall {
			continue
		}
		for {
			t := q.tail.Load()
			if h+1-t <= q.capacity {
				break
			}
			if q.tail.CompareAndSwap(t, t+1) {
				q.dropped.Add(1)
				break
			}
		}
		q.head.Store(h + 1)
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
}

// pop copies the oldest chunk into dst (len chunkBytes) and reports whether there was one.
// Called only by the consumer.
func (q *chunkQueue) pop(dst []byte) bool {
	n := uint64(len(q.slots))
	for {
		t := q.tail.Load()
		if t >= q.head.Load() {
			return false
		}
		q.claim.Store(t + 1)
		if q.tail.Load() != t {
			q.claim.Store(0)
			continue
		}
		copy(dst, q.slots[t%n])
		q.claim.Store(0)
		if q.tail.CompareAndSwap(t, t+1) {
			return true
		}
	}
}

// len is the number of chunks waiting.
func (q *chunkQueue) len() int {
	t := q.tail.Load()
	h := q.head.Load()
	if t >= h {
		return 0
	}
	return int(h - t)
}
