package live

import (
	"context"
	"sync"
)

// msgKind says what an ordered client message was, so a connection that replays another's
// messages knows the state they leave (an activity open, audio sent).
type msgKind uint8

const (
	kindOther msgKind = iota
	kindAudio
	kindActivityStart
	kindActivityEnd
	kindAudioStreamEnd
)

// Replay bounds: a minute of 20 ms microphone chunks, or 4 MiB of messages. The server reports
// what it consumed every few seconds, so the log holds a few seconds in practice; the bound
// only matters when those reports stop (then the oldest go, and are counted).
const (
	replayMaxItems = 3000
	replayMaxBytes = 4 << 20
)

// replayLog keeps, for a session with transparent resumption (Vertex AI), every ordered
// message written since the newest resumable handle, in order. The server numbers the client
// messages of a connection (the setup is 0) and each handle says the last one its state holds
// (lastConsumedClientMessageIndex), so resuming with that handle and resending exactly the
// messages after it loses nothing and repeats nothing, whatever the network swallowed.
//
// The writer goroutine appends, the reader goroutine trims; both hold mu for a few
// operations only (never during I/O).
type replayLog struct {
	mu      sync.Mutex
	next    int64 // index the next written message gets
	items   []replayItem
	bytes   int
	handle  string // newest resumable handle ("" until one arrives)
	dropped int64  // messages dropped to respect the bounds
}

type replayItem struct {
	idx int64
	it  outItem
}

// wrote numbers a message about to be written; ordered ones are kept until a handle covers
// them. It runs before the write: a write cut short may still have reached the server
// partly, never wholly, so the message is resent.
func (l *replayLog) wrote(it outItem, keep bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	idx := l.next
	l.next++
	if !keep {
		return
	}
	l.items = append(l.items, replayItem{idx: idx, it: it})
	l.bytes += len(it.b)
	for len(l.items) > replayMaxItems || l.bytes > replayMaxBytes {
		l.bytes -= len(l.items[0].it.b)
		l.items[0] = replayItem{}
		l.items = l.items[1:]
		l.dropped++
	}
}

// ack records a resumable handle and forgets the messages its state includes.
func (l *replayLog) ack(handle string, lastConsumed int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.handle = handle
	n := 0
	for n < len(l.items) && l.items[n].idx <= lastConsumed {
		l.bytes -= len(l.items[n].it.b)
		n++
	}
	// Copy down rather than reslice, so the backing array does not grow without bound.
	m := copy(l.items, l.items[n:])
	clear(l.items[m:])
	l.items = l.items[:m]
}

// Resumption is how to continue a session with transparent resumption on a new connection.
type Resumption struct {
	// Handle is the newest resumable handle ("" when none arrived on this connection: the
	// previous one still names the state).
	Handle string
	// Pending are the ordered messages written after the state Handle names, in order;
	// resending them first on the next connection loses and repeats nothing.
	Pending []Pending
	// Dropped counts messages that were never covered by a handle and fell off the bounded
	// log: they are lost if the connection was.
	Dropped int64
}

// Pending is one message to resend.
type Pending struct {
	msg  []byte
	kind msgKind
	pcm  []byte
}

// Audio returns the microphone audio the message carries (nil for other messages).
func (p Pending) Audio() []byte { return p.pcm }

// Resumption returns, once Run has finished, what a new connection must resend; ok is false
// for a session without transparent resumption (the Gemini API).
func (s *Session) Resumption() (r Resumption, ok bool) {
	if s.replay == nil {
		return Resumption{}, false
	}
	l := s.replay
	l.mu.Lock()
	defer l.mu.Unlock()
	r = Resumption{Handle: l.handle, Dropped: l.dropped}
	for _, x := range l.items {
		r.Pending = append(r.Pending, Pending{msg: x.it.b, kind: x.it.kind, pcm: x.it.pcm})
	}
	return r, true
}

// Resend queues messages another connection wrote but its server had not consumed, ahead of
// anything queued after the call, as they were.
func (s *Session) Resend(ctx context.Context, p Pending) error {
	return s.enqueueItem(ctx, outItem{b: p.msg, kind: p.kind, pcm: p.pcm})
}
