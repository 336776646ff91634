//go:build linux

package capture_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"
	"github.com/livedesk/livedesk/internal/xwin"
)

// requireTestEnv skips the test outside scripts/with-testenv.sh and fails it
// when the environment is there but X is not.
func requireTestEnv(t *testing.T) {
	t.Helper()
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		t.Skip("needs a real X server: run under scripts/with-testenv.sh (LIVEDESK_TESTENV unset)")
	}
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("LIVEDESK_TESTENV is set but DISPLAY is not: the test environment has no X server")
	}
}

// startXvfb starts a private Xvfb with the given screen arguments, points
// DISPLAY at it for the rest of the test, and stops it at cleanup. It
// returns the server's process ID.
func startXvfb(t testing.TB, args ...string) int {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Fatalf("Xvfb not installed but LIVEDESK_TESTENV is set: %v", err)
	}
	n := 150
	for ; n < 400; n++ {
		_, e1 := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n))
		_, e2 := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n))
		if os.IsNotExist(e1) && os.IsNotExist(e2) {
			break
		}
	}
	display := fmt.Sprintf(":%d", n)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{display, "-nolisten", "tcp", "-noreset"}, args...)...)
	logf, err := os.Create(filepath.Join(t.TempDir(), "xvfb.log"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start Xvfb: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		_ = logf.Close()
	})
	for range 200 {
		if c, err := xgb.NewConnDisplay(display); err == nil {
			c.Close()
			t.Setenv("DISPLAY", display)
			return cmd.Process.Pid
		}
		time.Sleep(25 * time.Millisecond)
	}
	b, _ := os.ReadFile(logf.Name())
	t.Fatalf("Xvfb %s did not come up:\n%s", display, b)
	return 0
}

// showImage shows m in a window at the given point until the test ends.
func showImage(t testing.TB, at image.Point, m *image.RGBA) {
	t.Helper()
	w, err := xwin.Open(image.Rectangle{Min: at, Max: at.Add(m.Rect.Size())}, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	if err := w.Put(m); err != nil {
		t.Fatal(err)
	}
}

// procCPU returns the CPU time (user+system) used so far by process pid.
func procCPU(t testing.TB, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("read process stats: %v", err)
	}
	// Fields after the ")" that ends the command name; utime and stime are
	// fields 14 and 15 of the whole line, in clock ticks (100 Hz on Linux).
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, err1 := strconv.Atoi(fields[11])
	st, err2 := strconv.Atoi(fields[12])
	if err1 != nil || err2 != nil {
		t.Fatalf("parse %s: %v %v", s, err1, err2)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// selfCPU returns the CPU time (user+system) used so far by this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// showRects opens a window per rectangle, on top of everything, filled with
// the given colour; they stay until the test ends.
func showRects(t testing.TB, rects []image.Rectangle, colours []color.RGBA) {
	t.Helper()
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatalf("connect to X: %v", err)
	}
	t.Cleanup(c.Close)
	screen := xproto.Setup(c).DefaultScreen(c)
	for i, r := range rects {
		col := colours[i]
		pixel := uint32(col.R)<<16 | uint32(col.G)<<8 | uint32(col.B)
		wid, err := xproto.NewWindowId(c)
		if err != nil {
			t.Fatal(err)
		}
		// Override-redirect: no window manager may move or decorate it.
		err = xproto.CreateWindowChecked(c, screen.RootDepth, wid, screen.Root,
			int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0,
			xproto.WindowClassInputOutput, screen.RootVisual,
			xproto.CwBackPixel|xproto.CwOverrideRedirect, []uint32{pixel, 1}).Check()
		if err != nil {
			t.Fatalf("create window: %v", err)
		}
		if err := xproto.MapWindowChecked(c, wid).Check(); err != nil {
			t.Fatalf("map window: %v", err)
		}
		gc, err := xproto.NewGcontextId(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := xproto.CreateGCChecked(c, gc, xproto.Drawable(wid), xproto.GcForeground, []uint32{pixel}).Check(); err != nil {
			t.Fatal(err)
		}
		err = xproto.PolyFillRectangleChecked(c, xproto.Drawable(wid), gc,
			[]xproto.Rectangle{{Width: uint16(r.Dx()), Height: uint16(r.Dy())}}).Check()
		if err != nil {
			t.Fatalf("fill window: %v", err)
		}
	}
}

// quadrantRects splits r into its four quadrants (TL, TR, BL, BR).
func quadrantRects(r image.Rectangle) []image.Rectangle {
	cx, cy := r.Min.X+r.Dx()/2, r.Min.Y+r.Dy()/2
	return []image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, cx, cy), image.Rect(cx, r.Min.Y, r.Max.X, cy),
		image.Rect(r.Min.X, cy, cx, r.Max.Y), image.Rect(cx, cy, r.Max.X, r.Max.Y),
	}
}

// monitor is a RandR monitor for setMonitors.
type monitor struct {
	name    string
	bounds  image.Rectangle
	primary bool
	output  bool // takes over the server's only output
}

// setMonitors splits the X screen into RandR 1.5 monitors, as a desktop
// with several physical screens has. A monitor that takes over the server's
// only output removes its automatic whole-screen monitor.
func setMonitors(t testing.TB, ms []monitor) {
	t.Helper()
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatalf("connect to X: %v", err)
	}
	defer c.Close()
	if err := randr.Init(c); err != nil {
		t.Fatalf("randr: %v", err)
	}
	root := xproto.Setup(c).DefaultScreen(c).Root
	res, err := randr.GetScreenResources(c, root).Reply()
	if err != nil || len(res.Outputs) == 0 {
		t.Fatalf("randr outputs: %v (%d outputs)", err, len(res.Outputs))
	}
	for _, m := range ms {
		atom, err := xproto.InternAtom(c, false, uint16(len(m.name)), m.name).Reply()
		if err != nil {
			t.Fatal(err)
		}
		info := randr.MonitorInfo{
			Name: atom.Atom, Primary: m.primary,
			X: int16(m.bounds.Min.X), Y: int16(m.bounds.Min.Y),
			Width: uint16(m.bounds.Dx()), Height: uint16(m.bounds.Dy()),
			WidthInMillimeters: uint32(m.bounds.Dx() / 4), HeightInMillimeters: uint32(m.bounds.Dy() / 4),
		}
		if m.output {
			info.NOutput, info.Outputs = 1, res.Outputs[:1]
		}
		if err := randr.SetMonitorChecked(c, root, info).Check(); err != nil {
			t.Fatalf("set monitor %s: %v", m.name, err)
		}
	}
}

// deleteMonitor removes a RandR monitor made by setMonitors.
func deleteMonitor(t testing.TB, name string) {
	t.Helper()
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatalf("connect to X: %v", err)
	}
	defer c.Close()
	if err := randr.Init(c); err != nil {
		t.Fatalf("randr: %v", err)
	}
	atom, err := xproto.InternAtom(c, true, uint16(len(name)), name).Reply()
	if err != nil {
		t.Fatal(err)
	}
	if err := randr.DeleteMonitorChecked(c, xproto.Setup(c).DefaultScreen(c).Root, atom.Atom).Check(); err != nil {
		t.Fatalf("delete monitor %s: %v", name, err)
	}
}

// warpPointer moves the mouse pointer to p on the root window.
func warpPointer(t testing.TB, p image.Point) {
	t.Helper()
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatalf("connect to X: %v", err)
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	if err := xproto.WarpPointerChecked(c, 0, root, 0, 0, 0, 0, int16(p.X), int16(p.Y)).Check(); err != nil {
		t.Fatalf("warp pointer: %v", err)
	}
}
