//go:build linux

package overlay

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"os"
	"strings"
	"time"

	"github.com/livedesk/livedesk/internal/xdisplay"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

const (
	// grabWait bounds how long SelectRegion retries its grabs: another client (an open menu, a
	// drag in progress) may hold the pointer or keyboard for a moment.
	grabWait = time.Second
	// grabRetry is the pause between grab attempts.
	grabRetry = 20 * time.Millisecond
	// shutdownWait bounds the wait for the event reader after the connection is closed; xgb
	// ends it as soon as the server acknowledges the close, so this only matters for a server
	// that stopped answering.
	shutdownWait = 2 * time.Second
	// outlineWidth is the rubber band's border, drawn inside the chosen rectangle.
	outlineWidth = 2
	// labelPad is the space around the size text.
	labelPad = 3

	keysymEscape = 0xff1b
	// xcCrosshair is the crosshair glyph of the X "cursor" font (XC_crosshair); the next glyph
	// is its mask.
	xcCrosshair = 34
)

// connectX opens a connection to the X server named by DISPLAY. Without one, or in a Wayland
// session without XWayland, the selector cannot work at all: those errors wrap ErrUnsupported
// and say what the user can do.
func connectX() (*xgb.Conn, error) {
	x := xdisplay.Current()
	if x.Display == "" {
		if x.Wayland {
			return nil, fmt.Errorf("choosing a screen region needs X: this is a Wayland session and DISPLAY is not set; "+
				"enable XWayland or log in to an X11 (Xorg) session: %w", ErrUnsupported)
		}
		return nil, fmt.Errorf("choosing a screen region needs an X server but DISPLAY is not set; "+
			"run the app inside a graphical X11 session: %w", ErrUnsupported)
	}
	c, err := x.Dial()
	if err != nil {
		if x.Wayland {
			return nil, fmt.Errorf("%w (XWayland: check that it is running, or log in to an X11 session)", err)
		}
		return nil, fmt.Errorf("%w (check that the X server is running and DISPLAY/XAUTHORITY are right; try xdpyinfo)", err)
	}
	return c, nil
}

// SelectRegion covers display (root-window coordinates of one monitor) with a full-screen
// window showing a frozen, dimmed picture of it, and lets the user drag a rectangle with the
// left button; the rectangle shows undimmed, outlined and labelled with its size while
// dragging. It returns the rectangle relative to display.Min, normalised (drag in any
// direction) and clipped to the display. A click or a drag smaller than 4 px is not a region:
// the selector keeps waiting.
//
// Esc or a right click returns ErrCancelled; cancelling ctx returns ctx.Err(). Whatever the
// outcome, the window and the pointer and keyboard grabs are gone when it returns.
func SelectRegion(ctx context.Context, display image.Rectangle) (image.Rectangle, error) {
	if err := ctx.Err(); err != nil {
		return image.Rectangle{}, err
	}
	if display.Empty() {
		return image.Rectangle{}, fmt.Errorf("choose a region of display %v: the display is empty", display)
	}
	c, err := connectX()
	if err != nil {
		return image.Rectangle{}, err
	}
	s := newSelector(c)
	go s.readEvents()
	defer s.close() // also waits for readEvents
	if err := s.show(ctx, display); err != nil {
		return image.Rectangle{}, err
	}
	r, err := s.run(ctx)
	if err != nil {
		return image.Rectangle{}, err
	}
	// The window may have been clipped to the screen: it sits at s.origin, not display.Min.
	return r.Add(s.origin.Sub(display.Min)), nil
}

// xevent is what xgb's WaitForEvent returned: an event, or an X error of an unchecked request.
type xevent struct {
	ev  xgb.Event
	err xgb.Error
}

