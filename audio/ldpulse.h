// libpulse, opened at run time as miniaudio opens it: a machine without it still runs Live Desk,
// with miniaudio's own playback and no hush. Shared by hush_pulse.go and pulseout_pulse.go.
#ifndef LD_PULSE_H
#define LD_PULSE_H

#include <stdint.h>
#include <stddef.h>
#include <pulse/pulseaudio.h>

int ld_pa_load(void);

// The hush: mutes a named sink input through a connection of our own (see hush_pulse.go).
typedef struct ld_hush ld_hush;
ld_hush *ld_hush_open(const char *name);
void ld_hush_set(ld_hush *h, int mute);
uint64_t ld_hush_applied(ld_hush *h);
void ld_hush_free(ld_hush *h, int started);

// The player's own playback stream (see pulseout_pulse.go).
typedef struct ld_out ld_out;

typedef struct {
	uint64_t underflows; // the server ran out of our audio while playing
	uint64_t rewrites;   // Clears that rewrote queued audio
	uint64_t rewritten;  // samples rewritten by them
	uint32_t tlength, minreq, prebuf; // the buffer the server granted, bytes
	int64_t latency_us;  // the sink's latency at the last timing update
	int failed;          // the stream or the connection failed
	int pipewire;        // the server is PipeWire's Pulse server
} ld_out_stats;

// ld_out_open connects a playback stream of rate Hz s16le mono to sink (NULL: the default) and
// starts it; on failure it returns NULL with a message in err.
ld_out *ld_out_open(const char *sink, const char *name, int rate, int tlength_ms, int minreq_ms,
	uintptr_t slot, char *err, size_t errlen);
void ld_out_lock(ld_out *o);
void ld_out_unlock(ld_out *o);
// ld_out_rewrite (lock held) replaces the stream's queue from guard samples past where the sink
// reads next with a fade of fade samples and silence. It returns the samples rewritten, 0 when
// nothing was left to replace.
int64_t ld_out_rewrite(ld_out *o, int guard, int fade);
void ld_out_stats_get(ld_out *o, ld_out_stats *st);
void ld_out_close(ld_out *o);

#endif
