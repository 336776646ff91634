package audio

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// JitterConfig tunes the playback jitter buffer. Zero fields take the defaults shown.
type JitterConfig struct {
	StartLead   time.Duration // audio held before playback starts (40 ms)
	MaxLead     time.Duration // the lead never grows beyond this (300 ms)
	LeadStep    time.Duration // growth after an underrun, shrink after a steady stretch (20 ms)
	SteadyAfter time.Duration // continuous playback without underrun before the lead shrinks (5 s)
	// ResumeWindow: when audio of the same generation arrives within this time after the buffer
	// ran dry, the gap was an underrun (late delivery) rather than the end of a turn (1 s).
	ResumeWindow time.Duration
	Capacity     time.Duration // ring capacity, rounded up to a power of two (60 s)
	Fade         time.Duration // fade-out on Clear and when running dry (4 ms, at most 5 ms)
	// KeepDuplicates turns off the filter that drops a non-silent chunk identical to one of the
	// last few chunks of the same generation (servers sometimes deliver a part twice).
	KeepDuplicates bool
}

func (c JitterConfig) withDefaults() JitterConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.StartLead, 40*time.Millisecond)
	def(&c.MaxLead, 300*time.Millisecond)
	def(&c.LeadStep, 20*time.Millisecond)
	def(&c.SteadyAfter, 5*time.Second)
	def(&c.ResumeWindow, time.Second)
	def(&c.Capacity, 60*time.Second)
	def(&c.Fade, 4*time.Millisecond)
	c.Fade = min(c.Fade, 5*time.Millisecond)
	c.MaxLead = max(c.MaxLead, c.StartLead)
	return c
}

const recentChunks = 4

// jitter is the playback buffer between the network (Write, Clear) and the device callback
// (fill). It is single-producer/single-consumer: producer-side calls are serialised by mu, which
// the consumer never takes; the consumer only touches atomics and its own fields, so the device
// callback never blocks on network code and never allocates.
//
// Positions are absolute sample counts. The producer publishes wpos; the consumer publishes rpos.
// Clear publishes clearPos (the write position at the time of the flush); the consumer discards
// everything before it at its next period, after a short fade-out.
type jitter struct {
	rate int
	cfg  JitterConfig
	// all in samples
	startLead, maxLead, leadStep, steadyAfter, resumeWindow, fade int

	buf  []int16
	mask uint64

	// producer side, guarded by mu
	mu      sync.Mutex
	recent  [recentChunks]uint64
	nRecent int

	wpos     atomic.Uint64
	rpos     atomic.Uint64
	clearPos atomic.Uint64
	cut      atomic.Bool   // the last clear needs no fade (see clear)
	turnEnd  atomic.Uint64 // write position at the last endTurn
	gen      atomic.Uint64
	volume   atomic.Uint64 // float64 bits

	// consumer side (the device callback only)
	state     jitterState
	lead      int
	waited    int
	dryFor    int
	dryGen    uint64
	steady    int
	seenClear uint64
	last      float32
	curVol    float64

	// counters
	underruns    atomic.Uint64
	staleChunks  atomic.Uint64
	overflowed   atomic.Uint64
	duplicates   atomic.Uint64
	played       atomic.Uint64
	clearedSamps atomic.Uint64
	leadNow      atomic.Int64
}

type jitterState uint8

const (
	stateIdle    jitterState = iota // nothing to play; waiting for the lead to fill
	statePlaying                    // playing from the ring
	stateDry                        // ran out while playing; an underrun if more audio follows soon
)

func samplesOf(d time.Duration, rate int) int {
	return int((d*time.Duration(rate) + time.Second - 1) / time.Second)
}