// selector is one SelectRegion: the connection, the server-side resources and the drag state.
// Only SelectRegion's goroutine touches it; the event reader only forwards events.
type selector struct {
	c      *xgb.Conn
	screen *xproto.ScreenInfo

	events     chan xevent
	stop       chan struct{} // closed by close: the reader stops forwarding
	readerDone chan struct{} // closed when the reader has returned

	origin image.Point     // the window's top-left corner, root coordinates
	bounds image.Rectangle // the window in its own coordinates

	win            xproto.Window
	bright, dim    xproto.Pixmap   // the frozen picture, as it was and dimmed
	copyGC         xproto.Gcontext // CopyArea and PutImage, no graphics exposures
	lineGC         xproto.Gcontext // the band's outline
	boxGC, textGC  xproto.Gcontext // the size label's box and text
	cursor         xproto.Cursor   // crosshair, or 0 (the parent's cursor)
	font           labelFont
	escape         map[xproto.Keycode]bool
	pointerGrabbed bool
	keysGrabbed    bool

	dragging   bool
	start, cur image.Point // window coordinates

	// What is on the window now, besides the dimmed background: the band (bright, outlined)
	// and its label.
	band, label image.Rectangle
	text        string
}

// labelFont is the core font the size label is drawn in; ok is false when the server has no
// "fixed" font, and then there is no label.
type labelFont struct {
	ok             bool
	id             xproto.Font
	width          int // of the widest character: "fixed" is monospaced
	ascent, height int
}

