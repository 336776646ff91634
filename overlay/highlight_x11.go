//go:build linux

package overlay

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/livedesk/livedesk/internal/xdisplay"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/xproto"
)

const (
	// highlightFont has glyphs for most scripts (Xorg's misc-fixed with ISO 10646 encoding);
	// highlightFallbackFont, built into every X server, has Latin-1 only.
	highlightFont         = "-misc-fixed-medium-r-normal--13-*-*-*-*-*-iso10646-1"
	highlightFallbackFont = "fixed"
	// highlightColor is the outline's bright part and the label's box: amber shows on white,
	// black and most UI colours, and is not a colour apps use for their own selection.
	highlightColor = 0xffb300
)

// Highlighter shows outlined, labelled boxes on top of the desktop, for pointing the user at
// something on the screen. Clicks pass through the outlines to whatever is below.
//
// It holds an X connection only while something is shown, so a hidden Highlighter costs
// nothing. All methods are safe for concurrent use.
type Highlighter struct {
	mu     sync.Mutex
	closed bool
	cur    *highlight // what is shown now, or nil
}

// NewHighlighter returns a Highlighter that shows nothing yet; it connects to the X server at
// the first Show.
func NewHighlighter() *Highlighter { return &Highlighter{} }

// Show replaces whatever is shown with boxes (1 to 8) for d, after which they disappear by
// themselves. Boxes are clipped to the X screen and those entirely off it are skipped. Each
// outline starts a little larger than its box and shrinks onto it within about 150 ms.
//
// Show returns once the X server has mapped the windows, so a screenshot taken right after
// shows them. Invalid arguments (no boxes, more than 8, an empty box, d <= 0) change nothing;
// any other error leaves nothing shown. Without an X server (no DISPLAY, Wayland without
// XWayland) or without the SHAPE extension the error wraps ErrUnsupported.
func (h *Highlighter) Show(boxes []Box, d time.Duration) error {
	if err := checkHighlight(boxes, d); err != nil {
		return err
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return errHighlighterClosed
	}
	old := h.hideLocked()
	s, err := h.show(boxes, d)
	h.cur = s
	h.mu.Unlock()
	old.waitTimer()
	return err
}

// Hide removes what is shown now and closes the X connection. It is a no-op when nothing is
// shown.
func (h *Highlighter) Hide() {
	h.mu.Lock()
	old := h.hideLocked()
	h.mu.Unlock()
	old.waitTimer()
}

// Shown reports whether boxes are on the screen now.
func (h *Highlighter) Shown() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur != nil
}

// Covered returns copies of what the screen showed, just before the boxes were shown, where
// their windows are or have been since: one image per rectangle, with Bounds in root
// coordinates. Painting them over a screenshot removes the outlines and labels from it. It is
// nil when nothing is shown.
func (h *Highlighter) Covered() []*image.RGBA {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur == nil {
		return nil
	}
	out := make([]*image.RGBA, len(h.cur.covered))
	for i, m := range h.cur.covered {
		c := *m
		c.Pix = append([]byte(nil), m.Pix...)
		out[i] = &c
	}
	return out
}

// Close hides what is shown; after Close, Show returns an error. It is idempotent.
func (h *Highlighter) Close() {
	h.mu.Lock()
	h.closed = true
	old := h.hideLocked()
	h.mu.Unlock()
	old.waitTimer()
}

// hideLocked takes down what is shown, if anything, and returns it so that the caller can wait
// for its auto-hide callback once h.mu is released (the callback takes h.mu).
func (h *Highlighter) hideLocked() *highlight {
	s := h.cur
	if s == nil {
		return nil
	}
	h.cur = nil
	if s.timer != nil && s.timer.Stop() {
		close(s.timerDone) // the callback will never run
	}
	s.close()
	return s
}

