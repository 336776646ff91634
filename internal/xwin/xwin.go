//go:build linux

// Package xwin puts a plain window on an X display for tests that capture the real screen:
// they paint what they want the capture side to see, and the X server does the rest.
package xwin

import (
	"fmt"
	"image"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/livedesk/livedesk/internal/xdisplay"
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
	c, err := xdisplay.Current().Dial()
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

// ID is the X window ID.
func (w *Window) ID() uint32 { return uint32(w.id) }

// SetTitle sets WM_NAME and the UTF-8 _NET_WM_NAME, as toolkits do.
func (w *Window) SetTitle(title string) error {
	if err := xproto.ChangePropertyChecked(w.c, xproto.PropModeReplace, w.id, xproto.AtomWmName,
		xproto.AtomString, 8, uint32(len(title)), []byte(title)).Check(); err != nil {
		return fmt.Errorf("set WM_NAME: %w", err)
	}
	name, err := w.atom("_NET_WM_NAME")
	if err != nil {
		return err
	}
	utf8, err := w.atom("UTF8_STRING")
	if err != nil {
		return err
	}
	if err := xproto.ChangePropertyChecked(w.c, xproto.PropModeReplace, w.id, name, utf8, 8,
		uint32(len(title)), []byte(title)).Check(); err != nil {
		return fmt.Errorf("set _NET_WM_NAME: %w", err)
	}
	return nil
}

// SetIcon sets _NET_WM_ICON to one square icon of the given size filled with argb.
func (w *Window) SetIcon(size int, argb uint32) error {
	a, err := w.atom("_NET_WM_ICON")
	if err != nil {
		return err
	}
	v := make([]byte, 4*(2+size*size))
	put := func(i int, x uint32) {
		v[4*i], v[4*i+1], v[4*i+2], v[4*i+3] = byte(x), byte(x>>8), byte(x>>16), byte(x>>24)
	}
	put(0, uint32(size))
	put(1, uint32(size))
	for i := range size * size {
		put(2+i, argb)
	}
	if err := xproto.ChangePropertyChecked(w.c, xproto.PropModeReplace, w.id, a, xproto.AtomCardinal, 32,
		uint32(2+size*size), v).Check(); err != nil {
		return fmt.Errorf("set _NET_WM_ICON: %w", err)
	}
	return nil
}

// Move places the window at r (root coordinates), as a user dragging or resizing it would.
func (w *Window) Move(r image.Rectangle) error {
	if err := xproto.ConfigureWindowChecked(w.c, w.id,
		xproto.ConfigWindowX|xproto.ConfigWindowY|xproto.ConfigWindowWidth|xproto.ConfigWindowHeight,
		[]uint32{uint32(int32(r.Min.X)), uint32(int32(r.Min.Y)), uint32(r.Dx()), uint32(r.Dy())}).Check(); err != nil {
		return fmt.Errorf("move window: %w", err)
	}
	return nil
}

// Raise puts the window on top of its siblings.
func (w *Window) Raise() error {
	if err := xproto.ConfigureWindowChecked(w.c, w.id, xproto.ConfigWindowStackMode,
		[]uint32{xproto.StackModeAbove}).Check(); err != nil {
		return fmt.Errorf("raise window: %w", err)
	}
	return nil
}

// Show maps (true) or unmaps (false, as minimising does) the window.
func (w *Window) Show(on bool) error {
	var err error
	if on {
		err = xproto.MapWindowChecked(w.c, w.id).Check()
	} else {
		err = xproto.UnmapWindowChecked(w.c, w.id).Check()
	}
	if err != nil {
		return fmt.Errorf("map/unmap window: %w", err)
	}
	return nil
}

// SetClientList stands in for a window manager: it sets the root's _NET_CLIENT_LIST to ws, the
// list a desktop keeps of its top-level windows. Nil clears it.
func SetClientList(ws ...*Window) error {
	c, err := xdisplay.Current().Dial()
	if err != nil {
		return fmt.Errorf("connect to X: %w", err)
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	a, err := xproto.InternAtom(c, false, uint16(len("_NET_CLIENT_LIST")), "_NET_CLIENT_LIST").Reply()
	if err != nil {
		return fmt.Errorf("intern _NET_CLIENT_LIST: %w", err)
	}
	if len(ws) == 0 {
		if err := xproto.DeletePropertyChecked(c, root, a.Atom).Check(); err != nil {
			return fmt.Errorf("delete _NET_CLIENT_LIST: %w", err)
		}
		return nil
	}
	v := make([]byte, 0, 4*len(ws))
	for _, w := range ws {
		v = append(v, byte(w.id), byte(w.id>>8), byte(w.id>>16), byte(w.id>>24))
	}
	if err := xproto.ChangePropertyChecked(c, xproto.PropModeReplace, root, a.Atom, xproto.AtomWindow, 32,
		uint32(len(ws)), v).Check(); err != nil {
		return fmt.Errorf("set _NET_CLIENT_LIST: %w", err)
	}
	return nil
}

func (w *Window) atom(name string) (xproto.Atom, error) {
	a, err := xproto.InternAtom(w.c, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("intern %s: %w", name, err)
	}
	return a.Atom, nil
}
