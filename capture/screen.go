//go:build linux

package capture

import (
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"log"
	"os"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	mshm "github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"
	"golang.org/x/sys/unix"
)

// Display is one monitor of the X screen.
type Display struct {
	Index   int
	Bounds  image.Rectangle // in root-window (virtual desktop) coordinates
	Primary bool
	Name    string // RandR monitor name (e.g. "DP-1"), empty when unknown
}

// ScreenTarget chooses what a Screen captures.
type ScreenTarget struct {
	// Display is the index of the display to capture, or -1 for all displays
	// side by side (the bounding box of the virtual desktop).
	Display int
	// Region, when not empty, is the part of the display (or of the whole
	// desktop when Display is -1) to capture, relative to its top-left
	// corner. It is clipped to the display.
	Region image.Rectangle
}

// AllDisplays is the ScreenTarget.Display value that captures every display.
const AllDisplays = -1

var silenceXGB sync.Once

// disableSHM forces the plain GetImage path; tests set it.
var disableSHM bool

// connectX opens a connection to the X server named by DISPLAY, mapping the
// failure modes to errors that say what the user can do.
func connectX() (*xgb.Conn, error) {
	// jezek/xgb logs two lines to stderr on every connection when there is
	// no ~/.Xauthority (normal under Xvfb and some sessions); errors are
	// returned to us anyway.
	silenceXGB.Do(func() { xgb.Logger = log.New(io.Discard, "", 0) })

	display := os.Getenv("DISPLAY")
	wayland := os.Getenv("WAYLAND_DISPLAY") != "" || os.Getenv("XDG_SESSION_TYPE") == "wayland"
	if display == "" {
		if wayland {
			return nil, fmt.Errorf("screen capture needs X: this is a Wayland session and DISPLAY is not set; "+
				"enable XWayland or log in to an X11 (Xorg) session: %w", ErrWaylandNoX)
		}
		return nil, fmt.Errorf("screen capture needs an X server but DISPLAY is not set; "+
			"run the app inside a graphical X11 session: %w", ErrNoDisplay)
	}
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		if wayland {
			return nil, fmt.Errorf("connect to XWayland at DISPLAY=%q: %v; "+
				"check that XWayland is running, or log in to an X11 session: %w", display, err, ErrWaylandNoX)
		}
		return nil, fmt.Errorf("connect to X display %q: %v; "+
			"check that the X server is running and DISPLAY/XAUTHORITY are right (try xdpyinfo): %w",
			display, err, ErrXUnreachable)
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
	return queryDisplays(c), nil
}

func queryDisplays(c *xgb.Conn) []Display {
	screen := xproto.Setup(c).DefaultScreen(c)
	ds := randrMonitors(c, screen.Root)
	if len(ds) == 0 {
		ds = xineramaScreens(c)
	}
	if len(ds) == 0 {
		ds = []Display{{Bounds: image.Rect(0, 0, int(screen.WidthInPixels), int(screen.HeightInPixels))}}
	}
	primary := false
	for i := range ds {
		ds[i].Index = i
		primary = primary || ds[i].Primary
	}
	if !primary {
		ds[0].Primary = true
	}
	return ds
}

// randrMonitors lists RandR 1.5 monitors; nil when RandR is too old.
func randrMonitors(c *xgb.Conn, root xproto.Window) []Display {
	if err := randr.Init(c); err != nil {
		return nil
	}
	v, err := randr.QueryVersion(c, 1, 5).Reply()
	if err != nil || v.MajorVersion < 1 || (v.MajorVersion == 1 && v.MinorVersion < 5) {
		return nil
	}
	r, err := randr.GetMonitors(c, root, true).Reply()
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
		if name, err := xproto.GetAtomName(c, m.Name).Reply(); err == nil {
			d.Name = name.Name
		}
		ds = append(ds, d)
	}
	return ds
}

