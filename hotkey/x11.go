//go:build linux

package hotkey

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/livedesk/livedesk/internal/xdisplay"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// closeWait bounds the wait for the X server to acknowledge the close: a server that stopped
// answering must not hold up the app's shutdown.
const closeWait = 5 * time.Second

// Keysyms of the modifier keys whose modifier bit differs between keymaps.
const (
	symNumLock = 0xff7f
	symAltL    = 0xffe9
	symAltR    = 0xffea
	symSuperL  = 0xffeb
	symSuperR  = 0xffec
)

// Listen grabs the bindings (name → shortcut; zero shortcuts are skipped) on the root window
// of $DISPLAY, so that they reach Live Desk whichever application has the focus, and sends an
// Event to out when one is pressed (Down) and when it is released, until ctx ends.
//
// grabbed, if not nil, is called once from Listen's goroutine when the grabs are in place and
// before any event is sent, with the bindings that cannot be heard, by name: taken by another
// application (ErrTaken), a key the keyboard lacks (ErrNoKey), a shortcut used twice. The
// other bindings work. It is not called when Listen fails to start.
//
// Sending to out blocks until it is received or ctx ends: nothing is dropped, since a lost
// release would leave push-to-talk on. Events are rare; the X server's queue holds them while
// the receiver is busy. Key autorepeat is filtered out: holding a shortcut gives one press
// and one release. A release is reported when the key is let go, even if its modifiers were
// let go first. A shortcut works whatever the state of CapsLock and NumLock. Every press is
// followed by its release, unless ctx ends first; if the X connection is lost, the bindings
// still held are reported released and Listen returns an error.
//
// While a shortcut is held, X sends every key to Live Desk, not to the focused application:
// that is how X key grabs work. Changes to the keyboard layout made after Listen started are
// not followed: start Listen again.
//
// Listen returns nil when ctx ends, after ungrabbing the keys and closing its connection.
// It returns an error wrapping ErrUnsupported in a Wayland session or without DISPLAY.
func Listen(ctx context.Context, bindings map[string]Shortcut, out chan<- Event, grabbed func(failed []*GrabError)) error {
	active := make(map[string]Shortcut, len(bindings))
	for name, s := range bindings {
		if s != (Shortcut{}) {
			active[name] = s
		}
	}
	if len(active) == 0 {
		if grabbed != nil {
			grabbed(nil)
		}
		<-ctx.Done()
		return nil
	}
	c, err := connect()
	if err != nil {
		return err
	}
	g, failed, err := grabAll(c, active)
	if err != nil {
		c.Close()
		return err
	}
	if grabbed != nil {
		grabbed(failed)
	}

	// The reader ends when the connection closes, whoever closes it.
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.read(ctx, c, out)
	}()
	select {
	case <-ctx.Done():
	case <-done:
		c.Close()
		return errors.New("the X server closed the connection: global shortcuts stopped")
	}
	// Ungrab explicitly rather than rely on the close. Closing sends a round trip after these
	// and the reader ends only once it is answered, so when Listen returns the server has
	// freed the keys.
	g.ungrab(c)
	c.Close()
	timer := time.NewTimer(closeWait)
	defer timer.Stop()
	select {
	case <-done:
		return nil
	case <-timer.C:
		return fmt.Errorf("the X server did not confirm closing the connection within %v", closeWait)
	}
}

