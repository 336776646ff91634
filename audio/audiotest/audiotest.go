// Package audiotest has test doubles for code that consumes audio: a microphone that plays back
// prepared PCM in chunks, and a speaker that records what it is given. They have the same
// method sets as audio.Mic (Read) and audio.Player (Write, Clear, Generation, EndTurn), so they
// satisfy the small interfaces consumers declare.
package audiotest

import (
	"context"
	"io"
	"sync"
	"time"
)

// Mic hands out prepared s16le mono audio in fixed-size chunks. With Pace set, each Read waits
// until the chunk's real-time deadline (measured from the first Read), like a device would;
// otherwise chunks come as fast as they are read. After the audio (the last chunk is padded
// with silence), Read returns io.EOF, or silent chunks forever when Silence is set.
type Mic struct {
	PCM     []byte           // s16le mono
	Rate    int              // samples per second (16000)
	ChunkMs int              // chunk length (20)
	Pace    bool             // deliver in real time
	Silence bool             // after PCM, deliver silence instead of io.EOF
	Now     func() time.Time // clock for pacing (time.Now); tests may use testing/synctest instead

	mu    sync.Mutex
	off   int
	start time.Time
	n     int
}

// Read returns the next chunk, owned by the caller.
func (m *Mic) Read(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	rate, chunkMs := m.Rate, m.ChunkMs
	if rate == 0 {
		rate = 16000
	}
	if chunkMs == 0 {
		chunkMs = 20
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	size := 2 * rate * chunkMs / 1000
	if m.start.IsZero() {
		m.start = now()
	}
	deadline := m.start.Add(time.Duration(m.n) * time.Duration(chunkMs) * time.Millisecond)
	var chunk []byte
	switch {
	case m.off < len(m.PCM):
		chunk = make([]byte, size)
		m.off += copy(chunk, m.PCM[m.off:])
	case m.Silence:
		chunk = make([]byte, size)
	}
	m.n++
	m.mu.Unlock()
	if chunk == nil {
		return nil, io.EOF
	}
	if m.Pace {
		if d := deadline.Sub(now()); d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-t.C:
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return chunk, nil
}

// Speaker records the audio it accepts, with the same generation rules as audio.Player: chunks
// of an older generation are dropped, Clear starts a new generation.
type Speaker struct {
	mu      sync.Mutex
	gen     uint64
	turns   [][]byte // audio accepted, one entry per generation/turn
	dropped int
	clears  int
	ends    int
}

// Write accepts pcm unless gen is older than the current generation.
func (s *Speaker) Write(gen uint64, pcm []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen < s.gen {
		s.dropped++
		return
	}
	if gen > s.gen || len(s.turns) == 0 {
		s.gen = gen
		s.turns = append(s.turns, nil)
	}
	s.turns[len(s.turns)-1] = append(s.turns[len(s.turns)-1], pcm...)
}

// Clear starts a new generation and returns it.
func (s *Speaker) Clear() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.clears++
	s.turns = append(s.turns, nil)
	return s.gen
}

// Generation is the current generation.
func (s *Speaker) Generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// EndTurn counts the end of a model turn.
func (s *Speaker) EndTurn() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ends++
}

// SpeakerLog is what a Speaker received.
type SpeakerLog struct {
	Audio    []byte // everything accepted, in order
	Turns    int    // generations that received audio
	Dropped  int    // chunks dropped as stale
	Clears   int
	TurnEnds int
}

// Log returns a copy of what the speaker received so far.
func (s *Speaker) Log() SpeakerLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := SpeakerLog{Dropped: s.dropped, Clears: s.clears, TurnEnds: s.ends}
	for _, t := range s.turns {
		if len(t) > 0 {
			l.Turns++
			l.Audio = append(l.Audio, t...)
		}
	}
	return l
}
