//go:build linux

package overlay_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/xproto"
	"github.com/livedesk/livedesk/internal/xwin"
	"github.com/livedesk/livedesk/overlay"
)

const (
	amber = 0xffb300 // the outline's bright part and the label's box
	dark  = 0x202020 // the desktop under the tests' boxes
)

// screenshot returns the screen inside r (Xvfb: 32 bits per pixel, B G R X).
func (x *xconn) screenshot(t testing.TB, r image.Rectangle) *image.RGBA {
	t.Helper()
	img, err := xproto.GetImage(x.c, xproto.ImageFormatZPixmap, xproto.Drawable(x.root),
		int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), ^uint32(0)).Reply()
	if err != nil || len(img.Data) != 4*r.Dx()*r.Dy() {
		t.Fatalf("screenshot of %v: %v", r, err)
	}
	m := image.NewRGBA(r)
	for i := 0; i < len(img.Data); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = img.Data[i+2], img.Data[i+1], img.Data[i], 0xff
	}
	return m
}

// rgb is the pixel of m at p as 0xRRGGBB.
func rgb(m *image.RGBA, p image.Point) uint32 {
	o := m.PixOffset(p.X, p.Y)
	return uint32(m.Pix[o])<<16 | uint32(m.Pix[o+1])<<8 | uint32(m.Pix[o+2])
}

// waitStable takes screenshots of r until four in a row are the same: the animation is over.
func (x *xconn) waitStable(t *testing.T, r image.Rectangle) *image.RGBA {
	t.Helper()
	deadline := time.Now().Add(hang)
	last, same := x.screenshot(t, r), 0
	for same < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the screen in %v still changes after %v", r, hang)
		}
		time.Sleep(25 * time.Millisecond)
		m := x.screenshot(t, r)
		if bytes.Equal(m.Pix, last.Pix) {
			same++
		} else {
			same = 0
		}
		last = m
	}
	return last
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hang)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, hang)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countColor counts the pixels of m inside r that are c.
func countColor(m *image.RGBA, r image.Rectangle, c uint32) int {
	n := 0
	r = r.Intersect(m.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if rgb(m, image.Pt(x, y)) == c {
				n++
			}
		}
	}
	return n
}

// checkOutline checks that shot shows the outline of box: amber pixels across each of its
// four edges, all within 3 px of the edge (none left of the larger outline the animation starts
// with), and the inside of the box as it was before.
func checkOutline(t *testing.T, shot, before *image.RGBA, box image.Rectangle) {
	t.Helper()
	const scan = 20
	type side struct {
		name   string
		at     func(along, off int) image.Point // off > 0: into the box
		lo, hi int                              // where the edge runs
	}
	sides := []side{
		{"left", func(a, o int) image.Point { return image.Pt(box.Min.X+o, a) }, box.Min.Y, box.Max.Y},
		{"right", func(a, o int) image.Point { return image.Pt(box.Max.X-1-o, a) }, box.Min.Y, box.Max.Y},
		{"top", func(a, o int) image.Point { return image.Pt(a, box.Min.Y+o) }, box.Min.X, box.Max.X},
		{"bottom", func(a, o int) image.Point { return image.Pt(a, box.Max.Y-1-o) }, box.Min.X, box.Max.X},
	}
	for _, s := range sides {
		for i := 1; i <= 5; i++ {
			along := s.lo + (s.hi-s.lo)*i/6
			var offsets []int
			for off := -scan; off <= scan; off++ {
				p := s.at(along, off)
				if p.In(shot.Rect) && rgb(shot, p) == amber {
					offsets = append(offsets, off)
				}
			}
			if len(offsets) == 0 {
				t.Errorf("%s edge at %d: no outline within %d px", s.name, along, scan)
				continue
			}
			if offsets[0] < -3 || offsets[len(offsets)-1] > 3 {
				t.Errorf("%s edge at %d: outline at offsets %v from the edge, want all within ±3", s.name, along, offsets)
			}
		}
	}
	in := box.Inset(5)
	for y := in.Min.Y; y < in.Max.Y; y++ {
		for x := in.Min.X; x < in.Max.X; x++ {
			p := image.Pt(x, y)
			if got, want := rgb(shot, p), rgb(before, p); got != want {
				t.Fatalf("inside the box at %v: %06x, want %06x as before", p, got, want)
			}
		}
	}
}

