//go:build linux && cgo

package audio

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pulse/pulseaudio.h>

// libpulse is opened at run time, as miniaudio opens it: a machine without it still runs Live
// Desk, only without the hush.
static struct {
	int state; // 0 not tried, 1 loaded, -1 unavailable
	pa_threaded_mainloop *(*ml_new)(void);
	void (*ml_free)(pa_threaded_mainloop *);
	int (*ml_start)(pa_threaded_mainloop *);
	void (*ml_stop)(pa_threaded_mainloop *);
	void (*ml_lock)(pa_threaded_mainloop *);
	void (*ml_unlock)(pa_threaded_mainloop *);
	void (*ml_wait)(pa_threaded_mainloop *);
	void (*ml_signal)(pa_threaded_mainloop *, int);
	pa_mainloop_api *(*ml_get_api)(pa_threaded_mainloop *);
	pa_context *(*ctx_new)(pa_mainloop_api *, const char *);
	void (*ctx_unref)(pa_context *);
	int (*ctx_connect)(pa_context *, const char *, pa_context_flags_t, const pa_spawn_api *);
	void (*ctx_disconnect)(pa_context *);
	pa_context_state_t (*ctx_get_state)(const pa_context *);
	void (*ctx_set_state_callback)(pa_context *, pa_context_notify_cb_t, void *);
	pa_operation *(*sink_inputs)(pa_context *, pa_sink_input_info_cb_t, void *);
	pa_operation *(*set_mute)(pa_context *, uint32_t, int, pa_context_success_cb_t, void *);
	void (*op_unref)(pa_operation *);
	const char *(*prop_gets)(const pa_proplist *, const char *);
} ld_pa;

#define LD_SYM(field, name) if (!(*(void **)(&ld_pa.field) = dlsym(h, name))) { ld_pa.state = -1; return 0; }

static int ld_pa_load(void) {
	if (ld_pa.state != 0) {
		return ld_pa.state > 0;
	}
	void *h = dlopen("libpulse.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		ld_pa.state = -1;
		return 0;
	}
	LD_SYM(ml_new, "pa_threaded_mainloop_new")
	LD_SYM(ml_free, "pa_threaded_mainloop_free")
	LD_SYM(ml_start, "pa_threaded_mainloop_start")
	LD_SYM(ml_stop, "pa_threaded_mainloop_stop")
	LD_SYM(ml_lock, "pa_threaded_mainloop_lock")
	LD_SYM(ml_unlock, "pa_threaded_mainloop_unlock")
	LD_SYM(ml_wait, "pa_threaded_mainloop_wait")
	LD_SYM(ml_signal, "pa_threaded_mainloop_signal")
	LD_SYM(ml_get_api, "pa_threaded_mainloop_get_api")
	LD_SYM(ctx_new, "pa_context_new")
	LD_SYM(ctx_unref, "pa_context_unref")
	LD_SYM(ctx_connect, "pa_context_connect")
	LD_SYM(ctx_disconnect, "pa_context_disconnect")
	LD_SYM(ctx_get_state, "pa_context_get_state")
	LD_SYM(ctx_set_state_callback, "pa_context_set_state_callback")
	LD_SYM(sink_inputs, "pa_context_get_sink_input_info_list")
	LD_SYM(set_mute, "pa_context_set_sink_input_mute")
	LD_SYM(op_unref, "pa_operation_unref")
	LD_SYM(prop_gets, "pa_proplist_gets")
	ld_pa.state = 1;
	return 1;
}

typedef struct {
	pa_threaded_mainloop *ml;
	pa_context *ctx;
	char *name;   // the playback stream's name (media.name)
	int64_t idx;  // its sink input, -1 while unknown
	int want;     // the mute state asked for last; -1 none yet
	int looking;  // a sink input lookup is under way
	uint64_t applied; // mute requests the server confirmed
} ld_hush;

static void ld_state_cb(pa_context *c, void *u) {
	ld_pa.ml_signal(((ld_hush *)u)->ml, 0);
}