// xineramaScreens lists Xinerama screens; nil when Xinerama is inactive.
func xineramaScreens(c *xgb.Conn) []Display {
	if err := xinerama.Init(c); err != nil {
		return nil
	}
	active, err := xinerama.IsActive(c).Reply()
	if err != nil || active.State == 0 {
		return nil
	}
	r, err := xinerama.QueryScreens(c).Reply()
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

// targetRect resolves t against the displays into root coordinates.
func targetRect(ds []Display, t ScreenTarget) (image.Rectangle, error) {
	var area image.Rectangle
	switch {
	case t.Display == AllDisplays:
		for _, d := range ds {
			area = area.Union(d.Bounds)
		}
	case t.Display >= 0 && t.Display < len(ds):
		area = ds[t.Display].Bounds
	default:
		return image.Rectangle{}, fmt.Errorf("display %d (have %d): %w", t.Display, len(ds), ErrNoSuchDisplay)
	}
	if t.Region.Empty() {
		return area, nil
	}
	r := t.Region.Add(area.Min).Intersect(area)
	if r.Empty() {
		return image.Rectangle{}, fmt.Errorf("region %v lies outside display %v (%dx%d)",
			t.Region, t.Display, area.Dx(), area.Dy())
	}
	return r, nil
}

// Screen captures part of the X screen. It keeps one X connection and, when
// the server supports MIT-SHM on this machine, one shared-memory segment the
// server writes each frame into, so a grab costs one round trip and a pixel
// swizzle and allocates nothing.
//
// The image returned by Grab is overwritten by the next Grab.
type Screen struct {
	mu     sync.Mutex
	conn   *xgb.Conn
	root   xproto.Window
	rect   image.Rectangle
	seg    mshm.Seg
	shm    []byte // attached segment, nil without MIT-SHM
	buf    []byte // pixels when MIT-SHM is not available
	img    image.RGBA
	closed bool
}

// NewScreen connects to the X server and prepares to capture t.
func NewScreen(t ScreenTarget) (*Screen, error) {
	c, err := connectX()
	if err != nil {
		return nil, err
	}
	s, err := newScreen(c, t)
	if err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

func newScreen(c *xgb.Conn, t ScreenTarget) (*Screen, error) {
	setup := xproto.Setup(c)
	screen := setup.DefaultScreen(c)
	if err := checkPixelFormat(setup, screen); err != nil {
		return nil, err
	}
	r, err := targetRect(queryDisplays(c), t)
	if err != nil {
		return nil, err
	}
	// The root window is the bounding box of all displays; stay inside it.
	r = r.Intersect(image.Rect(0, 0, int(screen.WidthInPixels), int(screen.HeightInPixels)))
	if r.Empty() {
		return nil, fmt.Errorf("capture area lies outside the X screen: %w", ErrNoSuchDisplay)
	}
	s := &Screen{conn: c, root: screen.Root, rect: r}
	s.attachSHM()
	if s.shm == nil {
		s.buf = make([]byte, r.Dx()*r.Dy()*4)
	}
	pix := s.buf
	if s.shm != nil {
		pix = s.shm[:r.Dx()*r.Dy()*4]
	}
	s.img = image.RGBA{Pix: pix, Stride: r.Dx() * 4, Rect: image.Rectangle{Max: r.Size()}}
	return s, nil
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
func (s *Screen) attachSHM() {
	if disableSHM {
		return
	}
	if err := mshm.Init(s.conn); err != nil {
		return
	}
	size := s.rect.Dx() * s.rect.Dy() * 4
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
	seg, err := mshm.NewSegId(s.conn)
	if err != nil {
		_ = unix.SysvShmDetach(data)
		return
	}
	if err := mshm.AttachChecked(s.conn, seg, uint32(id), false).Check(); err != nil {
		_ = unix.SysvShmDetach(data)
		return
	}
	s.seg, s.shm = seg, data
}

// Bounds returns the captured area in root-window coordinates.
func (s *Screen) Bounds() image.Rectangle { return s.rect }

// SharedMemory reports whether frames arrive through MIT-SHM.
func (s *Screen) SharedMemory() bool { return s.shm != nil }

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
	r := s.rect
	x, y, w, h := int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy())
	if s.shm != nil {
		_, err := mshm.GetImage(s.conn, xproto.Drawable(s.root), x, y, w, h, 0xffffffff,
			xproto.ImageFormatZPixmap, s.seg, 0).Reply()
		if err != nil {
			return nil, fmt.Errorf("x shm get image %v: %w", r, err)
		}
	} else {
		reply, err := xproto.GetImage(s.conn, xproto.ImageFormatZPixmap, xproto.Drawable(s.root),
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
	return &s.img, nil
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
	var err error
	if s.shm != nil {
		// A round trip makes sure the server has detached before we do.
		if derr := mshm.DetachChecked(s.conn, s.seg).Check(); derr != nil {
			err = fmt.Errorf("x shm detach: %w", derr)
		}
		if derr := unix.SysvShmDetach(s.shm); derr != nil && err == nil {
			err = fmt.Errorf("shm detach: %w", derr)
		}
		s.shm = nil
	}
	s.img.Pix = nil
	s.conn.Close()
	return err
}

var _ Source = (*Screen)(nil)