// desktop covers the screen with a dark window and, if white is not empty, a white one.
func desktop(t *testing.T, white image.Rectangle) {
	t.Helper()
	bg, err := xwin.Open(fullScreen, dark)
	if err != nil {
		t.Fatalf("open the background window: %v", err)
	}
	t.Cleanup(bg.Close)
	if err := bg.Fill(fullScreen, dark); err != nil {
		t.Fatalf("paint the background: %v", err)
	}
	if white.Empty() {
		return
	}
	w, err := xwin.Open(white, 0xffffff)
	if err != nil {
		t.Fatalf("open the white window: %v", err)
	}
	t.Cleanup(w.Close)
	if err := w.Fill(image.Rect(0, 0, white.Dx(), white.Dy()), 0xffffff); err != nil {
		t.Fatalf("paint the white window: %v", err)
	}
}

func newHighlighter(t *testing.T) *overlay.Highlighter {
	t.Helper()
	h := overlay.NewHighlighter()
	t.Cleanup(h.Close)
	return h
}

func TestHighlightOutline(t *testing.T) {
	requireX(t)
	white := image.Rect(400, 300, 600, 420)
	tests := []struct {
		name string
		box  image.Rectangle
		want image.Rectangle // the box clipped to the screen
	}{
		{"on a white window", white, white},
		{"top-left corner of the screen", image.Rect(0, 0, 150, 100), image.Rect(0, 0, 150, 100)},
		{"partly off the right edge", image.Rect(1850, 500, 2000, 600), image.Rect(1850, 500, 1920, 600)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			x := dialX(t)
			desktop(t, white)
			area := tt.want.Inset(-40).Intersect(fullScreen)
			before := x.waitStable(t, area)
			h := newHighlighter(t)
			if err := h.Show([]overlay.Box{{Rect: tt.box}}, time.Minute); err != nil {
				t.Fatalf("Show: %v", err)
			}
			if !h.Shown() {
				t.Error("Shown() = false right after Show")
			}
			checkOutline(t, x.waitStable(t, area), before, tt.want)
		})
	}
}

// highlightWindows lists the windows that carry overlay.HighlightProperty.
func (x *xconn) highlightWindows(t *testing.T) []xproto.Window {
	t.Helper()
	prop := x.atom(t, overlay.HighlightProperty)
	tree, err := xproto.QueryTree(x.c, x.root).Reply()
	if err != nil {
		t.Fatalf("query tree: %v", err)
	}
	var ws []xproto.Window
	for _, w := range tree.Children {
		if len(x.property(w, prop)) > 0 {
			ws = append(ws, w)
		}
	}
	return ws
}

func (x *xconn) atom(t *testing.T, name string) xproto.Atom {
	t.Helper()
	r, err := xproto.InternAtom(x.c, false, uint16(len(name)), name).Reply()
	if err != nil {
		t.Fatalf("intern %s: %v", name, err)
	}
	return r.Atom
}

// useShape makes SHAPE requests work on x.c without shape.Init, which writes xgb's global
// event tables while other connections read them.
func (x *xconn) useShape(t *testing.T) {
	t.Helper()
	r, err := xproto.QueryExtension(x.c, uint16(len("SHAPE")), "SHAPE").Reply()
	if err != nil || !r.Present {
		t.Fatalf("the X server has no SHAPE extension: %v", err)
	}
	x.c.ExtLock.Lock()
	x.c.Extensions["SHAPE"] = r.MajorOpcode
	x.c.ExtLock.Unlock()
}

// pidBytes is this process's ID as a CARDINAL property holds it.
func pidBytes() string {
	b := make([]byte, 4)
	xgb.Put32(b, uint32(os.Getpid()))
	return string(b)
}

