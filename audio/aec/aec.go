package aec

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"
)

// Source is the far-end reference: what the speaker actually played, at its own rate.
// *audio.Reference (Player.Reference()) satisfies it.
type Source interface {
	// Rate is the reference's sample rate.
	Rate() int
	// Read copies the most recent len(dst) samples into dst and returns the absolute position,
	// in samples since the start, of the end of dst.
	Read(dst []int16) uint64
}

// Config tunes a Canceller. Zero fields take the defaults shown.
type Config struct {
	Rate       int // microphone sample rate (16000, audio.InputRate)
	TailMs     int // echo tail the adaptive filter models after the bulk delay (128)
	MaxDelayMs int // largest bulk delay searched: playback + capture latency + acoustic path (480)
	// ERLEWindow is the time constant of the running echo reduction estimate (1.5 s of echo).
	ERLEWindow time.Duration
	Log        *slog.Logger // nil: discard (Process never logs: it runs on the capture callback)
}

func (c Config) withDefaults() Config {
	if c.Rate == 0 {
		c.Rate = 16000
	}
	if c.TailMs == 0 {
		c.TailMs = 128
	}
	if c.MaxDelayMs == 0 {
		c.MaxDelayMs = 480
	}
	if c.ERLEWindow <= 0 {
		c.ERLEWindow = 1500 * time.Millisecond
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Stats are the canceller's counters and measurements, safe to read from any goroutine.
type Stats struct {
	// ERLE is the echo return loss enhancement, in dB: how much quieter the processed
	// microphone signal is than the raw one while the far end plays: a running average, in dB
	// and with time constant ERLEWindow, of measurements over 256 ms of blocks where the
	// microphone holds little besides echo (near-end speech would lower it). Averaging decibels
	// rather than energies keeps the first, unconverged second from dominating it for long.
	// NaN until there is such audio.
	ERLE      float64
	Delay     time.Duration // bulk echo delay in use (reference read position to filter start)
	Blocks    uint64        // blocks processed (8 ms at 16 kHz)
	Underruns uint64        // blocks whose reference was not there yet (filled with silence)
	Skips     uint64        // blocks the reference read position stepped forward (clock drift)
	Rewinds   uint64        // blocks it stepped back
	Resyncs   uint64        // times the reference was lost and re-acquired from scratch
	Copies    uint64        // background filter adopted by the foreground
	Resets    uint64        // background filter reset after diverging (double talk)
	Realigns  uint64        // echo path jumps caught and followed (see realigner)
	Restores  uint64        // far-end onsets at which the filter went back to its snapshot (see onset)
	Limited   uint64        // blocks turned down to the microphone's level (see limit)
	DriftPPM  int64         // playback clock relative to capture clock, as compensated
	// Guarded counts blocks muted while the canceller was still converging (see
	// guardMaxBlocks); Converged reports that it has converged since the last restart.
	Guarded   uint64
	Converged bool
	// NoEchoPath: the microphone heard none of the far end while its echo was due (headphones,
	// or hardware that already cancels), so the guard stopped muting before convergence.
	NoEchoPath bool
}

// Block is the canceller's internal block size in samples (8 ms at 16 kHz). Process adds only
// SuppressDelay when the capture period is a whole number of blocks; other periods are held
// back by the least that keeps whole blocks as well (see framing).
const Block = 128

// maxChunk bounds the samples one Process call handles at a time (longer periods are split).
const maxChunk = 4096

// Canceller is an acoustic echo canceller for the microphone path. It implements
// audio.Processor: Process runs on the capture callback, never blocks or allocates, and takes
// no locks. Stats, ERLE and SetEnabled are safe from any goroutine.
//
// Engine: a pure-Go partitioned-block frequency-domain adaptive filter (see mdf), fed with the
// speaker reference resampled to the microphone rate, read at a position that tracks the
// playback clock, and delayed by an estimated bulk delay.
type Canceller struct {
	ref Source
	cfg Config
	log *slog.Logger

	m   *mdf
	rs  *resampler
	est *delayEstimator
	ra  *realigner

	// callback-only state
	started    bool
	x          float64 // reference position of the next far sample
	step       float64 // reference samples per far sample: the rate ratio, drift-corrected
	drift      *driftTracker
	win        []int16
	nearBuf    []float32
	nearN      int
	outBuf     []float32
	outN       int
	farBlk     []float32
	outBlk     []float32
	minLag     int64
	lagSpan    int
	lastLag    int64
	sinceEst   int
	lastEst    int
	estRun     int  // consecutive delay estimates that agreed
	farQuiet   int  // far blocks in a row without sound
	tainted    bool // the filter adapted while cancelling poorly since the snapshot
	reverts    int  // onsets reverted to the snapshot since it was taken
	suspect    int  // far-active blocks the guard still mutes after a stream stall
	delayKnown bool
	converged  bool    // the filter has converged since the last restart
	guardN     int     // far-end blocks muted while converging
	farHold    int     // blocks left in which an echo of recent far-end sound may still arrive
	farE       float64 // this block's far-end energy
	farPeak    float64 // loudest far-end block energy within the hold
	echoPeak   float64 // loudest echo estimate block energy within the hold
	prevNearE  float64 // the previous block's microphone energy (limit)
	holdBlocks int     // MaxDelayMs plus the filter length, in blocks
	pres       presence
	scan       lagScan // presence while the user talks
	sd, so     float64 // ERLE accumulators
	erleN      int
	erleDB     float64
	erleSegs   int
	decay      float64
	wasOn      bool
	fill       int   // reference samples in the window for this call's blocks (0: none)
	end        int64 // absolute reference position of the window's end

	enabled   atomic.Bool
	erle      atomic.Uint64 // float64 bits
	delayBlk  atomic.Int64
	driftPPM  atomic.Int64
	blocks    atomic.Uint64
	underruns atomic.Uint64
	skips     atomic.Uint64
	rewinds   atomic.Uint64
	resyncs   atomic.Uint64
	copies    atomic.Uint64
	resets    atomic.Uint64
	realigns  atomic.Uint64
	restores  atomic.Uint64
	limited   atomic.Uint64
	guarded   atomic.Uint64
	convFlag  atomic.Bool
	noEcho    atomic.Bool
}

// New returns an enabled canceller that uses ref as the far-end reference.
func New(ref Source, cfg Config) (*Canceller, error) {
	if ref == nil {
		return nil, errors.New("echo canceller: no far-end reference")
	}
	cfg = cfg.withDefaults()
	if cfg.Rate < 8000 || cfg.Rate > 48000 {
		return nil, fmt.Errorf("echo canceller: microphone rate %d Hz, want 8000..48000", cfg.Rate)
	}
	blockMs := float64(Block) * 1000 / float64(cfg.Rate)
	parts := max(1, int(math.Ceil(float64(cfg.TailMs)/blockMs)))
	maxDelay := max(2, int(math.Ceil(float64(cfg.MaxDelayMs)/blockMs)))
	m, err := newMDF(Block, parts, maxDelay)
	if err != nil {
		return nil, fmt.Errorf("echo canceller: %w", err)
	}
	rs, err := newResampler(ref.Rate(), cfg.Rate)
	if err != nil {
		return nil, fmt.Errorf("echo canceller: %w", err)
	}
	ra, err := newRealigner(Block)
	if err != nil {
		return nil, fmt.Errorf("echo canceller: %w", err)
	}
	scan, err := newLagScan(maxDelay)
	if err != nil {
		return nil, fmt.Errorf("echo canceller: %w", err)
	}
	c := &Canceller{
		holdBlocks: maxDelay + parts,
		pres:       newPresence(maxDelay),
		scan:       scan,
		ref:        ref,
		cfg:        cfg,
		log:        cfg.Log,
		m:          m,
		rs:         rs,
		ra:         ra,
		est:        newDelayEstimator(int(math.Ceil(1.5*float64(cfg.Rate)/Block)), int(math.Ceil(0.5*float64(cfg.Rate)/Block)), maxDelay+2),
		win:        make([]int16, ref.Rate()),
		nearBuf:    make([]float32, maxChunk+Block),
		outBuf:     make([]float32, maxChunk+2*Block),
		farBlk:     make([]float32, Block),
		outBlk:     make([]float32, Block),
		decay:      math.Exp(-float64(erleSegment*Block) / (cfg.ERLEWindow.Seconds() * float64(cfg.Rate))),
		lastEst:    -1,
		step:       rs.ratio,
		drift:      newDriftTracker(parts, Block+1, int(math.Round(0.5*float64(cfg.Rate)/Block)), int(math.Round(2*float64(cfg.Rate)/Block))),
	}
	c.outN = -1 // framing latency: set by the first period (see framing)
	c.log.Debug("echo canceller ready", "reference_rate", ref.Rate(), "rate", cfg.Rate,
		"tail_ms", parts*Block*1000/cfg.Rate, "max_delay_ms", maxDelay*Block*1000/cfg.Rate)
	c.erle.Store(math.Float64bits(math.NaN()))
	c.enabled.Store(true)
	c.wasOn = true
	return c, nil
}

// SetEnabled turns the canceller on or off. Off, Process leaves the audio untouched; turning it
// back on starts learning the echo path afresh.
func (c *Canceller) SetEnabled(on bool) { c.enabled.Store(on) }

// Enabled reports whether the canceller is on.
func (c *Canceller) Enabled() bool { return c.enabled.Load() }

// ERLE returns the running echo reduction estimate in dB (see Stats.ERLE).
func (c *Canceller) ERLE() float64 { return math.Float64frombits(c.erle.Load()) }

// Stats returns the counters and measurements.
func (c *Canceller) Stats() Stats {
	return Stats{
		ERLE:       c.ERLE(),
		Delay:      time.Duration(c.delayBlk.Load()) * Block * time.Second / time.Duration(c.cfg.Rate),
		Blocks:     c.blocks.Load(),
		Underruns:  c.underruns.Load(),
		Skips:      c.skips.Load(),
		Rewinds:    c.rewinds.Load(),
		Resyncs:    c.resyncs.Load(),
		Copies:     c.copies.Load(),
		Resets:     c.resets.Load(),
		Realigns:   c.realigns.Load(),
		Restores:   c.restores.Load(),
		Limited:    c.limited.Load(),
		DriftPPM:   c.driftPPM.Load(),
		Guarded:    c.guarded.Load(),
		Converged:  c.convFlag.Load(),
		NoEchoPath: c.noEcho.Load(),
	}
}

// Process cancels the echo in one period of microphone samples, in place. It is meant for the
// capture callback: one caller at a time, no blocking, no allocation.
func (c *Canceller) Process(near []int16) {
	on := c.enabled.Load()
	if on != c.wasOn {
		c.wasOn = on
		if on {
			c.restart()
		}
	}
	if !on {
		return
	}
	for len(near) > 0 {
		k := min(len(near), maxChunk)
		c.chunk(near[:k])
		near = near[k:]
	}
}

// restart forgets the echo path and the reference position.
func (c *Canceller) restart() {
	c.m.reset()
	c.ra.restart()
	c.tainted, c.reverts, c.suspect = false, 0, 0
	c.est.reset()
	c.started = false
	c.nearN = 0
	clear(c.outBuf)
	c.outN = -1
	c.delayKnown = false
	c.converged, c.guardN, c.farHold, c.farPeak = false, 0, 0, 0
	c.convFlag.Store(false)
	c.pres.restart()
	c.scan.restart()
	c.noEcho.Store(false)
	c.lastEst = -1
	c.sd, c.so, c.erleN, c.erleSegs = 0, 0, 0, 0
	c.erle.Store(math.Float64bits(math.NaN()))
	c.delayBlk.Store(0)
	c.drift.reset()
	c.followDrift()
}

func (c *Canceller) chunk(near []int16) {
	const scale = 1.0 / 32768
	if c.outN < 0 {
		c.outN = framing(len(near))
		clear(c.outBuf[:c.outN])
	}
	for i, v := range near {
		c.nearBuf[c.nearN+i] = float32(v) * scale
	}
	c.nearN += len(near)
	blocks := c.nearN / Block
	if blocks > 0 {
		c.prepare(blocks)
		for b := range blocks {
			c.block(c.nearBuf[b*Block : (b+1)*Block])
		}
		used := blocks * Block
		copy(c.nearBuf, c.nearBuf[used:c.nearN])
		c.nearN -= used
	}
	if short := len(near) - c.outN; short > 0 {
		// A period shorter than the first (the device changed its mind): hold the stream back
		// by the difference, once, rather than run out.
		copy(c.outBuf[short:], c.outBuf[:c.outN])
		clear(c.outBuf[:short])
		c.outN += short
	}
	for i := range near {
		v := c.outBuf[i] * 32768
		near[i] = int16(max(-32768, min(32767, math.Round(float64(v)))))
	}
	copy(c.outBuf, c.outBuf[len(near):c.outN])
	c.outN -= len(near)
}

// Latency is the delay, in samples, that Process adds to microphone audio delivered in periods
// of n samples: SuppressDelay, plus, when n is not a whole number of blocks, just enough that
// every period's output is ready when the period ends, whatever its offset against the blocks
// (Block minus the greatest common divisor of the two: 96 more for 10 ms periods).
func Latency(n int) int {
	return framing(n) + SuppressDelay
}

func framing(n int) int {
	a, b := n, Block
	for b != 0 {
		a, b = b, a%b
	}
	return Block - a
}

// lagSpanBlocks is how many blocks the reference's minimum lead is tracked over (1 s at 16 kHz).
const lagSpanBlocks = 125

// prepare reads the reference window for the next blocks and keeps the read position between
// "not played yet" and "too far behind": it steps back a block when the reference is late and
// forward a block when it has been comfortably early for a second.
func (c *Canceller) prepare(blocks int) {
	perBlock := float64(Block) * c.step
	if !c.started {
		end := c.ref.Read(c.win[:1])
		if end == 0 {
			c.fill = 0
			return // nothing played yet: the far end is silence
		}
		c.started = true
		c.x = c.startPos(int64(end), blocks)
		c.minLag = math.MaxInt64
		c.lagSpan = 0
		c.lastLag = int64(perBlock)
	}
	span := float64(blocks*Block) * c.step
	s, _ := c.rs.span(c.x)
	_, e := c.rs.span(c.x + span)
	wlen := int(min(int64(len(c.win)), max(768, c.lastLag+(e-s)+256)))
	end := int64(c.ref.Read(c.win[len(c.win)-wlen:]))
	if s < end-int64(wlen) {
		if s < end-int64(len(c.win))+int64(perBlock) {
			c.resync(end, blocks)
			_, e = c.rs.span(c.x + span)
		}
		wlen = len(c.win)
		end = int64(c.ref.Read(c.win))
	}
	lag := end - e - 1
	c.lastLag = max(lag, 0)
	// Late: step back whole blocks; the filter's window moves with the stream.
	for lag < 0 {
		c.x -= perBlock
		c.m.popFar()
		c.est.popFar()
		c.m.place(max(c.m.delay-1, 0), -1)
		c.ra.restart()
		c.scan.popFar()
		c.rewinds.Add(1)
		c.arm()
		lag += int64(perBlock)
	}
	c.fill = wlen
	c.end = end
	c.minLag = min(c.minLag, lag)
	c.lagSpan += blocks
	if c.lagSpan >= lagSpanBlocks {
		if c.minLag > 2*int64(perBlock)+int64(c.rs.half) && c.m.delay < c.m.maxDelay {
			// Early for a whole second: take one extra block into the history.
			c.far()
			c.m.pushFar(c.farBlk)
			c.est.pushFar(c.farBlk)
			c.scan.pushFar(c.farBlk)
			c.m.place(c.m.delay+1, 1)
			c.ra.restart()
			c.skips.Add(1)
			c.arm()
		}
		c.minLag = math.MaxInt64
		c.lagSpan = 0
	}
}

// arm re-engages the guard for a while after the reference read position moved. The playback
// callback came late: often only late (the stream went on, and the step keeps the echo path
// where it was), but when the sound server ran dry in the meantime the speaker played silence
// and everything after it plays that much later, so the echo path moved by the stall (seen:
// 3 blocks late, then 120 ms of echo at -10 dB that the server took for the user). Until the
// realigner has confirmed or corrected the path, far-end sound is muted as before convergence.
func (c *Canceller) arm() {
	if c.converged {
		c.suspect = suspectBlocks
	}
}

// startPos puts the last sample the next blocks need one block before the newest.
func (c *Canceller) startPos(end int64, blocks int) float64 {
	return float64(end) - float64(Block+blocks*Block)*c.step - float64(c.rs.half) - 1
}

func (c *Canceller) resync(end int64, blocks int) {
	c.resyncs.Add(1)
	c.m.reset()
	c.ra.restart()
	c.tainted, c.reverts, c.suspect = false, 0, 0
	c.est.reset()
	c.drift.reset()
	c.delayKnown = false
	c.converged, c.guardN, c.farHold, c.farPeak = false, 0, 0, 0
	c.convFlag.Store(false)
	c.pres.restart()
	c.scan.restart()
	c.noEcho.Store(false)
	c.lastEst = -1
	c.x = c.startPos(end, blocks)
}

// far writes the next far block into c.farBlk from the window (the newest c.fill reference
// samples, ending at c.end) and advances the read position; samples not played yet are silence.
func (c *Canceller) far() {
	x := c.x
	c.x += float64(Block) * c.step
	if c.fill == 0 {
		clear(c.farBlk)
		return
	}
	winStart := c.end - int64(c.fill)
	in := c.win[len(c.win)-c.fill:]
	s, _ := c.rs.span(x)
	_, e := c.rs.span(x + float64(Block-1)*c.step)
	if s >= winStart && e < c.end {
		c.rs.run(c.farBlk, x, c.step, in, winStart)
		return
	}
	// Partly unavailable: compute what we can, silence for the rest.
	c.underruns.Add(1)
	for i := range c.farBlk {
		xi := x + float64(i)*c.step
		s, e := c.rs.span(xi)
		if s >= winStart && e < c.end {
			c.rs.run(c.farBlk[i:i+1], xi, c.step, in, winStart)
		} else {
			c.farBlk[i] = 0
		}
	}
}

// block runs one block: far block, delay estimation, filter, drift tracking, ERLE bookkeeping.
func (c *Canceller) block(near []float32) {
	c.far()
	c.farE = energy(c.farBlk)
	c.onset()
	c.m.pushFar(c.farBlk)
	c.est.pushFar(c.farBlk)
	c.est.pushNear(near)
	c.m.process(near, c.outBlk, true)
	c.limit()
	c.ra.push(near, c.m.lastNearE, c.m.lastErrE)
	if c.m.lastFarActive && c.m.haveSnap && c.m.lastErrE*30 > c.m.lastNearE {
		c.tainted = true
	}
	if c.m.lastNearE == 0 && c.m.lastEchoE > farActiveMS*Block {
		// Digital silence where echo was due: the capture stream dropped out (a stalled
		// callback), and the microphone timeline has moved against the reference.
		c.arm()
	}
	if good, poor := c.ra.state(); good && c.m.lastFarActive {
		c.m.takeSnapshot()
		c.tainted, c.reverts, c.suspect = false, 0, 0
	} else if poor && c.delayKnown && c.m.haveSnap {
		if s, ok := c.ra.check(c.m.predict); ok {
			c.shiftPath(s)
		}
	}
	c.guard(near)
	copy(c.outBuf[c.outN:], c.outBlk)
	c.outN += Block
	c.blocks.Add(1)
	c.copies.Store(c.m.st.copies)
	c.resets.Store(c.m.st.resets)

	c.sinceEst++
	if c.sinceEst >= 16 {
		c.sinceEst = 0
		c.updateDelay()
	}
	if c.delayKnown {
		if c.drift.update(c.m) {
			c.followDrift()
		}
	}

	if c.m.lastFarActive && c.m.echoOnly {
		c.sd += c.m.lastNearE
		c.so += c.m.lastOutE
		c.erleN++
		if c.erleN == erleSegment {
			seg := max(-10, min(erleCapDB, 10*math.Log10((c.sd+1e-12)/(c.so+1e-12))))
			if c.erleSegs == 0 {
				c.erleDB = seg
			} else {
				c.erleDB = c.decay*c.erleDB + (1-c.decay)*seg
			}
			c.erleSegs++
			c.sd, c.so, c.erleN = 0, 0, 0
			c.erle.Store(math.Float64bits(c.erleDB))
		}
	}
}

const (
	erleSegment = 32 // echo-only blocks per echo reduction measurement (256 ms at 16 kHz)
	erleCapDB   = 70 // a digital echo path can be cancelled to nothing: report at most this
)

// suspectBlocks is how much far-end sound the guard mutes after the playback stream stalled
// (see prepare): 0.6 s at 16 kHz, about twice what the realigner needs to confirm or correct
// the echo path.
const suspectBlocks = 75

// Until the filter has found the echo path (the delay estimate needs about 1.5 s of far-end
// sound), the first words of the model's first answer reach the microphone barely reduced, and
// the server's voice activity detection takes them for the user barging in: the model
// interrupts itself before the canceller could learn anything. So until the measured echo
// reduction first reaches guardOffDB, blocks that may hold an echo of recent far-end sound are
// muted (the half-duplex behaviour of speaker mode). A near end louder than the
// far-end signal itself, which no echo can be, passes. The guard mutes at most guardMaxBlocks
// of far-end sound after a restart, so that a path that never converges (no echo at all, as
// with headphones) is not muted forever.
const (
	guardMaxBlocks = 12 * 16000 / Block // 12 s of far-end sound
	guardGain      = 0.01               // -40 dB
	guardOffDB     = 25.0               // measured echo reduction that ends the guard
)

func (c *Canceller) guard(near []float32) {
	// An echo arrives up to MaxDelayMs after the far end played it: hold that long.
	farE := c.farE
	if farE > farActiveMS*Block {
		c.farHold = c.holdBlocks
		c.farPeak = max(c.farPeak, farE)
	} else if c.farHold > 0 {
		c.farHold--
		if c.farHold == 0 {
			c.farPeak, c.echoPeak = 0, 0
		}
	}
	c.echoPeak = max(c.echoPeak, c.m.lastEchoE)
	undecided := !c.converged && c.guardN < guardMaxBlocks
	if undecided && (c.pres.push(c.m.lastNearE, farE) || c.scan.push(near, c.farBlk)) {
		// No echo to learn: muting the far-end stretches would only cut the user off.
		c.guardN = guardMaxBlocks
		c.noEcho.Store(true)
	}
	if !c.converged && c.delayKnown && c.ERLE() >= guardOffDB {
		// Once converged the guard stays off until a restart: the reduction measured
		// during double talk is low, and muting then would cut the user off.
		c.converged = true
		c.convFlag.Store(true)
	}
	learning := !c.converged && c.guardN < guardMaxBlocks
	if !learning && c.suspect == 0 || c.farHold == 0 || c.m.lastNearE > 2*c.farPeak {
		return
	}
	if !learning && c.m.lastNearE > 4*c.echoPeak {
		// A converged filter knows how loud the echo is, even if no longer exactly when it
		// comes: a microphone 6 dB above the loudest recent echo estimate holds the user,
		// who must get through.
		return
	}
	if learning {
		c.guardN++
	} else if c.m.lastFarActive {
		c.suspect-- // the budget is far-end sound, not the silence after it
	}
	c.guarded.Add(1)
	for i := range c.outBlk {
		c.outBlk[i] *= guardGain
	}
}

// limit keeps the output from being louder than the microphone was (over this block and the
// one before: the suppressor's output lags the input by SuppressDelay samples). Cancelling can
// only take sound away; more sound out than in is the filter subtracting an echo that is not
// there, as when the capture stream drops out or the echo path has just moved, and what it adds
// is the model's voice.
func (c *Canceller) limit() {
	in := max(c.m.lastNearE, c.prevNearE)
	c.prevNearE = c.m.lastNearE
	out := energy(c.outBlk)
	if out <= in {
		return
	}
	g := float32(math.Sqrt(in / out))
	for i := range c.outBlk {
		c.outBlk[i] *= g
	}
	c.limited.Add(1)
}

// onsetGap is the far-end silence, in blocks, after which far-end sound counts as an onset
// (96 ms at 16 kHz: longer than the pauses within a sentence).
const onsetGap = 12

// maxReverts bounds the onsets at which a tainted filter goes back to the snapshot without the
// snapshot then proving good: after that the snapshot is taken for stale (the room changed)
// and the filter keeps what it learns.
const maxReverts = 2

// onset runs before the filter sees a new far block. The filter adapts through double talk
// more than it should (the detector misses near-end speech about as loud as the echo), and
// what it learnt there is wrong; the snapshot from before it is right. Found out only when the
// far end speaks again, that costs the first 100-200 ms of the next answer: echo at -10 dB,
// which the server's voice detector takes for the user (seen after every barge-in on the CI
// echo path). The far block is read the bulk delay before its echo reaches the microphone, so
// at the start of far-end sound after a pause a tainted filter goes back to the snapshot first.
func (c *Canceller) onset() {
	if c.farE <= farActiveMS*Block {
		c.farQuiet++
		return
	}
	if c.farQuiet >= onsetGap && c.tainted && c.m.haveSnap && c.reverts < maxReverts {
		c.m.restoreSnapshot()
		c.ra.restart()
		c.tainted = false
		c.reverts++
		c.restores.Add(1)
		c.delayBlk.Store(int64(c.m.delay))
	}
	c.farQuiet = 0
}

// shiftPath follows a jump of the echo path by s samples (positive: the echo now arrives
// later).
func (c *Canceller) shiftPath(s int) {
	// The snapshot is the path as it was before the jump; the foreground may since have been
	// dragged towards the new one and be a poor mix of both.
	c.m.restoreSnapshot()
	if s < 0 {
		// Make room before the response by moving the window one or more blocks back.
		if q := (-s + Block - 1) / Block; c.m.delay >= q {
			c.m.place(c.m.delay-q, 0)
		}
	}
	c.m.shiftTaps(s)
	c.m.takeSnapshot()
	c.tainted, c.suspect = false, 0
	if s != 0 {
		c.drift.jumped()
		c.followDrift()
	}
	c.ra.restart()
	c.realigns.Add(1)
	c.delayBlk.Store(int64(c.m.delay))
}

// followDrift reads the reference at the rate ratio corrected by the drift measured so far.
func (c *Canceller) followDrift() {
	c.step = c.rs.ratio * (1 + c.drift.integral)
	c.driftPPM.Store(int64(math.Round(c.drift.integral * 1e6)))
}

// maxDrift bounds the clock drift compensated (±0.1 %).
const maxDrift = 1e-3

// maxDriftStep is the fastest slide between two drift measurements taken as clock drift; a
// faster one is a jump of the echo path (see realign). Two devices' crystals differ by tens of
// ppm, but PulseAudio's rate-adapting loopback was measured sliding at 100-600 ppm (250 ppm
// here kept it from ever being followed, and the filter from converging). A jump of the path
// by a few milliseconds (PulseAudio re-buffering a stream) is over 1000 ppm across the 2 s
// between measurements.
const maxDriftStep = 1000e-6

// preMargin is how many partitions of the filter lie before the strongest echo.
const preMargin = 2

// updateDelay re-estimates the bulk delay: from the envelope correlation while the filter has
// not converged, and from where the filter's own energy sits once it has.
func (c *Canceller) updateDelay() {
	if c.delayKnown && c.m.leak < 0.1 {
		if p := c.m.peak(); p < preMargin-1 || p > preMargin+2 {
			c.m.place(c.m.delay+p-preMargin, 0)
		}
		c.delayBlk.Store(int64(c.m.delay))
		return
	}
	lag, rho, ok := c.est.estimate()
	if !ok || rho < 0.4 {
		c.estRun = 0
		return
	}
	consistent := c.lastEst >= 0 && abs(lag-c.lastEst) <= 1
	c.lastEst = lag
	if consistent {
		c.estRun++
	} else {
		c.estRun = 0
	}
	if c.converged {
		// A converged filter knows better than envelopes: near-end speech after the far end
		// stopped can correlate with the far envelope at some lag, and moving the filter
		// there throws away the echo path just before the model speaks again (seen: a
		// question moved a 56 ms path to 328 ms, and the next answer interrupted itself).
		// Small jumps are the realigner's; the envelope only wins when it has agreed with
		// itself for ~0.6 s, clearly, while the far end plays and the filter cancels poorly.
		if c.estRun < 5 || rho < 0.7 || !c.m.lastFarActive || c.ra.left < 1.0/30 {
			return
		}
	} else if !(rho > 0.6 && !c.delayKnown) && !consistent {
		return
	}
	// Move only when the echo lies outside what the filter covers (with its pre-margin).
	want := max(0, lag-preMargin)
	if !c.delayKnown || lag < c.m.delay || lag > c.m.delay+c.m.parts-preMargin {
		c.m.place(want, 0)
		c.delayKnown = true
	}
	c.delayBlk.Store(int64(c.m.delay))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
