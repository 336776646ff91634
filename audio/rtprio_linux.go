package audio

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// callbackPriority is the SCHED_FIFO priority asked for the device callback threads: below
// PulseAudio's own real-time threads (5), so the server that feeds us is never preempted by
// us, and above every normal thread, so that a busy machine no longer makes the player miss
// its period. miniaudio's PulseAudio backend keeps a single 20 ms period in the server: a
// callback late by more than that is an underrun, heard as a gap and, worse for the echo
// canceller, a jump of the echo path (measured: 30-130 ms of reference lost per 30 s with
// two CPU hogs running, 20-40 ms with real-time callbacks).
const callbackPriority = 4

// rtState records what raising the callback thread's priority gave: 0 not tried, 1 real-time,
// 2 refused (no CAP_SYS_NICE and no RLIMIT_RTPRIO: the thread keeps normal priority).
type rtState struct{ v atomic.Int32 }

// raise is called on the device's callback thread (a cgo callback runs on the C thread that
// made it, so the calling thread is miniaudio's device thread). Only the first call acts.
func (s *rtState) raise() {
	if s.v.Load() != 0 {
		return
	}
	err := unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_FIFO, Priority: callbackPriority}, 0)
	if err != nil {
		s.v.Store(2)
		return
	}
	s.v.Store(1)
}

func (s *rtState) realtime() bool { return s.v.Load() == 1 }