func newJitter(rate int, cfg JitterConfig) *jitter {
	cfg = cfg.withDefaults()
	capSamples := 1
	for capSamples < samplesOf(cfg.Capacity, rate) {
		capSamples <<= 1
	}
	j := &jitter{
		rate:         rate,
		cfg:          cfg,
		startLead:    samplesOf(cfg.StartLead, rate),
		maxLead:      samplesOf(cfg.MaxLead, rate),
		leadStep:     samplesOf(cfg.LeadStep, rate),
		steadyAfter:  samplesOf(cfg.SteadyAfter, rate),
		resumeWindow: samplesOf(cfg.ResumeWindow, rate),
		fade:         max(1, samplesOf(cfg.Fade, rate)),
		buf:          make([]int16, capSamples),
		mask:         uint64(capSamples - 1),
		curVol:       1,
	}
	j.lead = j.startLead
	j.leadNow.Store(int64(j.lead))
	j.volume.Store(math.Float64bits(1))
	return j
}

// write queues s16le mono samples tagged with generation gen. Chunks of an older generation are
// dropped; a newer generation is adopted (a new turn without a flush). It returns false when the
// chunk was dropped.
func (j *jitter) write(gen uint64, pcm []byte) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	cur := j.gen.Load()
	switch {
	case gen < cur:
		j.staleChunks.Add(1)
		return false
	case gen > cur:
		j.gen.Store(gen)
		j.nRecent = 0
	}
	n := len(pcm) / 2
	if n == 0 {
		return true
	}
	if !j.cfg.KeepDuplicates && n >= j.rate/100 && !allZero(pcm) {
		sum := fnv64a(pcm[:2*n])
		for _, r := range j.recent[:j.nRecent] {
			if r == sum {
				j.duplicates.Add(1)
				return false
			}
		}
		if j.nRecent < recentChunks {
			j.nRecent++
		}
		copy(j.recent[1:j.nRecent], j.recent[:j.nRecent-1])
		j.recent[0] = sum
	}
	w := j.wpos.Load()
	if free := uint64(len(j.buf)) - (w - j.rpos.Load()); uint64(n) > free {
		j.overflowed.Add(1)
		return false
	}
	for i := range n {
		j.buf[(w+uint64(i))&j.mask] = int16(uint16(pcm[2*i]) | uint16(pcm[2*i+1])<<8)
	}
	j.wpos.Store(w + uint64(n))
	return true
}

func fnv64a(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, v := range b {
		h ^= uint64(v)
		h *= 1099511628211
	}
	return h
}

func allZero(b []byte) bool {
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}

// clear flushes everything queued so far and starts a new generation, which it returns. The
// consumer applies it at its next period: a short fade of what would have played next, or,
// with cut (the device has faded out already), silence at once.
func (j *jitter) clear(cut bool) uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	g := j.gen.Add(1)
	j.nRecent = 0
	j.cut.Store(cut) // before clearPos: fill reads them in the other order
	j.clearPos.Store(j.wpos.Load())
	return g
}

// endTurn marks everything written so far as one complete turn: it starts playing without
// waiting for the lead, and running dry at its end is not an underrun.
func (j *jitter) endTurn() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.turnEnd.Store(j.wpos.Load())
}

func (j *jitter) setVolume(v float64) {
	if math.IsNaN(v) {
		v = 0
	}
	j.volume.Store(math.Float64bits(min(max(v, 0), 2)))
}

