package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gen2brain/malgo"
)

// PlayerConfig configures a speaker.
type PlayerConfig struct {
	Device string // ID or name from PlaybackDevices; "" = the system default
	// PeriodMs is the device period in milliseconds (20). miniaudio's PulseAudio backend asks
	// the server to buffer just one period; at 10 ms a busy machine makes the server underrun
	// (audible gaps: 3.9 s in 60 s at load 3.7 on 2 cores, against 0.6 s at 20 ms). The
	// player's own PulseAudio stream refills every period and queues 2.5 periods.
	PeriodMs int
	// StallTimeout: when the device asks for nothing for this long, the player counts as lost
	// (3 s). miniaudio does not always report a vanished PulseAudio sink; its callbacks just stop.
	StallTimeout time.Duration
	Jitter       JitterConfig
}

// PlayerStats are the player's counters.
type PlayerStats struct {
	JitterStats
	Callbacks uint64 // device callbacks served
	Frames    uint64 // frames handed to the device (the device's clock)
	// MaxGap is the longest time between two callbacks after start-up: far above the period,
	// the callback thread was starved (a busy machine, or no free Go P for the cgo callback).
	MaxGap time.Duration
	// Hushes counts the mute changes the sound server confirmed for the stream (two per hushed
	// Clear; see Clear). Only with miniaudio's stream.
	Hushes uint64
	// OwnStream: the player plays through its own PulseAudio stream, not miniaudio's (see
	// pulseOut). Then Rewrites counts the Clears that took back audio the server still held,
	// and ServerUnderflows the times the server ran out of audio while playing (a gap heard).
	OwnStream        bool
	Rewrites         uint64
	ServerUnderflows uint64
	Lost             bool // the device stopped on its own (unplugged, server gone)
}

// Player plays model audio (s16le mono at OutputRate) on a playback device through a jitter
// buffer. Write, Clear and the other methods are safe for concurrent use; the device callback
// never waits for them.
type Player struct {
	c    *Context
	log  *slog.Logger
	dev  *malgo.Device // nil with out
	out  *pulseOut     // the player's own PulseAudio stream; nil with dev
	j    *jitter
	ref  *Reference
	name string

	scratch []int16 // callback only
	meter   levelMeter

	callbacks atomic.Uint64
	frames    atomic.Uint64
	period    int // frames per device period as configured
	start     time.Time
	lastData  atomic.Int64 // nanoseconds since start at the last callback
	maxGap    atomic.Int64
	stall     time.Duration
	lost      atomic.Bool
	closing   atomic.Bool
	closeOnce sync.Once
	closeErr  error

	hush     *hush // only with miniaudio's stream on PulseAudio
	hushMu   sync.Mutex
	unhush   *time.Timer // pending unmute after a hushed Clear
	hushDone bool        // closed: no more unmutes
}

// After a Clear while the speaker was playing, the stream is muted in the sound server for
// hushFor: long enough for what the server held (its buffer, about a period) to play out unheard,
// short enough that the next answer, which comes after the user has spoken, starts unmuted.
const (
	hushFor     = 100 * time.Millisecond
	hushAudible = 250 * time.Millisecond // "playing": audible audio went out this recently
)

// With its own stream, Clear rewrites the stream's queue from where the sink reads next (see
// ld_out_rewrite for why not earlier), with a fade rewriteFade long that starts at least
// rewriteGuard later (the read index may move on before the rewrite arrives).
const (
	rewriteGuard = OutputRate / 4000
	rewriteFade  = OutputRate * 3 / 2000
	pulseSinkMs  = 5 // the sink latency the own stream asks for
)

var playerSeq atomic.Uint64

// maxCallbackFrames bounds the callback's scratch buffer; larger periods are served in pieces.
const maxCallbackFrames = 4096