static void ld_mute_cb(pa_context *c, int ok, void *u) {
	ld_hush *h = u;
	if (ok) {
		h->applied++;
	} else {
		h->idx = -1; // gone or moved: look it up again next time
	}
}

static void ld_apply(ld_hush *h) {
	pa_operation *o = ld_pa.set_mute(h->ctx, (uint32_t)h->idx, h->want, ld_mute_cb, h);
	if (o) {
		ld_pa.op_unref(o);
	}
}

static void ld_info_cb(pa_context *c, const pa_sink_input_info *i, int eol, void *u) {
	ld_hush *h = u;
	if (eol) {
		h->looking = 0;
		if (h->idx >= 0 && h->want >= 0) {
			ld_apply(h);
		}
		return;
	}
	const char *n = ld_pa.prop_gets(i->proplist, PA_PROP_MEDIA_NAME);
	if (n && strcmp(n, h->name) == 0) {
		h->idx = i->index;
	}
}

// Called with the lock held.
static void ld_lookup(ld_hush *h) {
	if (h->looking) {
		return;
	}
	pa_operation *o = ld_pa.sink_inputs(h->ctx, ld_info_cb, h);
	if (o) {
		h->looking = 1;
		ld_pa.op_unref(o);
	}
}

static void ld_hush_free(ld_hush *h, int started) {
	if (started) {
		ld_pa.ml_stop(h->ml);
	}
	if (h->ctx) {
		ld_pa.ctx_disconnect(h->ctx);
		ld_pa.ctx_unref(h->ctx);
	}
	if (h->ml) {
		ld_pa.ml_free(h->ml);
	}
	free(h->name);
	free(h);
}

static ld_hush *ld_hush_open(const char *name) {
	if (!ld_pa_load()) {
		return NULL;
	}
	ld_hush *h = calloc(1, sizeof *h);
	if (!h) {
		return NULL;
	}
	h->idx = -1;
	h->want = -1;
	h->name = strdup(name);
	h->ml = ld_pa.ml_new();
	if (!h->name || !h->ml) {
		ld_hush_free(h, 0);
		return NULL;
	}
	h->ctx = ld_pa.ctx_new(ld_pa.ml_get_api(h->ml), "Live Desk");
	if (!h->ctx) {
		ld_hush_free(h, 0);
		return NULL;
	}
	ld_pa.ctx_set_state_callback(h->ctx, ld_state_cb, h);
	if (ld_pa.ctx_connect(h->ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0) {
		ld_hush_free(h, 0);
		return NULL;
	}
	ld_pa.ml_lock(h->ml);
	if (ld_pa.ml_start(h->ml) < 0) {
		ld_pa.ml_unlock(h->ml);
		ld_hush_free(h, 0);
		return NULL;
	}
	for (;;) {
		pa_context_state_t st = ld_pa.ctx_get_state(h->ctx);
		if (st == PA_CONTEXT_READY) {
			break;
		}
		if (!PA_CONTEXT_IS_GOOD(st)) {
			ld_pa.ml_unlock(h->ml);
			ld_hush_free(h, 1);
			return NULL;
		}
		ld_pa.ml_wait(h->ml);
	}
	ld_lookup(h); // find the stream now, so the first hush needs one message, not two
	ld_pa.ml_unlock(h->ml);
	return h;
}

static void ld_hush_set(ld_hush *h, int mute) {
	ld_pa.ml_lock(h->ml);
	h->want = mute;
	if (ld_pa.ctx_get_state(h->ctx) == PA_CONTEXT_READY) {
		if (h->idx >= 0) {
			ld_apply(h);
		} else {
			ld_lookup(h);
		}
	}
	ld_pa.ml_unlock(h->ml);
}

static uint64_t ld_hush_applied(ld_hush *h) {
	ld_pa.ml_lock(h->ml);
	uint64_t n = h->applied;
	ld_pa.ml_unlock(h->ml);
	return n;
}
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
