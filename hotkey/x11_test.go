//go:build linux

package hotkey_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/livedesk/livedesk/hotkey"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// No ~/.Xauthority under Xvfb: jezek/xgb would log two lines for every connection.
	xgb.Logger = log.New(io.Discard, "", 0)
	goleak.VerifyTestMain(m)
}

// bound is how long a test waits for something the X server will do. It bounds waits; no
// test asserts on time.
const bound = 10 * time.Second

// Keysyms the tests press.
const (
	symSpace = 0x20
	symX     = 0x78
	symT     = 0x74
)

var (
	ptt     = hotkey.Shortcut{Mods: hotkey.Ctrl | hotkey.Alt, Key: "Space"}
	mute    = hotkey.Shortcut{Mods: hotkey.Ctrl | hotkey.Alt, Key: "M"}
	stop    = hotkey.Shortcut{Mods: hotkey.Super, Key: "F9"}
	ctrlAlt = uint16(xproto.ModMaskControl | xproto.ModMask1)
)

func down(name string) hotkey.Event { return hotkey.Event{Name: name, Down: true} }
func up(name string) hotkey.Event   { return hotkey.Event{Name: name} }

// requireX skips the test outside scripts/with-testenv.sh and fails it when the environment
// is there but X or xdotool is not. A DISPLAY alone is not enough: these tests type keys,
// and on a developer's own desktop they would reach the applications there.
func requireX(t *testing.T) {
	t.Helper()
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		t.Skip("needs the test X server: run under scripts/with-testenv.sh (LIVEDESK_TESTENV unset)")
	}
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("LIVEDESK_TESTENV is set but DISPLAY is not: the test environment has no X server")
	}
	for _, tool := range []string{"xdotool", "xset"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("LIVEDESK_TESTENV is set but %s is missing: %v", tool, err)
		}
	}
	// Listen refuses Wayland sessions; the test X server is a plain X11 one.
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("XDG_SESSION_TYPE", "")
}

// run runs a command (xdotool, xset) and fails the test if it fails.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// xdo runs xdotool with a command chain such as "keydown ctrl+alt+space sleep 0.2 keyup ...".
func xdo(t *testing.T, chain string) {
	t.Helper()
	run(t, "xdotool", strings.Fields(chain)...)
}

// listening is a running Listen.
type listening struct {
	out    chan hotkey.Event
	failed []*hotkey.GrabError
	cancel context.CancelFunc
	done   chan error
}

// listen starts Listen and returns once its grabs are in place. It stops at cleanup.
func listen(t *testing.T, bindings map[string]hotkey.Shortcut) *listening {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	l := &listening{out: make(chan hotkey.Event, 16), cancel: cancel, done: make(chan error, 1)}
	grabbed := make(chan []*hotkey.GrabError, 1)
	go func() {
		l.done <- hotkey.Listen(ctx, bindings, l.out, func(f []*hotkey.GrabError) { grabbed <- f })
	}()
	t.Cleanup(func() { _ = l.stop(t) })
	select {
	case l.failed = <-grabbed:
	case err := <-l.done:
		l.done <- err
		t.Fatalf("Listen: %v", err)
	case <-time.After(bound):
		t.Fatalf("Listen did not grab within %v", bound)
	}
	return l
}

// stop cancels Listen and returns what it returned; it is safe to call more than once.
func (l *listening) stop(t *testing.T) error {
	t.Helper()
	l.cancel()
	select {
	case err := <-l.done:
		l.done <- err
		return err
	case <-time.After(bound):
		t.Fatalf("Listen did not return within %v of the cancel", bound)
		return nil
	}
}

