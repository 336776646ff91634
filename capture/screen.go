//go:build linux

package capture

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	mshm "github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"
	"github.com/livedesk/livedesk/internal/xdisplay"
	"golang.org/x/sys/unix"
)

// disableSHM forces the plain GetImage path; tests set it.
var disableSHM bool

// connectX opens a connection to the X server named by DISPLAY, mapping the
// failure modes to errors that say what the user can do.
func connectX() (*xgb.Conn, error) {
	x := xdisplay.Current()
	if x.Display == "" {
		if x.Wayland {
			return nil, fmt.Errorf("screen capture needs X: this is a Wayland session and DISPLAY is not set; "+
				"enable XWayland or log in to an X11 (Xorg) session: %w", ErrWaylandNoX)
		}
		return nil, fmt.Errorf("screen capture needs an X server but DISPLAY is not set; "+
			"run the app inside a graphical X11 session: %w", ErrNoDisplay)
	}
	c, err := x.Dial()
	if err != nil {
		if x.Wayland {
			return nil, fmt.Errorf("%v (XWayland); check that XWayland is running, or log in to an X11 session: %w", err, ErrWaylandNoX)
		}
		return nil, fmt.Errorf("%v; check that the X server is running and DISPLAY/XAUTHORITY are right (try xdpyinfo): %w",
			err, ErrXUnreachable)
	}
	return c, nil
}

// Displays lists the monitors of the X screen, in the server's order (the
// primary monitor first on RandR 1.5 servers). It asks RandR 1.5 for its
// monitors, falls back to Xinerama, and then to the whole root window.
func Displays() ([]Display, error) {
	c, err := connectX()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return newXConn(c).displays(true)
}

// extInit serialises extension set-up: jezek/xgb's extension Init functions
// write process-wide maps.
var extInit sync.Mutex

// xconn is an X connection with the monitor-listing extensions it has.
type xconn struct {
	c        *xgb.Conn
	root     xproto.Window
	randr15  bool
	xinerama bool
	xfixes   bool        // XFixes 2+ (cursor images)
	pidAtom  xproto.Atom // _NET_WM_PID, once interned
	atoms    map[string]xproto.Atom
}

func newXConn(c *xgb.Conn) *xconn {
	x := &xconn{c: c, root: xproto.Setup(c).DefaultScreen(c).Root}
	extInit.Lock()
	defer extInit.Unlock()
	if randr.Init(c) == nil {
		v, err := randr.QueryVersion(c, 1, 5).Reply()
		x.randr15 = err == nil && (v.MajorVersion > 1 || (v.MajorVersion == 1 && v.MinorVersion >= 5))
	}
	if xinerama.Init(c) == nil {
		a, err := xinerama.IsActive(c).Reply()
		x.xinerama = err == nil && a.State != 0
	}
	if xfixes.Init(c) == nil {
		v, err := xfixes.QueryVersion(c, 4, 0).Reply()
		x.xfixes = err == nil && v.MajorVersion >= 2
	}
	return x
}

// rootSize returns the current size of the root window (the X setup data
// goes stale when the screen is resized).
func (x *xconn) rootSize() (image.Point, error) {
	g, err := xproto.GetGeometry(x.c, xproto.Drawable(x.root)).Reply()
	if err != nil {
		return image.Point{}, fmt.Errorf("x get root geometry: %v: %w", err, ErrXUnreachable)
	}
	return image.Pt(int(g.Width), int(g.Height)), nil
}

// displays lists the monitors now; names costs one round trip per monitor.
func (x *xconn) displays(names bool) ([]Display, error) {
	var ds []Display
	if x.randr15 {
		ds = x.randrMonitors(names)
	}
	if len(ds) == 0 && x.xinerama {
		ds = x.xineramaScreens()
	}
	if len(ds) == 0 {
		root, err := x.rootSize()
		if err != nil {
			return nil, err
		}
		ds = []Display{{Bounds: image.Rectangle{Max: root}}}
	}
	primary := false
	for i := range ds {
		ds[i].Index = i
		primary = primary || ds[i].Primary
	}
	if !primary {
		ds[0].Primary = true
	}
	return ds, nil
}

