package main

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livedesk/livedesk/internal/xwin"
	"github.com/livedesk/livedesk/live/livetest"
)

// TestSilentWindowDoesNotRepaint: connected, silent (the test environment's microphone hears
// nothing and the model says nothing) and sharing nothing, the window must not redraw: nothing
// it shows changes. Counted from outside, by the X server's DAMAGE reports on the window (a
// repaint of a GL window is a frame presented, and on software GL each costs CPU outside Go,
// where a profile does not see it). Measured: 3 repaints in 10 s; typing 23 keys makes 30.
func TestSilentWindowDoesNotRepaint(t *testing.T) {
	requireTestEnv(t)
	srv, err := livetest.Start(livetest.Options{APIKey: testKey, Pace: livetest.RealTime})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	a := startApp(t, []string{"GEMINI_API_KEY=" + testKey}, "--endpoint", srv.URL(), "--connect")
	a.waitLog("msg=state state=live")
	id, err := strconv.ParseUint(a.win, 10, 32)
	if err != nil {
		t.Fatalf("window id %q: %v", a.win, err)
	}
	time.Sleep(3 * time.Second) // connected and settled
	var n atomic.Int64
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- xwin.Repaints(ctx, uint32(id), &n) }()
	const span = 10 * time.Second
	time.Sleep(span)
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	rate := float64(n.Load()) / span.Seconds()
	t.Logf("live, silent, sharing nothing: %d repaints in %v (%.1f a second)", n.Load(), span, rate)
	if rate > 2 {
		t.Errorf("the silent window repainted %.1f times a second, want at most 2 (nothing it shows changes)", rate)
	}
}