// connect opens a connection to the X server of DISPLAY, refusing sessions where grabs would
// only half work.
func connect() (*xgb.Conn, error) {
	x := xdisplay.Current()
	if x.Wayland {
		// XWayland gives X clients the keys only while one of their own windows has the
		// focus, so a grab there is not global.
		return nil, fmt.Errorf("this is a Wayland session: %w", ErrUnsupported)
	}
	if x.Display == "" {
		return nil, fmt.Errorf("no X display (DISPLAY is not set): %w", ErrUnsupported)
	}
	c, err := x.Dial()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// grabs is what Listen grabbed.
type grabs struct {
	root  xproto.Window
	combo []combo // every keycode and full modifier mask grabbed, lock variants included
	t     *tracker
}

// grabAll grabs each binding with every combination of the lock modifiers, so the lock
// state does not matter. A binding that cannot be grabbed in full is ungrabbed and reported.
func grabAll(c *xgb.Conn, bindings map[string]Shortcut) (*grabs, []*GrabError, error) {
	setup := xproto.Setup(c)
	root := setup.DefaultScreen(c).Root
	km, err := xproto.GetKeyboardMapping(c, setup.MinKeycode, byte(setup.MaxKeycode-setup.MinKeycode+1)).Reply()
	if err != nil {
		return nil, nil, fmt.Errorf("read the keyboard mapping: %w", err)
	}
	mm, err := xproto.GetModifierMapping(c).Reply()
	if err != nil {
		return nil, nil, fmt.Errorf("read the modifier mapping: %w", err)
	}
	kb := keymap{first: byte(setup.MinKeycode), per: int(km.KeysymsPerKeycode), syms: km.Keysyms}
	mods := modifiersOf(kb, int(mm.KeycodesPerModifier), mm.Keycodes)

	type request struct {
		name    string
		sc      Shortcut
		codes   []byte
		mods    uint16
		combos  []combo
		cookies []xproto.GrabKeyCookie
	}
	var (
		reqs   []request
		failed []*GrabError
		used   = make(map[Shortcut]string)
	)
	for _, name := range slices.Sorted(maps.Keys(bindings)) {
		sc := bindings[name]
		k, ok := lookupKey(sc.Key)
		if !ok {
			failed = append(failed, &GrabError{Name: name, Shortcut: sc, Err: fmt.Errorf("unknown key %q", sc.Key)})
			continue
		}
		sc.Key = k.name
		if other, dup := used[sc]; dup {
			failed = append(failed, &GrabError{Name: name, Shortcut: sc, Err: fmt.Errorf("already used for %q", other)})
			continue
		}
		used[sc] = name
		codes := kb.keycodes(k.sym)
		if len(codes) == 0 {
			failed = append(failed, &GrabError{Name: name, Shortcut: sc, Err: ErrNoKey})
			continue
		}
		r := request{name: name, sc: sc, codes: codes, mods: mods.mask(sc.Mods)}
		for _, code := range codes {
			for _, m := range lockVariants(r.mods, mods.numLock) {
				r.combos = append(r.combos, combo{code, m})
				// Asynchronous modes: the keyboard and pointer keep working normally.
				r.cookies = append(r.cookies, xproto.GrabKeyChecked(c, false, root, m,
					xproto.Keycode(code), xproto.GrabModeAsync, xproto.GrabModeAsync))
			}
		}
		reqs = append(reqs, r)
	}

	g := &grabs{root: root}
	binds := make(map[combo]string)
	for _, r := range reqs {
		var grabErr error
		var got []combo
		for i, ck := range r.cookies {
			if err := ck.Check(); err != nil {
				grabErr = preferAccess(grabErr, err)
				continue
			}
			got = append(got, r.combos[i])
		}
		if grabErr != nil {
			// Half a binding (working only with NumLock on, say) would be a puzzle.
			for _, cb := range got {
				xproto.UngrabKey(c, xproto.Keycode(cb.code), root, cb.mods)
			}
			if errors.As(grabErr, new(xproto.AccessError)) {
				grabErr = ErrTaken
			} else {
				grabErr = fmt.Errorf("grab the key: %w", grabErr)
			}
			failed = append(failed, &GrabError{Name: r.name, Shortcut: r.sc, Err: grabErr})
			continue
		}
		g.combo = append(g.combo, got...)
		for _, code := range r.codes {
			binds[combo{code, r.mods}] = r.name
		}
	}
	slices.SortStableFunc(failed, func(a, b *GrabError) int { return strings.Compare(a.Name, b.Name) })
	g.t = newTracker(binds, xproto.ModMaskLock|mods.numLock)
	return g, failed, nil
}

// cmpErr keeps the first error, preferring BadAccess, the one that has a remedy.
func preferAccess(have, err error) error {
	if have == nil || (!errors.As(have, new(xproto.AccessError)) && errors.As(err, new(xproto.AccessError))) {
		return err
	}
	return have
}

// ungrab releases every grab. The requests are unchecked: the connection closes next, which
// would release them anyway.
func (g *grabs) ungrab(c *xgb.Conn) {
	for _, cb := range g.combo {
		xproto.UngrabKey(c, xproto.Keycode(cb.code), g.root, cb.mods)
	}
}

// read turns X events into Events until the connection closes. It is the only reader of
// the connection's events.
func (g *grabs) read(ctx context.Context, c *xgb.Conn, out chan<- Event) {
	send := func(evs []Event) {
		for _, e := range evs {
			if ctx.Err() != nil {
				return // Listen is stopping: nobody is waiting for more
			}
			select {
			case out <- e:
			case <-ctx.Done():
			}
		}
	}
	for {
		ev, xerr := c.WaitForEvent()
		if ev == nil && xerr == nil {
			send(g.t.releaseAll())
			return
		}
		// X errors can only come from the unchecked ungrabs of a half-grabbed binding: nothing
		// to do about them.
		send(g.handle(ev))
		// A pending release is settled by what follows it. The other half of an autorepeat
		// pair is sent by the server together with the release, so once a round trip
		// started after the release has come back, it is queued here if it exists.
		synced := false
		for g.t.waiting() {
			ev, xerr := c.PollForEvent()
			if ev != nil || xerr != nil {
				send(g.handle(ev))
				synced = false
				continue
			}
			if synced {
				send(g.t.settle())
				break
			}
			c.Sync() // on a closed connection it returns at once and the loop settles
			synced = true
		}
	}
}

// handle passes key events to the tracker and ignores the rest (MappingNotify, and the nil
// event that comes with an X error).
func (g *grabs) handle(ev xgb.Event) []Event {
	switch e := ev.(type) {
	case xproto.KeyPressEvent:
		return g.t.key(keyEvent{press: true, code: byte(e.Detail), state: e.State, time: uint32(e.Time)})
	case xproto.KeyReleaseEvent:
		return g.t.key(keyEvent{code: byte(e.Detail), state: e.State, time: uint32(e.Time)})
	}
	return nil
}

// keymap is the server's keycode → keysyms table.
type keymap struct {
	first byte // first keycode
	per   int  // keysyms per keycode
	syms  []xproto.Keysym
}

// keycodes finds the keycodes that type sym, looking at the first keysym of every keycode,
// then the second and so on, and stopping at the first level where sym appears (as
// XKeysymToKeycode does): the unshifted "1" key, not a keypad key with "1" on NumLock. A
// keysym can be on several keycodes (Print often is): all are returned.
func (m keymap) keycodes(sym uint32) []byte {
	if m.per == 0 {
		return nil
	}
	n := len(m.syms) / m.per
	for col := range m.per {
		var codes []byte
		for i := range n {
			if uint32(m.syms[i*m.per+col]) == sym {
				codes = append(codes, m.first+byte(i))
			}
		}
		if len(codes) > 0 {
			return codes
		}
	}
	return nil
}

// has reports whether keycode code types one of syms at any level.
func (m keymap) has(code byte, syms ...uint32) bool {
	i := int(code) - int(m.first)
	if code == 0 || i < 0 || (i+1)*m.per > len(m.syms) {
		return false
	}
	for _, s := range m.syms[i*m.per : (i+1)*m.per] {
		if slices.Contains(syms, uint32(s)) {
			return true
		}
	}
	return false
}

// modifiers are the X modifier bits for Alt, Super and NumLock, which keymaps place on
// different ModN.
type modifiers struct {
	alt, super, numLock uint16
}

// modifiersOf reads the modifier mapping: perMod keycodes for each of the eight modifiers
// (Shift, Lock, Control, Mod1–Mod5). Alt and Super fall back to the usual Mod1 and Mod4;
// NumLock is 0 when no modifier carries it.
func modifiersOf(kb keymap, perMod int, codes []xproto.Keycode) modifiers {
	find := func(syms ...uint32) uint16 {
		for mod := range 8 {
			for j := range perMod {
				if i := mod*perMod + j; i < len(codes) && kb.has(byte(codes[i]), syms...) {
					return 1 << mod
				}
			}
		}
		return 0
	}
	m := modifiers{alt: find(symAltL, symAltR), super: find(symSuperL, symSuperR), numLock: find(symNumLock)}
	if m.alt == 0 {
		m.alt = xproto.ModMask1
	}
	if m.super == 0 {
		m.super = xproto.ModMask4
	}
	return m
}

// mask gives the X modifier mask for mods.
func (m modifiers) mask(mods Mod) uint16 {
	var x uint16
	if mods&Ctrl != 0 {
		x |= xproto.ModMaskControl
	}
	if mods&Shift != 0 {
		x |= xproto.ModMaskShift
	}
	if mods&Alt != 0 {
		x |= m.alt
	}
	if mods&Super != 0 {
		x |= m.super
	}
	return x
}

// lockVariants gives base with every combination of CapsLock and NumLock added, each once.
func lockVariants(base, numLock uint16) []uint16 {
	var vs []uint16
	for _, l := range []uint16{0, xproto.ModMaskLock, numLock, xproto.ModMaskLock | numLock} {
		if v := base | l; !slices.Contains(vs, v) {
			vs = append(vs, v)
		}
	}
	return vs
}
