//go:build linux && cgo

package audio

/*
#include <stdlib.h>
#include "ldpulse.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// pulseOut is a PulseAudio playback stream of the player's own (see ldpulse.c): unlike
// miniaudio's, it can take back what the server has not played yet, which is what lets Clear
// fade the speaker out within a few milliseconds instead of playing out the server's buffer.
type pulseOut struct {
	o    *C.ld_out
	slot int

	// mu keeps rewrite and stats off a closed stream: Clear and Stats may race with Close.
	mu     sync.Mutex
	closed bool
	last   pulseOutStats // at close
}

// outSlots maps the C stream's slot to the Go function that fills it: C cannot hold Go
// pointers, and a fixed table costs the audio thread no lookup structure that allocates.
var outSlots [64]atomic.Pointer[func([]int16)]

//export ldOutFill
func ldOutFill(slot C.uintptr_t, buf *C.int16_t, n C.size_t) {
	s := unsafe.Slice((*int16)(unsafe.Pointer(buf)), int(n))
	if f := outSlots[slot].Load(); f != nil {
		(*f)(s)
		return
	}
	clear(s)
}

// openPulseOut connects a stream called name (s16le mono at rate) to sink ("" = the default)
// and starts it. fill is called on libpulse's thread for every chunk the server asks for; it
// must not block.
func openPulseOut(sink, name string, rate, tlengthMs, minreqMs int, fill func([]int16)) (*pulseOut, error) {
	slot := -1
	for i := range outSlots {
		if outSlots[i].CompareAndSwap(nil, &fill) {
			slot = i
			break
		}
	}
	if slot < 0 {
		return nil, errors.New("too many PulseAudio playback streams open")
	}
	var csink *C.char
	if sink != "" {
		csink = C.CString(sink)
		defer C.free(unsafe.Pointer(csink))
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var msg [256]C.char
	o := C.ld_out_open(csink, cname, C.int(rate), C.int(tlengthMs), C.int(minreqMs), C.uintptr_t(slot), &msg[0], C.size_t(len(msg)))
	if o == nil {
		outSlots[slot].Store(nil)
		return nil, fmt.Errorf("pulseaudio playback stream: %s", C.GoString(&msg[0]))
	}
	return &pulseOut{o: o, slot: slot}, nil
}

// rewrite replaces the stream's queue, from guard samples past where the sink reads next, with
// a fade of fade samples and silence, and then calls then(n), n the number of samples rewritten
// (0 when nothing was left), before the stream asks for more.
func (o *pulseOut) rewrite(guard, fade int, then func(n int)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		then(0)
		return
	}
	// The main loop's lock is a pthread mutex: it must be released by the thread that took it,
	// and a goroutine may change threads between two cgo calls.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	C.ld_out_lock(o.o)
	defer C.ld_out_unlock(o.o)
	then(int(C.ld_out_rewrite(o.o, C.int(guard), C.int(fade))))
}

func (o *pulseOut) stats() pulseOutStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return o.last
	}
	return o.statsLocked()
}

func (o *pulseOut) statsLocked() pulseOutStats {
	var st C.ld_out_stats
	C.ld_out_stats_get(o.o, &st)
	return pulseOutStats{
		Underflows: uint64(st.underflows), Rewrites: uint64(st.rewrites), Rewritten: uint64(st.rewritten),
		TLength: int(st.tlength) / 2, MinReq: int(st.minreq) / 2, PreBuf: int(st.prebuf) / 2,
		Latency: int64(st.latency_us), Failed: st.failed != 0, PipeWire: st.pipewire != 0,
	}
}

// close stops and frees the stream; it is idempotent.
func (o *pulseOut) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	o.last = o.statsLocked()
	o.closed = true
	C.ld_out_close(o.o)
	outSlots[o.slot].Store(nil)
}
