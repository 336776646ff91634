//go:build linux

package overlay_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/livedesk/livedesk/internal/xwin"
	"github.com/livedesk/livedesk/overlay"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// No ~/.Xauthority under Xvfb: xgb would log two lines per connection.
	xgb.Logger.SetOutput(io.Discard)
	goleak.VerifyTestMain(m)
}

// hang bounds every wait for the X server or the selector, so that a broken selector fails
// the test instead of hanging it. It is not a performance limit.
const hang = 10 * time.Second

var fullScreen = image.Rect(0, 0, 1920, 1080)

// requireX skips the test outside scripts/with-testenv.sh (LIVEDESK_TESTENV=1): it moves the
// pointer and presses keys, which must never land in a developer's own desktop. Inside it, a
// missing X server or xdotool fails the test.
func requireX(t *testing.T) {
	t.Helper()
	testenv := os.Getenv("LIVEDESK_TESTENV") != ""
	if !testenv {
		t.Skip("drives the pointer and keyboard of the X server: run under scripts/with-testenv.sh (LIVEDESK_TESTENV unset)")
	}
	if os.Getenv("DISPLAY") == "" {
		if !testenv {
			t.Skip("needs an X server: run under scripts/with-testenv.sh (DISPLAY and LIVEDESK_TESTENV unset)")
		}
		t.Fatal("LIVEDESK_TESTENV is set but DISPLAY is not: the test environment has no X server")
	}
	if _, err := exec.LookPath("xdotool"); err != nil {
		if !testenv {
			t.Skip("needs xdotool to drive the pointer")
		}
		t.Fatalf("LIVEDESK_TESTENV is set but xdotool is missing: %v", err)
	}
}

// noLeaks checks, at the end of the test, that every goroutine it started (the selector's
// event reader, xgb's connection goroutines) has ended.
func noLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// xconn is a test's own connection to the X server: it watches the root window for windows
// being mapped and inspects the screen.
type xconn struct {
	c      *xgb.Conn
	root   xproto.Window
	atoms  map[string]xproto.Atom
	mapped chan xproto.Window
	done   chan struct{}
}

