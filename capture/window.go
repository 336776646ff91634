//go:build linux

package capture

import (
	"encoding/binary"
	"fmt"
	"image"
	"os"
	"strings"

	"github.com/jezek/xgb/xproto"
	"github.com/livedesk/livedesk/overlay"
)

// maxIconWords bounds how much of _NET_WM_ICON is read: some programs attach a dozen sizes
// up to 512×512, and the picker needs one small one.
const maxIconWords = 128 * 128 * 4

// Windows lists the top-level windows a user may share, from the window manager's client list
// (_NET_CLIENT_LIST, kept by every current X11 window manager), in its order. Without that list
// (no window manager) it falls back to the root's mapped children that carry a title. This
// process's own windows are left out: sharing them is the hall of mirrors the masking prevents.
func Windows() ([]Window, error) {
	c, err := connectX()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return newXConn(c).windows(true)
}

// windows lists the shareable windows; icons costs one more request per window.
func (x *xconn) windows(icons bool) ([]Window, error) {
	ids, err := x.clientList()
	if err != nil {
		return nil, err
	}
	if x.pidAtom == 0 {
		x.pidAtom = x.atom("_NET_WM_PID")
	}
	utf8, netName, iconAtom := x.atom("UTF8_STRING"), x.atom("_NET_WM_NAME"), x.atom("_NET_WM_ICON")
	type cookies struct {
		attr              xproto.GetWindowAttributesCookie
		geo               xproto.GetGeometryCookie
		pos               xproto.TranslateCoordinatesCookie
		pid, name, wmName xproto.GetPropertyCookie
		icon              xproto.GetPropertyCookie
	}
	cs := make([]cookies, len(ids))
	for i, w := range ids {
		cs[i] = cookies{
			attr:   xproto.GetWindowAttributes(x.c, w),
			geo:    xproto.GetGeometry(x.c, xproto.Drawable(w)),
			pos:    xproto.TranslateCoordinates(x.c, w, x.root, 0, 0),
			pid:    xproto.GetProperty(x.c, false, w, x.pidAtom, xproto.AtomCardinal, 0, 1),
			name:   xproto.GetProperty(x.c, false, w, netName, utf8, 0, 256),
			wmName: xproto.GetProperty(x.c, false, w, xproto.AtomWmName, xproto.AtomAny, 0, 256),
		}
		if icons && iconAtom != 0 {
			cs[i].icon = xproto.GetProperty(x.c, false, w, iconAtom, xproto.AtomCardinal, 0, maxIconWords)
		}
	}
	self := uint32(os.Getpid())
	var out []Window
	for i, w := range ids {
		a, aerr := cs[i].attr.Reply()
		g, gerr := cs[i].geo.Reply()
		p, perr := cs[i].pos.Reply()
		pid, _ := cs[i].pid.Reply()
		name, _ := cs[i].name.Reply()
		wmName, _ := cs[i].wmName.Reply()
		var icon *xproto.GetPropertyReply
		if icons && iconAtom != 0 {
			icon, _ = cs[i].icon.Reply()
		}
		if aerr != nil || gerr != nil || perr != nil {
			continue // gone meanwhile
		}
		win := Window{
			ID:     uint32(w),
			Title:  windowTitle(name, wmName),
			Bounds: image.Rect(int(p.DstX), int(p.DstY), int(p.DstX)+int(g.Width), int(p.DstY)+int(g.Height)),
			Hidden: a.MapState != xproto.MapStateViewable,
		}
		if v, ok := cardinal(pid); ok {
			win.PID = int(v)
			if v == self {
				continue
			}
		}
		if icon != nil {
			win.Icon = pickIcon(icon.Value, 32)
		}
		out = append(out, win)
	}
	return out, nil
}