// expect receives exactly the events in want, in order.
func (l *listening) expect(t *testing.T, want ...hotkey.Event) {
	t.Helper()
	var got []hotkey.Event
	for len(got) < len(want) {
		select {
		case e := <-l.out:
			got = append(got, e)
		case <-time.After(bound):
			t.Fatalf("got %v, then nothing within %v; want %v", got, bound, want)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
}

// keyEvent is a key event seen by a test client.
type keyEvent struct {
	press bool
	code  xproto.Keycode
	state uint16
}

// client is another X client: it records the key events it is sent.
type client struct {
	c      *xgb.Conn
	root   xproto.Window
	mu     sync.Mutex
	events []keyEvent
	wake   chan struct{}
	done   chan struct{}
}

// newClient connects to X; the connection closes at cleanup.
func newClient(t *testing.T) *client {
	t.Helper()
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatalf("connect to X: %v", err)
	}
	cl := &client{c: c, root: xproto.Setup(c).DefaultScreen(c).Root, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go cl.read()
	t.Cleanup(func() {
		c.Close()
		<-cl.done
	})
	return cl
}

func (cl *client) read() {
	defer close(cl.done)
	for {
		ev, err := cl.c.WaitForEvent()
		if ev == nil && err == nil {
			return
		}
		var k keyEvent
		switch e := ev.(type) {
		case xproto.KeyPressEvent:
			k = keyEvent{true, e.Detail, e.State}
		case xproto.KeyReleaseEvent:
			k = keyEvent{false, e.Detail, e.State}
		default:
			continue
		}
		cl.mu.Lock()
		cl.events = append(cl.events, k)
		cl.mu.Unlock()
		select {
		case cl.wake <- struct{}{}:
		default:
		}
	}
}

// until returns the key events received up to and including the first that matches, and
// forgets them.
func (cl *client) until(t *testing.T, match func(keyEvent) bool) []keyEvent {
	t.Helper()
	deadline := time.After(bound)
	for {
		cl.mu.Lock()
		for i, e := range cl.events {
			if match(e) {
				got := cl.events[:i+1]
				cl.events = cl.events[i+1:]
				cl.mu.Unlock()
				return got
			}
		}
		cl.mu.Unlock()
		select {
		case <-cl.wake:
		case <-deadline:
			t.Fatalf("no matching key event within %v", bound)
		}
	}
}

// keycode finds the keycode typing sym unshifted.
func (cl *client) keycode(t *testing.T, sym xproto.Keysym) xproto.Keycode {
	t.Helper()
	s := xproto.Setup(cl.c)
	km, err := xproto.GetKeyboardMapping(cl.c, s.MinKeycode, byte(s.MaxKeycode-s.MinKeycode+1)).Reply()
	if err != nil {
		t.Fatalf("keyboard mapping: %v", err)
	}
	for i := 0; i < len(km.Keysyms); i += int(km.KeysymsPerKeycode) {
		if km.Keysyms[i] == sym {
			return s.MinKeycode + xproto.Keycode(i/int(km.KeysymsPerKeycode))
		}
	}
	t.Fatalf("no keycode for keysym %#x", sym)
	return 0
}

// focusWindow opens a window of another client, gives it the keyboard focus and records the
// keys it is sent. The window is override-redirect, as there is no window manager to map it.
func focusWindow(t *testing.T) *client {
	t.Helper()
	cl := newClient(t)
	screen := xproto.Setup(cl.c).DefaultScreen(cl.c)
	wid, err := xproto.NewWindowId(cl.c)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreateWindowChecked(cl.c, screen.RootDepth, wid, screen.Root, 0, 0, 400, 300, 0,
		xproto.WindowClassInputOutput, screen.RootVisual,
		xproto.CwBackPixel|xproto.CwOverrideRedirect|xproto.CwEventMask,
		[]uint32{0x3060c0, 1, xproto.EventMaskKeyPress | xproto.EventMaskKeyRelease}).Check(); err != nil {
		t.Fatalf("create window: %v", err)
	}
	if err := xproto.MapWindowChecked(cl.c, wid).Check(); err != nil {
		t.Fatalf("map window: %v", err)
	}
	if err := xproto.SetInputFocusChecked(cl.c, xproto.InputFocusPointerRoot, wid, xproto.TimeCurrentTime).Check(); err != nil {
		t.Fatalf("focus window: %v", err)
	}
	f, err := xproto.GetInputFocus(cl.c).Reply()
	if err != nil || f.Focus != wid {
		t.Fatalf("input focus = %v, %v; want the window %v", f, err, wid)
	}
	return cl
}

// grabKey grabs keysym sym with exactly mods on the root window, as another application
// with a global shortcut does.
func (cl *client) grabKey(t *testing.T, mods uint16, sym xproto.Keysym) error {
	t.Helper()
	return xproto.GrabKeyChecked(cl.c, false, cl.root, mods, cl.keycode(t, sym),
		xproto.GrabModeAsync, xproto.GrabModeAsync).Check()
}

// locks returns the lock modifiers on now.
func (cl *client) locks(t *testing.T) uint16 {
	t.Helper()
	p, err := xproto.QueryPointer(cl.c, cl.root).Reply()
	if err != nil {
		t.Fatalf("query pointer: %v", err)
	}
	return p.Mask & (xproto.ModMaskLock | xproto.ModMask2)
}

// TestListenWhileAnotherWindowHasFocus: with a window of another client focused, each
// shortcut is reported pressed and released once, in order; the Space of a held shortcut
// does not reach the window, while keys that are not shortcuts do; extra modifiers and other
// keys give no event.
func TestListenWhileAnotherWindowHasFocus(t *testing.T) {
	requireX(t)
	win := focusWindow(t)
	space, x := win.keycode(t, symSpace), win.keycode(t, symX)
	l := listen(t, map[string]hotkey.Shortcut{"ptt": ptt, "mute": mute, "stop": stop, "off": {}})
	if len(l.failed) != 0 {
		t.Fatalf("failed to grab: %v", l.failed)
	}
	tests := []struct {
		name   string
		chain  string // xdotool commands
		want   []hotkey.Event
		spaces int // Space presses and releases the focused window gets
	}{
		{"press and release", "keydown ctrl+alt+space sleep 0.2 keyup ctrl+alt+space", []hotkey.Event{down("ptt"), up("ptt")}, 0},
		{"modifiers let go first", "keydown ctrl+alt+space keyup ctrl keyup alt sleep 0.1 keyup space", []hotkey.Event{down("ptt"), up("ptt")}, 0},
		{"key let go first", "keydown ctrl+alt+space keyup space keyup ctrl+alt", []hotkey.Event{down("ptt"), up("ptt")}, 0},
		{"a second shortcut while one is held", "keydown ctrl+alt+space keydown m keyup m keyup space keyup ctrl+alt",
			[]hotkey.Event{down("ptt"), down("mute"), up("mute"), up("ptt")}, 0},
		{"an extra modifier is another shortcut", "key ctrl+alt+shift+space", nil, 2},
		{"another key with the modifiers", "key ctrl+alt+t", nil, 0},
		{"the key alone", "key space", nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xdo(t, tt.chain)
			// A last shortcut marks the end: anything unexpected would come before it.
			xdo(t, "key super+F9")
			l.expect(t, append(tt.want, down("stop"), up("stop"))...)

			// The window has the focus: x reaches it, and the Space of a shortcut does not.
			xdo(t, "key x")
			spaces := 0
			for _, e := range win.until(t, func(e keyEvent) bool { return !e.press && e.code == x }) {
				if e.code != space {
					continue
				}
				spaces++
				if e.state&0xff&^(xproto.ModMaskLock|xproto.ModMask2) == ctrlAlt {
					t.Errorf("the focused window got the Space of Ctrl+Alt+Space: %+v", e)
				}
			}
			if spaces != tt.spaces {
				t.Errorf("the focused window got %d Space events, want %d", spaces, tt.spaces)
			}
		})
	}
}

// TestListenLocks: a shortcut works whatever the state of NumLock and CapsLock.
func TestListenLocks(t *testing.T) {
	requireX(t)
	win := focusWindow(t)
	l := listen(t, map[string]hotkey.Shortcut{"ptt": ptt, "stop": stop})
	tests := []struct {
		name  string
		keys  []string // lock keys to turn on
		state uint16
	}{
		{"no locks", nil, 0},
		{"NumLock", []string{"Num_Lock"}, xproto.ModMask2},
		{"CapsLock", []string{"Caps_Lock"}, xproto.ModMaskLock},
		{"both", []string{"Num_Lock", "Caps_Lock"}, xproto.ModMask2 | xproto.ModMaskLock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := win.locks(t); got != 0 {
				t.Fatalf("locks on before the test: %#x", got)
			}
			for _, k := range tt.keys {
				xdo(t, "key "+k)
				t.Cleanup(func() { xdo(t, "key "+k) }) // pressed again: off
			}
			if got := win.locks(t); got != tt.state {
				t.Fatalf("lock modifiers = %#x, want %#x", got, tt.state)
			}
			xdo(t, "keydown ctrl+alt+space sleep 0.1 keyup ctrl+alt+space key super+F9")
			l.expect(t, down("ptt"), up("ptt"), down("stop"), up("stop"))
		})
	}
}

