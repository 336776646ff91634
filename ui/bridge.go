package ui

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/livedesk/livedesk/call"
)

// Limits of what a Bridge holds between flushes.
const (
	maxPendingTurns = 256
	maxPendingDiag  = 256
	// DefaultFlushInterval keeps widget updates at ≤ 30 Hz.
	DefaultFlushInterval = time.Second / 30
)

// batch is what accumulated between two flushes.
type batch struct {
	state        *call.StateEvent
	transcript   []call.TranscriptEvent // adjacent deltas of an open turn merged
	grounding    []call.Link
	groundingRun uint64
	usage        *call.UsageEvent
	level        call.LevelEvent
	hasLevel     bool
	preview      *call.PreviewEvent
	share        *call.ShareEvent
	diag         []call.DiagEvent
	notices      []string
	highlights   []call.HighlightEvent // in order: each pointing is a transcript note
	dropped      int                   // diagnostics or transcript pieces dropped because the batch was full
}

func (b *batch) empty() bool {
	return b.state == nil && len(b.transcript) == 0 && len(b.grounding) == 0 && b.usage == nil &&
		!b.hasLevel && b.preview == nil && b.share == nil && len(b.diag) == 0 && len(b.notices) == 0 && len(b.highlights) == 0 && b.dropped == 0
}

// Bridge carries events from any goroutine to the widgets. Post never blocks; Run applies what
// accumulated at most once per interval through exactly one call of the do function (fyne.Do in
// the app), so meters and partial transcripts cost at most 30 widget updates a second and an idle
// window does no work.
type Bridge struct {
	do       func(func())
	apply    func(*batch)
	interval time.Duration
	now      func() time.Time

	wake chan struct{}
	mu   sync.Mutex
	b    batch
}

// NewBridge returns a Bridge that applies events through fyne.Do. Hand it to Options.Bridge; one
// Bridge serves one Window.
func NewBridge() *Bridge {
	return newBridge(fyne.Do, nil, DefaultFlushInterval)
}

func newBridge(do func(func()), apply func(*batch), interval time.Duration) *Bridge {
	return &Bridge{do: do, apply: apply, interval: interval, now: time.Now, wake: make(chan struct{}, 1)}
}

// Post queues ev for the window. It is safe from any goroutine and never blocks: levels, state,
// usage and preview keep only the newest value, transcript deltas of the same open turn merge, and diagnostics beyond a bounded backlog are counted and dropped.
func (br *Bridge) Post(ev call.Event) {
	br.mu.Lock()
	b := &br.b
	switch e := ev.(type) {
	case call.StateEvent:
		if b.state == nil || e.Run >= b.state.Run { // a replaced run's state never wins
			b.state = &e
		}
	case call.TranscriptEvent:
		if e.At.IsZero() {
			e.At = br.now()
		}
		if n := len(b.transcript); n > 0 && b.transcript[n-1].Role == e.Role && !b.transcript[n-1].Final {
			last := &b.transcript[n-1]
			last.Text += e.Text
			last.Final = e.Final
		} else if n < maxPendingTurns {
			b.transcript = append(b.transcript, e)
		} else {
			b.dropped++
		}
	case call.GroundingEvent:
		b.grounding = append(b.grounding, e.Links...)
		b.groundingRun = e.Run
		if len(b.grounding) > maxPendingTurns {
			b.dropped += len(b.grounding) - maxPendingTurns
			b.grounding = b.grounding[len(b.grounding)-maxPendingTurns:]
		}
	case call.UsageEvent:
		b.usage = &e
	case call.LevelEvent:
		b.level, b.hasLevel = e, true
	case call.PreviewEvent:
		b.preview = &e
	case call.ShareEvent:
		b.share = &e
	case call.HighlightEvent:
		if len(b.highlights) < maxPendingTurns {
			b.highlights = append(b.highlights, e)
		} else {
			b.dropped++
		}
	case call.NoticeEvent:
		if len(b.notices) < maxPendingDiag {
			b.notices = append(b.notices, e.Text)
		}
	case call.DiagEvent:
		if e.At.IsZero() {
			e.At = br.now()
		}
		if len(b.diag) >= maxPendingDiag {
			copy(b.diag, b.diag[1:])
			b.diag = b.diag[:len(b.diag)-1]
			b.dropped++
		}
		b.diag = append(b.diag, e)
	}
	br.mu.Unlock()
	select {
	case br.wake <- struct{}{}:
	default:
	}
}

// Run flushes posted events until ctx ends. Call it once, from its own goroutine.
func (br *Bridge) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	if !timer.Stop() {
		<-timer.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-br.wake:
		}
		br.flush()
		// Pace: nothing else is applied until the interval has passed.
		timer.Reset(br.interval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
}

func (br *Bridge) flush() {
	br.mu.Lock()
	b := br.b
	br.b = batch{}
	br.mu.Unlock()
	if b.empty() {
		return
	}
	br.do(func() { br.apply(&b) })
}