// randrMonitors lists RandR 1.5 monitors.
func (x *xconn) randrMonitors(names bool) []Display {
	r, err := randr.GetMonitors(x.c, x.root, true).Reply()
	if err != nil {
		return nil
	}
	var ds []Display
	for _, m := range r.Monitors {
		if m.Width == 0 || m.Height == 0 {
			continue
		}
		d := Display{
			Bounds:  image.Rect(int(m.X), int(m.Y), int(m.X)+int(m.Width), int(m.Y)+int(m.Height)),
			Primary: m.Primary,
		}
		if names {
			if name, err := xproto.GetAtomName(x.c, m.Name).Reply(); err == nil {
				d.Name = name.Name
			}
		}
		ds = append(ds, d)
	}
	return ds
}

// xineramaScreens lists Xinerama screens.
func (x *xconn) xineramaScreens() []Display {
	r, err := xinerama.QueryScreens(x.c).Reply()
	if err != nil {
		return nil
	}
	var ds []Display
	for _, s := range r.ScreenInfo {
		b := image.Rect(int(s.XOrg), int(s.YOrg), int(s.XOrg)+int(s.Width), int(s.YOrg)+int(s.Height))
		ds = append(ds, Display{Bounds: b})
	}
	return ds
}

// Screen captures part of the X screen. It keeps one X connection and, when
// the server supports MIT-SHM on this machine, one shared-memory segment the
// server writes each frame into, so a grab costs a few round trips and a
// pixel swizzle and allocates nothing. Each Grab re-reads the monitor layout,
// so a resized screen or rearranged monitors are followed.
//
// The image returned by Grab is overwritten by the next Grab.
type Screen struct {
	mu     sync.Mutex
	x      *xconn
	target ScreenTarget
	rect   image.Rectangle
	seg    mshm.Seg
	shm    []byte // attached segment, nil without MIT-SHM
	noSHM  bool   // MIT-SHM failed once; do not retry
	buf    []byte // pixels when MIT-SHM is not available
	img    image.RGBA
	closed bool
	// hideOwn paints this process's windows gray in every frame (SetHideOwnWindows).
	hideOwn bool
	// covered returns what this app's overlays cover (SetCovered); nil: nothing.
	covered func() []*image.RGBA
}

// NewScreen connects to the X server and prepares to capture t.
func NewScreen(t ScreenTarget) (*Screen, error) {
	c, err := connectX()
	if err != nil {
		return nil, err
	}
	setup := xproto.Setup(c)
	if err := checkPixelFormat(setup, setup.DefaultScreen(c)); err != nil {
		c.Close()
		return nil, err
	}
	s := &Screen{x: newXConn(c), target: t, noSHM: disableSHM}
	r, err := s.resolve()
	if err == nil {
		s.setRect(r)
		return s, nil
	}
	if errors.Is(err, ErrWindowHidden) {
		return s, nil // a minimised window: capture starts paused, Grab says why
	}
	c.Close()
	return nil, err
}

// resolve finds the target's rectangle in the current layout.
func (s *Screen) resolve() (image.Rectangle, error) {
	if s.target.Window != 0 {
		return s.x.windowRect(xproto.Window(s.target.Window))
	}
	ds, err := s.x.displays(false)
	if err != nil {
		return image.Rectangle{}, err
	}
	r, err := targetRect(ds, s.target)
	if err != nil {
		return image.Rectangle{}, err
	}
	root, err := s.x.rootSize()
	if err != nil {
		return image.Rectangle{}, err
	}
	// The root window is the bounding box of all displays; stay inside it.
	r = r.Intersect(image.Rectangle{Max: root})
	if r.Empty() {
		return image.Rectangle{}, fmt.Errorf("capture area lies outside the X screen: %w", ErrNoSuchDisplay)
	}
	return r, nil
}

