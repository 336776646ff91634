//go:build linux

package capture_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"runtime"
	"testing"

	"github.com/kbinani/screenshot"
	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/capture/capturetest"
)

func TestScreenErrors(t *testing.T) {
	tests := []struct {
		name                     string
		display, wayland, xdgTyp string
		want                     error
	}{
		{"no DISPLAY", "", "", "", capture.ErrNoDisplay},
		{"wayland without X", "", "wayland-0", "wayland", capture.ErrWaylandNoX},
		{"wayland session type only", "", "", "wayland", capture.ErrWaylandNoX},
		{"X server not running", ":4321", "", "x11", capture.ErrXUnreachable},
		{"XWayland not running", ":4321", "wayland-0", "wayland", capture.ErrWaylandNoX},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DISPLAY", tt.display)
			t.Setenv("WAYLAND_DISPLAY", tt.wayland)
			t.Setenv("XDG_SESSION_TYPE", tt.xdgTyp)
			if _, err := capture.Displays(); !errors.Is(err, tt.want) {
				t.Errorf("Displays() error = %v, want %v", err, tt.want)
			}
			s, err := capture.NewScreen(capture.ScreenTarget{})
			if !errors.Is(err, tt.want) {
				t.Errorf("NewScreen error = %v, want %v", err, tt.want)
			}
			if s != nil {
				t.Errorf("NewScreen returned a screen with an error")
			}
		})
	}
}

