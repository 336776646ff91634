package audio

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gen2brain/malgo"
)

// MicConfig configures a microphone.
type MicConfig struct {
	Device string // ID or name from CaptureDevices; "" = the system default
	// ChunkMs is the size of the chunks Read returns, 20..40 ms (the shortest whole number of
	// periods from 20 ms: 24 ms at the default period). A chunk that ends with a period leaves
	// as soon as the device delivers it; one that ends inside a period waits for its end.
	ChunkMs     int
	QueueChunks int // chunks kept for a slow reader before the oldest is dropped (1 s)
	// PeriodMs is the device period in milliseconds (8): a whole number of the echo
	// canceller's blocks (aec.Block, 8 ms at 16 kHz), so it processes each period as it comes
	// and holds nothing back for the next one.
	PeriodMs int
	// StallTimeout: when the device delivers nothing for this long, Read reports ErrDeviceLost
	// (3 s; the first PulseAudio callback takes up to 0.7 s, ALSA's up to 2 s).
	StallTimeout time.Duration
	// Muted starts the microphone muted: not one period of sound leaves it before SetMuted(false).
	Muted bool

	// Processors run on every period, in order, between capture and the queue (an echo
	// canceller goes here, with FarEnd.Reference as its reference signal).
	Processors []Processor

	// SpeakerMode turns on the half-duplex gate (for people without headphones): while FarEnd
	// plays, the microphone sends silence unless the user talks louder than Gate.BargeIn. It can be
	// changed later with SetSpeakerMode. It needs FarEnd.
	SpeakerMode bool
	FarEnd      FarEnd
	Gate        GateConfig
}

// Level is an input level for a meter, in dBFS (0 is full scale; -inf for digital silence).
type Level struct {
	RMS  float64
	Peak float64
}

// MicStats are the microphone's counters.
type MicStats struct {
	Chunks       uint64        // chunks queued
	Dropped      uint64        // chunks dropped because the reader fell behind (oldest first)
	Skipped      uint64        // samples lost because the reader held a slot for too long
	Queued       int           // chunks waiting
	Callbacks    uint64        // device periods received
	GatedPeriods uint64        // periods replaced by silence in speaker mode
	BargeIns     uint64        // times the user's voice opened the gate over the speaker
	Captured     time.Duration // audio received from the device
	Lost         bool
}

