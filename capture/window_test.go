//go:build linux

package capture_test

import (
	"errors"
	"image"
	"os"
	"testing"
	"time"

	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/internal/xwin"
)

func openWindow(t *testing.T, r image.Rectangle, rgb uint32, title string) *xwin.Window {
	t.Helper()
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

// TestWindows: the window manager's client list comes back with titles, places, icons and
// minimised state; this process's own windows are left out.
func TestWindows(t *testing.T) {
	requireTestEnv(t)
	editor := openWindow(t, image.Rect(100, 100, 500, 400), 0xc02020, "Editor — notes.txt")
	if err := editor.SetIcon(48, 0xff2080ff); err != nil {
		t.Fatal(err)
	}
	browser := openWindow(t, image.Rect(600, 200, 1000, 500), 0x2020c0, "Browser")
	if err := browser.Show(false); err != nil {
		t.Fatal(err)
	}
	own := openWindow(t, image.Rect(0, 600, 200, 700), 0x20c020, "Live Desk")
	if err := own.SetPID(uint32(os.Getpid())); err != nil {
		t.Fatal(err)
	}
	if err := xwin.SetClientList(editor, browser, own); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = xwin.SetClientList() })

	ws, err := capture.Windows()
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 {
		t.Fatalf("got %d windows (%+v), want the editor and the browser", len(ws), ws)
	}
	e, b := ws[0], ws[1]
	if e.ID != editor.ID() || e.Title != "Editor — notes.txt" || e.Bounds != image.Rect(100, 100, 500, 400) || e.Hidden {
		t.Errorf("editor: %+v", e)
	}
	if e.Icon == nil || e.Icon.Bounds().Dx() != 48 {
		t.Errorf("editor icon: %v", e.Icon)
	} else if r, g, bl, a := e.Icon.At(10, 10).RGBA(); r>>8 != 0x20 || g>>8 != 0x80 || bl>>8 != 0xff || a>>8 != 0xff {
		t.Errorf("editor icon pixel: %x %x %x %x, want 20 80 ff ff", r>>8, g>>8, bl>>8, a>>8)
	}
	if b.ID != browser.ID() || b.Title != "Browser" || !b.Hidden || b.Icon != nil {
		t.Errorf("browser: %+v", b)
	}
}

