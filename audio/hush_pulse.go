//go:build linux && cgo

package audio

/*
#cgo LDFLAGS: -ldl -lm
#include <stdlib.h>
#include "ldpulse.h"
*/
import "C"

import "unsafe"

// hush mutes the player's stream inside the PulseAudio server. When the model is interrupted,
// Clear empties the jitter buffer, but the server still holds what the last callbacks handed it
// (about a period, 20 ms) and plays it out. miniaudio offers no flush, and its stream may only
// be touched from its own thread; muting the stream's sink input through a connection of our own
// stops it at once (the server re-renders what it had mixed ahead), from any goroutine.
type hush struct {
	h *C.ld_hush
}

// openHush connects to the sound server for the playback stream called name. It returns nil
// when libpulse or the server is not there: the player then works without it.
func openHush(name string) *hush {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	h := C.ld_hush_open(cs)
	if h == nil {
		return nil
	}
	return &hush{h: h}
}

// set asks the server to mute or unmute the stream; it does not wait for the answer.
func (h *hush) set(mute bool) {
	m := C.int(0)
	if mute {
		m = 1
	}
	C.ld_hush_set(h.h, m)
}

// applied counts the mute changes the server confirmed.
func (h *hush) applied() uint64 { return uint64(C.ld_hush_applied(h.h)) }

func (h *hush) close() { C.ld_hush_free(h.h, 1) }
