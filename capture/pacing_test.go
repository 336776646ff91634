package capture_test

import (
	"context"
	"image"
	"image/color"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/capture/capturetest"
)

// Frames per minute a test measured are logged as "frames/min" so the
// numbers can be read back with go test -v -run 'Minute'.

// screen is the size of the screen in the issue that measured 56 frames a
// minute for a blinking caret.
var screen = image.Pt(1600, 1000)

// desktop is capturetest.Desktop(screen), drawn once: text drawing is slow
// under the race detector.
var desktop = sync.OnceValue(func() *image.RGBA { return capturetest.Desktop(screen) })

// every calls f(1) after first, then f(2), f(3), … every d until the test
// ends. Call it inside the bubble: the goroutine runs in the test's
// simulated time.
func every(t *testing.T, first, d time.Duration, f func(i int)) {
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		timer := time.NewTimer(first)
		defer timer.Stop()
		for i := 1; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
				f(i)
				timer.Reset(d)
			}
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// blink draws a 3×25 px caret in the page of a Desktop(screen) source and
// toggles it every 530 ms (a common caret blink period) until the test ends.
func blink(t *testing.T, src *capturetest.Source) {
	at := capturetest.DesktopPage(screen).Min.Add(image.Pt(300, 200))
	caret := image.Rectangle{at, at.Add(image.Pt(3, 25))}
	src.Fill(caret, capturetest.Ink)
	every(t, 530*time.Millisecond, 530*time.Millisecond, func(i int) {
		if i%2 == 1 {
			src.Fill(caret, capturetest.Paper)
		} else {
			src.Fill(caret, capturetest.Ink)
		}
	})
}

// minute runs p for 60 simulated seconds from its first frame and returns
// how many frames reached the mailbox in that minute, the first included.
func minute(t *testing.T, p *capture.Pipeline) uint64 {
	t.Helper()
	stop := startPipeline(t, p)
	time.Sleep(time.Minute - time.Millisecond) // the frame due at 60 s starts the next minute
	synctest.Wait()
	sent := p.Stats().Sent
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	return sent
}

func TestFramesPerMinuteBlinkingCaret(t *testing.T) {
	for _, active := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			src := capturetest.NewImageSource(desktop())
			blink(t, src)
			p := capture.NewPipeline(src, capture.DefaultOptions(), nil)
			p.SetActive(active)
			got := minute(t, p)
			t.Logf("blinking caret on a static %v screen, active=%v: %d frames/min (%d captured)", screen, active, got, p.Stats().Captured)
			if got > 2 {
				t.Errorf("active=%v: %d frames/min reached the mailbox, want <= 2", active, got)
			}
		})
	}
}

func TestFramesPerMinuteChangingScreen(t *testing.T) {
	tests := []struct {
		active bool
		fps    float64
		min    uint64
		max    uint64
	}{
		{false, 1, 12, 15}, // one capture every 5 s, every one changed
		{true, 1, 60, 60},
		{true, 0.5, 30, 30},
	}
	// Desktops whose windows show different pages, three so that no rate
	// sees the same page twice in a row; smaller than the screen
	// because every frame is encoded.
	size := image.Pt(640, 400)
	var pages [3]*image.RGBA
	for i := range pages {
		pages[i] = capturetest.Desktop(size)
		capturetest.DrawPage(pages[i], capturetest.DesktopPage(size), uint64(i+1))
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			src := capturetest.NewImageSource(pages[0])
			// The next page half a second before every capture at 1 fps.
			every(t, 500*time.Millisecond, time.Second, func(i int) { src.Show(pages[i%len(pages)]) })
			opt := capture.DefaultOptions()
			opt.FPS = tt.fps
			p := capture.NewPipeline(src, opt, nil)
			p.SetActive(tt.active)
			got := minute(t, p)
			t.Logf("screen changing every second, active=%v at %v fps, idle every %v: %d frames/min", tt.active, tt.fps, opt.IdleInterval, got)
			if got < tt.min || got > tt.max {
				t.Errorf("active=%v fps %v: %d frames/min, want %d..%d", tt.active, tt.fps, got, tt.min, tt.max)
			}
		})
	}
}

func TestFramesPerMinuteNoisyStillScene(t *testing.T) {
	tests := []struct {
		sigma  float64 // luma noise per pixel, fresh each frame
		active bool
	}{
		{6, false}, {6, true},
		{12, true}, // a dim room: a fixed tolerance would see changes everywhere
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			size := image.Pt(960, 540)
			src := capturetest.NewImageSource(capturetest.Desktop(size))
			src.SetNoise(tt.sigma)
			p := capture.NewPipeline(src, capture.DefaultOptions(), nil)
			p.SetActive(tt.active)
			got := minute(t, p)
			t.Logf("still %v scene with σ=%v luma noise, active=%v: %d frames/min", size, tt.sigma, tt.active, got)
			if got > 2 {
				t.Errorf("σ=%v active=%v: %d frames/min of a still, noisy scene, want <= 2", tt.sigma, tt.active, got)
			}
		})
	}
}

