//go:build linux && cgo

package timerslack

/*
#include <errno.h>
#include <stdlib.h>
#include <sys/prctl.h>

// livedeskSlackNs is what the constructor applied, 0 when it left the slack alone, or -1 when
// prctl or the environment variable was refused.
long long livedeskSlackNs = 0;

__attribute__((constructor)) static void livedeskSetSlack(void) {
	unsigned long ns = 1000000; // 1 ms
	const char *s = getenv("LIVEDESK_TIMERSLACK_NS");
	if (s != NULL && *s != '\0') {
		char *end;
		errno = 0;
		ns = strtoul(s, &end, 10);
		if (errno != 0 || *end != '\0' || ns > 50000000 || *s == '-') {
			livedeskSlackNs = -1;
			return;
		}
	}
	if (ns == 0) {
		return;
	}
	livedeskSlackNs = prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0) == 0 ? (long long)ns : -1;
}
*/
import "C"

import "time"

// Applied reports the slack set before the runtime started: 0 when none was set (the variable
// asked for 0), and ok false when the variable was malformed or the kernel refused it.
func Applied() (slack time.Duration, ok bool) {
	ns := int64(C.livedeskSlackNs)
	if ns < 0 {
		return 0, false
	}
	return time.Duration(ns), true
}