// TestScreenSharesOneWindow: a window share shows that window only, follows it when it moves
// and is resized, paints a window dragged over it gray, pauses while it is minimised and ends
// when it is closed.
func TestScreenSharesOneWindow(t *testing.T) {
	requireTestEnv(t)
	bg := openWindow(t, image.Rect(0, 0, 1920, 1080), 0x303030, "Desktop")
	_ = bg
	shared := openWindow(t, image.Rect(200, 150, 600, 450), 0xc02020, "Shared")
	if err := shared.Fill(image.Rect(0, 0, 40, 40), 0x20c020); err != nil { // a green corner marks its origin
		t.Fatal(err)
	}
	s, err := capture.NewScreen(capture.ScreenTarget{Window: shared.ID()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := func(m image.Image, x, y int) [3]uint8 {
		r, g, b, _ := m.At(m.Bounds().Min.X+x, m.Bounds().Min.Y+y).RGBA()
		return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
	}
	red, green := [3]uint8{0xc0, 0x20, 0x20}, [3]uint8{0x20, 0xc0, 0x20}
	gray := [3]uint8{capture.MaskGray, capture.MaskGray, capture.MaskGray}
	check := func(step string, size image.Point, want map[image.Point][3]uint8) {
		t.Helper()
		m, err := s.Grab(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if got := m.Bounds().Size(); got != size {
			t.Errorf("%s: frame %v, want %v", step, got, size)
		}
		for p, c := range want {
			if got := at(m, p.X, p.Y); got != c {
				t.Errorf("%s: pixel %v = %v, want %v", step, p, got, c)
			}
		}
	}
	check("start", image.Pt(400, 300), map[image.Point][3]uint8{{5, 5}: green, {200, 150}: red, {399, 299}: red})
	if got := s.Bounds(); got != image.Rect(200, 150, 600, 450) {
		t.Errorf("bounds %v", got)
	}

	if err := shared.Move(image.Rect(900, 500, 1400, 900)); err != nil {
		t.Fatal(err)
	}
	if err := shared.Fill(image.Rect(0, 0, 500, 400), 0xc02020); err != nil {
		t.Fatal(err)
	}
	if err := shared.Fill(image.Rect(0, 0, 40, 40), 0x20c020); err != nil {
		t.Fatal(err)
	}
	check("moved and resized", image.Pt(500, 400), map[image.Point][3]uint8{{5, 5}: green, {250, 200}: red, {499, 399}: red})

	over := openWindow(t, image.Rect(1300, 800, 1600, 1000), 0x2020c0, "Dragged over")
	check("another window over it", image.Pt(500, 400), map[image.Point][3]uint8{{5, 5}: green, {399, 299}: red, {400, 300}: gray, {499, 399}: gray})
	if err := shared.Raise(); err != nil {
		t.Fatal(err)
	}
	check("raised above it again", image.Pt(500, 400), map[image.Point][3]uint8{{400, 300}: red, {499, 399}: red})
	over.Close()

	if err := shared.Show(false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Grab(t.Context()); !errors.Is(err, capture.ErrWindowHidden) {
		t.Fatalf("minimised: %v, want ErrWindowHidden", err)
	}
	if err := shared.Show(true); err != nil {
		t.Fatal(err)
	}
	if err := shared.Fill(image.Rect(0, 0, 500, 400), 0xc02020); err != nil {
		t.Fatal(err)
	}
	check("shown again", image.Pt(500, 400), map[image.Point][3]uint8{{250, 200}: red})

	// Closing the test window's connection destroys the window once the server has handled the
	// disconnect, which another connection cannot wait for: grabs may still succeed until then
	// (ci22 saw one), and must then fail with ErrWindowGone.
	shared.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, err := s.Grab(t.Context())
		if errors.Is(err, capture.ErrWindowGone) {
			break
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("closed: %v, want ErrWindowGone", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPipelinePausesWhileWindowHidden: a minimised shared window pauses the pipeline (it says
// so, sends nothing and does not give up) and capture resumes when the window is back; a
// closed window ends it.
func TestPipelinePausesWhileWindowHidden(t *testing.T) {
	requireTestEnv(t)
	shared := openWindow(t, image.Rect(100, 100, 420, 340), 0xc02020, "Shared")
	s, err := capture.NewScreen(capture.ScreenTarget{Window: shared.ID()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	opt := capture.DefaultOptions()
	opt.FPS = 2
	p := capture.NewPipeline(s, opt, nil)
	pauses := make(chan error, 10)
	p.OnPause(func(err error) { pauses <- err })
	done := make(chan error, 1)
	go func() { done <- p.Run(t.Context()) }()

	if _, err := p.Next(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := shared.Show(false); err != nil {
		t.Fatal(err)
	}
	if err := <-pauses; !errors.Is(err, capture.ErrWindowHidden) {
		t.Fatalf("pause: %v, want ErrWindowHidden", err)
	}
	before := p.Stats()
	p.RequestFresh()
	p.RequestFresh()
	if err := shared.Show(true); err != nil {
		t.Fatal(err)
	}
	if err := <-pauses; err != nil {
		t.Fatalf("resume: %v, want nil", err)
	}
	if got := p.Stats().Sent; got != before.Sent && got != before.Sent+1 {
		t.Errorf("sent %d frames while paused", got-before.Sent)
	}
	// The window comes back with new content (unchanged content is not sent again).
	if err := shared.Fill(image.Rect(0, 0, 320, 240), 0x2020c0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Next(t.Context()); err != nil {
		t.Fatal(err)
	}
	shared.Close()
	if err := <-done; !errors.Is(err, capture.ErrWindowGone) {
		t.Fatalf("Run after close: %v, want ErrWindowGone", err)
	}
}