// The same through the webcam source: MJPEG frames of a fake camera on a
// still scene with sensor noise, decoded to YCbCr and compared on their Y
// plane.
func TestFramesPerMinuteNoisyCamera(t *testing.T) {
	for _, active := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			cam := capturetest.NewCamera()
			cam.Still, cam.Noise = true, 6
			w, err := capture.NewWebcam(cam, "fake0", image.Pt(640, 480))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			p := capture.NewPipeline(w, capture.DefaultOptions(), nil)
			p.SetActive(active)
			got := minute(t, p)
			t.Logf("fake camera, still scene, σ=6 noise, MJPEG 640x480, active=%v: %d frames/min (%d frames read)", active, got, cam.Frames())
			if got > 2 {
				t.Errorf("active=%v: %d frames/min from a camera on a still scene, want <= 2", active, got)
			}
		})
	}
}

// A real change is sent with the first frame captured after it, under
// noise too, while the changes a desktop makes by itself are not.
func TestPipelineSeesRealChanges(t *testing.T) {
	page := capturetest.DesktopPage(screen)
	window := capturetest.DesktopWindow(screen)
	typeAt := page.Min.Add(image.Pt(40, 7*capturetest.LineHeight+4))
	blue := color.RGBA{40, 90, 200, 255}
	tests := []struct {
		name  string
		noise float64
		edit  func(src *capturetest.Source)
		want  bool
	}{
		{"window repainted", 0, func(s *capturetest.Source) { s.Fill(window, blue) }, true},
		{"page scrolled by 3 lines", 0, func(s *capturetest.Source) { s.Scroll(page, 3*capturetest.LineHeight, capturetest.Paper) }, true},
		{"page scrolled by 1 line", 0, func(s *capturetest.Source) { s.Scroll(page, capturetest.LineHeight, capturetest.Paper) }, true},
		{"word typed", 0, func(s *capturetest.Source) {
			s.Fill(image.Rect(typeAt.X, typeAt.Y-12, typeAt.X+200, typeAt.Y+4), capturetest.Paper) // an empty line
			s.Text(typeAt, "hello", capturetest.Ink)
		}, true},
		{"window repainted, noisy", 6, func(s *capturetest.Source) { s.Fill(window, blue) }, true},
		{"page scrolled, noisy", 6, func(s *capturetest.Source) { s.Scroll(page, 3*capturetest.LineHeight, capturetest.Paper) }, true},
		{"caret shown", 0, func(s *capturetest.Source) {
			s.Fill(image.Rectangle{typeAt, typeAt.Add(image.Pt(3, 25))}, capturetest.Ink)
		}, false},
		{"clock's seconds", 0, func(s *capturetest.Source) { s.Text(image.Pt(screen.X-80, 17), "12:34:57", capturetest.Ink) }, false},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			src := capturetest.NewImageSource(desktop())
			src.Text(image.Pt(screen.X-80, 17), "12:34:56", capturetest.Ink)
			src.Fill(image.Rect(typeAt.X, typeAt.Y-12, typeAt.X+200, typeAt.Y+4), capturetest.Paper)
			src.SetNoise(tt.noise)
			p := capture.NewPipeline(src, capture.DefaultOptions(), nil) // active, 1 fps
			startPipeline(t, p)
			start := time.Now()
			if _, err := p.Next(t.Context()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2500 * time.Millisecond) // frames at 1 s and 2 s: nothing changed
			synctest.Wait()
			if s := p.Stats(); s.Sent != 1 {
				t.Fatalf("%s: %d frames sent before the change, want 1", tt.name, s.Sent)
			}
			tt.edit(src)
			time.Sleep(500 * time.Millisecond) // the frame at 3 s
			synctest.Wait()
			s := p.Stats()
			if got := s.Sent == 2; got != tt.want {
				t.Errorf("%s: sent %d frames, want the change sent at once: %v", tt.name, s.Sent, tt.want)
			}
			if tt.want && s.LastSent.Sub(start) != 3*time.Second {
				t.Errorf("%s: last frame captured at +%v, want +3s", tt.name, s.LastSent.Sub(start))
			}
		})
	}
}

// previewAt returns the colour of f's preview at the point p of the source
// picture (of size src).
func previewAt(f capture.Frame, src image.Point, p image.Point) color.Color {
	b := f.Preview.Bounds().Size()
	return f.Preview.At(p.X*b.X/src.X, p.Y*b.Y/src.Y)
}