// TestHighlightWindows checks what tools and the capture side see of the windows: mapped when
// Show returns, named, marked with HighlightProperty and not with _NET_WM_PID, unmanaged, and
// letting every click through; and gone when Hide returns.
func TestHighlightWindows(t *testing.T) {
	requireX(t)
	noLeaks(t)
	x := dialX(t)
	x.useShape(t)
	h := newHighlighter(t)
	boxes := []overlay.Box{
		{Rect: image.Rect(100, 100, 300, 200), Label: "Settings"},
		{Rect: image.Rect(500, 600, 560, 640)},
	}
	if err := h.Show(boxes, time.Minute); err != nil {
		t.Fatalf("Show: %v", err)
	}
	ws := x.highlightWindows(t)
	if len(ws) < len(boxes) {
		t.Fatalf("%d highlight windows, want at least %d", len(ws), len(boxes))
	}
	for _, w := range ws {
		want := map[string]string{
			"_NET_WM_NAME":            overlay.HighlightTitle,
			"WM_NAME":                 "Live Desk - highlight",
			"WM_CLASS":                "livedesk-highlight\x00LiveDesk\x00",
			overlay.HighlightProperty: pidBytes(),
			"_NET_WM_PID":             "",
		}
		for name, v := range want {
			if got := string(x.property(w, x.atom(t, name))); got != v {
				t.Errorf("window %d: %s = %q, want %q", w, name, got, v)
			}
		}
		a, err := xproto.GetWindowAttributes(x.c, w).Reply()
		if err != nil {
			t.Fatalf("window attributes: %v", err)
		}
		if !a.OverrideRedirect || a.MapState != xproto.MapStateViewable {
			t.Errorf("window %d: override-redirect %v, map state %d; want true, viewable", w, a.OverrideRedirect, a.MapState)
		}
		in, err := shape.GetRectangles(x.c, w, shape.SkInput).Reply()
		if err != nil {
			t.Fatalf("input shape: %v", err)
		}
		if len(in.Rectangles) != 0 {
			t.Errorf("window %d: input shape %v, want empty", w, in.Rectangles)
		}
	}
	h.Hide()
	if ws := x.highlightWindows(t); len(ws) != 0 {
		t.Errorf("highlight windows left after Hide: %v", ws)
	}
}

// TestHighlightClickThrough clicks on the outline and the label: the window below gets the
// click.
func TestHighlightClickThrough(t *testing.T) {
	requireX(t)
	noLeaks(t)
	x := dialX(t)
	box := image.Rect(700, 400, 900, 500)
	under := box.Inset(-60)
	presses := clickTarget(t, under)
	h := newHighlighter(t)
	if err := h.Show([]overlay.Box{{Rect: box, Label: "Save"}}, time.Minute); err != nil {
		t.Fatalf("Show: %v", err)
	}
	shot := x.waitStable(t, under)
	mid := (box.Min.Y + box.Max.Y) / 2
	tests := []struct {
		name  string
		at    image.Point
		color uint32
	}{
		{"outline on the box's edge", image.Pt(box.Min.X, mid), amber},
		{"outline just outside the box", image.Pt(box.Min.X-2, mid), amber},
		{"outline's dark contour", image.Pt(box.Max.X+2, mid), 0x000000},
		{"label", image.Pt(box.Min.X-1, box.Max.Y+9), amber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rgb(shot, tt.at); got != tt.color {
				t.Fatalf("pixel at %v is %06x, want %06x: not clicking what the test means to", tt.at, got, tt.color)
			}
			xdo(t, fmt.Sprintf("mousemove %d %d click 1", tt.at.X, tt.at.Y))
			select {
			case p := <-presses:
				if p != tt.at {
					t.Errorf("the window below got a click at %v, want %v", p, tt.at)
				}
			case <-time.After(hang):
				t.Fatalf("the window below got no click within %v", hang)
			}
		})
	}
}

// clickTarget maps a window covering r that reports where it is clicked (root coordinates).
func clickTarget(t *testing.T, r image.Rectangle) <-chan image.Point {
	t.Helper()
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatalf("connect to X: %v", err)
	}
	presses := make(chan image.Point, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			ev, err := c.WaitForEvent()
			if ev == nil && err == nil {
				return
			}
			if b, ok := ev.(xproto.ButtonPressEvent); ok {
				select {
				case presses <- image.Pt(int(b.RootX), int(b.RootY)):
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		c.Close()
		<-done
	})
	s := xproto.Setup(c).DefaultScreen(c)
	w, err := xproto.NewWindowId(c)
	if err != nil {
		t.Fatalf("new window id: %v", err)
	}
	if err := xproto.CreateWindowChecked(c, s.RootDepth, w, s.Root, int16(r.Min.X), int16(r.Min.Y),
		uint16(r.Dx()), uint16(r.Dy()), 0, xproto.WindowClassInputOutput, s.RootVisual,
		xproto.CwBackPixel|xproto.CwOverrideRedirect|xproto.CwEventMask,
		[]uint32{dark, 1, xproto.EventMaskButtonPress}).Check(); err != nil {
		t.Fatalf("create the window below: %v", err)
	}
	if err := xproto.MapWindowChecked(c, w).Check(); err != nil {
		t.Fatalf("map the window below: %v", err)
	}
	return presses
}

