package ui

import (
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/livedesk/livedesk/call"
)

func TestBridgeCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu      sync.Mutex
			flushes int
			text    strings.Builder
			lastLvl float64
			usage   call.UsageEvent
			diag    int
		)
		br := newBridge(func(f func()) { f() }, func(b *batch) {
			mu.Lock()
			defer mu.Unlock()
			flushes++
			for _, tr := range b.transcript {
				text.WriteString(tr.Text)
			}
			if b.hasLevel {
				lastLvl = b.level.Mic
			}
			if b.usage != nil {
				usage = *b.usage
			}
			diag += len(b.diag)
		}, DefaultFlushInterval)
		ctx := t.Context()
		done := make(chan error, 1)
		go func() { done <- br.Run(ctx) }()

		// One second of a 1 kHz producer: levels, deltas, usage, diagnostics.
		const n = 1000
		var want strings.Builder
		for i := range n {
			br.Post(call.LevelEvent{Mic: float64(i) / n})
			d := string(rune('a' + i%26))
			want.WriteString(d)
			br.Post(call.TranscriptEvent{Role: call.RoleModel, Text: d})
			br.Post(call.UsageEvent{TotalTokens: i + 1}) // cumulative snapshots
			if i%10 == 0 {
				br.Post(call.DiagEvent{Line: "x"})
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Second) // let the last flush happen
		synctest.Wait()

		mu.Lock()
		defer mu.Unlock()
		// 1 s of input at ≤30 Hz, plus one trailing flush.
		if flushes > 32 || flushes < 2 {
			t.Errorf("flushes = %d, want between 2 and 32 for 1 s of input", flushes)
		}
		if diff := cmp.Diff(want.String(), text.String()); diff != "" {
			t.Errorf("merged transcript (-want +got):\n%s", diff)
		}
		if lastLvl != float64(n-1)/n {
			t.Errorf("last level = %v, want the newest %v", lastLvl, float64(n-1)/n)
		}
		if usage.TotalTokens != n {
			t.Errorf("usage total = %d, want the newest snapshot %d", usage.TotalTokens, n)
		}
		if diag != n/10 {
			t.Errorf("diag lines = %d, want %d", diag, n/10)
		}
	})
}

func TestBridgeIdleDoesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		br := newBridge(func(f func()) { calls++; f() }, func(*batch) {}, DefaultFlushInterval)
		go br.Run(t.Context())
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if calls != 0 {
			t.Errorf("idle bridge called do %d times, want 0", calls)
		}
	})
}

func TestBridgeBounded(t *testing.T) {
	br := newBridge(func(f func()) { f() }, func(*batch) {}, DefaultFlushInterval)
	for i := range 10 * maxPendingDiag {
		br.Post(call.DiagEvent{Line: "d"})
		role := call.Role(i % 2) // alternating roles cannot merge
		br.Post(call.TranscriptEvent{Role: role, Text: "t", Final: true})
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	if got := len(br.b.diag); got != maxPendingDiag {
		t.Errorf("pending diag = %d, want %d", got, maxPendingDiag)
	}
	if got := len(br.b.transcript); got != maxPendingTurns {
		t.Errorf("pending transcript = %d, want %d", got, maxPendingTurns)
	}
	if br.b.dropped == 0 {
		t.Error("dropped = 0, want the overflow counted")
	}
}

func BenchmarkBridgePost(b *testing.B) {
	br := newBridge(func(f func()) { f() }, func(*batch) {}, DefaultFlushInterval)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		br.Post(call.LevelEvent{Mic: 0.5})
		br.Post(call.TranscriptEvent{Role: call.RoleModel, Text: "x", At: time.Unix(1, 0)})
		if i%1000 == 0 {
			br.flush()
		}
	}
}

// BenchmarkBridgePostLevel is the meter path: audio levels posted ~50 times a second per
// device; it must not allocate.
func BenchmarkBridgePostLevel(b *testing.B) {
	br := newBridge(func(f func()) { f() }, func(*batch) {}, DefaultFlushInterval)
	b.ReportAllocs()
	for b.Loop() {
		br.Post(call.LevelEvent{Mic: 0.5, Speaker: 0.25})
	}
}