// show puts boxes on the screen for d. h.mu is held.
func (h *Highlighter) show(boxes []Box, d time.Duration) (*highlight, error) {
	c, err := connectHighlight()
	if err != nil {
		return nil, err
	}
	s := &highlight{
		c:          c,
		readerDone: make(chan struct{}),
		stop:       make(chan struct{}),
		animDone:   make(chan struct{}),
		timerDone:  make(chan struct{}),
	}
	go s.drain()
	if err := s.open(boxes); err != nil {
		close(s.animDone) // never started
		s.close()
		return nil, err
	}
	go s.animate()
	s.timer = time.AfterFunc(d, func() {
		defer close(s.timerDone)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.cur == s { // not hidden or replaced meanwhile
			h.hideLocked()
		}
	})
	return s, nil
}

// connectHighlight is connectX worded for highlighting when there is no X server at all.
func connectHighlight() (*xgb.Conn, error) {
	if x := xdisplay.Current(); x.Display == "" {
		if x.Wayland {
			return nil, &unsupportedError{"this is a Wayland session and DISPLAY is not set; " +
				"enable XWayland or log in to an X11 (Xorg) session"}
		}
		return nil, &unsupportedError{"DISPLAY is not set; run the app inside a graphical X11 session"}
	}
	c, err := connectX()
	if err != nil {
		return nil, fmt.Errorf("show highlights: %w", err)
	}
	return c, nil
}

// highlight is one Show: its own X connection and the windows on it. The animation goroutine
// reshapes the windows until it ends; everything else happens under the Highlighter's mutex.
type highlight struct {
	c      *xgb.Conn
	screen *xproto.ScreenInfo

	readerDone chan struct{} // closed when drain has returned
	stop       chan struct{} // closed by close: the animation stops
	animDone   chan struct{} // closed when animate has returned
	timer      *time.Timer   // the auto-hide
	timerDone  chan struct{} // closed when the auto-hide callback has returned or never will

	boxes   []shownBox
	covered []*image.RGBA
	windows []xproto.Window // every window created, for close
}

// shownBox is one box's windows: the dark ring below the bright ring, both as large as the
// largest frame and reshaped at every step, and the label, moved at every step.
type shownBox struct {
	frames             []highlightFrame
	origin             image.Point // the rings' windows' top-left corner, root coordinates
	dark, bright, text xproto.Window
}

// drain reads the connection until it closes. No events are selected, so only X errors of
// unchecked requests (the animation's) arrive; they are dropped, as a glitch in a few frames of
// an animation is nothing a caller could act on, and xgb stalls once its queue is full.
func (s *highlight) drain() {
	defer close(s.readerDone)
	for {
		ev, err := s.c.WaitForEvent()
		if ev == nil && err == nil {
			return
		}
	}
}

// waitTimer waits for the auto-hide callback of a highlight that was taken down, so that no
// goroutine of it outlives the call that took it down. s may be nil.
func (s *highlight) waitTimer() {
	if s == nil {
		return
	}
	if s.timer == nil { // show failed before setting it
		return
	}
	<-s.timerDone
}

// close stops the animation, destroys the windows, waits until the server has done so and
// closes the connection. It is safe after a partial open.
func (s *highlight) close() {
	close(s.stop)
	<-s.animDone
	for _, w := range s.windows {
		xproto.DestroyWindow(s.c, w)
	}
	// One round trip: once it is answered the windows are gone, so a screenshot taken right
	// after Hide does not show them.
	_, _ = xproto.GetInputFocus(s.c).Reply()
	s.c.Close()
	select {
	case <-s.readerDone:
	case <-time.After(shutdownWait):
		// The server stopped answering; the reader ends when the socket finally fails.
	}
}