// fill writes the next len(out) samples for the device. It never blocks and never allocates.
// It returns the number of samples that came from the buffer (the rest is silence or fade).
func (j *jitter) fill(out []int16) int {
	n := len(out)
	rpos := j.rpos.Load()
	w := j.wpos.Load()

	target := math.Float64frombits(j.volume.Load())
	vol, dv := j.curVol, (target-j.curVol)/float64(n)
	j.curVol = target

	if cp := j.clearPos.Load(); cp != j.seenClear {
		j.seenClear = cp
		// Fade out what would have played next (or hold the last sample) over at most j.fade
		// samples, then silence for the rest of this period.
		avail := int(min(cp, w) - min(rpos, cp))
		k := min(j.fade, n)
		if j.cut.Load() {
			k = 0
		}
		for i := range k {
			s := j.last
			if i < avail {
				s = float32(j.buf[(rpos+uint64(i))&j.mask]) * float32(vol)
			}
			out[i] = clamp16(s * float32(k-1-i) / float32(k))
			vol += dv
		}
		clear(out[k:])
		j.last = 0
		if rpos < cp {
			j.clearedSamps.Add(cp - rpos)
			j.rpos.Store(cp)
		}
		j.state = stateIdle
		j.waited = 0
		return 0
	}

	avail := int(w - rpos)
	switch j.state {
	case stateDry:
		if avail == 0 {
			j.dryFor += n
			if j.dryFor >= j.resumeWindow {
				j.state = stateIdle
			}
			return j.silence(out)
		}
		if j.gen.Load() == j.dryGen && j.dryFor < j.resumeWindow {
			j.underruns.Add(1)
			j.lead = min(j.lead+j.leadStep, j.maxLead)
			j.leadNow.Store(int64(j.lead))
		}
		j.steady = 0
		j.state = stateIdle
		j.waited = 0
		fallthrough
	case stateIdle:
		if avail == 0 {
			j.waited = 0
			return j.silence(out)
		}
		// Start once the lead is buffered, or once audio has waited a lead's worth of time (a
		// reply shorter than the lead must still play).
		if avail < j.lead && j.waited < j.lead && j.turnEnd.Load() != w {
			j.waited += n
			return j.silence(out)
		}
		j.state = statePlaying
	}

	k := min(avail, n)
	for i := range k {
		s := float32(j.buf[(rpos+uint64(i))&j.mask]) * float32(vol)
		out[i] = clamp16(s)
		vol += dv
	}
	if k > 0 {
		j.last = float32(out[k-1])
	}
	j.rpos.Store(rpos + uint64(k))
	j.played.Add(uint64(k))
	j.steady += k
	if j.steady >= j.steadyAfter {
		j.steady = 0
		if j.lead > j.startLead {
			j.lead = max(j.lead-j.leadStep, j.startLead)
			j.leadNow.Store(int64(j.lead))
		}
	}
	if k < n && j.turnEnd.Load() == rpos+uint64(k) {
		j.state = stateIdle // the turn is over; the gap that follows is not an underrun
		j.silence(out[k:])
	} else if k < n {
		j.state = stateDry
		j.dryFor = n - k
		j.dryGen = j.gen.Load()
		j.silence(out[k:])
	}
	return k
}

// silence fills out with zeros. Running dry is not faded: model speech ends at (near) zero, and
// holding a stale sample would only add a different artefact.
func (j *jitter) silence(out []int16) int {
	clear(out)
	j.last = 0
	return 0
}

func clamp16(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	}
	return int16(v)
}

// JitterStats are counters of the playback buffer.
type JitterStats struct {
	Underruns   uint64        // times the buffer ran dry mid-turn and more audio of the turn followed
	StaleChunks uint64        // chunks dropped because their generation was already cleared
	Duplicates  uint64        // chunks dropped as exact repeats of a recent chunk
	Overflows   uint64        // chunks dropped because the buffer was full
	Cleared     time.Duration // audio thrown away by Clear
	Queued      time.Duration // audio waiting to be played
	Played      uint64        // samples handed to the device from the buffer (the played position)
	Lead        time.Duration // current start-up lead
	Generation  uint64
}

func (j *jitter) stats() JitterStats {
	dur := func(samples uint64) time.Duration {
		return time.Duration(samples) * time.Second / time.Duration(j.rate)
	}
	w, r := j.wpos.Load(), j.rpos.Load()
	if cp := j.clearPos.Load(); cp > r {
		r = cp // cleared but not yet discarded by the consumer
	}
	return JitterStats{
		Underruns:   j.underruns.Load(),
		StaleChunks: j.staleChunks.Load(),
		Duplicates:  j.duplicates.Load(),
		Overflows:   j.overflowed.Load(),
		Cleared:     dur(j.clearedSamps.Load()),
		Queued:      dur(w - min(r, w)),
		Played:      j.played.Load(),
		Lead:        dur(uint64(j.leadNow.Load())),
		Generation:  j.gen.Load(),
	}
}

// Generation is the current generation.
func (j *jitter) Generation() uint64 { return j.gen.Load() }