// setRect (re)allocates the capture buffers for r.
func (s *Screen) setRect(r image.Rectangle) {
	if s.rect.Size() != r.Size() || (s.shm == nil && s.buf == nil) {
		// A failed detach leaves the old segment to the kernel (it is
		// already marked for removal); capture goes on with a new one.
		_ = s.detachSHM()
		s.buf = nil
		if !s.noSHM {
			s.attachSHM(r.Dx() * r.Dy() * 4)
			s.noSHM = s.shm == nil
		}
		if s.shm == nil {
			s.buf = make([]byte, r.Dx()*r.Dy()*4)
		}
	}
	s.rect = r
	pix := s.buf
	if s.shm != nil {
		pix = s.shm[:r.Dx()*r.Dy()*4]
	}
	s.img = image.RGBA{Pix: pix, Stride: r.Dx() * 4, Rect: image.Rectangle{Max: r.Size()}}
}

// checkPixelFormat accepts the 24/32-bit TrueColor layouts every current X
// server uses (BGRX in memory) and rejects the rest with a clear error.
func checkPixelFormat(setup *xproto.SetupInfo, screen *xproto.ScreenInfo) error {
	if screen.RootDepth != 24 && screen.RootDepth != 32 {
		return fmt.Errorf("x screen depth %d is not supported (need 24 or 32 bits)", screen.RootDepth)
	}
	if setup.ImageByteOrder != xproto.ImageOrderLSBFirst {
		return fmt.Errorf("x server uses big-endian images, which are not supported")
	}
	bpp := 0
	for _, f := range setup.PixmapFormats {
		if f.Depth == screen.RootDepth {
			bpp = int(f.BitsPerPixel)
		}
	}
	if bpp != 32 {
		return fmt.Errorf("x screen depth %d uses %d bits per pixel; only 32 is supported", screen.RootDepth, bpp)
	}
	for _, d := range screen.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId == screen.RootVisual &&
				(v.RedMask != 0xff0000 || v.GreenMask != 0xff00 || v.BlueMask != 0xff) {
				return fmt.Errorf("x root visual masks %#x/%#x/%#x are not supported", v.RedMask, v.GreenMask, v.BlueMask)
			}
		}
	}
	return nil
}

// attachSHM sets up a shared-memory segment the X server can write frames
// into. Failure (remote X server, no MIT-SHM, SHM limits) leaves s.shm nil
// and Grab falls back to plain GetImage.
func (s *Screen) attachSHM(size int) {
	extInit.Lock()
	err := mshm.Init(s.x.c)
	extInit.Unlock()
	if err != nil {
		return
	}
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|0o600)
	if err != nil {
		return
	}
	// Mark the segment for removal right away: it lives until both this
	// process and the X server detach, so a crash cannot leak it.
	defer func() { _, _ = unix.SysvShmCtl(id, unix.IPC_RMID, nil) }()
	data, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		return
	}
	seg, err := mshm.NewSegId(s.x.c)
	if err != nil {
		_ = unix.SysvShmDetach(data)
		return
	}
	if err := mshm.AttachChecked(s.x.c, seg, uint32(id), false).Check(); err != nil {
		_ = unix.SysvShmDetach(data)
		return
	}
	s.seg, s.shm = seg, data
}

// detachSHM releases the shared-memory segment, if any.
func (s *Screen) detachSHM() error {
	if s.shm == nil {
		return nil
	}
	var err error
	// A round trip makes sure the server has detached before we do.
	if derr := mshm.DetachChecked(s.x.c, s.seg).Check(); derr != nil {
		err = fmt.Errorf("x shm detach: %w", derr)
	}
	if derr := unix.SysvShmDetach(s.shm); derr != nil && err == nil {
		err = fmt.Errorf("shm detach: %w", derr)
	}
	s.shm = nil
	return err
}

// Bounds returns the captured area in root-window coordinates, as of the
// last Grab.
func (s *Screen) Bounds() image.Rectangle {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rect
}

// Locate returns where the target is on the desktop now (a shared window may have moved since
// the last Grab), in root-window coordinates, without capturing anything.
func (s *Screen) Locate() (image.Rectangle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return image.Rectangle{}, ErrClosed
	}
	return s.resolve()
}

// SharedMemory reports whether frames arrive through MIT-SHM.
func (s *Screen) SharedMemory() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shm != nil
}