// open creates and maps the windows for boxes and keeps what they cover.
func (s *highlight) open(boxes []Box) error {
	s.screen = xproto.Setup(s.c).DefaultScreen(s.c)
	screen := image.Rect(0, 0, int(s.screen.WidthInPixels), int(s.screen.HeightInPixels))
	var onScreen []Box
	for _, b := range boxes {
		if r := b.Rect.Intersect(screen); !r.Empty() {
			onScreen = append(onScreen, Box{r, b.Label})
		}
	}
	if len(onScreen) == 0 {
		return fmt.Errorf("show highlights: every box is outside the X screen %v", screen)
	}
	format, ok := rootFormat(s.c, s.screen)
	if !ok {
		return &unsupportedError{fmt.Sprintf("the X screen's pixel format (depth %d) is not one the "+
			"capture side can restore", s.screen.RootDepth)}
	}

	labelled := false
	for _, b := range onScreen {
		labelled = labelled || labelText(b.Label, false) != ""
	}
	// Everything that needs an answer goes out at once; the answers come in one round trip.
	shapeExt := xproto.QueryExtension(s.c, uint16(len("SHAPE")), "SHAPE")
	names := []string{"_NET_WM_NAME", "UTF8_STRING", HighlightProperty}
	atomCookies := make([]xproto.InternAtomCookie, len(names))
	for i, n := range names {
		atomCookies[i] = xproto.InternAtom(s.c, false, uint16(len(n)), n)
	}
	r, g, b := highlightColor>>16, highlightColor>>8&0xff, highlightColor&0xff
	colorCookie := xproto.AllocColor(s.c, s.screen.DefaultColormap, uint16(r*0x101), uint16(g*0x101), uint16(b*0x101))
	var font *highlightLabelFont
	var fontCookie xproto.OpenFontCookie
	if labelled {
		font = &highlightLabelFont{unicode: true}
		var err error
		if font.id, err = xproto.NewFontId(s.c); err != nil {
			return fmt.Errorf("show highlights: new font id: %w", err)
		}
		fontCookie = xproto.OpenFontChecked(s.c, font.id, uint16(len(highlightFont)), highlightFont)
	}

	if err := s.initShape(shapeExt); err != nil {
		return err
	}
	atoms := make([]xproto.Atom, len(names))
	for i, ck := range atomCookies {
		a, err := ck.Reply()
		if err != nil {
			return fmt.Errorf("show highlights: intern atom %s: %w", names[i], err)
		}
		atoms[i] = a.Atom
	}
	amber := s.screen.WhitePixel // if the colour map is full: still bright, with the dark contour
	if c, err := colorCookie.Reply(); err == nil {
		amber = c.Pixel
	}
	if font != nil {
		if fontCookie.Check() != nil {
			font.unicode = false
			ck := xproto.OpenFontChecked(s.c, font.id, uint16(len(highlightFallbackFont)), highlightFallbackFont)
			if ck.Check() != nil {
				font = nil // no core font at all: boxes without labels
			}
		}
	}

	texts, sizes := s.measureLabels(onScreen, font)
	for i, b := range onScreen {
		s.boxes = append(s.boxes, shownBox{frames: highlightFrames(b.Rect, sizes[i], screen)})
	}
	if err := s.capture(format); err != nil {
		return err
	}
	return s.mapWindows(texts, sizes, font, amber, atoms)
}

// initShape makes the SHAPE extension usable on s.c. It does what shape.Init does for this
// connection, minus registering SHAPE's event constructors in xgb's global maps: no events are
// selected here, and writing those maps races with other connections' readers.
func (s *highlight) initShape(ext xproto.QueryExtensionCookie) error {
	r, err := ext.Reply()
	if err != nil {
		return fmt.Errorf("show highlights: query the SHAPE extension: %w", err)
	}
	if !r.Present {
		return &unsupportedError{"the X server has no SHAPE extension, which click-through outlines need"}
	}
	s.c.ExtLock.Lock()
	s.c.Extensions["SHAPE"] = r.MajorOpcode
	s.c.ExtLock.Unlock()
	v, err := shape.QueryVersion(s.c).Reply()
	if err != nil {
		return fmt.Errorf("show highlights: query the SHAPE version: %w", err)
	}
	// Input shapes, which let clicks through, came with SHAPE 1.1.
	if v.MajorVersion < 1 || v.MajorVersion == 1 && v.MinorVersion < 1 {
		return &unsupportedError{fmt.Sprintf("the X server's SHAPE extension is version %d.%d; "+
			"click-through outlines need 1.1", v.MajorVersion, v.MinorVersion)}
	}
	return nil
}

// highlightLabelFont is the core font labels are drawn in.
type highlightLabelFont struct {
	id             xproto.Font
	unicode        bool // ISO 10646, drawn with ImageText16; else Latin-1 with ImageText8
	ascent, height int
}

