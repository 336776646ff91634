//go:build linux

package call

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/internal/xwin"
	"github.com/livedesk/livedesk/live/livetest"
	"github.com/livedesk/livedesk/overlay"
	"github.com/livedesk/livedesk/settings"
)

// screenshots returns a function that grabs the whole of display 0 as it is on the screen,
// overlays included (one connection: a grab takes a few milliseconds).
func screenshots(t *testing.T) func(t *testing.T) *image.RGBA {
	t.Helper()
	s, err := capture.NewScreen(capture.ScreenTarget{Display: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return func(t *testing.T) *image.RGBA { return grab(t, s) }
}

func grab(t *testing.T, s *capture.Screen) *image.RGBA {
	t.Helper()
	img, err := s.Grab(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	src := img.(*image.RGBA)
	out := image.NewRGBA(src.Rect)
	copy(out.Pix, src.Pix)
	return out
}

// changed lists the pixels of now that differ from before inside area.
func changed(before, now *image.RGBA, area image.Rectangle) []image.Point {
	var ps []image.Point
	area = area.Intersect(now.Rect)
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			i := now.PixOffset(x, y)
			if !bytes.Equal(before.Pix[i:i+3], now.Pix[i:i+3]) {
				ps = append(ps, image.Pt(x, y))
			}
		}
	}
	return ps
}

// outlineFits reports whether the changed pixels near want (within 6 px of it: a label sits
// further out) outline it: every one lies within 3 px of an edge, and each edge has some.
func outlineFits(ps []image.Point, want image.Rectangle) bool {
	var left, right, top, bottom bool
	for _, p := range ps {
		nearL, nearR := abs(p.X-want.Min.X) <= 3, abs(p.X-(want.Max.X-1)) <= 3
		nearT, nearB := abs(p.Y-want.Min.Y) <= 3, abs(p.Y-(want.Max.Y-1)) <= 3
		if !nearL && !nearR && !nearT && !nearB {
			return false
		}
		left, right, top, bottom = left || nearL, right || nearR, top || nearT, bottom || nearB
	}
	return left && right && top && bottom
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// amber reports how strongly c looks like the outline's colour (orange: much more red than blue).
func amber(c color.Color) int {
	r, _, b, _ := c.RGBA()
	return int(r>>8) - int(b>>8)
}

// TestHighlightOnTheRealScreen is the feature end to end under Xvfb, with the real screen
// capture, the real overlay and the fake server: the fake model points at a white rectangle
// in the frame it received, the outline appears on the screen around the rectangle (±3 px),
// is there when the client answers the call, never shows in the frames the server receives,
// and is gone after its seconds. Shared: display 0, a region of it, and a window that moved
// between the frame and the call.
func TestHighlightOnTheRealScreen(t *testing.T) {
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		t.Skip("needs Xvfb: run under scripts/with-testenv.sh (make test)")
	}
	screen := image.Rect(0, 0, 1920, 1080)
	target := image.Rect(700, 420, 1000, 620) // the white rectangle, root coordinates
	tests := []struct {
		name   string
		share  func(t *testing.T) (Share, image.Rectangle, *xwin.Window) // what to share; the frame's area; the window shared
		moveBy image.Point                                               // the shared window moves this far after the first frame
	}{
		{"display", func(*testing.T) (Share, image.Rectangle, *xwin.Window) { return Share{Kind: ShareScreen}, screen, nil }, image.Point{}},
		{"region", func(*testing.T) (Share, image.Rectangle, *xwin.Window) {
			r := image.Rect(500, 300, 1300, 900)
			return Share{Kind: ShareScreen, Region: r}, r, nil
		}, image.Point{}},
		{"window moved", func(t *testing.T) (Share, image.Rectangle, *xwin.Window) {
			r := image.Rect(600, 300, 1200, 800)
			w, err := xwin.Open(r, 0x203040)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(w.Close)
			if err := w.SetTitle("Shared editor"); err != nil {
				t.Fatal(err)
			}
			if err := w.Fill(target.Sub(r.Min), 0xffffff); err != nil {
				t.Fatal(err)
			}
			return Share{Kind: ShareScreen, Window: w.ID(), Title: "Shared editor"}, r, w
		}, image.Pt(-250, 120)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bg, err := xwin.Open(screen, 0x202020)
			if err != nil {
				t.Fatal(err)
			}
			defer bg.Close()
			if err := bg.Fill(target, 0xffffff); err != nil {
				t.Fatal(err)
			}
			spec, area, sharedWindow := tt.share(t)
			screenshot := screenshots(t)

			var mu sync.Mutex
			var frames [][]byte
			hl := overlay.NewHighlighter()
			t.Cleanup(hl.Close) // after the call's run has ended (cleanups run last first)
			h := newHarnessWith(t, livetest.Options{OnFrame: func(_ livetest.Frame, data []byte) {
				mu.Lock()
				frames = append(frames, bytes.Clone(data))
				mu.Unlock()
			}}, func(c *settings.Config) {
				// A frame every second, so the frame after the pointing comes soon; what is in
				// the frames is the default's.
				c.FramePolicy, c.SkipUnchanged = settings.FramesAlways, false
			}, func(o *Options) { o.Sources, o.Highlighter = DeviceSources{}, hl })
			srv, rec := h.srv, h.rec
			h.c.SetShare(spec)
			h.c.Start(h.cfg)
			wctx, wcancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer wcancel()
			if _, err := srv.Wait(wctx, func(cs []livetest.ConnInfo) bool { return len(cs) == 1 && cs[0].Frames >= 1 }); err != nil {
				t.Fatalf("no first frame: %v", err)
			}

			want := target
			if tt.moveBy != (image.Point{}) {
				moved := area.Add(tt.moveBy)
				if err := sharedWindow.Move(moved); err != nil {
					t.Fatal(err)
				}
				want = target.Add(tt.moveBy)
				if err := sharedWindow.Fill(want.Sub(moved.Min), 0xffffff); err != nil {
					t.Fatal(err)
				}
			}
			before := screenshot(t)
			// The rectangle in the frame's coordinates, normalised to 0..1000.
			norm := func(v, lo, size int) float64 { return float64(v-lo) * 1000 / float64(size) }
			box := [4]float64{norm(target.Min.Y, area.Min.Y, area.Dy()), norm(target.Min.X, area.Min.X, area.Dx()),
				norm(target.Max.Y, area.Min.Y, area.Dy()), norm(target.Max.X, area.Min.X, area.Dx())}
			tc := livetest.PointAt(4, livetest.Pointed{Box: box})
			framesBefore := srv.Conns()[0].Frames
			start := time.Now()
			srv.SendToolCall(tc.Name, tc.Args)
			if _, err := srv.Wait(wctx, func(cs []livetest.ConnInfo) bool { return len(cs[0].ToolResponses) == 1 }); err != nil {
				t.Fatalf("no answer to the call: %v", err)
			}
			answered := time.Since(start)
			// Event order, not time: the outline is on the screen by the time the model has its answer.
			if ps := changed(before, screenshot(t), want.Inset(-20)); len(ps) == 0 {
				t.Fatal("the call was answered before anything showed on the screen")
			}
			var settled time.Duration
			for {
				if outlineFits(changed(before, screenshot(t), want.Inset(-6)), want) {
					settled = time.Since(start)
					break
				}
				if time.Since(start) > 10*time.Second {
					t.Fatalf("no outline within ±3 px of %v; changed near it: %v", want, len(changed(before, screenshot(t), want.Inset(-6))))
				}
				time.Sleep(5 * time.Millisecond)
			}
			t.Logf("%s: call sent → answer at the server (outline already shown) %v, outline settled around %v %v",
				tt.name, answered.Round(time.Millisecond), want, settled.Round(time.Millisecond))

			// The frames sent while the outline shows do not contain it.
			if _, err := srv.Wait(wctx, func(cs []livetest.ConnInfo) bool { return cs[0].Frames >= framesBefore+2 }); err != nil {
				t.Fatalf("no frame after the pointing: %v", err)
			}
			if !hl.Shown() {
				t.Fatal("the outline was gone before a frame could be checked: the test proves nothing")
			}
			mu.Lock()
			last := frames[len(frames)-1]
			mu.Unlock()
			img, err := jpeg.Decode(bytes.NewReader(last))
			if err != nil {
				t.Fatal(err)
			}
			fb := img.Bounds()
			sx, sy := float64(fb.Dx())/float64(area.Dx()), float64(fb.Dy())/float64(area.Dy())
			frameArea := area
			if tt.moveBy != (image.Point{}) {
				frameArea = area.Add(tt.moveBy)
			}
			worst := 0
			for _, p := range changed(before, screenshot(t), want.Inset(-6)) {
				q := image.Pt(int(float64(p.X-frameArea.Min.X)*sx), int(float64(p.Y-frameArea.Min.Y)*sy))
				worst = max(worst, amber(img.At(q.X, q.Y)))
			}
			if worst > 60 {
				t.Errorf("the frame sent shows the outline (red−blue up to %d where it is drawn)", worst)
			}
			// And what it points at is there, not greyed out as the app's own windows are.
			mid := image.Pt((want.Min.X+want.Max.X)/2, (want.Min.Y+want.Max.Y)/2)
			if r, g, b, _ := img.At(int(float64(mid.X-frameArea.Min.X)*sx), int(float64(mid.Y-frameArea.Min.Y)*sy)).RGBA(); r>>8 < 0xe0 || g>>8 < 0xe0 || b>>8 < 0xe0 {
				t.Errorf("the frame sent shows %02x%02x%02x inside the box, want the white it points at", r>>8, g>>8, b>>8)
			}

			rec.wait(t, "the pointing to end", func(evs []Event) bool {
				hs := highlights(evs)
				return len(hs) == 2 && len(hs[1].Boxes) == 0
			})
			// What was under the outline is the test windows' business to repaint (they do not:
			// an exposed part shows their background), so look for the outline's colour.
			after, n := screenshot(t), 0
			for _, p := range changed(before, after, want.Inset(-20)) {
				if amber(after.At(p.X, p.Y)) > 60 {
					n++
				}
			}
			if n != 0 {
				t.Errorf("%d pixels of the outline's colour around the box after the pointing ended", n)
			}
		})
	}
}