// OpenPlayer opens and starts a playback device at OutputRate, mono, s16. miniaudio converts to
// the device's native format and rate.
func (c *Context) OpenPlayer(cfg PlayerConfig) (*Player, error) {
	if cfg.PeriodMs <= 0 {
		cfg.PeriodMs = 20
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = 3 * time.Second
	}
	id, name, err := c.resolve(malgo.Playback, cfg.Device)
	if err != nil {
		return nil, fmt.Errorf("open player: %w", err)
	}
	p := &Player{
		c:       c,
		log:     c.log.With("device", name, "dir", "playback"),
		j:       newJitter(OutputRate, cfg.Jitter),
		ref:     newReference(OutputRate),
		name:    name,
		scratch: make([]int16, maxCallbackFrames),
		start:   time.Now(),
		stall:   cfg.StallTimeout,
		period:  OutputRate * cfg.PeriodMs / 1000,
	}
	// A name of its own, by which the hush (or a test) finds the stream in the sound server.
	stream := fmt.Sprintf("Live Desk speaker %d.%d", os.Getpid(), playerSeq.Add(1))
	if c.backend == BackendPulse || c.backend == BackendDefault {
		sink := ""
		if id != nil {
			sink = deviceID(*id)
		}
		// ADJUST_LATENCY: the sink runs at (tlength - 2·minreq)/2, here 5 ms, and the stream's
		// queue holds the rest (45 ms at 20 ms periods), refilled every period. What Clear
		// cannot take back is what the sink has mixed, so its latency is kept short; the
		// queue behind it carries a busy machine's late callbacks (0 underflows in 60 s with
		// callbacks up to 27 ms apart; at 25 ms, one underflow beside a 36 ms gap).
		minreq := max(cfg.PeriodMs, 5)
		out, err := openPulseOut(sink, stream, OutputRate, 2*minreq+2*pulseSinkMs, minreq, p.fill)
		if err == nil {
			p.out = out
			if err := c.track(p); err != nil {
				out.close()
				return nil, fmt.Errorf("open player: %w", err)
			}
			st := out.stats()
			p.log.Debug("player started", "stream", "own", "tlength", st.TLength, "minreq", st.MinReq, "prebuf", st.PreBuf, "pipewire", st.PipeWire)
			return p, nil
		}
		// A server without the Pulse protocol, or a device ID that is not a sink's name:
		// miniaudio plays, and the hush stops what its stream holds.
		p.log.Debug("own playback stream unavailable; playing through miniaudio", "err", err)
	}
	dc := malgo.DefaultDeviceConfig(malgo.Playback)
	dc.Playback.Format = malgo.FormatS16
	dc.Playback.Channels = 1
	dc.SampleRate = OutputRate
	dc.PeriodSizeInMilliseconds = uint32(cfg.PeriodMs)
	dc.PerformanceProfile = malgo.LowLatency
	dc.Pulse.StreamNamePlayback = stream
	dev, err := c.initDevice(dc, id, malgo.DeviceCallbacks{Data: p.onData, Stop: p.onStop})
	if err != nil {
		return nil, fmt.Errorf("open player %q: %w", name, err)
	}
	p.dev = dev
	if err := c.track(p); err != nil {
		dev.Uninit()
		return nil, fmt.Errorf("open player: %w", err)
	}
	if err := dev.Start(); err != nil {
		c.untrack(p)
		dev.Uninit()
		return nil, fmt.Errorf("start player %q: %w", name, classify(err))
	}
	if c.backend == BackendPulse || c.backend == BackendDefault {
		p.hush = openHush(stream)
	}
	p.log.Debug("player started", "rate", dev.SampleRate(), "period_ms", cfg.PeriodMs, "hush", p.hush != nil)
	return p, nil
}

// onData is the device callback: it must not block, allocate or log.
func (p *Player) onData(out, _ []byte, frames uint32) {
	p.count(int(frames))
	p.render(out, int(frames))
}

// count updates the callback counters (from the device callback only).
func (p *Player) count(frames int) {
	n := p.callbacks.Add(1)
	p.frames.Add(uint64(frames))
	now := int64(time.Since(p.start))
	// Start-up is irregular (PulseAudio pre-buffers and may wait about a second): skip it.
	if prev := p.lastData.Swap(now); n > 10 && now-prev > p.maxGap.Load() {
		p.maxGap.Store(now - prev) // only the callback writes maxGap
	}
}

// fill is the own stream's callback (libpulse's thread): like onData, it must not block,
// allocate or log.
func (p *Player) fill(s []int16) {
	p.count(len(s))
	p.j.fill(s)
	p.ref.write(s)
	p.meter.add(s)
}

// render fills out (s16le mono, n frames) from the jitter buffer and taps the reference.
func (p *Player) render(out []byte, n int) {
	for n > 0 {
		k := min(n, len(p.scratch))
		s := p.scratch[:k]
		p.j.fill(s)
		p.ref.write(s)
		p.meter.add(s)
		for i, v := range s {
			binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
		}
		out = out[2*k:]
		n -= k
	}
}

func (p *Player) onStop() {
	if !p.closing.Load() {
		p.lost.Store(true)
	}
}

// Write queues one chunk of s16le mono audio at OutputRate that belongs to generation gen. It
// never waits for the device. Chunks of a generation older than the current one (a turn that
// was interrupted) are dropped and counted, as are exact repeats of a recent chunk and chunks
// that do not fit in the buffer. A newer generation is adopted.
func (p *Player) Write(gen uint64, pcm []byte) { p.j.write(gen, pcm) }

