//go:build linux

package hotkey

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTracker(t *testing.T) {
	const (
		space, m, x, print1, print2 = 65, 58, 53, 107, 218

		ctrlAlt  = 4 | 8
		lock     = 2
		numLock  = 16
		button1  = 0x100
		group2   = 0x2000
		settle   = -1 // step: nothing more is queued
		shutdown = -2 // step: the connection is gone
	)
	// step is a key event, or settle / shutdown in code.
	type step struct {
		press bool
		code  int
		state uint16
		time  uint32
	}
	press := func(code int, state uint16, time uint32) step { return step{true, code, state, time} }
	release := func(code int, state uint16, time uint32) step { return step{false, code, state, time} }
	down := func(name string) Event { return Event{Name: name, Down: true} }
	up := func(name string) Event { return Event{Name: name} }

	tests := []struct {
		name  string
		steps []step
		want  []Event
	}{
		{"press and release", []step{
			press(space, ctrlAlt, 100), release(space, ctrlAlt, 300), {code: settle},
		}, []Event{down("ptt"), up("ptt")}},
		{"release waits for what follows", []step{
			press(space, ctrlAlt, 100), release(space, ctrlAlt, 300),
		}, []Event{down("ptt")}},
		{"autorepeat pairs with equal times are swallowed", []step{
			press(space, ctrlAlt, 100),
			release(space, ctrlAlt, 760), press(space, ctrlAlt, 760),
			release(space, ctrlAlt, 800), press(space, ctrlAlt, 800),
			release(space, ctrlAlt, 840), press(space, ctrlAlt, 840),
			release(space, ctrlAlt, 900), {code: settle},
		}, []Event{down("ptt"), up("ptt")}},
		{"autorepeat pair straddling a millisecond", []step{
			press(space, ctrlAlt, 100), release(space, ctrlAlt, 760), press(space, ctrlAlt, 761),
			release(space, ctrlAlt, 900), {code: settle},
		}, []Event{down("ptt"), up("ptt")}},
		{"autorepeat pair across the server clock's wrap", []step{
			press(space, ctrlAlt, 1<<32-500), release(space, ctrlAlt, 1<<32-1), press(space, ctrlAlt, 2),
			release(space, ctrlAlt, 300), {code: settle},
		}, []Event{down("ptt"), up("ptt")}},
		{"a press long after the release is a new press", []step{
			press(space, ctrlAlt, 100), release(space, ctrlAlt, 300), press(space, ctrlAlt, 400),
			release(space, ctrlAlt, 500), {code: settle},
		}, []Event{down("ptt"), up("ptt"), down("ptt"), up("ptt")}},
		{"settled release then quick press is a new press", []step{
			press(space, ctrlAlt, 100), release(space, ctrlAlt, 300), {code: settle}, press(space, ctrlAlt, 300),
		}, []Event{down("ptt"), up("ptt"), down("ptt")}},
		{"a repeat press without a release (detectable autorepeat)", []step{
			press(space, ctrlAlt, 100), press(space, ctrlAlt, 760), press(space, ctrlAlt, 800),
			release(space, ctrlAlt, 900), {code: settle},
		}, []Event{down("ptt"), up("ptt")}},
		{"modifiers let go before the key", []step{
			press(space, ctrlAlt, 100), release(ctrlAltKey, ctrlAlt, 200), release(space, 0, 300), {code: settle},
		}, []Event{down("ptt"), up("ptt")}},
		{"modifiers let go, then autorepeat with no modifiers comes back", []step{
			// The repeat press no longer matches the grab and goes to the focused window:
			// only its release reaches us.
			press(space, ctrlAlt, 100), release(space, 0, 760), {code: settle},
		}, []Event{down("ptt"), up("ptt")}},
		{"lock modifiers do not matter", []step{
			press(space, ctrlAlt|numLock, 100), release(space, ctrlAlt|numLock, 200), {code: settle},
			press(space, ctrlAlt|lock, 300), release(space, ctrlAlt|lock, 400), {code: settle},
			press(space, ctrlAlt|lock|numLock, 500), release(space, ctrlAlt|lock|numLock, 600), {code: settle},
		}, []Event{down("ptt"), up("ptt"), down("ptt"), up("ptt"), down("ptt"), up("ptt")}},
		{"pointer buttons and the layout group do not matter", []step{
			press(space, ctrlAlt|button1|group2, 100), release(space, ctrlAlt, 200), {code: settle},
		}, []Event{down("ptt"), up("ptt")}},
		{"other modifiers do not match", []step{
			press(space, ctrlAlt|1, 100), release(space, ctrlAlt|1, 200), {code: settle},
		}, nil},
		{"other keys during the active grab are ignored", []step{
			press(space, ctrlAlt, 100), press(x, ctrlAlt, 150), release(x, ctrlAlt, 170),
			release(space, ctrlAlt, 300), {code: settle},
		}, []Event{down("ptt"), up("ptt")}},
		{"a release of a key never reported down is ignored", []step{
			release(space, ctrlAlt, 100), {code: settle},
		}, nil},
		{"two bindings held together, released in turn", []step{
			press(space, ctrlAlt, 100), press(m, ctrlAlt, 200),
			release(space, ctrlAlt, 300), release(m, ctrlAlt, 400), {code: settle},
		}, []Event{down("ptt"), down("mute"), up("ptt"), up("mute")}},
		{"autorepeat of the second while the first is held", []step{
			press(space, ctrlAlt, 100), press(m, ctrlAlt, 200),
			release(m, ctrlAlt, 860), press(m, ctrlAlt, 860),
			release(m, ctrlAlt, 900), {code: settle}, release(space, ctrlAlt, 1000), {code: settle},
		}, []Event{down("ptt"), down("mute"), up("mute"), up("ptt")}},
		{"a pending release is settled by another key's press", []step{
			press(space, ctrlAlt, 100), release(space, ctrlAlt, 300), press(m, ctrlAlt, 300),
		}, []Event{down("ptt"), up("ptt"), down("mute")}},
		{"one binding on two keycodes", []step{
			press(print1, 0, 100), press(print2, 0, 150), release(print1, 0, 200), {code: settle},
			release(print2, 0, 300), {code: settle},
		}, []Event{down("print"), up("print")}},
		{"losing the connection releases what is held", []step{
			press(space, ctrlAlt, 100), press(print1, 0, 150), press(print2, 0, 160), press(m, ctrlAlt, 200),
			release(m, ctrlAlt, 250), {code: shutdown},
		}, []Event{down("ptt"), down("print"), down("mute"), up("mute"), up("print"), up("ptt")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTracker(map[combo]string{
				{space, ctrlAlt}: "ptt",
				{m, ctrlAlt}:     "mute",
				{print1, 0}:      "print",
				{print2, 0}:      "print",
			}, lock|numLock)
			var got []Event
			for _, s := range tt.steps {
				switch s.code {
				case settle:
					got = append(got, tr.settle()...)
				case shutdown:
					got = append(got, tr.releaseAll()...)
				default:
					got = append(got, tr.key(keyEvent{press: s.press, code: byte(s.code), state: s.state, time: s.time})...)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// ctrlAltKey stands for the keycode of Ctrl or Alt in the tracker test.
const ctrlAltKey = 37