// measureLabels returns each box's label as the font can draw it and the size of its box
// (zero without a label).
func (s *highlight) measureLabels(boxes []Box, font *highlightLabelFont) ([][]xproto.Char2b, []image.Point) {
	texts := make([][]xproto.Char2b, len(boxes))
	sizes := make([]image.Point, len(boxes))
	if font == nil {
		return texts, sizes
	}
	cookies := make([]xproto.QueryTextExtentsCookie, len(boxes))
	for i, b := range boxes {
		texts[i] = labelChars(labelText(b.Label, font.unicode), font.unicode)
		if len(texts[i]) > 0 {
			cookies[i] = xproto.QueryTextExtents(s.c, xproto.Fontable(font.id), texts[i], uint16(len(texts[i])))
		}
	}
	for i := range boxes {
		if len(texts[i]) == 0 {
			continue
		}
		e, err := cookies[i].Reply()
		if err != nil {
			texts[i] = nil // a label is a nicety: the outline is still worth showing
			continue
		}
		font.ascent, font.height = int(e.FontAscent), int(e.FontAscent)+int(e.FontDescent)
		sizes[i] = image.Pt(int(e.OverallWidth), font.height).Add(image.Pt(2*(labelPad+highlightContour), 2*(labelPad+highlightContour)))
	}
	return texts, sizes
}

// labelChars converts s for ImageText16 (unicode) or ImageText8: characters the font's
// encoding lacks become '?'.
func labelChars(s string, unicode bool) []xproto.Char2b {
	limit := rune(0xff)
	if unicode {
		limit = 0xffff
	}
	var out []xproto.Char2b
	for _, r := range s {
		if r > limit {
			r = '?'
		}
		out = append(out, xproto.Char2b{Byte1: byte(r >> 8), Byte2: byte(r)})
	}
	return out
}

// capture keeps what the screen shows where the windows will be.
func (s *highlight) capture(f pixelLayout) error {
	var rs []image.Rectangle
	for _, b := range s.boxes {
		rs = append(rs, highlightCovered(b.frames)...)
	}
	cookies := make([]xproto.GetImageCookie, len(rs))
	for i, r := range rs {
		cookies[i] = xproto.GetImage(s.c, xproto.ImageFormatZPixmap, xproto.Drawable(s.screen.Root),
			int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), ^uint32(0))
	}
	for i, ck := range cookies {
		img, err := ck.Reply()
		if err != nil {
			return fmt.Errorf("show highlights: take a picture of %v: %w", rs[i], err)
		}
		m, err := f.rgba(img.Data, rs[i])
		if err != nil {
			return fmt.Errorf("show highlights: take a picture of %v: %w", rs[i], err)
		}
		s.covered = append(s.covered, m)
	}
	return nil
}