func TestRequestFresh(t *testing.T) {
	window := capturetest.DesktopWindow(screen)
	inWindow := window.Min.Add(image.Pt(40, 40))
	blue := color.RGBA{40, 90, 200, 255}
	tests := []struct {
		name    string
		idle    bool
		after   time.Duration // since the first frame
		edit    func(src *capturetest.Source)
		want    bool
		wantRGB color.Color // at inWindow in the frame sent
	}{
		{"change, idle without idle frames", true, 2 * time.Second, func(s *capturetest.Source) { s.Fill(window, blue) }, true, blue},
		{"change, active between ticks", false, 2300 * time.Millisecond, func(s *capturetest.Source) { s.Fill(window, blue) }, true, blue},
		{"nothing changed, recent frame", true, 2 * time.Second, func(*capturetest.Source) {}, false, nil},
		{"caret only, recent frame", true, 2 * time.Second, func(s *capturetest.Source) {
			s.Fill(image.Rectangle{inWindow, inWindow.Add(image.Pt(3, 25))}, capturetest.Ink)
		}, false, nil},
		{"nothing changed, frame older than Refresh", true, 5 * time.Second, func(*capturetest.Source) {}, true, capturetest.Paper},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			src := capturetest.NewImageSource(desktop())
			src.Fill(image.Rectangle{inWindow, inWindow.Add(image.Pt(60, 60))}, capturetest.Paper)
			opt := capture.DefaultOptions() // Refresh 5 s
			opt.IdleInterval = 0            // idle: no frames but RequestFresh's
			p := capture.NewPipeline(src, opt, nil)
			p.SetActive(!tt.idle)
			startPipeline(t, p)
			if _, err := p.Next(t.Context()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(tt.after)
			synctest.Wait()
			before := p.Stats()
			tt.edit(src)
			asked := time.Now()
			p.RequestFresh() // the user starts speaking
			synctest.Wait()  // the capture runs now, with no time passing
			s := p.Stats()
			if s.Captured != before.Captured+1 {
				t.Errorf("%s: RequestFresh captured %d frames, want 1 at once", tt.name, s.Captured-before.Captured)
			}
			if got := s.Sent == before.Sent+1; got != tt.want {
				t.Fatalf("%s: frame sent = %v, want %v (stats %+v)", tt.name, got, tt.want, s)
			}
			if !tt.want {
				return
			}
			ctx, cancel := context.WithTimeout(t.Context(), time.Nanosecond)
			defer cancel()
			f, err := p.Next(ctx) // already in the mailbox: no time passes
			if err != nil {
				t.Fatalf("%s: the fresh frame is not in the mailbox: %v", tt.name, err)
			}
			if !f.Captured.Equal(asked) || !time.Now().Equal(asked) {
				t.Errorf("%s: frame captured at %v after the request, received %v after, want both at once",
					tt.name, f.Captured.Sub(asked), time.Since(asked))
			}
			if got := previewAt(f, screen, inWindow.Add(image.Pt(30, 30))); !capturetest.Near(got, tt.wantRGB, 12) {
				t.Errorf("%s: the frame shows %v in the window, want %v", tt.name, got, tt.wantRGB)
			}
		})
	}
}

func TestSetActive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		size := image.Pt(640, 400)
		src := capturetest.NewImageSource(capturetest.Desktop(size))
		page := capturetest.DesktopPage(size)
		opt := capture.DefaultOptions()
		opt.IdleInterval = 30 * time.Second
		p := capture.NewPipeline(src, opt, nil)
		p.SetActive(false) // before Run: starts idle
		startPipeline(t, p)
		start := time.Now()
		if _, err := p.Next(t.Context()); err != nil { // the first frame, at once
			t.Fatal(err)
		}
		at := func() time.Duration { return time.Since(start) }
		captured := func() uint64 { synctest.Wait(); return p.Stats().Captured }

		time.Sleep(10 * time.Second) // in the middle of a 30 s idle wait
		if got := captured(); got != 1 {
			t.Fatalf("idle for 10 s: %d captures, want 1", got)
		}
		src.Page(page, 1)
		p.SetActive(true) // the user starts speaking
		f, err := p.Next(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Captured.Sub(start); got != 10*time.Second || at() != 10*time.Second {
			t.Errorf("after SetActive(true) at +10s: frame captured at +%v, received at +%v, want both at once", got, at())
		}
		p.SetActive(true) // again: nothing changes
		time.Sleep(3500 * time.Millisecond)
		if got := captured(); got != 5 { // 0, 10, 11, 12, 13 s
			t.Errorf("active from +10s to +13.5s: %d captures, want 5", got)
		}
		p.SetActive(false) // at 13.5 s: the next capture is 30 s after the one at 13 s
		time.Sleep(29 * time.Second)
		if got := captured(); got != 5 {
			t.Errorf("idle from +13.5s to +42.5s: %d captures, want still 5", got)
		}
		time.Sleep(time.Second)
		if got := captured(); got != 6 {
			t.Errorf("at +43.5s: %d captures, want 6 (one at +43s)", got)
		}
		// Going active half a second after an idle capture keeps the active
		// pace from that capture: the next one is due at +44s, not at once.
		p.SetActive(true)
		if got := captured(); got != 6 {
			t.Errorf("active again at +43.5s: %d captures, want still 6", got)
		}
		time.Sleep(500 * time.Millisecond)
		if got := captured(); got != 7 {
			t.Errorf("at +44s: %d captures, want 7", got)
		}
	})
}
