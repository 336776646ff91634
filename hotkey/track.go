//go:build linux

package hotkey

import (
	"maps"
	"slices"
)

// repeatSlack is how far apart (server milliseconds) a KeyRelease and the KeyPress after it
// may be and still be one autorepeat step. The X server makes the pair in one go but stamps
// each with the clock as it goes, so they can straddle a millisecond tick. A person cannot
// release and press a key again this fast, and if two real presses were ever merged the
// key would still end up reported as down, which it is.
const repeatSlack = 10

// keyModMask keeps the keyboard modifiers of an event's state, dropping pointer buttons
// (bits 8–12) and the XKB group (bits 13–14): grabs match on keyboard modifiers only.
const keyModMask = 0xff

// keyEvent is a KeyPress or KeyRelease as the X server reports it.
type keyEvent struct {
	press bool
	code  byte   // keycode
	state uint16 // modifiers and buttons down before this event
	time  uint32 // server milliseconds
}

// combo is a grabbed key: keycode and modifiers, without lock modifiers.
type combo struct {
	code byte
	mods uint16
}

// tracker turns the key events of the grabs into press and release events for the
// bindings. It does no I/O, so it can be tested with plain event sequences.
//
// Autorepeat: while a key is held, the X server sends KeyRelease+KeyPress pairs for it with
// the same time stamp. A release of a held key is therefore kept pending until the next
// event shows what it was: a press of the same key at (nearly) the same time makes it a
// repeat and both are dropped; anything else, or settle (the caller knows no event is
// queued behind it), makes it real.
//
// Releases are matched by keycode alone: people let go of Ctrl before Space, and then the
// release comes with different modifiers from the press.
type tracker struct {
	binds   map[combo]string // grabbed combination → binding name
	locks   uint16           // lock modifiers (CapsLock, NumLock) ignored when matching
	down    map[byte]string  // keycode → binding held down through it
	pending *keyEvent        // a release of a held key, maybe half of a repeat pair
}

func newTracker(binds map[combo]string, locks uint16) *tracker {
	return &tracker{binds: binds, locks: locks, down: make(map[byte]string)}
}

// key takes the next key event and returns what it completes, in order.
func (t *tracker) key(e keyEvent) []Event {
	var out []Event
	if p := t.pending; p != nil {
		t.pending = nil
		// Unsigned subtraction, so a clock wrap between the two is still "close".
		if e.press && e.code == p.code && e.time-p.time <= repeatSlack {
			return nil
		}
		out = t.release(out, p.code)
	}
	if !e.press {
		if _, held := t.down[e.code]; held {
			t.pending = &e
		}
		return out
	}
	if _, held := t.down[e.code]; held {
		// A repeat without the release (as with XKB detectable autorepeat): still held.
		return out
	}
	name, ok := t.binds[combo{e.code, e.state & keyModMask &^ t.locks}]
	if !ok {
		// While one binding is held, the keyboard is grabbed and every key comes here.
		return out
	}
	already := t.held(name) // through another keycode carrying the same key
	t.down[e.code] = name
	if already {
		return out
	}
	return append(out, Event{Name: name, Down: true})
}

// waiting reports whether a release is pending: the caller should find out whether an
// event follows it and, if none does, call settle.
func (t *tracker) waiting() bool { return t.pending != nil }

// settle says no event is queued after the ones given: a pending release is real.
func (t *tracker) settle() []Event {
	p := t.pending
	if p == nil {
		return nil
	}
	t.pending = nil
	return t.release(nil, p.code)
}

// releaseAll reports every held binding released, in name order: the keys will not be
// heard from again (the connection is gone).
func (t *tracker) releaseAll() []Event {
	t.pending = nil
	names := slices.Sorted(maps.Values(t.down))
	clear(t.down)
	var out []Event
	for i, name := range names {
		if i == 0 || names[i-1] != name {
			out = append(out, Event{Name: name})
		}
	}
	return out
}

// held reports whether a key of the binding called name is down.
func (t *tracker) held(name string) bool {
	for _, n := range t.down {
		if n == name {
			return true
		}
	}
	return false
}

func (t *tracker) release(out []Event, code byte) []Event {
	name, ok := t.down[code]
	if !ok {
		return out
	}
	delete(t.down, code)
	if t.held(name) {
		return out
	}
	return append(out, Event{Name: name})
}