func newSelector(c *xgb.Conn) *selector {
	s := &selector{
		c:          c,
		screen:     xproto.Setup(c).DefaultScreen(c),
		events:     make(chan xevent, 256),
		stop:       make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	return s
}

// readEvents forwards events until the connection closes (WaitForEvent then returns nil, nil)
// or close says stop.
func (s *selector) readEvents() {
	defer close(s.readerDone)
	defer close(s.events)
	for {
		ev, err := s.c.WaitForEvent()
		if ev == nil && err == nil {
			return
		}
		select {
		case s.events <- xevent{ev, err}:
		case <-s.stop:
			return
		}
	}
}

// close releases the grabs and the window, waits until the server has done so, and closes the
// connection, which frees everything else. It is safe after a partial show.
func (s *selector) close() {
	if s.pointerGrabbed {
		xproto.UngrabPointer(s.c, xproto.TimeCurrentTime)
	}
	if s.keysGrabbed {
		xproto.UngrabKeyboard(s.c, xproto.TimeCurrentTime)
	}
	if s.win != 0 {
		xproto.DestroyWindow(s.c, s.win)
	}
	// One round trip: once it is answered the server has processed the requests above, so a
	// selection or capture that starts right after sees neither the window nor the grabs.
	_, _ = xproto.GetInputFocus(s.c).Reply()
	s.c.Close()
	close(s.stop)
	select {
	case <-s.readerDone:
	case <-time.After(shutdownWait):
		// The server stopped answering; the reader ends when the socket finally fails.
	}
}

// show freezes the picture of display, grabs the pointer and keyboard and maps the window.
// The grabs come first, on the root window, so that by the time the window is visible the
// selector already receives every click and key (tests rely on that: mapped means ready).
func (s *selector) show(ctx context.Context, display image.Rectangle) error {
	root := s.screen.Root
	screenRect := image.Rect(0, 0, int(s.screen.WidthInPixels), int(s.screen.HeightInPixels))
	d := display.Intersect(screenRect)
	if d.Empty() {
		return fmt.Errorf("choose a region of display %v: it is outside the X screen %v", display, screenRect)
	}
	s.origin = d.Min
	s.bounds = image.Rect(0, 0, d.Dx(), d.Dy())

	if err := s.freeze(d); err != nil {
		return err
	}
	s.loadKeys()
	s.loadCursor()
	s.loadFont()
	if err := s.makeGCs(); err != nil {
		return err
	}
	if err := s.grab(ctx); err != nil {
		return err
	}

	win, err := xproto.NewWindowId(s.c)
	if err != nil {
		return fmt.Errorf("new window id: %w", err)
	}
	// Override-redirect: no window manager frame, no placement, above normal windows. The
	// background is the dimmed picture, so the server repaints it by itself on any exposure.
	mask := uint32(xproto.CwBackPixmap | xproto.CwOverrideRedirect | xproto.CwEventMask | xproto.CwCursor)
	values := []uint32{
		uint32(s.dim), 1,
		xproto.EventMaskExposure | xproto.EventMaskButtonPress | xproto.EventMaskButtonRelease |
			xproto.EventMaskPointerMotion | xproto.EventMaskKeyPress,
		uint32(s.cursor),
	}
	if err := xproto.CreateWindowChecked(s.c, s.screen.RootDepth, win, root,
		int16(d.Min.X), int16(d.Min.Y), uint16(d.Dx()), uint16(d.Dy()), 0,
		xproto.WindowClassInputOutput, s.screen.RootVisual, mask, values).Check(); err != nil {
		return fmt.Errorf("create the selector window: %w", err)
	}
	s.win = win
	if err := s.setProperties(); err != nil {
		return err
	}
	if err := xproto.MapWindowChecked(s.c, win).Check(); err != nil {
		return fmt.Errorf("map the selector window: %w", err)
	}
	return nil
}

// freeze copies what display d shows now into two pixmaps: as it is (the inside of the band)
// and dimmed (everything else, the window's background).
func (s *selector) freeze(d image.Rectangle) error {
	w, h := uint16(d.Dx()), uint16(d.Dy())
	img, err := xproto.GetImage(s.c, xproto.ImageFormatZPixmap, xproto.Drawable(s.screen.Root),
		int16(d.Min.X), int16(d.Min.Y), w, h, ^uint32(0)).Reply()
	if err != nil {
		return fmt.Errorf("take a picture of the screen: %w", err)
	}
	if img.Depth != s.screen.RootDepth || len(img.Data) < int(h) || len(img.Data)%int(h) != 0 {
		return fmt.Errorf("take a picture of the screen: unexpected image (depth %d, %d bytes for %d rows)",
			img.Depth, len(img.Data), h)
	}
	stride := len(img.Data) / int(h)

	for _, p := range []*xproto.Pixmap{&s.bright, &s.dim} {
		id, err := xproto.NewPixmapId(s.c)
		if err != nil {
			return fmt.Errorf("new pixmap id: %w", err)
		}
		if err := xproto.CreatePixmapChecked(s.c, s.screen.RootDepth, id, xproto.Drawable(s.screen.Root), w, h).Check(); err != nil {
			return fmt.Errorf("create a %dx%d pixmap: %w", w, h, err)
		}
		*p = id
	}
	gc, err := xproto.NewGcontextId(s.c)
	if err != nil {
		return fmt.Errorf("new graphics context id: %w", err)
	}
	if err := xproto.CreateGCChecked(s.c, gc, xproto.Drawable(s.screen.Root),
		xproto.GcGraphicsExposures, []uint32{0}).Check(); err != nil {
		return fmt.Errorf("create graphics context: %w", err)
	}
	s.copyGC = gc

	if err := s.put(s.bright, img.Data, stride, w, h); err != nil {
		return err
	}
	if f, ok := s.pixelFormat(); ok {
		f.dim(img.Data, stride, int(w), int(h))
	}
	// (Without a known pixel format the background stays undimmed; the band still shows.)
	return s.put(s.dim, img.Data, stride, w, h)
}

// put uploads a Z-format image to p in bands of rows: without BIG-REQUESTS a request is
// limited (256 KiB on most servers).
func (s *selector) put(p xproto.Pixmap, data []byte, stride int, w, h uint16) error {
	const header = 24 // PutImage's fixed part
	maxBytes := int(xproto.Setup(s.c).MaximumRequestLength)*4 - header
	rows := max(1, maxBytes/stride)
	for y := 0; y < int(h); y += rows {
		n := min(rows, int(h)-y)
		chunk := data[y*stride : (y+n)*stride]
		if y+n < int(h) {
			xproto.PutImage(s.c, xproto.ImageFormatZPixmap, xproto.Drawable(p), s.copyGC,
				w, uint16(n), 0, int16(y), 0, s.screen.RootDepth, chunk)
			continue
		}
		// The last band is checked; an error in an earlier one arrives as an event and ends
		// the event loop.
		if err := xproto.PutImageChecked(s.c, xproto.ImageFormatZPixmap, xproto.Drawable(p), s.copyGC,
			w, uint16(n), 0, int16(y), 0, s.screen.RootDepth, chunk).Check(); err != nil {
			return fmt.Errorf("upload the screen picture: %w", err)
		}
	}
	return nil
}

// pixelFormat describes the root visual's pixels when they can be dimmed by halving each
// colour channel (TrueColor or DirectColor, 16, 24 or 32 bits per pixel).
func (s *selector) pixelFormat() (pixelFormat, bool) {
	l, ok := rootFormat(s.c, s.screen)
	if !ok {
		return pixelFormat{}, false
	}
	return pixelFormat{bytes: l.bytes, msb: l.msb, keep: halfMask(l.r) | halfMask(l.g) | halfMask(l.b)}, true
}

// halfMask is the bits of channel mask m that may be set after a pixel is shifted right by
// one: the channel's own bits minus its top bit, which came from the channel above.
func halfMask(m uint32) uint32 { return (m >> 1) & m }

// pixelFormat is enough about a pixel to halve its brightness.
type pixelFormat struct {
	bytes int    // per pixel: 2, 3 or 4
	msb   bool   // most significant byte first
	keep  uint32 // see halfMask
}

// dim halves every colour channel of a Z-format image in place.
func (f pixelFormat) dim(data []byte, stride, w, h int) {
	for y := range h {
		row := data[y*stride : y*stride+w*f.bytes]
		if f.bytes == 4 && !f.msb { // the usual case, kept fast
			for i := 0; i < len(row); i += 4 {
				p := binary.LittleEndian.Uint32(row[i:])
				binary.LittleEndian.PutUint32(row[i:], (p>>1)&f.keep)
			}
			continue
		}
		for i := 0; i < len(row); i += f.bytes {
			px := row[i : i+f.bytes]
			var p uint32
			for k := range f.bytes {
				if f.msb {
					p = p<<8 | uint32(px[k])
				} else {
					p |= uint32(px[k]) << (8 * k)
				}
			}
			p = (p >> 1) & f.keep
			for k := range f.bytes {
				if f.msb {
					px[f.bytes-1-k] = byte(p >> (8 * k))
				} else {
					px[k] = byte(p >> (8 * k))
				}
			}
		}
	}
}

// loadKeys finds the keycodes that produce Escape in the current keyboard map. Without them
// only a right click cancels.
func (s *selector) loadKeys() {
	setup := xproto.Setup(s.c)
	first, count := setup.MinKeycode, int(setup.MaxKeycode)-int(setup.MinKeycode)+1
	m, err := xproto.GetKeyboardMapping(s.c, first, byte(count)).Reply()
	if err != nil || m.KeysymsPerKeycode == 0 {
		return
	}
	s.escape = make(map[xproto.Keycode]bool)
	for i, ks := range m.Keysyms {
		if ks == keysymEscape {
			s.escape[first+xproto.Keycode(i/int(m.KeysymsPerKeycode))] = true
		}
	}
}

// loadCursor makes the crosshair pointer from the server's "cursor" font. It is a nicety:
// without it the pointer keeps its shape.
func (s *selector) loadCursor() {
	font, err := xproto.NewFontId(s.c)
	if err != nil {
		return
	}
	const name = "cursor"
	if xproto.OpenFontChecked(s.c, font, uint16(len(name)), name).Check() != nil {
		return
	}
	defer xproto.CloseFont(s.c, font)
	cur, err := xproto.NewCursorId(s.c)
	if err != nil {
		return
	}
	if xproto.CreateGlyphCursorChecked(s.c, cur, font, font, xcCrosshair, xcCrosshair+1,
		0, 0, 0, 0xffff, 0xffff, 0xffff).Check() != nil {
		return
	}
	s.cursor = cur
}

// loadFont opens the server's "fixed" font for the size label; without it there is no label.
func (s *selector) loadFont() {
	font, err := xproto.NewFontId(s.c)
	if err != nil {
		return
	}
	const name = "fixed"
	if xproto.OpenFontChecked(s.c, font, uint16(len(name)), name).Check() != nil {
		return
	}
	q, err := xproto.QueryFont(s.c, xproto.Fontable(font)).Reply()
	if err != nil || q.MaxBounds.CharacterWidth <= 0 {
		return
	}
	s.font = labelFont{
		ok:     true,
		id:     font,
		width:  int(q.MaxBounds.CharacterWidth),
		ascent: int(q.FontAscent),
		height: int(q.FontAscent) + int(q.FontDescent),
	}
}

// makeGCs creates the graphics contexts the band and its label are drawn with.
func (s *selector) makeGCs() error {
	outline := s.screen.WhitePixel
	// A light blue that shows on both dark and light screens; white if the colour map is full.
	if c, err := xproto.AllocColor(s.c, s.screen.DefaultColormap, 0x3d00, 0xae00, 0xe900).Reply(); err == nil {
		outline = c.Pixel
	}
	type spec struct {
		gc     *xproto.Gcontext
		mask   uint32
		values []uint32
	}
	specs := []spec{
		{&s.lineGC, xproto.GcForeground | xproto.GcGraphicsExposures, []uint32{outline, 0}},
		{&s.boxGC, xproto.GcForeground | xproto.GcGraphicsExposures, []uint32{s.screen.BlackPixel, 0}},
	}
	if s.font.ok {
		specs = append(specs, spec{&s.textGC,
			xproto.GcForeground | xproto.GcBackground | xproto.GcFont | xproto.GcGraphicsExposures,
			[]uint32{s.screen.WhitePixel, s.screen.BlackPixel, uint32(s.font.id), 0}})
	}
	for _, sp := range specs {
		id, err := xproto.NewGcontextId(s.c)
		if err != nil {
			return fmt.Errorf("new graphics context id: %w", err)
		}
		if err := xproto.CreateGCChecked(s.c, id, xproto.Drawable(s.screen.Root), sp.mask, sp.values).Check(); err != nil {
			return fmt.Errorf("create graphics context: %w", err)
		}
		*sp.gc = id
	}
	return nil
}

// grab takes the pointer and the keyboard on the root window, retrying for up to grabWait
// while another client holds them. owner_events is true: events over the selector window
// go to it, all others to the root; both carry root coordinates, which is all run reads.
func (s *selector) grab(ctx context.Context) error {
	deadline := time.Now().Add(grabWait)
	for {
		var status byte
		if !s.pointerGrabbed {
			r, err := xproto.GrabPointer(s.c, true, s.screen.Root,
				xproto.EventMaskButtonPress|xproto.EventMaskButtonRelease|xproto.EventMaskPointerMotion,
				xproto.GrabModeAsync, xproto.GrabModeAsync, 0, s.cursor, xproto.TimeCurrentTime).Reply()
			if err != nil {
				return fmt.Errorf("grab the pointer: %w", err)
			}
			status, s.pointerGrabbed = r.Status, r.Status == xproto.GrabStatusSuccess
		}
		if s.pointerGrabbed && !s.keysGrabbed {
			r, err := xproto.GrabKeyboard(s.c, true, s.screen.Root, xproto.TimeCurrentTime,
				xproto.GrabModeAsync, xproto.GrabModeAsync).Reply()
			if err != nil {
				return fmt.Errorf("grab the keyboard: %w", err)
			}
			status, s.keysGrabbed = r.Status, r.Status == xproto.GrabStatusSuccess
		}
		if s.pointerGrabbed && s.keysGrabbed {
			return nil
		}
		if time.Now().After(deadline) {
			what := "pointer"
			if s.pointerGrabbed {
				what = "keyboard"
			}
			return fmt.Errorf("choose a region: cannot grab the %s (%s) for %v; another program "+
				"(an open menu, a screen locker) holds it, close it and try again", what, grabStatus(status), grabWait)
		}
		t := time.NewTimer(grabRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func grabStatus(s byte) string {
	switch s {
	case xproto.GrabStatusAlreadyGrabbed:
		return "already grabbed"
	case xproto.GrabStatusFrozen:
		return "frozen by another grab"
	case xproto.GrabStatusNotViewable:
		return "window not viewable"
	case xproto.GrabStatusInvalidTime:
		return "invalid time"
	}
	return fmt.Sprintf("status %d", s)
}

// setProperties names the window and marks it with this process's ID (_NET_WM_PID): the
// capture side masks windows with that mark out of the frames it sends.
func (s *selector) setProperties() error {
	names := []string{"_NET_WM_PID", "_NET_WM_NAME", "UTF8_STRING"}
	cookies := make([]xproto.InternAtomCookie, len(names))
	for i, n := range names {
		cookies[i] = xproto.InternAtom(s.c, false, uint16(len(n)), n)
	}
	atoms := make([]xproto.Atom, len(names))
	for i, ck := range cookies {
		r, err := ck.Reply()
		if err != nil {
			return fmt.Errorf("intern atom %s: %w", names[i], err)
		}
		atoms[i] = r.Atom
	}
	for _, ck := range setWindowProperties(s.c, s.win, Title, "livedesk-overlay", atoms[1], atoms[2], atoms[0]) {
		if err := ck.Check(); err != nil {
			return fmt.Errorf("set a property of the selector window: %w", err)
		}
	}
	return nil
}

// setWindowProperties names window w for tools that list windows — title as _NET_WM_NAME
// (UTF-8) and WM_NAME (Latin-1: dashes made ASCII), class as WM_CLASS — and marks it with this
// process's ID in the CARDINAL property mark (_NET_WM_PID for the selector, which the capture
// side greys out; HighlightProperty for highlights, which it does not).
func setWindowProperties(c *xgb.Conn, w xproto.Window, title, class string, netName, utf8, mark xproto.Atom) []xproto.ChangePropertyCookie {
	pid := make([]byte, 4)
	xgb.Put32(pid, uint32(os.Getpid()))
	props := []struct {
		prop, typ xproto.Atom
		format    byte
		data      []byte
	}{
		{mark, xproto.AtomCardinal, 32, pid},
		{netName, utf8, 8, []byte(title)},
		{xproto.AtomWmName, xproto.AtomString, 8, []byte(strings.ReplaceAll(title, "—", "-"))},
		{xproto.AtomWmClass, xproto.AtomString, 8, []byte(class + "\x00LiveDesk\x00")},
	}
	cookies := make([]xproto.ChangePropertyCookie, len(props))
	for i, p := range props {
		n := uint32(len(p.data))
		if p.format == 32 {
			n /= 4
		}
		cookies[i] = xproto.ChangePropertyChecked(c, xproto.PropModeReplace, w, p.prop, p.typ, p.format, n, p.data)
	}
	return cookies
}

// run handles events until the user chooses a region (window coordinates), cancels, or ctx
// ends. Queued events are handled before repainting, so a burst of motion costs one repaint.
func (s *selector) run(ctx context.Context) (image.Rectangle, error) {
	for {
		var full bool
		select {
		case <-ctx.Done():
			return image.Rectangle{}, ctx.Err()
		case e, ok := <-s.events:
			for more := true; more; {
				if !ok {
					return image.Rectangle{}, errors.New("choose a region: the connection to the X server closed")
				}
				r, done, expose, err := s.handle(e)
				if err != nil || done {
					return r, err
				}
				full = full || expose
				e, more, ok = s.queued()
			}
		}
		s.repaint(full)
	}
}

// queued returns an event that is already waiting, without blocking: more is false when
// there is none, open is false when the connection has closed.
func (s *selector) queued() (e xevent, more, open bool) {
	select {
	case e, open = <-s.events:
		return e, true, open
	default:
		return xevent{}, false, true
	}
}

// handle applies one event to the drag state. done means SelectRegion is over with r or err;
// expose means the window lost its drawing and needs a full repaint.
func (s *selector) handle(e xevent) (r image.Rectangle, done, expose bool, err error) {
	if e.err != nil {
		return image.Rectangle{}, true, false, fmt.Errorf("choose a region: X error: %w", e.err)
	}
	switch ev := e.ev.(type) {
	case xproto.ButtonPressEvent:
		switch ev.Detail {
		case 1:
			s.dragging = true
			s.start = s.point(ev.RootX, ev.RootY)
			s.cur = s.start
		case 3:
			return image.Rectangle{}, true, false, ErrCancelled
		}
	case xproto.MotionNotifyEvent:
		if s.dragging {
			s.cur = s.point(ev.RootX, ev.RootY)
		}
	case xproto.ButtonReleaseEvent:
		if ev.Detail != 1 || !s.dragging {
			break
		}
		s.dragging = false
		s.cur = s.point(ev.RootX, ev.RootY)
		if r := dragRect(s.start, s.cur, s.bounds); isRegion(r) {
			return r, true, false, nil
		}
		// A click: the band disappears at the next repaint and the selector keeps waiting.
	case xproto.KeyPressEvent:
		if s.escape[ev.Detail] {
			return image.Rectangle{}, true, false, ErrCancelled
		}
	case xproto.ExposeEvent:
		return image.Rectangle{}, false, ev.Count == 0, nil
	}
	return image.Rectangle{}, false, false, nil
}

// point converts root coordinates to window coordinates.
func (s *selector) point(x, y int16) image.Point {
	return image.Pt(int(x), int(y)).Sub(s.origin)
}

// repaint brings the window from what it shows (s.band, s.label) to the current drag state,
// touching only pixels that change: what leaves the band goes back to the dimmed background,
// what enters it is copied from the bright picture, and the outline and label are drawn
// anew. full repaints everything after an exposure.
func (s *selector) repaint(full bool) {
	var band, label image.Rectangle
	var text string
	if s.dragging {
		band = dragRect(s.start, s.cur, s.bounds)
	}
	if !band.Empty() && s.font.ok {
		text = fmt.Sprintf("%d x %d", band.Dx(), band.Dy())
		size := image.Pt(len(text)*s.font.width+2*labelPad, s.font.height+2*labelPad)
		label = labelRect(band, size, s.bounds)
	}
	if !full && band == s.band && label == s.label && text == s.text {
		return
	}
	oldBand, oldLabel := s.band, s.label
	if full {
		s.clear(oldBand)
		s.clear(oldLabel)
		oldBand, oldLabel = image.Rectangle{}, image.Rectangle{}
	}

	for _, r := range subtract(oldBand, band) {
		s.clear(r)
	}
	for _, r := range subtract(oldLabel, band) {
		s.clear(r)
	}
	for _, r := range append(edges(oldBand, outlineWidth), oldLabel) {
		s.copyBright(r.Intersect(band))
	}
	for _, r := range subtract(band, oldBand) {
		s.copyBright(r)
	}
	s.fill(s.lineGC, edges(band, outlineWidth))
	if !label.Empty() {
		s.fill(s.boxGC, []image.Rectangle{label})
		xproto.ImageText8(s.c, byte(len(text)), xproto.Drawable(s.win), s.textGC,
			int16(label.Min.X+labelPad), int16(label.Min.Y+labelPad+s.font.ascent), text)
	}
	s.band, s.label, s.text = band, label, text
}

// clear repaints r with the window's background, the dimmed picture.
func (s *selector) clear(r image.Rectangle) {
	if r.Empty() { // a zero width or height would mean "to the window's edge"
		return
	}
	xproto.ClearArea(s.c, false, s.win, int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()))
}

// copyBright paints r from the undimmed picture.
func (s *selector) copyBright(r image.Rectangle) {
	if r.Empty() {
		return
	}
	xproto.CopyArea(s.c, xproto.Drawable(s.bright), xproto.Drawable(s.win), s.copyGC,
		int16(r.Min.X), int16(r.Min.Y), int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()))
}

func (s *selector) fill(gc xproto.Gcontext, rs []image.Rectangle) {
	if len(rs) == 0 {
		return
	}
	xr := make([]xproto.Rectangle, len(rs))
	for i, r := range rs {
		xr[i] = xproto.Rectangle{X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy())}
	}
	xproto.PolyFillRectangle(s.c, xproto.Drawable(s.win), gc, xr)
}