// Mic captures mono s16le audio at InputRate and hands it out in fixed-size chunks.
type Mic struct {
	c    *Context
	log  *slog.Logger
	dev  *malgo.Device
	name string
	cfg  MicConfig

	q        *chunkQueue
	gate     *gate
	gateTail time.Duration
	scratch  []int16 // callback only

	muted       atomic.Bool
	speakerMode atomic.Bool
	callbacks   atomic.Uint64
	captured    atomic.Uint64
	lastData    atomic.Int64 // nanoseconds since start of the last callback
	start       time.Time

	meter levelMeter

	lost      atomic.Bool
	closing   atomic.Bool
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// OpenMic opens and starts a capture device at InputRate, mono, s16 (miniaudio converts from the
// device's native format).
func (c *Context) OpenMic(cfg MicConfig) (*Mic, error) {
	if cfg.PeriodMs <= 0 {
		cfg.PeriodMs = 8
	}
	switch {
	case cfg.ChunkMs == 0:
		cfg.ChunkMs = (20 + cfg.PeriodMs - 1) / cfg.PeriodMs * cfg.PeriodMs
		if cfg.ChunkMs > 40 {
			cfg.ChunkMs = 20
		}
	case cfg.ChunkMs < 20 || cfg.ChunkMs > 40:
		return nil, fmt.Errorf("open mic: chunk of %d ms, want 20..40", cfg.ChunkMs)
	}
	if cfg.QueueChunks <= 0 {
		cfg.QueueChunks = 1000 / cfg.ChunkMs
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = 3 * time.Second
	}
	if cfg.SpeakerMode && cfg.FarEnd == nil {
		return nil, errors.New("open mic: speaker mode needs a FarEnd (the player)")
	}
	id, name, err := c.resolve(malgo.Capture, cfg.Device)
	if err != nil {
		return nil, fmt.Errorf("open mic: %w", err)
	}
	m := &Mic{
		c:        c,
		log:      c.log.With("device", name, "dir", "capture"),
		name:     name,
		cfg:      cfg,
		q:        newChunkQueue(InputRate*cfg.ChunkMs/1000, cfg.QueueChunks),
		gate:     newGate(cfg.Gate, InputRate),
		gateTail: cfg.Gate.withDefaults().Tail,
		scratch:  make([]int16, maxCallbackFrames),
		done:     make(chan struct{}),
		start:    time.Now(),
	}
	m.speakerMode.Store(cfg.SpeakerMode)
	m.muted.Store(cfg.Muted)
	dc := malgo.DefaultDeviceConfig(malgo.Capture)
	dc.Capture.Format = malgo.FormatS16
	dc.Capture.Channels = 1
	dc.SampleRate = InputRate
	dc.PeriodSizeInMilliseconds = uint32(cfg.PeriodMs)
	dc.PerformanceProfile = malgo.LowLatency
	dev, err := c.initDevice(dc, id, malgo.DeviceCallbacks{Data: m.onData, Stop: m.onStop})
	if err != nil {
		return nil, fmt.Errorf("open mic %q: %w", name, err)
	}
	m.dev = dev
	if err := c.track(m); err != nil {
		dev.Uninit()
		return nil, fmt.Errorf("open mic: %w", err)
	}
	if err := dev.Start(); err != nil {
		c.untrack(m)
		dev.Uninit()
		return nil, fmt.Errorf("start mic %q: %w", name, classify(err))
	}
	m.log.Debug("mic started", "rate", dev.SampleRate(), "chunk_ms", cfg.ChunkMs)
	return m, nil
}

// onData is the device callback: it copies out of miniaudio's buffer and never blocks,
// allocates or logs.
func (m *Mic) onData(_, in []byte, frames uint32) {
	m.callbacks.Add(1)
	m.lastData.Store(int64(time.Since(m.start)))
	n := min(int(frames), len(in)/2)
	for n > 0 {
		k := min(n, len(m.scratch))
		s := m.scratch[:k]
		for i := range s {
			s[i] = int16(binary.LittleEndian.Uint16(in[2*i:]))
		}
		m.process(s)
		in = in[2*k:]
		n -= k
	}
}

// process runs one period through meter, mute, processors and gate into the queue.
func (m *Mic) process(s []int16) {
	m.captured.Add(uint64(len(s)))
	m.meter.add(s)
	if m.muted.Load() {
		clear(s)
	}
	for _, p := range m.cfg.Processors {
		p.Process(s)
	}
	if m.speakerMode.Load() {
		m.gate.process(s, m.cfg.FarEnd.FarEndActive(m.gateTail))
	}
	m.q.push(s)
}

func (m *Mic) onStop() {
	if !m.closing.Load() {
		m.lost.Store(true)
		select {
		case m.q.ready <- struct{}{}:
		default:
		}
	}
}

// Read returns the next chunk: ChunkMs of s16le mono audio at InputRate, owned by the caller. It
// blocks until a chunk is ready or ctx is done. It returns ErrClosed after Close and
// ErrDeviceLost when the device stopped or delivered nothing for StallTimeout.
func (m *Mic) Read(ctx context.Context) ([]byte, error) {
	buf := make([]byte, m.q.chunkBytes)
	tick := time.NewTicker(m.cfg.StallTimeout / 4)
	defer tick.Stop()
	for {
		select {
		case <-m.done:
			return nil, ErrClosed
		default:
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if m.q.pop(buf) {
			return buf, nil
		}
		if err := m.Err(); err != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-m.done:
			return nil, ErrClosed
		case <-m.q.ready:
		case <-tick.C:
			if m.stalled() {
				m.lost.Store(true)
			}
		}
	}
}

func (m *Mic) stalled() bool {
	last := time.Duration(m.lastData.Load())
	return time.Since(m.start)-last > m.cfg.StallTimeout
}

// Err reports ErrDeviceLost once the device has stopped on its own; nil otherwise.
func (m *Mic) Err() error {
	if m.lost.Load() {
		return fmt.Errorf("mic %q: %w", m.name, ErrDeviceLost)
	}
	return nil
}

// SetMuted mutes or unmutes: while muted, chunks keep coming but hold silence. The level meter
// keeps showing the real input so the user can see the microphone works.
func (m *Mic) SetMuted(muted bool) { m.muted.Store(muted) }

// Muted reports whether the microphone is muted.
func (m *Mic) Muted() bool { return m.muted.Load() }

// SetSpeakerMode turns the half-duplex gate on or off (off when headphones are declared). It has
// no effect without a FarEnd.
func (m *Mic) SetSpeakerMode(on bool) { m.speakerMode.Store(on && m.cfg.FarEnd != nil) }

// Level returns the input level since the previous call (RMS and peak, dBFS), for a meter polled
// at up to a few dozen Hz. With no new audio it repeats the previous value.
func (m *Mic) Level() Level { return m.meter.level() }

func dBFS(v float64) float64 {
	if v <= 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(v/32768)
}

// Stats returns the counters.
func (m *Mic) Stats() MicStats {
	return MicStats{
		Chunks:       m.q.head.Load(),
		Dropped:      m.q.dropped.Load(),
		Skipped:      m.q.skipped.Load(),
		Queued:       m.q.len(),
		Callbacks:    m.callbacks.Load(),
		GatedPeriods: m.gate.gatedPeriods.Load(),
		BargeIns:     m.gate.bargeIns.Load(),
		Captured:     time.Duration(m.captured.Load()) * time.Second / InputRate,
		Lost:         m.lost.Load(),
	}
}

// Close stops and releases the device and wakes any Read with ErrClosed. It is idempotent; with
// PulseAudio it can take about a second.
func (m *Mic) Close() error {
	m.closeOnce.Do(func() {
		m.closing.Store(true)
		close(m.done)
		if err := m.dev.Stop(); err != nil && !errors.Is(err, malgo.ErrDeviceNotStarted) {
			m.closeErr = fmt.Errorf("stop mic %q: %w", m.name, err)
		}
		m.dev.Uninit()
		m.c.untrack(m)
	})
	return m.closeErr
}