func dialX(t *testing.T) *xconn {
	t.Helper()
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatalf("connect to X: %v", err)
	}
	x := &xconn{
		c:      c,
		root:   xproto.Setup(c).DefaultScreen(c).Root,
		atoms:  map[string]xproto.Atom{},
		mapped: make(chan xproto.Window, 64),
		done:   make(chan struct{}),
	}
	go func() {
		defer close(x.done)
		for {
			ev, err := c.WaitForEvent()
			if ev == nil && err == nil {
				return
			}
			if m, ok := ev.(xproto.MapNotifyEvent); ok {
				select {
				case x.mapped <- m.Window:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		c.Close()
		<-x.done
	})
	for _, n := range []string{"_NET_WM_PID", "_NET_WM_NAME", "UTF8_STRING"} {
		r, err := xproto.InternAtom(c, false, uint16(len(n)), n).Reply()
		if err != nil {
			t.Fatalf("intern %s: %v", n, err)
		}
		x.atoms[n] = r.Atom
	}
	if err := xproto.ChangeWindowAttributesChecked(c, x.root, xproto.CwEventMask,
		[]uint32{xproto.EventMaskSubstructureNotify}).Check(); err != nil {
		t.Fatalf("watch the root window: %v", err)
	}
	return x
}

// property returns a window's property as bytes, or nil.
func (x *xconn) property(w xproto.Window, prop xproto.Atom) []byte {
	r, err := xproto.GetProperty(x.c, false, w, prop, xproto.GetPropertyTypeAny, 0, 1024).Reply()
	if err != nil {
		return nil
	}
	return r.Value
}

// isSelector reports whether w is a selector window, by its names.
func (x *xconn) isSelector(w xproto.Window) bool {
	for _, p := range []xproto.Atom{x.atoms["_NET_WM_NAME"], xproto.AtomWmName} {
		if strings.Contains(string(x.property(w, p)), "drag to choose") {
			return true
		}
	}
	return false
}

// selectors lists the selector windows that exist, mapped or not.
func (x *xconn) selectors(t *testing.T) []xproto.Window {
	t.Helper()
	tree, err := xproto.QueryTree(x.c, x.root).Reply()
	if err != nil {
		t.Fatalf("query tree: %v", err)
	}
	var ws []xproto.Window
	for _, w := range tree.Children {
		if x.isSelector(w) {
			ws = append(ws, w)
		}
	}
	return ws
}

// pixel reads the screen at p as 0xRRGGBB (Xvfb: 32 bits per pixel, B G R X).
func (x *xconn) pixel(t *testing.T, p image.Point) uint32 {
	t.Helper()
	r, err := xproto.GetImage(x.c, xproto.ImageFormatZPixmap, xproto.Drawable(x.root),
		int16(p.X), int16(p.Y), 1, 1, ^uint32(0)).Reply()
	if err != nil || len(r.Data) < 3 {
		t.Fatalf("read the pixel at %v: %v (%d bytes)", p, err, len(r.Data))
	}
	return uint32(r.Data[2])<<16 | uint32(r.Data[1])<<8 | uint32(r.Data[0])
}

// near reports whether two 0xRRGGBB colours differ by at most 2 in every channel.
func near(a, b uint32) bool {
	for s := 0; s < 24; s += 8 {
		d := int(a>>s&0xff) - int(b>>s&0xff)
		if d < -2 || d > 2 {
			return false
		}
	}
	return true
}

// waitPixel waits until the screen shows want at p: the selector repaints asynchronously after
// xdotool's events.
func (x *xconn) waitPixel(t *testing.T, what string, p image.Point, want uint32) {
	t.Helper()
	deadline := time.Now().Add(hang)
	for {
		got := x.pixel(t, p)
		if near(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: pixel at %v is %06x, want %06x", what, p, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkReleased checks that no selector window is left and that the pointer and keyboard
// are free, by grabbing them.
func (x *xconn) checkReleased(t *testing.T) {
	t.Helper()
	if ws := x.selectors(t); len(ws) != 0 {
		t.Errorf("selector windows left behind: %v", ws)
	}
	p, err := xproto.GrabPointer(x.c, false, x.root, 0, xproto.GrabModeAsync, xproto.GrabModeAsync,
		0, 0, xproto.TimeCurrentTime).Reply()
	if err != nil || p.Status != xproto.GrabStatusSuccess {
		t.Errorf("pointer still grabbed after SelectRegion returned: status %+v, %v", p, err)
	}
	k, err := xproto.GrabKeyboard(x.c, false, x.root, xproto.TimeCurrentTime,
		xproto.GrabModeAsync, xproto.GrabModeAsync).Reply()
	if err != nil || k.Status != xproto.GrabStatusSuccess {
		t.Errorf("keyboard still grabbed after SelectRegion returned: status %+v, %v", k, err)
	}
	xproto.UngrabPointer(x.c, xproto.TimeCurrentTime)
	xproto.UngrabKeyboard(x.c, xproto.TimeCurrentTime)
	_, _ = xproto.GetInputFocus(x.c).Reply() // the ungrabs are done before the next test grabs
}

type result struct {
	r   image.Rectangle
	err error
}

// selection is a SelectRegion running in its own goroutine.
type selection struct {
	done chan result
	win  xproto.Window
}

// startSelection calls SelectRegion and returns once its window is mapped; the selector
// grabs before it maps, so from then on xdotool's events reach it.
func startSelection(t *testing.T, ctx context.Context, x *xconn, display image.Rectangle) *selection {
	t.Helper()
	s := &selection{done: make(chan result, 1)}
	start := time.Now()
	go func() {
		r, err := overlay.SelectRegion(ctx, display)
		s.done <- result{r, err}
	}()
	t.Cleanup(func() {
		// A test that failed early still must not leave the selector running.
		select {
		case res := <-s.done:
			s.done <- res
		case <-time.After(hang):
			t.Errorf("SelectRegion still running at the end of the test")
		}
	})
	timeout := time.After(hang)
	for {
		select {
		case w := <-x.mapped:
			if !x.isSelector(w) {
				continue
			}
			t.Logf("selector window mapped %.1f ms after SelectRegion was called (display %v)",
				float64(time.Since(start).Microseconds())/1000, display)
			s.win = w
			x.checkWindow(t, w, display)
			return s
		case res := <-s.done:
			t.Fatalf("SelectRegion returned before its window was mapped: %v, %v", res.r, res.err)
		case <-timeout:
			t.Fatalf("no selector window mapped within %v", hang)
		}
	}
}

// checkWindow checks that the selector window covers display and carries this process's ID.
func (x *xconn) checkWindow(t *testing.T, w xproto.Window, display image.Rectangle) {
	t.Helper()
	pid := x.property(w, x.atoms["_NET_WM_PID"])
	if len(pid) != 4 || int(xgb.Get32(pid)) != os.Getpid() {
		t.Errorf("_NET_WM_PID = %v, want %d", pid, os.Getpid())
	}
	if got := string(x.property(w, x.atoms["_NET_WM_NAME"])); got != overlay.Title {
		t.Errorf("_NET_WM_NAME = %q, want %q", got, overlay.Title)
	}
	g, err := xproto.GetGeometry(x.c, xproto.Drawable(w)).Reply()
	if err != nil {
		t.Fatalf("window geometry: %v", err)
	}
	got := image.Rect(int(g.X), int(g.Y), int(g.X)+int(g.Width), int(g.Y)+int(g.Height))
	if !got.Eq(display) {
		t.Errorf("selector window covers %v, want %v", got, display)
	}
}

// wait returns what SelectRegion returned.
func (s *selection) wait(t *testing.T) result {
	t.Helper()
	select {
	case res := <-s.done:
		s.done <- res // for the cleanup
		return res
	case <-time.After(hang):
		t.Fatalf("SelectRegion did not return within %v", hang)
		return result{}
	}
}

// xdo runs xdotool with the words of script.
func xdo(t *testing.T, script string) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "xdotool", strings.Fields(script)...).CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %s: %v\n%s", script, err, out)
	}
}

// within reports whether every coordinate of got is within 2 px of want's.
func within(got, want image.Rectangle) bool {
	for _, d := range []int{got.Min.X - want.Min.X, got.Min.Y - want.Min.Y, got.Max.X - want.Max.X, got.Max.Y - want.Max.Y} {
		if d < -2 || d > 2 {
			return false
		}
	}
	return true
}

func TestSelectRegion(t *testing.T) {
	requireX(t)
	secondMonitor := image.Rect(960, 0, 1920, 1080)
	tests := []struct {
		name    string
		display image.Rectangle
		script  []string // xdotool invocations, run in order
		want    image.Rectangle
		wantErr error
	}{
		{
			name: "drag down-right", display: fullScreen,
			script: []string{"mousemove 100 100 mousedown 1 mousemove 300 250 mousemove 500 400 mouseup 1"},
			want:   image.Rect(100, 100, 500, 400),
		},
		{
			name: "drag up-left is normalised", display: fullScreen,
			script: []string{"mousemove 700 600 mousedown 1 mousemove 300 200 mouseup 1"},
			want:   image.Rect(300, 200, 700, 600),
		},
		{
			name: "drag off the display is clipped", display: image.Rect(0, 0, 960, 1080),
			script: []string{"mousemove 800 500 mousedown 1 mousemove 1500 900 mouseup 1"},
			want:   image.Rect(800, 500, 960, 900),
		},
		{
			name: "display not at the origin gives relative coordinates", display: secondMonitor,
			script: []string{"mousemove 1000 100 mousedown 1 mousemove 1400 500 mouseup 1"},
			want:   image.Rect(40, 100, 440, 500),
		},
		{
			name: "display not at the origin, drag off its left edge", display: secondMonitor,
			script: []string{"mousemove 1100 600 mousedown 1 mousemove 500 200 mouseup 1"},
			want:   image.Rect(0, 200, 140, 600),
		},
		{
			name: "a click is not a region, the drag after it is", display: fullScreen,
			script: []string{
				"mousemove 300 300 click 1",
				"mousemove 200 200 mousedown 1 mousemove 600 500 mouseup 1",
			},
			want: image.Rect(200, 200, 600, 500),
		},
		{
			name: "a 2 px drag is not a region either", display: fullScreen,
			script: []string{
				"mousemove 300 300 mousedown 1 mousemove 302 302 mouseup 1",
				"mousemove 250 260 mousedown 1 mousemove 650 560 mouseup 1",
			},
			want: image.Rect(250, 260, 650, 560),
		},
		{
			name: "Esc cancels", display: fullScreen,
			script:  []string{"key Escape"},
			wantErr: overlay.ErrCancelled,
		},
		{
			name: "Esc cancels during a drag", display: fullScreen,
			script:  []string{"mousemove 100 100 mousedown 1 mousemove 300 300 key Escape mouseup 1"},
			wantErr: overlay.ErrCancelled,
		},
		{
			name: "right click cancels", display: fullScreen,
			script:  []string{"mousemove 500 500 click 3"},
			wantErr: overlay.ErrCancelled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			x := dialX(t)
			s := startSelection(t, t.Context(), x, tt.display)
			for _, sc := range tt.script {
				xdo(t, sc)
			}
			got := s.wait(t)
			if !errors.Is(got.err, tt.wantErr) {
				t.Fatalf("SelectRegion error = %v, want %v", got.err, tt.wantErr)
			}
			if tt.wantErr == nil && !within(got.r, tt.want) {
				t.Errorf("SelectRegion = %v, want %v (±2 px)", got.r, tt.want)
			}
			x.checkReleased(t)
		})
	}
}

