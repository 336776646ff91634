//go:build linux

package capture

import (
	"fmt"
	"image"
	"os"

	"github.com/jezek/xgb/xproto"
)

// MaskGray is the flat colour that replaces this app's own windows in frames of a shared
// screen: the model sees that something is there, not its own transcript and preview (a hall
// of mirrors that wastes tokens and can feed the model its own words back).
const MaskGray = 0x80

// ownWindows returns the areas, in root-window coordinates, of the viewable windows of process
// pid: top-level windows carrying _NET_WM_PID = pid (GLFW, Fyne's window toolkit, sets it on
// every window it makes), found among the root's children and, under a reparenting window
// manager, their children. Requests go out in batches: four round trips whatever the number
// of windows.
func (x *xconn) ownWindows(pid uint32) ([]image.Rectangle, error) {
	if x.pidAtom == 0 {
		a, err := xproto.InternAtom(x.c, true, uint16(len("_NET_WM_PID")), "_NET_WM_PID").Reply()
		if err != nil {
			return nil, fmt.Errorf("x intern _NET_WM_PID: %w", err)
		}
		if a.Atom == 0 {
			return nil, nil // no client ever set it: no window of ours either
		}
		x.pidAtom = a.Atom
	}
	tree, err := xproto.QueryTree(x.c, x.root).Reply()
	if err != nil {
		return nil, fmt.Errorf("x query tree: %w", err)
	}
	ours, others := x.matchPID(tree.Children, pid)
	// Under a window manager the client window sits inside a frame: look one level down.
	if len(others) > 0 {
		cookies := make([]xproto.QueryTreeCookie, len(others))
		for i, w := range others {
			cookies[i] = xproto.QueryTree(x.c, w)
		}
		var kids []xproto.Window
		for _, ck := range cookies {
			if t, err := ck.Reply(); err == nil {
				kids = append(kids, t.Children...)
			}
		}
		more, _ := x.matchPID(kids, pid)
		ours = append(ours, more...)
	}
	rects := make([]image.Rectangle, 0, len(ours))
	geo := make([]xproto.GetGeometryCookie, len(ours))
	pos := make([]xproto.TranslateCoordinatesCookie, len(ours))
	for i, w := range ours {
		geo[i] = xproto.GetGeometry(x.c, xproto.Drawable(w))
		pos[i] = xproto.TranslateCoordinates(x.c, w, x.root, 0, 0)
	}
	for i := range ours {
		g, gerr := geo[i].Reply()
		p, perr := pos[i].Reply()
		if gerr != nil || perr != nil {
			continue // gone meanwhile
		}
		rects = append(rects, image.Rect(int(p.DstX), int(p.DstY), int(p.DstX)+int(g.Width), int(p.DstY)+int(g.Height)))
	}
	return rects, nil
}

// matchPID splits the viewable windows among ws into those of pid and the others.
func (x *xconn) matchPID(ws []xproto.Window, pid uint32) (ours, others []xproto.Window) {
	attrs := make([]xproto.GetWindowAttributesCookie, len(ws))
	props := make([]xproto.GetPropertyCookie, len(ws))
	for i, w := range ws {
		attrs[i] = xproto.GetWindowAttributes(x.c, w)
		props[i] = xproto.GetProperty(x.c, false, w, x.pidAtom, xproto.AtomCardinal, 0, 1)
	}
	for i, w := range ws {
		a, aerr := attrs[i].Reply()
		p, perr := props[i].Reply()
		if aerr != nil || a.MapState != xproto.MapStateViewable {
			continue
		}
		if perr == nil && p.Format == 32 && len(p.Value) >= 4 && uint32(p.Value[0])|uint32(p.Value[1])<<8|uint32(p.Value[2])<<16|uint32(p.Value[3])<<24 == pid {
			ours = append(ours, w)
		} else {
			others = append(others, w)
		}
	}
	return ours, others
}

// SetHideOwnWindows makes Grab paint this process's own windows flat gray (MaskGray) in every
// frame, wherever they overlap the captured area.
func (s *Screen) SetHideOwnWindows(on bool) {
	s.mu.Lock()
	s.hideOwn = on
	s.mu.Unlock()
}

// SetCovered gives Grab the pictures of what this app's overlays (overlay.Highlighter) cover on
// the screen, as images whose Bounds are in root-window coordinates: every frame shows those
// instead of the overlay. Unlike the app's windows they are never greyed out, whatever
// SetHideOwnWindows says: an outline around a button must leave the button visible.
func (s *Screen) SetCovered(covered func() []*image.RGBA) {
	s.mu.Lock()
	s.covered = covered
	s.mu.Unlock()
}

// maskOwnWindows paints the own windows over s.img; s.mu is held.
func (s *Screen) maskOwnWindows() error {
	rects, err := s.x.ownWindows(uint32(os.Getpid()))
	if err != nil {
		return err
	}
	s.mask(rects)
	return nil
}

// mask paints rects (root coordinates) flat gray where they overlap the frame; s.mu is held.
func (s *Screen) mask(rects []image.Rectangle) {
	for _, r := range rects {
		r = r.Sub(s.rect.Min).Intersect(s.img.Rect)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := s.img.Pix[y*s.img.Stride+4*r.Min.X : y*s.img.Stride+4*r.Max.X]
			for i := 0; i < len(row); i += 4 {
				row[i], row[i+1], row[i+2], row[i+3] = MaskGray, MaskGray, MaskGray, 0xff
			}
		}
	}
}