// mapWindows creates every box's windows at the first frame and maps them, and returns once
// the server has done so.
func (s *highlight) mapWindows(texts [][]xproto.Char2b, sizes []image.Point, font *highlightLabelFont,
	amber uint32, atoms []xproto.Atom,
) error {
	var checks []interface{ Check() error }
	check := func(ck interface{ Check() error }) { checks = append(checks, ck) }
	root := s.screen.Root

	var gc xproto.Gcontext
	if font != nil {
		var err error
		if gc, err = xproto.NewGcontextId(s.c); err != nil {
			return fmt.Errorf("show highlights: new graphics context id: %w", err)
		}
		check(xproto.CreateGCChecked(s.c, gc, xproto.Drawable(root),
			xproto.GcForeground|xproto.GcBackground|xproto.GcFont|xproto.GcGraphicsExposures,
			[]uint32{s.screen.BlackPixel, amber, uint32(font.id), 0}))
	}
	newWindow := func(r image.Rectangle, mask uint32, values []uint32) (xproto.Window, error) {
		w, err := xproto.NewWindowId(s.c)
		if err != nil {
			return 0, fmt.Errorf("show highlights: new window id: %w", err)
		}
		// Override-redirect: no window manager frame, focus or placement. Nothing selected:
		// the windows are painted by the server from their background alone.
		check(xproto.CreateWindowChecked(s.c, s.screen.RootDepth, w, root,
			int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0,
			xproto.WindowClassInputOutput, s.screen.RootVisual, mask|xproto.CwOverrideRedirect, append(values, 1)))
		s.windows = append(s.windows, w)
		for _, ck := range setWindowProperties(s.c, w, HighlightTitle, "livedesk-highlight", atoms[0], atoms[1], atoms[2]) {
			check(ck)
		}
		// An empty input shape: every click goes to the window below.
		check(shape.RectanglesChecked(s.c, shape.SoSet, shape.SkInput, xproto.ClipOrderingUnsorted, w, 0, 0, nil))
		return w, nil
	}

	for i := range s.boxes {
		b := &s.boxes[i]
		f := b.frames[0]
		b.origin = f.outer.Min
		var err error
		if b.dark, err = newWindow(f.outer, xproto.CwBackPixel, []uint32{s.screen.BlackPixel}); err != nil {
			return err
		}
		if b.bright, err = newWindow(f.outer, xproto.CwBackPixel, []uint32{amber}); err != nil {
			return err
		}
		check(shape.RectanglesChecked(s.c, shape.SoSet, shape.SkBounding, xproto.ClipOrderingUnsorted,
			b.dark, 0, 0, xRects(f.dark, b.origin)))
		check(shape.RectanglesChecked(s.c, shape.SoSet, shape.SkBounding, xproto.ClipOrderingUnsorted,
			b.bright, 0, 0, xRects(f.bright, b.origin)))
		if len(texts[i]) == 0 {
			continue
		}
		// The label's picture is its background, so the server repaints it by itself.
		pix, err := xproto.NewPixmapId(s.c)
		if err != nil {
			return fmt.Errorf("show highlights: new pixmap id: %w", err)
		}
		size := sizes[i]
		check(xproto.CreatePixmapChecked(s.c, s.screen.RootDepth, pix, xproto.Drawable(root), uint16(size.X), uint16(size.Y)))
		xproto.ChangeGC(s.c, gc, xproto.GcForeground, []uint32{s.screen.BlackPixel})
		fillRects(s.c, xproto.Drawable(pix), gc, []image.Rectangle{image.Rect(0, 0, size.X, size.Y)})
		xproto.ChangeGC(s.c, gc, xproto.GcForeground, []uint32{amber})
		fillRects(s.c, xproto.Drawable(pix), gc, []image.Rectangle{image.Rect(0, 0, size.X, size.Y).Inset(highlightContour)})
		xproto.ChangeGC(s.c, gc, xproto.GcForeground, []uint32{s.screen.BlackPixel})
		x, y := int16(highlightContour+labelPad), int16(highlightContour+labelPad+font.ascent)
		if font.unicode {
			check(xproto.ImageText16Checked(s.c, byte(len(texts[i])), xproto.Drawable(pix), gc, x, y, texts[i]))
		} else {
			check(xproto.ImageText8Checked(s.c, byte(len(texts[i])), xproto.Drawable(pix), gc, x, y, latin1(texts[i])))
		}
		if b.text, err = newWindow(f.label, xproto.CwBackPixmap, []uint32{uint32(pix)}); err != nil {
			return err
		}
		xproto.FreePixmap(s.c, pix) // the window keeps it
	}
	for _, w := range s.windows {
		check(xproto.ConfigureWindowChecked(s.c, w, xproto.ConfigWindowStackMode, []uint32{xproto.StackModeAbove}))
		check(xproto.MapWindowChecked(s.c, w))
	}
	// The first Check makes the round trip; the rest are answered by then.
	for _, ck := range checks {
		if err := ck.Check(); err != nil {
			return fmt.Errorf("show highlights: %w", err)
		}
	}
	return nil
}

// xRects converts rs (root coordinates) to the coordinates of a window at origin.
func xRects(rs []image.Rectangle, origin image.Point) []xproto.Rectangle {
	xr := make([]xproto.Rectangle, 0, len(rs))
	for _, r := range rs {
		if r.Empty() {
			continue
		}
		r = r.Sub(origin)
		xr = append(xr, xproto.Rectangle{X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy())})
	}
	return xr
}