// TestSelectRegionContext cancels ctx while the selector waits; it must return ctx's error,
// leave nothing behind, and a new selection right after must work.
func TestSelectRegionContext(t *testing.T) {
	requireX(t)
	noLeaks(t)
	x := dialX(t)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s := startSelection(t, ctx, x, fullScreen)
	xdo(t, "mousemove 100 100 mousedown 1 mousemove 300 300") // cancelled mid-drag
	start := time.Now()
	cancel()
	got := s.wait(t)
	t.Logf("SelectRegion returned %.1f ms after ctx was cancelled", float64(time.Since(start).Microseconds())/1000)
	if !errors.Is(got.err, context.Canceled) {
		t.Fatalf("SelectRegion error = %v, want context.Canceled", got.err)
	}
	xdo(t, "mouseup 1")
	x.checkReleased(t)

	s = startSelection(t, t.Context(), x, fullScreen)
	xdo(t, "mousemove 400 300 mousedown 1 mousemove 800 700 mouseup 1")
	got = s.wait(t)
	if want := image.Rect(400, 300, 800, 700); got.err != nil || !within(got.r, want) {
		t.Errorf("second SelectRegion = %v, %v; want %v", got.r, got.err, want)
	}
	x.checkReleased(t)
}

func TestSelectRegionCancelledBefore(t *testing.T) {
	requireX(t)
	noLeaks(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := overlay.SelectRegion(ctx, fullScreen); !errors.Is(err, context.Canceled) {
		t.Errorf("SelectRegion with a cancelled ctx = %v, want context.Canceled", err)
	}
}

// TestSelectRegionPicture paints a known colour, then checks what the screen shows while
// the selector is up: the frozen picture dimmed, the band undimmed with its outline and size
// label, and the dimmed picture restored where the band shrinks away.
func TestSelectRegionPicture(t *testing.T) {
	requireX(t)
	noLeaks(t)
	x := dialX(t)

	const (
		paint    = 0xc08040
		dimmed   = 0x604020 // each channel halved
		outline  = 0x3daee9
		labelBox = 0x000000
	)
	w, err := xwin.Open(image.Rect(0, 0, 800, 600), paint)
	if err != nil {
		t.Fatalf("open the painted window: %v", err)
	}
	defer w.Close()
	if err := w.Fill(image.Rect(0, 0, 800, 600), paint); err != nil {
		t.Fatalf("paint: %v", err)
	}
	x.waitPixel(t, "painted window", image.Pt(400, 300), paint)

	s := startSelection(t, t.Context(), x, fullScreen)
	x.waitPixel(t, "frozen picture", image.Pt(400, 300), dimmed)

	// Band (100,100)-(300,250): inside bright, border outlined, label below its corner.
	xdo(t, "mousemove 100 100 mousedown 1 mousemove 200 200 mousemove 300 250")
	x.waitPixel(t, "inside the band", image.Pt(200, 180), paint)
	x.waitPixel(t, "the band's left edge", image.Pt(100, 180), outline)
	x.waitPixel(t, "the band's bottom edge", image.Pt(200, 249), outline)
	x.waitPixel(t, "the size label", image.Pt(101, 255), labelBox)
	x.waitPixel(t, "outside the band", image.Pt(500, 400), dimmed)

	// Shrink to (100,100)-(200,200): what the band left is dimmed again, old outline and
	// old label included; the new outline is drawn.
	xdo(t, "mousemove 200 200")
	x.waitPixel(t, "left by the band", image.Pt(250, 230), dimmed)
	x.waitPixel(t, "the old right edge", image.Pt(299, 180), dimmed)
	x.waitPixel(t, "the old label", image.Pt(101, 255), dimmed)
	x.waitPixel(t, "the new right edge", image.Pt(199, 150), outline)
	x.waitPixel(t, "inside the shrunk band", image.Pt(150, 150), paint)

	xdo(t, "mouseup 1")
	got := s.wait(t)
	if want := image.Rect(100, 100, 200, 200); got.err != nil || !within(got.r, want) {
		t.Errorf("SelectRegion = %v, %v; want %v", got.r, got.err, want)
	}
	x.waitPixel(t, "the screen after the selector", image.Pt(400, 300), paint)
	x.checkReleased(t)
}

// TestSelectRegionManyMotions sends a burst of pointer motion, as a fast drag does: the band
// must end up exactly at the last position (nothing left of the bands in between), and the
// CPU the process spends on it is logged.
func TestSelectRegionManyMotions(t *testing.T) {
	requireX(t)
	noLeaks(t)
	x := dialX(t)

	const paint, dimmed = 0x4080c0, 0x204060
	w, err := xwin.Open(fullScreen, paint)
	if err != nil {
		t.Fatalf("open the painted window: %v", err)
	}
	defer w.Close()
	if err := w.Fill(fullScreen, paint); err != nil {
		t.Fatalf("paint: %v", err)
	}
	s := startSelection(t, t.Context(), x, fullScreen)

	const n = 300
	script := []string{"mousemove 100 100 mousedown 1"}
	for i := range n {
		// A zigzag over most of the screen, ending at (400,300).
		f := float64(n-1-i) / float64(n-1)
		script = append(script, fmt.Sprintf("mousemove %d %d", 400+int(1400*f), 300+int(700*f*float64(i%2))))
	}
	before := cpuTime(t)
	xdo(t, strings.Join(script, " "))
	x.waitPixel(t, "the final band's right edge", image.Pt(399, 200), 0x3daee9)
	t.Logf("%d motion events: the test process used %v of CPU until the final band showed", n, cpuTime(t)-before)
	x.waitPixel(t, "inside the final band", image.Pt(350, 250), paint)
	for _, p := range []image.Point{{600, 500}, {1700, 200}, {1000, 900}, {401, 200}, {200, 302}} {
		x.waitPixel(t, "where earlier bands were", p, dimmed)
	}
	xdo(t, "mouseup 1")
	got := s.wait(t)
	if want := image.Rect(100, 100, 400, 300); got.err != nil || !within(got.r, want) {
		t.Errorf("SelectRegion = %v, %v; want %v", got.r, got.err, want)
	}
	x.checkReleased(t)
}

// cpuTime is the CPU time this process has used so far.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestSelectRegionGrabbed has another client hold the pointer or keyboard, as an open menu
// does: SelectRegion waits for it a little, then gives up with an error that says so.
func TestSelectRegionGrabbed(t *testing.T) {
	requireX(t)
	tests := []struct {
		name    string
		hold    func(x *xconn) byte // grabs, returns the status
		release func(x *xconn)
		after   time.Duration // when the grab is released; 0: only after SelectRegion returned
		wantErr string
	}{
		{"pointer released after 300 ms", grabPointer, ungrabPointer, 300 * time.Millisecond, ""},
		{"keyboard released after 300 ms", grabKeyboard, ungrabKeyboard, 300 * time.Millisecond, ""},
		{"pointer held", grabPointer, ungrabPointer, 0, "cannot grab the pointer (already grabbed)"},
		{"keyboard held", grabKeyboard, ungrabKeyboard, 0, "cannot grab the keyboard (already grabbed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			x := dialX(t)
			if st := tt.hold(x); st != xproto.GrabStatusSuccess {
				t.Fatalf("test grab: status %d", st)
			}
			if tt.after == 0 {
				_, err := overlay.SelectRegion(t.Context(), fullScreen)
				tt.release(x)
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SelectRegion error = %v, want one containing %q", err, tt.wantErr)
				}
				x.checkReleased(t)
				return
			}
			released := make(chan struct{})
			time.AfterFunc(tt.after, func() { tt.release(x); close(released) })
			s := startSelection(t, t.Context(), x, fullScreen)
			<-released
			xdo(t, "mousemove 100 100 mousedown 1 mousemove 500 400 mouseup 1")
			got := s.wait(t)
			if want := image.Rect(100, 100, 500, 400); got.err != nil || !within(got.r, want) {
				t.Errorf("SelectRegion = %v, %v; want %v", got.r, got.err, want)
			}
			x.checkReleased(t)
		})
	}
}