func TestHighlightAutoHide(t *testing.T) {
	requireX(t)
	noLeaks(t)
	x := dialX(t)
	desktop(t, image.Rectangle{})
	box := image.Rect(300, 300, 500, 400)
	area := box.Inset(-40)
	h := newHighlighter(t)
	if err := h.Show([]overlay.Box{{Rect: box, Label: "here"}}, 300*time.Millisecond); err != nil {
		t.Fatalf("Show: %v", err)
	}
	if !h.Shown() {
		t.Error("Shown() = false right after Show")
	}
	waitFor(t, "the outline disappears by itself", func() bool { return countColor(x.screenshot(t, area), area, amber) == 0 })
	waitFor(t, "Shown() becomes false", func() bool { return !h.Shown() })
	if c := h.Covered(); c != nil {
		t.Errorf("Covered() after the auto-hide = %d images, want nil", len(c))
	}
	if ws := x.highlightWindows(t); len(ws) != 0 {
		t.Errorf("highlight windows left after the auto-hide: %v", ws)
	}
}

func TestHighlightHide(t *testing.T) {
	requireX(t)
	noLeaks(t)
	x := dialX(t)
	desktop(t, image.Rectangle{})
	box := image.Rect(300, 300, 500, 400)
	area := box.Inset(-40)
	h := newHighlighter(t)
	h.Hide() // nothing shown: a no-op
	if err := h.Show([]overlay.Box{{Rect: box}}, time.Minute); err != nil {
		t.Fatalf("Show: %v", err)
	}
	if n := countColor(x.screenshot(t, area), area, amber); n == 0 {
		t.Fatal("no outline right after Show returned")
	}
	h.Hide()
	if n := countColor(x.screenshot(t, area), area, amber); n != 0 {
		t.Errorf("%d outline pixels right after Hide returned, want 0", n)
	}
	if h.Shown() || h.Covered() != nil {
		t.Errorf("after Hide: Shown() = %v, Covered() = %v; want false, nil", h.Shown(), h.Covered())
	}
	h.Hide()
}

func TestHighlightReplace(t *testing.T) {
	requireX(t)
	noLeaks(t)
	x := dialX(t)
	desktop(t, image.Rectangle{})
	first, second := image.Rect(100, 100, 300, 200), image.Rect(800, 500, 1000, 650)
	h := newHighlighter(t)
	if err := h.Show([]overlay.Box{{Rect: first, Label: "first"}}, time.Minute); err != nil {
		t.Fatalf("first Show: %v", err)
	}
	before := x.screenshot(t, second.Inset(-40))
	// No label on the second: checkOutline would take it for outline far from the edge.
	if err := h.Show([]overlay.Box{{Rect: second}}, time.Minute); err != nil {
		t.Fatalf("second Show: %v", err)
	}
	if n := countColor(x.screenshot(t, first.Inset(-40)), first.Inset(-40), amber); n != 0 {
		t.Errorf("%d pixels of the first outline left after the second Show, want 0", n)
	}
	checkOutline(t, x.waitStable(t, second.Inset(-40)), before, second)
	if got := len(x.highlightWindows(t)); got > 2 {
		t.Errorf("%d highlight windows for one box without a label, want at most 2", got)
	}
}

