//go:build linux

package call

import (
	"bytes"
	"context"
	"image"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/internal/xwin"
	"github.com/livedesk/livedesk/live/livetest"
	"github.com/livedesk/livedesk/settings"
)

// TestShareOneWindow shares one window of the real (Xvfb) screen, as the window's picker does,
// and looks at what the fake server received: frames the size of that window showing only it
// — not the desktop around it, not another program's window stacked over it — and, after the
// window is moved and resized, frames of its new size, still only it.
func TestShareOneWindow(t *testing.T) {
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		t.Skip("needs Xvfb: run under scripts/with-testenv.sh (make test)")
	}
	open := func(r image.Rectangle, rgb uint32, title string) *xwin.Window {
		w, err := xwin.Open(r, rgb)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Close)
		if err := w.SetTitle(title); err != nil {
			t.Fatal(err)
		}
		return w
	}
	open(image.Rect(0, 0, 1920, 1080), 0x303030, "Desktop")
	shared := open(image.Rect(200, 150, 600, 450), 0xc02020, "Shared")
	other := open(image.Rect(1000, 600, 1300, 800), 0x2020c0, "Other")
	if err := xwin.SetClientList(shared, other); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = xwin.SetClientList() })
	ws, err := Devices{}.Windows()
	if err != nil || len(ws) != 2 || ws[0].ID != shared.ID() {
		t.Fatalf("windows %+v, %v: want Shared and Other", ws, err)
	}

	type seen struct {
		size          image.Point
		red, bad, all int // pixels: the window's red; the desktop or the other window; all
	}
	var mu sync.Mutex
	var frames []seen
	near := func(r, g, b uint32, rgb uint32) bool {
		d := func(a, b uint32) bool { return a+40 > b && b+40 > a }
		return d(r>>8, rgb>>16&0xff) && d(g>>8, rgb>>8&0xff) && d(b>>8, rgb&0xff)
	}
	srv, err := livetest.Start(livetest.Options{APIKey: testKey,
		OnFrame: func(_ livetest.Frame, data []byte) {
			m, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				return
			}
			b := m.Bounds()
			s := seen{size: b.Size()}
			for y := b.Min.Y + 2; y < b.Max.Y-2; y += 4 { // away from JPEG's edge ringing
				for x := b.Min.X + 2; x < b.Max.X-2; x += 4 {
					r, g, bl, _ := m.At(x, y).RGBA()
					s.all++
					switch {
					case near(r, g, bl, 0xc02020):
						s.red++
					case near(r, g, bl, 0x303030), near(r, g, bl, 0x2020c0):
						s.bad++
					}
				}
			}
			mu.Lock()
			frames = append(frames, s)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := New(Options{Backend: audio.BackendNull, Sink: newRecorder()})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	cfg := settings.Default()
	cfg.Endpoint, cfg.APIKey = srv.URL(), testKey
	c.SetShare(Share{Kind: ShareScreen, Window: ws[0].ID, Title: ws[0].Title})
	c.Start(cfg)

	waitFor := func(what string, size image.Point) seen {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			for _, f := range frames {
				if f.size == size {
					mu.Unlock()
					return f
				}
			}
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%s: no %v frame at the server; got %+v", what, size, frames)
		return seen{}
	}
	f := waitFor("before the move", image.Pt(400, 300))
	if f.bad != 0 || f.red < f.all*9/10 {
		t.Errorf("first frame: %d of %d pixels are the window's, %d the desktop's or another window's", f.red, f.all, f.bad)
	}

	// The user drags the window under the other one and makes it bigger.
	if err := shared.Move(image.Rect(1100, 500, 1600, 900)); err != nil {
		t.Fatal(err)
	}
	if err := shared.Fill(image.Rect(0, 0, 500, 400), 0xc02020); err != nil {
		t.Fatal(err)
	}
	f = waitFor("after the move", image.Pt(500, 400))
	// The other window covers (1100..1300, 600..800) of it: 200×200 of 500×400 = 20 %, gray.
	if f.bad != 0 || f.red < f.all*7/10 || f.red > f.all*85/100 {
		t.Errorf("after the move: %d of %d pixels are the window's (want about 80 %%), %d the desktop's or the other window's", f.red, f.all, f.bad)
	}
}