// TestListenAutorepeat: the test X server repeats a held key (a grabbing client gets many
// presses), and Listen turns a held shortcut into one press and one release.
func TestListenAutorepeat(t *testing.T) {
	requireX(t)
	focusWindow(t)
	run(t, "xset", "r", "on")
	run(t, "xset", "r", "rate", "200", "50") // repeat after 200 ms, 50 a second
	t.Cleanup(func() { run(t, "xset", "r", "rate") })

	// Another client grabbing a shortcut sees the repeats as release+press pairs. It grabs
	// Ctrl+Alt+X too, to mark the end.
	other := newClient(t)
	for _, sym := range []xproto.Keysym{symT, symX} {
		if err := other.grabKey(t, ctrlAlt, sym); err != nil {
			t.Fatalf("grab Ctrl+Alt+%c: %v", rune(sym), err)
		}
	}
	xdo(t, "keydown ctrl+alt+t sleep 0.8 keyup t keyup ctrl+alt key ctrl+alt+x")
	x := other.keycode(t, symX)
	presses := 0
	for _, e := range other.until(t, func(e keyEvent) bool { return e.code == x }) {
		if e.press {
			presses++
		}
	}
	if presses < 5 {
		t.Fatalf("a grab got %d presses of a key held for 0.8 s: the X server did not autorepeat", presses)
	}
	t.Logf("a raw grab got %d presses for one held key", presses)

	l := listen(t, map[string]hotkey.Shortcut{"ptt": ptt, "stop": stop})
	xdo(t, "keydown ctrl+alt+space sleep 0.8 keyup ctrl+alt+space key super+F9")
	l.expect(t, down("ptt"), up("ptt"), down("stop"), up("stop"))
	// Held, with the modifiers let go while the key repeats: the repeat no longer matches
	// the grab and goes to the focused window, so the shortcut is over.
	xdo(t, "keydown ctrl+alt+space keyup ctrl+alt sleep 0.6 keyup space key super+F9")
	l.expect(t, down("ptt"), up("ptt"), down("stop"), up("stop"))
}