// clientList reads _NET_CLIENT_LIST, or without a window manager the root's mapped children
// that have a title.
func (x *xconn) clientList() ([]xproto.Window, error) {
	if a := x.atom("_NET_CLIENT_LIST"); a != 0 {
		r, err := xproto.GetProperty(x.c, false, x.root, a, xproto.AtomWindow, 0, 4096).Reply()
		if err != nil {
			return nil, fmt.Errorf("x read the window list: %w", err)
		}
		if r.Format == 32 && r.ValueLen > 0 {
			ids := make([]xproto.Window, r.ValueLen)
			for i := range ids {
				ids[i] = xproto.Window(binary.LittleEndian.Uint32(r.Value[4*i:]))
			}
			return ids, nil
		}
	}
	tree, err := xproto.QueryTree(x.c, x.root).Reply()
	if err != nil {
		return nil, fmt.Errorf("x query tree: %w", err)
	}
	attrs := make([]xproto.GetWindowAttributesCookie, len(tree.Children))
	names := make([]xproto.GetPropertyCookie, len(tree.Children))
	for i, w := range tree.Children {
		attrs[i] = xproto.GetWindowAttributes(x.c, w)
		names[i] = xproto.GetProperty(x.c, false, w, xproto.AtomWmName, xproto.AtomAny, 0, 1)
	}
	var ids []xproto.Window
	for i, w := range tree.Children {
		a, aerr := attrs[i].Reply()
		n, nerr := names[i].Reply()
		if aerr == nil && nerr == nil && a.MapState == xproto.MapStateViewable && !a.OverrideRedirect && n.ValueLen > 0 {
			ids = append(ids, w)
		}
	}
	return ids, nil
}

// atom returns the named atom, or 0 when no client ever created it.
func (x *xconn) atom(name string) xproto.Atom {
	if a, ok := x.atoms[name]; ok {
		return a
	}
	r, err := xproto.InternAtom(x.c, true, uint16(len(name)), name).Reply()
	if err != nil {
		return 0
	}
	if r.Atom != 0 {
		if x.atoms == nil {
			x.atoms = map[string]xproto.Atom{}
		}
		x.atoms[name] = r.Atom
	}
	return r.Atom
}

// windowTitle prefers the UTF-8 _NET_WM_NAME; WM_NAME is Latin-1 by the ICCCM, though many
// programs put UTF-8 there too.
func windowTitle(netName, wmName *xproto.GetPropertyReply) string {
	if netName != nil && netName.Format == 8 && netName.ValueLen > 0 {
		return strings.ToValidUTF8(string(netName.Value), "�")
	}
	if wmName != nil && wmName.Format == 8 && wmName.ValueLen > 0 {
		return strings.ToValidUTF8(string(wmName.Value), "�")
	}
	return ""
}

func cardinal(r *xproto.GetPropertyReply) (uint32, bool) {
	if r == nil || r.Format != 32 || len(r.Value) < 4 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(r.Value), true
}

// pickIcon decodes the _NET_WM_ICON size closest to want (preferring larger): the property
// is a run of (width, height, width×height ARGB words), each word non-premultiplied.
func pickIcon(v []byte, want int) image.Image {
	best, bestOff, bestW, bestH := -1, 0, 0, 0
	for off := 0; off+8 <= len(v); {
		w := int(binary.LittleEndian.Uint32(v[off:]))
		h := int(binary.LittleEndian.Uint32(v[off+4:]))
		if w <= 0 || h <= 0 || w > 1024 || h > 1024 || off+8+4*w*h > len(v) {
			break // a truncated or bogus entry ends the list
		}
		score := w - want
		if score < 0 {
			score = -score * 4 // a small icon scaled up looks worse than a large one scaled down
		}
		if best < 0 || score < best {
			best, bestOff, bestW, bestH = score, off+8, w, h
		}
		off += 8 + 4*w*h
	}
	if best < 0 {
		return nil
	}
	img := image.NewNRGBA(image.Rect(0, 0, bestW, bestH))
	for i := range bestW * bestH {
		p := binary.LittleEndian.Uint32(v[bestOff+4*i:])
		img.Pix[4*i] = uint8(p >> 16)
		img.Pix[4*i+1] = uint8(p >> 8)
		img.Pix[4*i+2] = uint8(p)
		img.Pix[4*i+3] = uint8(p >> 24)
	}
	return img
}