// TestScreenCaptureXvfb captures known colours from the test environment's
// Xvfb (1920×1080) and follows them through scaling and JPEG.
func TestScreenCaptureXvfb(t *testing.T) {
	requireTestEnv(t)
	ds, err := capture.Displays()
	if err != nil {
		t.Fatal(err)
	}
	full := image.Rect(0, 0, 1920, 1080)
	if len(ds) != 1 || ds[0].Bounds != full || !ds[0].Primary || ds[0].Index != 0 {
		t.Fatalf("Displays() = %+v, want one primary 1920x1080 display", ds)
	}
	showRects(t, quadrantRects(full), capturetest.Quadrants[:])

	s, err := capture.NewScreen(capture.ScreenTarget{Display: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.SharedMemory() {
		t.Error("MIT-SHM not used against a local Xvfb")
	}
	img, err := s.Grab(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rgba := img.(*image.RGBA)
	want := capturetest.Pattern(full.Size())
	if !bytes.Equal(rgba.Pix, want.Pix) {
		t.Errorf("captured pixels differ from the pattern drawn (centre colours %v %v %v %v)",
			rgba.At(480, 270), rgba.At(1440, 270), rgba.At(480, 810), rgba.At(1440, 810))
	}

	// kbinani/screenshot (one X connection and image per call) must see the
	// very same pixels.
	ref, err := screenshot.CaptureRect(full)
	if err != nil {
		t.Fatalf("screenshot.CaptureRect: %v", err)
	}
	if !bytes.Equal(ref.Pix, rgba.Pix) {
		t.Error("capture differs from kbinani/screenshot's")
	}

	// Steady state: grabbing again reuses the frame buffer.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 5 {
		again, err := s.Grab(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if again.(*image.RGBA) != rgba {
			t.Fatal("Grab returned a new image")
		}
	}
	runtime.ReadMemStats(&after)
	if perGrab := (after.TotalAlloc - before.TotalAlloc) / 5; perGrab > 64<<10 {
		t.Errorf("Grab allocates %d bytes per frame, want well under one frame (%d)", perGrab, len(rgba.Pix))
	}

	// Through the pipeline: 1024×576 JPEG with the same colours.
	p := capture.NewPipeline(s, capture.DefaultOptions(), nil)
	f, err := p.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != 1920 || f.Height != 1080 {
		t.Errorf("snapshot %dx%d, want 1920x1080", f.Width, f.Height)
	}
	runPipelineOnce(t, p, image.Pt(1024, 576))

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Grab(t.Context()); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("Grab after Close = %v, want ErrClosed", err)
	}
}

// runPipelineOnce runs p until its first frame and checks that frame shows
// the quadrant pattern at the given size.
func runPipelineOnce(t *testing.T, p *capture.Pipeline, size image.Point) {
	t.Helper()
	ctx, cancel := contextWithCancel(t)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	f, err := p.Next(t.Context())
	cancel()
	if runErr := <-done; runErr != nil {
		t.Fatalf("Run: %v", runErr)
	}
	if err != nil {
		t.Fatal(err)
	}
	dec, err := jpeg.Decode(bytes.NewReader(f.JPEG))
	if err != nil {
		t.Fatal(err)
	}
	checkPattern(t, "pipeline frame", dec, size, 8)
}

func TestScreenRegionXvfb(t *testing.T) {
	requireTestEnv(t)
	full := image.Rect(0, 0, 1920, 1080)
	showRects(t, quadrantRects(full), capturetest.Quadrants[:])
	tests := []struct {
		region image.Rectangle
		size   image.Point
		colour color.RGBA
	}{
		{image.Rect(1000, 100, 1900, 500), image.Pt(900, 400), capturetest.Quadrants[1]},
		{image.Rect(10, 600, 50, 1080), image.Pt(40, 480), capturetest.Quadrants[2]},
		{image.Rect(1900, 1000, 3000, 3000), image.Pt(20, 80), capturetest.Quadrants[3]}, // clipped
	}
	for _, tt := range tests {
		s, err := capture.NewScreen(capture.ScreenTarget{Display: 0, Region: tt.region})
		if err != nil {
			t.Fatal(err)
		}
		img, err := s.Grab(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got != tt.size {
			t.Errorf("region %v: size %v, want %v", tt.region, got, tt.size)
		}
		m := img.(*image.RGBA)
		for i := 0; i < len(m.Pix); i += 4 {
			if got := (color.RGBA{m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3]}); got != tt.colour {
				t.Errorf("region %v: pixel %d = %v, want %v", tt.region, i/4, got, tt.colour)
				break
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := capture.NewScreen(capture.ScreenTarget{Display: 3}); !errors.Is(err, capture.ErrNoSuchDisplay) {
		t.Errorf("display 3 of 1: %v, want ErrNoSuchDisplay", err)
	}
}

// TestScreenMultiDisplayXvfb runs a private Xvfb split into two RandR
// monitors (the primary one on the right) to check display listing,
// one-display capture and all-displays capture.
func TestScreenMultiDisplayXvfb(t *testing.T) {
	requireTestEnv(t)
	startXvfb(t, "-screen", "0", "2304x800x24")
	left, right := image.Rect(0, 0, 1280, 800), image.Rect(1280, 0, 2304, 768)
	setMonitors(t, []monitor{{"right", right, true, true}, {"left", left, false, false}})
	ds, err := capture.Displays()
	if err != nil {
		t.Fatal(err)
	}
	want := []capture.Display{
		{Index: 0, Bounds: right, Primary: true, Name: "right"},
		{Index: 1, Bounds: left, Name: "left"},
	}
	if len(ds) != len(want) || ds[0] != want[0] || ds[1] != want[1] {
		t.Fatalf("Displays() = %+v, want %+v", ds, want)
	}
	red, blue := color.RGBA{200, 0, 0, 255}, color.RGBA{0, 0, 200, 255}
	showRects(t, []image.Rectangle{left, right}, []color.RGBA{red, blue})

	tests := []struct {
		target capture.ScreenTarget
		size   image.Point
		at     map[image.Point]color.RGBA
	}{
		{capture.ScreenTarget{Display: 0}, image.Pt(1024, 768),
			map[image.Point]color.RGBA{{0, 0}: blue, {1023, 767}: blue}},
		{capture.ScreenTarget{Display: 1}, image.Pt(1280, 800),
			map[image.Point]color.RGBA{{0, 0}: red, {1279, 799}: red}},
		{capture.ScreenTarget{Display: capture.AllDisplays}, image.Pt(2304, 800),
			map[image.Point]color.RGBA{{0, 0}: red, {1279, 799}: red, {1280, 0}: blue, {2303, 767}: blue}},
	}
	for _, tt := range tests {
		s, err := capture.NewScreen(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		img, err := s.Grab(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got != tt.size {
			t.Errorf("%+v: size %v, want %v", tt.target, got, tt.size)
		}
		for p, c := range tt.at {
			if got := img.(*image.RGBA).RGBAAt(p.X, p.Y); got != c {
				t.Errorf("%+v: pixel %v = %v, want %v", tt.target, p, got, c)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestScreenFollowsLayoutXvfb changes the monitor layout under a running
// Screen: it follows a resized monitor and reports a removed one.
func TestScreenFollowsLayoutXvfb(t *testing.T) {
	requireTestEnv(t)
	startXvfb(t, "-screen", "0", "2304x800x24")
	left, right := image.Rect(0, 0, 1280, 800), image.Rect(1280, 0, 2304, 768)
	setMonitors(t, []monitor{{"right", right, true, true}, {"left", left, false, false}})
	green := color.RGBA{0, 180, 0, 255}
	showRects(t, []image.Rectangle{image.Rect(0, 0, 2304, 800)}, []color.RGBA{green})

	s, err := capture.NewScreen(capture.ScreenTarget{Display: 1}) // left
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	grabSize := func() (image.Point, error) {
		img, err := s.Grab(t.Context())
		if err != nil {
			return image.Point{}, err
		}
		if got := img.(*image.RGBA).RGBAAt(img.Bounds().Dx()-1, img.Bounds().Dy()-1); got != green {
			t.Errorf("corner pixel %v, want %v", got, green)
		}
		return img.Bounds().Size(), nil
	}
	if got, err := grabSize(); err != nil || got != left.Size() {
		t.Fatalf("first grab: %v %v, want %v", got, err, left.Size())
	}
	narrower := image.Rect(0, 0, 1000, 700)
	deleteMonitor(t, "left") // X refuses to redefine a monitor in place
	setMonitors(t, []monitor{{"left", narrower, false, false}})
	if got, err := grabSize(); err != nil || got != narrower.Size() {
		t.Errorf("after resizing the monitor: %v %v, want %v", got, err, narrower.Size())
	}
	if got := s.Bounds(); got != narrower {
		t.Errorf("Bounds() = %v, want %v", got, narrower)
	}
	deleteMonitor(t, "left")
	if _, err := s.Grab(t.Context()); !errors.Is(err, capture.ErrNoSuchDisplay) {
		t.Errorf("grab after the monitor went away: %v, want ErrNoSuchDisplay", err)
	}
}

// TestScreenCursorXvfb checks that ScreenTarget.Cursor draws the pointer
// where it is, and only there.
func TestScreenCursorXvfb(t *testing.T) {
	requireTestEnv(t)
	startXvfb(t, "-screen", "0", "800x600x24")
	bg := color.RGBA{20, 120, 220, 255}
	showRects(t, []image.Rectangle{image.Rect(0, 0, 800, 600)}, []color.RGBA{bg})
	warpPointer(t, image.Pt(300, 300))
	region := image.Rect(200, 200, 400, 400)
	for _, withCursor := range []bool{false, true} {
		s, err := capture.NewScreen(capture.ScreenTarget{Region: region, Cursor: withCursor})
		if err != nil {
			t.Fatal(err)
		}
		img, err := s.Grab(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		m := img.(*image.RGBA)
		var changed image.Rectangle
		for y := range m.Rect.Dy() {
			for x := range m.Rect.Dx() {
				if m.RGBAAt(x, y) != bg {
					changed = changed.Union(image.Rect(x, y, x+1, y+1))
				}
			}
		}
		// The pointer is at (100, 100) in the region; cursors are at most
		// 64 pixels and their hot spot lies inside them.
		near := image.Rect(100-64, 100-64, 100+64, 100+64)
		switch {
		case !withCursor && !changed.Empty():
			t.Errorf("without Cursor: pixels in %v differ from the background", changed)
		case withCursor && changed.Empty():
			t.Error("with Cursor: no pointer drawn")
		case withCursor && !changed.In(near):
			t.Errorf("with Cursor: pointer pixels in %v, want within %v", changed, near)
		case withCursor:
			t.Logf("pointer drawn over %v", changed)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