// Clear drops everything queued: the next device period fades out over at most 5 ms and is
// silent after that. It returns the new generation; tag the next turn's audio with it.
//
// With its own PulseAudio stream, Clear also takes back what the sound server holds: from where
// the sink reads next, the queued audio is replaced by a 1.5 ms fade of itself and silence, so
// the speaker falls silent once the sink has played what it already mixed (see pulseOut).
// With miniaudio's stream on PulseAudio, when the speaker was playing, the stream is muted in
// the sound server for hushFor instead, so what the server holds stops at once, though with a
// step (see hush).
func (p *Player) Clear() uint64 {
	if p.out != nil {
		var g uint64
		// Under the stream's lock, so the next chunk the server asks for comes from the new
		// generation: silence straight after the rewritten fade, or the jitter buffer's own
		// fade when nothing was left to rewrite.
		p.out.rewrite(rewriteGuard, rewriteFade, func(n int) { g = p.j.clear(n > 0) })
		return g
	}
	g := p.j.clear(false)
	if p.hush != nil && p.ref.Active(hushAudible) {
		p.hushMu.Lock()
		if !p.hushDone {
			p.hush.set(true)
			if p.unhush != nil {
				p.unhush.Stop()
			}
			p.unhush = time.AfterFunc(hushFor, p.endHush)
		}
		p.hushMu.Unlock()
	}
	return g
}

func (p *Player) endHush() {
	p.hushMu.Lock()
	defer p.hushMu.Unlock()
	if !p.hushDone {
		p.hush.set(false)
	}
}

// EndTurn marks the audio written so far as a complete turn (the server's turnComplete): it
// starts without waiting for the start-up lead, and the silence after it is not an underrun.
func (p *Player) EndTurn() { p.j.endTurn() }

// Generation is the current generation (see Write and Clear).
func (p *Player) Generation() uint64 { return p.j.Generation() }

// SetVolume sets the playback gain, 0 (mute) to 2; 1 is unchanged. Changes ramp over one period.
func (p *Player) SetVolume(v float64) { p.j.setVolume(v) }

// Stats returns the counters.
func (p *Player) Stats() PlayerStats {
	st := PlayerStats{JitterStats: p.j.stats(), Callbacks: p.callbacks.Load(), Frames: p.frames.Load(),
		MaxGap: time.Duration(p.maxGap.Load()), Lost: p.Err() != nil}
	if p.hush != nil {
		st.Hushes = p.hush.applied()
	}
	if p.out != nil {
		o := p.out.stats()
		st.OwnStream, st.Rewrites, st.ServerUnderflows = true, o.Rewrites, o.Underflows
	}
	return st
}

// Err reports ErrDeviceLost once the device has stopped on its own or has asked for no audio
// for StallTimeout; nil otherwise.
func (p *Player) Err() error {
	if p.out != nil && !p.closing.Load() && p.out.stats().Failed {
		p.lost.Store(true)
	}
	if !p.lost.Load() && !p.closing.Load() && time.Since(p.start)-time.Duration(p.lastData.Load()) > p.stall {
		p.lost.Store(true)
	}
	if p.lost.Load() {
		return fmt.Errorf("player %q: %w", p.name, ErrDeviceLost)
	}
	return nil
}

// Level returns the output level since the previous call (RMS and peak, dBFS), for a meter
// polled at up to a few dozen Hz. With nothing played since, it repeats the previous value.
func (p *Player) Level() Level { return p.meter.level() }

// FarEndActive reports whether audible audio went to the speaker within the last d.
func (p *Player) FarEndActive(d time.Duration) bool { return p.ref.Active(d) }

// Reference returns the tap on what the player sends to the device.
func (p *Player) Reference() *Reference { return p.ref }

// Close stops and releases the device. It is idempotent; with PulseAudio it can take about a
// second.
func (p *Player) Close() error {
	p.closeOnce.Do(func() {
		p.closing.Store(true)
		if p.hush != nil {
			p.hushMu.Lock()
			p.hushDone = true
			if p.unhush != nil {
				p.unhush.Stop()
			}
			p.hushMu.Unlock()
			p.hush.close()
		}
		if p.out != nil {
			p.out.close()
			p.c.untrack(p)
			return
		}
		if err := p.dev.Stop(); err != nil && !errors.Is(err, malgo.ErrDeviceNotStarted) {
			p.closeErr = fmt.Errorf("stop player %q: %w", p.name, err)
		}
		p.dev.Uninit()
		p.c.untrack(p)
	})
	return p.closeErr
}