// animate shrinks the outlines onto their boxes, one frame per tick, unless close stops it.
func (s *highlight) animate() {
	defer close(s.animDone)
	tick := time.NewTicker(highlightAnimation / highlightSteps)
	defer tick.Stop()
	for k := 1; k <= highlightSteps; k++ {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		for _, b := range s.boxes {
			f := b.frames[k]
			// Dark first: for a moment the bright ring of the step before lies on the dark ring
			// of this one, both within what Covered holds.
			shape.Rectangles(s.c, shape.SoSet, shape.SkBounding, xproto.ClipOrderingUnsorted,
				b.dark, 0, 0, xRects(f.dark, b.origin))
			shape.Rectangles(s.c, shape.SoSet, shape.SkBounding, xproto.ClipOrderingUnsorted,
				b.bright, 0, 0, xRects(f.bright, b.origin))
			if b.text != 0 {
				xproto.ConfigureWindow(s.c, b.text, xproto.ConfigWindowX|xproto.ConfigWindowY,
					[]uint32{uint32(int32(f.label.Min.X)), uint32(int32(f.label.Min.Y))})
			}
		}
	}
}

func fillRects(c *xgb.Conn, d xproto.Drawable, gc xproto.Gcontext, rs []image.Rectangle) {
	if xr := xRects(rs, image.Point{}); len(xr) > 0 {
		xproto.PolyFillRectangle(c, d, gc, xr)
	}
}

// latin1 is ImageText8's form of characters that are all below 256.
func latin1(cs []xproto.Char2b) string {
	b := make([]byte, len(cs))
	for i, c := range cs {
		b[i] = c.Byte2
	}
	return string(b)
}

// pixelLayout is enough about the root window's pixels to turn them into RGBA.
type pixelLayout struct {
	bytes   int  // per pixel: 2, 3 or 4
	msb     bool // most significant byte first
	r, g, b uint32
}

// rootFormat describes the root visual's pixels when they are TrueColor or DirectColor of 16,
// 24 or 32 bits.
func rootFormat(c *xgb.Conn, screen *xproto.ScreenInfo) (pixelLayout, bool) {
	setup := xproto.Setup(c)
	bpp := 0
	for _, f := range setup.PixmapFormats {
		if f.Depth == screen.RootDepth {
			bpp = int(f.BitsPerPixel)
		}
	}
	if bpp != 16 && bpp != 24 && bpp != 32 {
		return pixelLayout{}, false
	}
	for _, d := range screen.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId != screen.RootVisual {
				continue
			}
			if v.Class != xproto.VisualClassTrueColor && v.Class != xproto.VisualClassDirectColor {
				return pixelLayout{}, false
			}
			return pixelLayout{
				bytes: bpp / 8,
				msb:   setup.ImageByteOrder == xproto.ImageOrderMSBFirst,
				r:     v.RedMask, g: v.GreenMask, b: v.BlueMask,
			}, true
		}
	}
	return pixelLayout{}, false
}

// rgba converts a Z-format image of r's size to RGBA with r as its bounds.
func (f pixelLayout) rgba(data []byte, r image.Rectangle) (*image.RGBA, error) {
	w, h := r.Dx(), r.Dy()
	if h == 0 || len(data)%h != 0 || len(data)/h < w*f.bytes {
		return nil, errors.New("unexpected image size")
	}
	stride := len(data) / h
	m := image.NewRGBA(r)
	for y := range h {
		row := data[y*stride:]
		out := m.Pix[y*m.Stride:]
		for x := range w {
			px := row[x*f.bytes : (x+1)*f.bytes]
			var p uint32
			for k := range f.bytes {
				if f.msb {
					p = p<<8 | uint32(px[k])
				} else {
					p |= uint32(px[k]) << (8 * k)
				}
			}
			o := out[4*x : 4*x+4]
			o[0], o[1], o[2], o[3] = channel(p, f.r), channel(p, f.g), channel(p, f.b), 0xff
		}
	}
	return m, nil
}

// channel scales the bits of p under mask to 0..255.
func channel(p, mask uint32) byte {
	if mask == 0 {
		return 0
	}
	shift := 0
	for mask>>shift&1 == 0 {
		shift++
	}
	v, top := (p&mask)>>shift, mask>>shift
	return byte(uint64(v) * 255 / uint64(top))
}