func grabPointer(x *xconn) byte {
	r, err := xproto.GrabPointer(x.c, false, x.root, 0, xproto.GrabModeAsync, xproto.GrabModeAsync,
		0, 0, xproto.TimeCurrentTime).Reply()
	if err != nil {
		return 0xff
	}
	return r.Status
}

func grabKeyboard(x *xconn) byte {
	r, err := xproto.GrabKeyboard(x.c, false, x.root, xproto.TimeCurrentTime,
		xproto.GrabModeAsync, xproto.GrabModeAsync).Reply()
	if err != nil {
		return 0xff
	}
	return r.Status
}

func ungrabPointer(x *xconn) {
	xproto.UngrabPointer(x.c, xproto.TimeCurrentTime)
	_, _ = xproto.GetInputFocus(x.c).Reply()
}

func ungrabKeyboard(x *xconn) {
	xproto.UngrabKeyboard(x.c, xproto.TimeCurrentTime)
	_, _ = xproto.GetInputFocus(x.c).Reply()
}

// TestSelectRegionNoX needs no X server: without DISPLAY there is nothing to show the selector
// on, and the error says why in the user's terms.
func TestSelectRegionNoX(t *testing.T) {
	tests := []struct {
		name     string
		wayland  string
		wantText string
	}{
		{"no DISPLAY", "", "DISPLAY is not set"},
		{"Wayland without XWayland", "wayland-0", "Wayland session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DISPLAY", "")
			t.Setenv("WAYLAND_DISPLAY", tt.wayland)
			t.Setenv("XDG_SESSION_TYPE", "")
			_, err := overlay.SelectRegion(t.Context(), fullScreen)
			if !errors.Is(err, overlay.ErrUnsupported) || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("SelectRegion error = %v, want ErrUnsupported saying %q", err, tt.wantText)
			}
		})
	}
}
