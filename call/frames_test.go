//go:build linux

package call

import (
	"context"
	"image"
	"os"
	"testing"
	"time"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/internal/xwin"
	"github.com/livedesk/livedesk/live/livetest"
	"github.com/livedesk/livedesk/settings"
)

// xPainter draws on the test environment's Xvfb display through a window of its own that covers
// the screen, so a shared display shows what a test wants: a document and a blinking caret, or
// a picture that changes every second.
type xPainter struct {
	t *testing.T
	w *xwin.Window
}

func newXPainter(t *testing.T, w, h int) *xPainter {
	t.Helper()
	win, err := xwin.Open(image.Rect(0, 0, w, h), 0xf4f4f4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(win.Close)
	p := &xPainter{t: t, w: win}
	// A page of "text": dark lines of varying length, as a document or terminal shows.
	for y := 40; y < h-40; y += 22 {
		p.fill(60, y, 200+(y*37)%(w-300), 12, 0x303030)
	}
	return p
}

// fill paints a rectangle in a colour (0xRRGGBB) and waits until the server has done it.
func (p *xPainter) fill(x, y, w, h int, rgb uint32) {
	if err := p.w.Fill(image.Rect(x, y, x+w, y+h), rgb); err != nil {
		p.t.Error(err)
	}
}

// TestFramesFollowWhatChanges counts, at the fake server, the frames a silent call sends while
// sharing the real (Xvfb) screen in default settings: a still document with a blinking caret is
// sent once, not once a second; a screen that changes every second is sent about every idle
// interval, not every second. The test runs for 20 s each (LIVEDESK_FRAMES_MINUTE=1: 60 s, for
// the README's figures).
func TestFramesFollowWhatChanges(t *testing.T) {
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		t.Skip("needs Xvfb: run under scripts/with-testenv.sh (make test)")
	}
	span := 20 * time.Second
	if os.Getenv("LIVEDESK_FRAMES_MINUTE") != "" {
		span = time.Minute
	}
	tests := []struct {
		name      string
		paint     func(p *xPainter, i int) // called every 265 ms
		maxPerMin float64
	}{
		{"still document, blinking caret", func(p *xPainter, i int) {
			c := uint32(0x000000)
			if (i/2)%2 == 1 { // toggles every 530 ms
				c = 0xf4f4f4
			}
			p.fill(700, 500, 3, 25, c)
		}, 2},
		{"everything changes every second", func(p *xPainter, i int) {
			if i%4 == 0 {
				c := uint32(0x101010 * uint32(1+(i/4)%12))
				p.fill(0, 0, 1920, 1080, c)
			}
		}, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newXPainter(t, 1920, 1080)
			srv, err := livetest.Start(livetest.Options{APIKey: testKey})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			c := New(Options{Backend: audio.BackendNull, Sink: newRecorder()})
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- c.Run(ctx) }()
			defer func() { cancel(); <-done }()
			cfg := settings.Default() // the frame policy a new user gets
			cfg.Endpoint, cfg.APIKey = srv.URL(), testKey
			c.SetShare(Share{Kind: ShareScreen})
			c.Start(cfg)
			wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
			defer wcancel()
			if _, err := srv.Wait(wctx, func(cs []livetest.ConnInfo) bool { return len(cs) == 1 && cs[0].Frames >= 1 }); err != nil {
				t.Fatalf("no first frame: %v", err)
			}
			start := time.Now()
			tick := time.NewTicker(265 * time.Millisecond)
			defer tick.Stop()
			for i := 0; time.Since(start) < span; i++ {
				<-tick.C
				tt.paint(p, i)
			}
			frames := srv.Conns()[0].Frames - 1 // after the first
			perMin := float64(frames) / span.Minutes()
			t.Logf("%s: %d frames in %s after the first = %.1f frames/min", tt.name, frames, span, perMin)
			if perMin > tt.maxPerMin {
				t.Errorf("%.1f frames/min, want at most %g", perMin, tt.maxPerMin)
			}
		})
	}
}