// TestListenFailures: a shortcut another client has grabbed is reported as taken, and so
// are a key the keyboard lacks, a shortcut used twice and an unknown key; the other
// bindings work, and the taken one keeps going to its owner.
func TestListenFailures(t *testing.T) {
	requireX(t)
	focusWindow(t)
	other := newClient(t)
	if err := other.grabKey(t, ctrlAlt, symT); err != nil {
		t.Fatalf("grab Ctrl+Alt+T: %v", err)
	}
	l := listen(t, map[string]hotkey.Shortcut{
		"ptt":     ptt,
		"stop":    stop,
		"taken":   {Mods: hotkey.Ctrl | hotkey.Alt, Key: "T"},
		"nokey":   {Key: "F24"}, // not in Xvfb's keymap
		"twice":   {Mods: hotkey.Ctrl | hotkey.Alt, Key: "space"},
		"unknown": {Mods: hotkey.Ctrl, Key: "Foo"},
	})
	type failure struct {
		Name, Msg string
		Taken     bool
	}
	var got []failure
	for _, f := range l.failed {
		got = append(got, failure{f.Name, f.Error(), errors.Is(f, hotkey.ErrTaken)})
	}
	want := []failure{
		{"nokey", "F24 cannot be pressed: this keyboard has no F24 key", false},
		{"taken", "Ctrl+Alt+T is taken by another application", true},
		{"twice", `Ctrl+Alt+Space for "twice": already used for "ptt"`, false},
		{"unknown", `Ctrl+Foo for "unknown": unknown key "Foo"`, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}

	t2 := other.keycode(t, symT)
	xdo(t, "key ctrl+alt+t keydown ctrl+alt+space sleep 0.1 keyup ctrl+alt+space key super+F9")
	l.expect(t, down("ptt"), up("ptt"), down("stop"), up("stop"))
	other.until(t, func(e keyEvent) bool { return !e.press && e.code == t2 })
}

// TestListenStop: cancelling ctx makes Listen return nil with its keys ungrabbed and no
// goroutine left; another client can grab them at once, and a new Listen works.
func TestListenStop(t *testing.T) {
	requireX(t)
	// Registered first, so it runs after the other cleanups have closed their connections.
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	focusWindow(t)
	bindings := map[string]hotkey.Shortcut{"ptt": ptt, "stop": stop}

	first := listen(t, bindings)
	xdo(t, "keydown ctrl+alt+space")
	first.expect(t, down("ptt"))
	if err := first.stop(t); err != nil {
		t.Fatalf("Listen after cancel: %v", err)
	}
	xdo(t, "keyup ctrl+alt+space")
	select {
	case e := <-first.out:
		t.Errorf("event after Listen returned: %v", e)
	default:
	}

	other := newClient(t)
	if err := other.grabKey(t, ctrlAlt, symSpace); err != nil {
		t.Fatalf("Ctrl+Alt+Space still grabbed after Listen returned: %v", err)
	}
	xproto.UngrabKey(other.c, other.keycode(t, symSpace), other.root, ctrlAlt)

	second := listen(t, bindings)
	if len(second.failed) != 0 {
		t.Fatalf("second Listen failed to grab: %v", second.failed)
	}
	xdo(t, "key ctrl+alt+space key super+F9")
	second.expect(t, down("ptt"), up("ptt"), down("stop"), up("stop"))
	if err := second.stop(t); err != nil {
		t.Fatalf("second Listen after cancel: %v", err)
	}
}

// TestListenServerGone: when the X server goes away while a shortcut is held, Listen
// reports it released and returns an error.
func TestListenServerGone(t *testing.T) {
	requireX(t)
	kill := startXvfb(t)
	l := listen(t, map[string]hotkey.Shortcut{"ptt": ptt})
	xdo(t, "keydown ctrl+alt+space")
	l.expect(t, down("ptt"))
	kill()
	l.expect(t, up("ptt"))
	select {
	case err := <-l.done:
		l.done <- err // for the cleanup's stop
		if err == nil {
			t.Fatal("Listen returned nil after the X server went away")
		}
		t.Logf("Listen: %v", err)
	case <-time.After(bound):
		t.Fatalf("Listen did not return within %v of the X server going away", bound)
	}
}

// startXvfb starts a private X server, points DISPLAY at it for the rest of the test and
// returns a function that kills it (also called at cleanup).
func startXvfb(t *testing.T) (kill func()) {
	t.Helper()
	n := 150
	for ; n < 400; n++ {
		_, e1 := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n))
		_, e2 := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n))
		if os.IsNotExist(e1) && os.IsNotExist(e2) {
			break
		}
	}
	display := fmt.Sprintf(":%d", n)
	logf, err := os.Create(filepath.Join(t.TempDir(), "xvfb.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", display, "-nolisten", "tcp", "-noreset", "-screen", "0", "640x480x24")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	var once sync.Once
	kill = func() {
		once.Do(func() {
			// SIGTERM, not SIGKILL: the clients see the same closed connection, and the
			// server removes its socket and lock file.
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
			_ = logf.Close()
		})
	}
	t.Cleanup(kill)
	for range 400 {
		if c, err := xgb.NewConnDisplay(display); err == nil {
			c.Close()
			t.Setenv("DISPLAY", display)
			return kill
		}
		time.Sleep(25 * time.Millisecond)
	}
	b, _ := os.ReadFile(logf.Name())
	t.Fatalf("Xvfb %s did not come up:\n%s", display, b)
	return nil
}