// Grab captures the target area. The returned *image.RGBA is reused by the
// next Grab.
func (s *Screen) Grab(ctx context.Context) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	r, err := s.resolve()
	if err != nil {
		return nil, err
	}
	if r != s.rect {
		s.setRect(r)
	}
	x, y, w, h := int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy())
	if s.shm != nil {
		_, err := mshm.GetImage(s.x.c, xproto.Drawable(s.x.root), x, y, w, h, 0xffffffff,
			xproto.ImageFormatZPixmap, s.seg, 0).Reply()
		if err != nil {
			return nil, fmt.Errorf("x shm get image %v: %w", r, err)
		}
	} else {
		reply, err := xproto.GetImage(s.x.c, xproto.ImageFormatZPixmap, xproto.Drawable(s.x.root),
			x, y, w, h, 0xffffffff).Reply()
		if err != nil {
			return nil, fmt.Errorf("x get image %v: %w", r, err)
		}
		if len(reply.Data) < len(s.buf) {
			return nil, fmt.Errorf("x get image %v: got %d bytes, want %d", r, len(reply.Data), len(s.buf))
		}
		copy(s.buf, reply.Data)
	}
	bgrxToRGBA(s.img.Pix)
	if s.covered != nil {
		uncover(&s.img, s.rect.Min, s.covered())
	}
	if s.target.Window != 0 {
		above, err := s.x.windowsAbove(xproto.Window(s.target.Window), s.rect)
		if err != nil {
			return nil, err
		}
		s.mask(above)
	}
	if s.hideOwn {
		if err := s.maskOwnWindows(); err != nil {
			return nil, err // never send a frame that may show what should be hidden
		}
	}
	if s.target.Cursor && s.x.xfixes {
		if err := s.drawCursor(); err != nil {
			return nil, err
		}
	}
	return &s.img, nil
}

// drawCursor blends the current mouse pointer image into s.img.
func (s *Screen) drawCursor() error {
	cur, err := xfixes.GetCursorImage(s.x.c).Reply()
	if err != nil {
		return fmt.Errorf("x get cursor image: %w", err)
	}
	at := image.Pt(int(cur.X)-int(cur.Xhot), int(cur.Y)-int(cur.Yhot)).Sub(s.rect.Min)
	blendCursor(&s.img, at, int(cur.Width), int(cur.Height), cur.CursorImage)
	return nil
}

// blendCursor draws a w×h cursor of premultiplied ARGB pixels onto dst with
// its top-left corner at p, clipped to dst.
func blendCursor(dst *image.RGBA, p image.Point, w, h int, argb []uint32) {
	if len(argb) < w*h {
		return
	}
	r := image.Rect(p.X, p.Y, p.X+w, p.Y+h).Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := argb[(y-p.Y)*w+(x-p.X)]
			a := c >> 24
			if a == 0 {
				continue
			}
			o := dst.Pix[dst.PixOffset(x, y):]
			o = o[:3:3]
			inv := 255 - a
			o[0] = uint8((c>>16)&0xff + (uint32(o[0])*inv+127)/255)
			o[1] = uint8((c>>8)&0xff + (uint32(o[1])*inv+127)/255)
			o[2] = uint8(c&0xff + (uint32(o[2])*inv+127)/255)
		}
	}
}

// bgrxToRGBA converts little-endian X pixels (B, G, R, unused) to RGBA in
// place, two pixels per 64-bit word.
func bgrxToRGBA(pix []byte) {
	i := 0
	for ; i+8 <= len(pix); i += 8 {
		v := binary.LittleEndian.Uint64(pix[i:])
		v = (v>>16)&0x0000_00ff_0000_00ff | v&0x0000_ff00_0000_ff00 |
			(v&0x0000_00ff_0000_00ff)<<16 | 0xff00_0000_ff00_0000
		binary.LittleEndian.PutUint64(pix[i:], v)
	}
	if i+4 <= len(pix) {
		v := binary.LittleEndian.Uint32(pix[i:])
		v = (v>>16)&0xff | v&0xff00 | (v&0xff)<<16 | 0xff000000
		binary.LittleEndian.PutUint32(pix[i:], v)
	}
}

// Close releases the shared memory and the X connection. It is idempotent.
func (s *Screen) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.detachSHM()
	s.img.Pix = nil
	s.x.c.Close()
	return err
}

var _ Source = (*Screen)(nil)