// TestHighlightCovered checks Covered against the screen: its pixels are what the screen showed
// before Show, and every pixel Show changes, during the animation and after it, is in one of
// its images.
func TestHighlightCovered(t *testing.T) {
	requireX(t)
	noLeaks(t)
	x := dialX(t)
	area := image.Rect(200, 100, 1000, 700)
	pattern := image.NewRGBA(image.Rect(0, 0, area.Dx(), area.Dy()))
	for i := 0; i < len(pattern.Pix); i += 4 {
		p := i / 4
		pattern.Pix[i], pattern.Pix[i+1], pattern.Pix[i+2], pattern.Pix[i+3] = byte(p), byte(p/7), byte(p/area.Dx()), 0xff
	}
	w, err := xwin.Open(area, 0)
	if err != nil {
		t.Fatalf("open the patterned window: %v", err)
	}
	defer w.Close()
	if err := w.Put(pattern); err != nil {
		t.Fatalf("paint the pattern: %v", err)
	}
	before := x.waitStable(t, area)

	h := newHighlighter(t)
	boxes := []overlay.Box{
		{Rect: image.Rect(300, 200, 500, 320), Label: "Einstellungen öffnen"},
		{Rect: image.Rect(600, 400, 640, 430)},
	}
	if err := h.Show(boxes, time.Minute); err != nil {
		t.Fatalf("Show: %v", err)
	}
	shots := []*image.RGBA{x.screenshot(t, area)} // during the animation
	covered := h.Covered()
	shots = append(shots, x.waitStable(t, area))

	if len(covered) == 0 {
		t.Fatal("Covered() = nil while shown")
	}
	for _, m := range covered {
		if !m.Rect.In(area) {
			t.Fatalf("covered image %v reaches outside the patterned area %v", m.Rect, area)
		}
		for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
			for x := m.Rect.Min.X; x < m.Rect.Max.X; x++ {
				p := image.Pt(x, y)
				if got, want := rgb(m, p), rgb(before, p); got != want {
					t.Fatalf("covered image %v at %v: %06x, want %06x as before Show", m.Rect, p, got, want)
				}
			}
		}
	}
	for i, shot := range shots {
		changed := 0
		for y := area.Min.Y; y < area.Max.Y; y++ {
			for x := area.Min.X; x < area.Max.X; x++ {
				p := image.Pt(x, y)
				if rgb(shot, p) == rgb(before, p) {
					continue
				}
				changed++
				in := false
				for _, m := range covered {
					in = in || p.In(m.Rect)
				}
				if !in {
					t.Fatalf("screenshot %d: %v changed (%06x to %06x) but no covered image holds it",
						i, p, rgb(before, p), rgb(shot, p))
				}
			}
		}
		if changed == 0 {
			t.Errorf("screenshot %d: nothing changed: no outline shown", i)
		}
	}

	// Covered returns copies: changing one changes nothing the next call returns.
	covered[0].Pix[0] ^= 0xff
	if again := h.Covered(); bytes.Equal(again[0].Pix, covered[0].Pix) {
		t.Error("Covered() returned the same pixels that the caller changed")
	}
	h.Hide()
	if c := h.Covered(); c != nil {
		t.Errorf("Covered() after Hide = %d images, want nil", len(c))
	}
}

// TestHighlightLabel checks that a label shows as a filled box below the box, with text in it,
// in any script, and no longer than about 40 characters.
func TestHighlightLabel(t *testing.T) {
	requireX(t)
	box := image.Rect(400, 300, 600, 400)
	below := image.Rect(box.Min.X-10, box.Max.Y+4, box.Min.X+900, box.Max.Y+50)
	tests := []struct {
		name, label string
	}{
		{"no label", ""},
		{"English", "Settings"},
		{"German", "Zahnrad öffnen – Einstellungen"},
		{"Arabic", "الإعدادات"},
		{"Japanese", "設定を開く"},
		{"too long", strings.Repeat("Einstellungen ", 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			x := dialX(t)
			desktop(t, image.Rectangle{})
			h := newHighlighter(t)
			if err := h.Show([]overlay.Box{{Rect: box, Label: tt.label}}, time.Minute); err != nil {
				t.Fatalf("Show: %v", err)
			}
			shot := x.waitStable(t, below)
			boxPixels := countColor(shot, below, amber)
			if tt.label == "" {
				if boxPixels != 0 {
					t.Errorf("%d label pixels without a label, want 0", boxPixels)
				}
				return
			}
			if boxPixels < 100 {
				t.Fatalf("%d label pixels below the box, want a label box", boxPixels)
			}
			var label image.Rectangle
			for y := below.Min.Y; y < below.Max.Y; y++ {
				for x := below.Min.X; x < below.Max.X; x++ {
					if rgb(shot, image.Pt(x, y)) == amber {
						label = label.Union(image.Rect(x, y, x+1, y+1))
					}
				}
			}
			t.Logf("label %q: box %v", tt.label, label)
			if label.Dx() > 400 {
				t.Errorf("label box %v is %d px wide: not cut to about 40 characters", label, label.Dx())
			}
			if text := countColor(shot, label.Inset(2), 0x000000); text == 0 {
				t.Errorf("no text in the label box %v", label)
			}
		})
	}
}

