// Package timerslack widens the process's Linux timer slack before Go's runtime starts, so the
// runtime's monitor thread (sysmon) stops waking every 20 µs while the app is live.
//
// Why: every cgo transition (the audio devices' callbacks, 150 a second; GLFW's event polling, 60
// a second) either wakes sysmon from its deep sleep or leaves it a P to retake, and each time it
// falls back to polling every 20 µs for about a millisecond before it backs off again. Measured
// with per-thread CPU ticks and perf, that polling was the largest single cost of a live, silent
// conversation (README, "where live-and-silent CPU goes"). The runtime has no knob for it, but
// its sleeps are nanosleep calls, which Linux may stretch by the calling thread's timer slack.
// The slack is inherited by every thread a thread creates, so it must be set before the runtime
// creates sysmon: a C constructor does that, before main.
//
// The cost is that timed sleeps anywhere in the process may end up to the slack later (1 ms by
// default, against 50 µs). Nothing in Live Desk waits on a timer finer than that: audio is driven
// by the sound server's data, frames are paced at one a second, and the window draws at 60 Hz.
// Child processes (a browser opened for "Get an API key") inherit the slack too.
//
// LIVEDESK_TIMERSLACK_NS sets another slack in nanoseconds (at most 50 ms); 0 leaves the
// inherited one. Only a program that links this package is affected.
package timerslack