// TestListenWithoutX: outside X11 Listen says global shortcuts are unsupported, and without
// any shortcut it does not need X at all.
func TestListenWithoutX(t *testing.T) {
	tests := []struct {
		name              string
		display, wayland  string
		session           string
		bindings          map[string]hotkey.Shortcut
		wantErr           error
		wantGrabbedCalled bool
	}{
		{"no DISPLAY", "", "", "", map[string]hotkey.Shortcut{"ptt": ptt}, hotkey.ErrUnsupported, false},
		{"Wayland with XWayland", ":0", "wayland-0", "", map[string]hotkey.Shortcut{"ptt": ptt}, hotkey.ErrUnsupported, false},
		{"Wayland session type", ":0", "", "wayland", map[string]hotkey.Shortcut{"ptt": ptt}, hotkey.ErrUnsupported, false},
		{"nothing bound", "", "", "", map[string]hotkey.Shortcut{"ptt": {}}, nil, true},
		{"no bindings", "", "", "", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DISPLAY", tt.display)
			t.Setenv("WAYLAND_DISPLAY", tt.wayland)
			t.Setenv("XDG_SESSION_TYPE", tt.session)
			ctx, cancel := context.WithCancel(t.Context())
			called := false
			done := make(chan error, 1)
			go func() {
				done <- hotkey.Listen(ctx, tt.bindings, make(chan hotkey.Event), func(f []*hotkey.GrabError) {
					called = true
					cancel() // nothing to wait for: end at once
				})
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(bound):
				cancel()
				t.Fatalf("Listen did not return within %v", bound)
			}
			cancel()
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Listen: %v, want %v", err, tt.wantErr)
			}
			if called != tt.wantGrabbedCalled {
				t.Errorf("grabbed called: %v, want %v", called, tt.wantGrabbedCalled)
			}
		})
	}
}