func TestHighlightErrors(t *testing.T) {
	box := overlay.Box{Rect: image.Rect(10, 10, 50, 50)}
	nine := make([]overlay.Box, 9)
	for i := range nine {
		nine[i] = box
	}
	tests := []struct {
		name    string
		boxes   []overlay.Box
		d       time.Duration
		closed  bool
		needX   bool
		wantErr string
	}{
		{"no boxes", nil, time.Second, false, false, "no boxes"},
		{"nine boxes", nine, time.Second, false, false, "at most 8"},
		{"empty box", []overlay.Box{{Rect: image.Rect(5, 5, 5, 20)}}, time.Second, false, false, "empty"},
		{"no duration", []overlay.Box{box}, 0, false, false, "duration"},
		{"after Close", []overlay.Box{box}, time.Second, true, false, "closed"},
		{"off the screen", []overlay.Box{{Rect: image.Rect(3000, 100, 3100, 200)}, {Rect: image.Rect(-200, -200, -100, -100)}},
			time.Second, false, true, "outside the X screen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needX {
				requireX(t)
			}
			noLeaks(t)
			h := newHighlighter(t)
			if tt.closed {
				h.Close()
			}
			err := h.Show(tt.boxes, tt.d)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Show error = %v, want one containing %q", err, tt.wantErr)
			}
			if errors.Is(err, overlay.ErrUnsupported) {
				t.Errorf("Show error %v wraps ErrUnsupported; it is the caller's mistake", err)
			}
			if h.Shown() {
				t.Error("Shown() = true after a failed Show")
			}
		})
	}
}

// TestHighlightNoX needs no X server: without DISPLAY Show says highlighting is unsupported.
func TestHighlightNoX(t *testing.T) {
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
			noLeaks(t)
			h := newHighlighter(t)
			err := h.Show([]overlay.Box{{Rect: image.Rect(10, 10, 50, 50)}}, time.Second)
			if !errors.Is(err, overlay.ErrUnsupported) || !strings.Contains(err.Error(), tt.wantText) ||
				!strings.Contains(err.Error(), "highlighting on the screen is not supported here") {
				t.Errorf("Show error = %v, want ErrUnsupported saying %q", err, tt.wantText)
			}
		})
	}
}

// TestHighlightConcurrent calls every method from several goroutines at once, with auto-hides
// firing in between, for the race detector; Close must leave no goroutine behind.
func TestHighlightConcurrent(t *testing.T) {
	requireX(t)
	noLeaks(t)
	h := overlay.NewHighlighter()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				box := image.Rect(100+200*g, 100+30*i, 250+200*g, 120+30*i)
				if err := h.Show([]overlay.Box{{Rect: box, Label: "x"}}, time.Duration(1+i%3)*10*time.Millisecond); err != nil {
					t.Errorf("Show: %v", err)
					return
				}
				_ = h.Covered()
				_ = h.Shown()
				if i%4 == 3 {
					h.Hide()
				}
			}
		})
	}
	wg.Wait()
	h.Close()
	h.Close()
	if h.Shown() {
		t.Error("Shown() = true after Close")
	}
}

// BenchmarkHighlightShow measures Show of one labelled box followed by Hide: connecting,
// capturing what it covers, mapping and tearing down, each a few round trips to the server.
func BenchmarkHighlightShow(b *testing.B) {
	if os.Getenv("LIVEDESK_TESTENV") == "" || os.Getenv("DISPLAY") == "" {
		b.Skip("puts windows on the X screen: run under scripts/with-testenv.sh")
	}
	h := overlay.NewHighlighter()
	defer h.Close()
	boxes := []overlay.Box{{Rect: image.Rect(400, 300, 600, 420), Label: "Settings"}}
	for b.Loop() {
		if err := h.Show(boxes, time.Minute); err != nil {
			b.Fatalf("Show: %v", err)
		}
		h.Hide()
	}
}
