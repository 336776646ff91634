//go:build linux && cgo

// Package slacktest makes a C thread call into Go periodically, as the audio devices' threads
// do, so tests can watch what that costs Go's runtime.
package slacktest

/*
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

extern void slacktestCallback(void);

static atomic_int slacktestStop;

static void *slacktestLoop(void *arg) {
	long ns = (long)arg;
	struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
	while (!atomic_load(&slacktestStop)) {
		nanosleep(&ts, NULL);
		slacktestCallback();
	}
	return NULL;
}

static int slacktestStart(long ns, pthread_t *t) {
	atomic_store(&slacktestStop, 0);
	return pthread_create(t, NULL, slacktestLoop, (void *)ns);
}

static void slacktestJoin(pthread_t t) {
	atomic_store(&slacktestStop, 1);
	pthread_join(t, NULL);
}
*/
import "C"

import (
	"fmt"
	"sync/atomic"
	"time"
)

var (
	calls atomic.Int64
	fn    atomic.Pointer[func()]
)

//export slacktestCallback
func slacktestCallback() {
	calls.Add(1)
	if f := fn.Load(); f != nil {
		(*f)()
	}
}

// Callbacks starts a C thread that sleeps every, calls f from it, and repeats, until the
// returned stop is called; stop waits for the thread and reports how many calls it made. One
// at a time; f must not block.
func Callbacks(every time.Duration, f func()) (stop func() int64, err error) {
	calls.Store(0)
	fn.Store(&f)
	var t C.pthread_t
	if rc := C.slacktestStart(C.long(every.Nanoseconds()), &t); rc != 0 {
		return nil, fmt.Errorf("start C thread: error %d", int(rc))
	}
	return func() int64 {
		C.slacktestJoin(t)
		return calls.Load()
	}, nil
}