// windowRect is where window w is now, in root coordinates, clipped to the root.
func (x *xconn) windowRect(w xproto.Window) (image.Rectangle, error) {
	attrCk := xproto.GetWindowAttributes(x.c, w)
	geoCk := xproto.GetGeometry(x.c, xproto.Drawable(w))
	posCk := xproto.TranslateCoordinates(x.c, w, x.root, 0, 0)
	a, aerr := attrCk.Reply()
	g, gerr := geoCk.Reply()
	p, perr := posCk.Reply()
	if aerr != nil || gerr != nil || perr != nil {
		switch err := firstErr(aerr, gerr, perr); err.(type) {
		case xproto.WindowError, xproto.DrawableError:
			return image.Rectangle{}, fmt.Errorf("window %#x: %w", uint32(w), ErrWindowGone)
		default:
			return image.Rectangle{}, fmt.Errorf("x locate window %#x: %v: %w", uint32(w), err, ErrXUnreachable)
		}
	}
	if a.MapState != xproto.MapStateViewable {
		return image.Rectangle{}, fmt.Errorf("window %#x is minimised or unmapped: %w", uint32(w), ErrWindowHidden)
	}
	root, err := x.rootSize()
	if err != nil {
		return image.Rectangle{}, err
	}
	r := image.Rect(int(p.DstX), int(p.DstY), int(p.DstX)+int(g.Width), int(p.DstY)+int(g.Height))
	r = r.Intersect(image.Rectangle{Max: root})
	if r.Empty() {
		return image.Rectangle{}, fmt.Errorf("window %#x is off the screen: %w", uint32(w), ErrWindowHidden)
	}
	return r, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// highlightAtom is overlay.HighlightProperty's atom, interned once per connection. It is
// created if no highlight has been shown yet (atom only looks existing ones up, and a miss
// cannot be kept: the first highlight may come later), so each grab costs no round trip for it.
func (x *xconn) highlightAtom() (xproto.Atom, error) {
	name := overlay.HighlightProperty
	if a, ok := x.atoms[name]; ok {
		return a, nil
	}
	r, err := xproto.InternAtom(x.c, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("x intern %s: %w", name, err)
	}
	if x.atoms == nil {
		x.atoms = map[string]xproto.Atom{}
	}
	x.atoms[name] = r.Atom
	return r.Atom, nil
}

// windowsAbove returns the areas of the viewable top-level windows stacked above w (a menu,
// a notification, another program's window dragged over it) that overlap area: a window share
// shows that window only. Under a reparenting window manager w's top level is its frame.
func (x *xconn) windowsAbove(w xproto.Window, area image.Rectangle) ([]image.Rectangle, error) {
	top := w
	for range 8 { // frames nest one or two deep; the bound guards against a malicious tree
		t, err := xproto.QueryTree(x.c, top).Reply()
		if err != nil {
			return nil, fmt.Errorf("window %#x: %w", uint32(w), ErrWindowGone)
		}
		if t.Parent == x.root || t.Parent == 0 {
			break
		}
		top = t.Parent
	}
	tree, err := xproto.QueryTree(x.c, x.root).Reply()
	if err != nil {
		return nil, fmt.Errorf("x query tree: %w", err)
	}
	i := 0
	for i < len(tree.Children) && tree.Children[i] != top {
		i++
	}
	above := tree.Children[min(i+1, len(tree.Children)):] // children come bottom to top
	attrs := make([]xproto.GetWindowAttributesCookie, len(above))
	geos := make([]xproto.GetGeometryCookie, len(above))
	// This app's highlights are not painted over: SetCovered puts back what they cover, and
	// greying a box would hide the very thing it points at.
	mark, err := x.highlightAtom()
	if err != nil {
		return nil, err
	}
	marks := make([]xproto.GetPropertyCookie, len(above))
	for j, c := range above {
		attrs[j] = xproto.GetWindowAttributes(x.c, c)
		geos[j] = xproto.GetGeometry(x.c, xproto.Drawable(c))
		marks[j] = xproto.GetProperty(x.c, false, c, mark, xproto.AtomAny, 0, 0)
	}
	var rects []image.Rectangle
	for j := range above {
		a, aerr := attrs[j].Reply()
		g, gerr := geos[j].Reply()
		if aerr != nil || gerr != nil || a.MapState != xproto.MapStateViewable || a.Class == xproto.WindowClassInputOnly {
			continue
		}
		if p, err := marks[j].Reply(); err == nil && p.Type != xproto.AtomNone {
			continue
		}
		bw := int(g.BorderWidth)
		r := image.Rect(int(g.X), int(g.Y), int(g.X)+int(g.Width)+2*bw, int(g.Y)+int(g.Height)+2*bw)
		if r.Overlaps(area) {
			rects = append(rects, r)
		}
	}
	return rects, nil
}
