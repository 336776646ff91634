//go:build linux

// Package xwin puts a plain window on an X display for tests that capture the real screen:
// they paint what they want the capture side to see, and the X server does the rest.
package xwin

import (
	"fmt"
	"image"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// Window is an override-redirect window (no window manager decorations, stays where it is
// put) with a graphics context for painting.
type Window struct {
	c     *xgb.Conn
	id    xproto.Window
	gc    xproto.Gcontext
	depth byte
}

// Open maps a window covering r on the default screen of $DISPLAY, filled with bg (0xRRGGBB).
func Open(r image.Rectangle, bg uint32) (*Window, error) {
	c, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("connect to X: %w", err)
	}
	w, err := open(c, r, bg)
	if err != nil {
		c.Close()
		return nil, err
	}
	return w, nil
}

func open(c *xgb.Conn, r image.Rectangle, bg uint32) (*Window, error) {
	screen := xproto.Setup(c).DefaultScreen(c)
	wid, err := xproto.NewWindowId(c)
	if err != nil {
		return nil, fmt.Errorf("new window id: %w", err)
	}
	if err := xproto.CreateWindowChecked(c, screen.RootDepth, wid, screen.Root,
		int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0,
		xproto.WindowClassInputOutput, screen.RootVisual,
		xproto.CwBackPixel|xproto.CwOverrideRedirect, []uint32{bg, 1}).Check(); err != nil {
		return nil, fmt.Errorf("create window: %w", err)
	}
	if err := xproto.MapWindowChecked(c, wid).Check(); err != nil {
		return nil, fmt.Errorf("map window: %w", err)
	}
	gc, err := xproto.NewGcontextId(c)
	if err != nil {
		return nil, fmt.Errorf("new graphics context id: %w", err)
	}
	if err := xproto.CreateGCChecked(c, gc, xproto.Drawable(wid), 0, nil).Check(); err != nil {
		return nil, fmt.Errorf("create graphics context: %w", err)
	}
	return &Window{c: c, id: wid, gc: gc, depth: screen.RootDepth}, nil
}

// Close closes the connection, which destroys the window.
func (w *Window) Close() { w.c.Close() }

// Fill paints r (window coordinates) in rgb (0xRRGGBB) and returns once the server has done it,
// so a capture that starts afterwards sees it.
func (w *Window) Fill(r image.Rectangle, rgb uint32) error {
	if err := xproto.ChangeGCChecked(w.c, w.gc, xproto.GcForeground, []uint32{rgb}).Check(); err != nil {
		return fmt.Errorf("set colour: %w", err)
	}
	rect := xproto.Rectangle{X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy())}
	if err := xproto.PolyFillRectangleChecked(w.c, xproto.Drawable(w.id), w.gc, []xproto.Rectangle{rect}).Check(); err != nil {
		return fmt.Errorf("fill: %w", err)
	}
	return nil
}

// Put draws m with its top-left corner at the window's origin.
func (w *Window) Put(m *image.RGBA) error {
	size := m.Rect.Size()
	// X pixels are B, G, R, X in memory. A request is limited to 256 KiB without BIG-REQUESTS,
	// so the image goes in bands of rows.
	rows := max(1, 200_000/(size.X*4))
	data := make([]byte, size.X*rows*4)
	for y := 0; y < size.Y; y += rows {
		n := min(rows, size.Y-y)
		for i := range n * size.X {
			p := m.Pix[m.PixOffset(m.Rect.Min.X+i%size.X, m.Rect.Min.Y+y+i/size.X):]
			data[i*4], data[i*4+1], data[i*4+2], data[i*4+3] = p[2], p[1], p[0], 0
		}
		if err := xproto.PutImageChecked(w.c, xproto.ImageFormatZPixmap, xproto.Drawable(w.id), w.gc,
			uint16(size.X), uint16(n), 0, int16(y), 0, w.depth, data[:n*size.X*4]).Check(); err != nil {
			return fmt.Errorf("put image: %w", err)
		}
	}
	return nil
}

// SetPID marks the window as belonging to process pid (_NET_WM_PID), as GLFW marks the app's
// own windows, so a test can stand in for one of them.
func (w *Window) SetPID(pid uint32) error {
	a, err := xproto.InternAtom(w.c, false, uint16(len("_NET_WM_PID")), "_NET_WM_PID").Reply()
	if err != nil {
		return fmt.Errorf("intern _NET_WM_PID: %w", err)
	}
	v := []byte{byte(pid), byte(pid >> 8), byte(pid >> 16), byte(pid >> 24)}
	if err := xproto.ChangePropertyChecked(w.c, xproto.PropModeReplace, w.id, a.Atom, xproto.AtomCardinal, 32, 1, v).Check(); err != nil {
		return fmt.Errorf("set _NET_WM_PID: %w", err)
	}
	return nil
}
