package audio

import (
	"math"
	"sync/atomic"
	"time"
)

// Processor transforms captured microphone audio before it is queued; an echo canceller is one.
// Process runs on the capture callback thread with one device period of mono samples at
// InputRate and may change them in place. It must not block, allocate, or take locks shared with
// other code.
type Processor interface {
	Process(near []int16)
}

// FarEnd is the speaker signal as the microphone path sees it: whether the speaker is playing
// (for the half-duplex gate) and the recent samples (the reference an echo canceller needs).
// *Player implements it.
type FarEnd interface {
	// FarEndActive reports whether audible audio went to the speaker within the last d.
	FarEndActive(d time.Duration) bool
	// Reference returns the tap on what the speaker played.
	Reference() *Reference
}

// Reference is a lock-free tap on the audio the Player handed to the speaker: the playback
// callback writes, any other goroutine or callback reads. It keeps the most recent second.
type Reference struct {
	rate    int
	words   []atomic.Uint64 // four int16 samples per word, lane i in bits 16i..16i+15
	pos     atomic.Uint64   // samples written so far
	base    time.Time
	loudAt  atomic.Int64 // nanoseconds since base at the end of the last audible period; 0 never
	silence int32        // peak at or below this counts as silence
}

func newReference(rate int) *Reference {
	return &Reference{
		rate:    rate,
		words:   make([]atomic.Uint64, (rate+3)/4),
		base:    time.Now(),
		silence: 33, // about -60 dBFS
	}
}

// Rate is the sample rate of the reference signal (the player's rate).
func (r *Reference) Rate() int { return r.rate }

// write appends one period. Called only by the playback callback.
func (r *Reference) write(s []int16) {
	p := r.pos.Load()
	n := uint64(4 * len(r.words))
	var peak int32
	for _, v := range s {
		peak = max(peak, abs32(int32(v)))
	}
	for i := 0; i < len(s); {
		idx := (p + uint64(i)) % n
		lane := int(idx % 4)
		k := min(4-lane, len(s)-i)
		var word uint64
		if k < 4 {
			word = r.words[idx/4].Load() // a partial word: keep the other lanes
		}
		for l := range k {
			sh := uint(16 * (lane + l))
			word = word&^(0xffff<<sh) | uint64(uint16(s[i+l]))<<sh
		}
		r.words[idx/4].Store(word)
		i += k
	}
	r.pos.Store(p + uint64(len(s)))
	if peak > r.silence {
		r.loudAt.Store(int64(time.Since(r.base)) | 1)
	}
}

// Read copies the most recent len(dst) samples (at most one second) the speaker played into dst
// and returns the absolute position, in samples since the player opened, of the end of dst.
// Where less has been played, the start of dst is zero.
func (r *Reference) Read(dst []int16) uint64 {
	end := r.pos.Load()
	n := uint64(4 * len(r.words))
	m := uint64(min(len(dst), int(n)))
	clear(dst[:len(dst)-int(m)])
	dst = dst[len(dst)-int(m):]
	start := int64(end) - int64(m)
	for i := range dst {
		at := start + int64(i)
		if at < 0 {
			dst[i] = 0
			continue
		}
		idx := uint64(at) % n
		dst[i] = int16(r.words[idx/4].Load() >> (16 * (idx % 4)))
	}
	return end
}

// Active reports whether an audible period was played within the last d.
func (r *Reference) Active(d time.Duration) bool {
	at := r.loudAt.Load()
	return at != 0 && time.Since(r.base)-time.Duration(at) <= d
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// GateConfig tunes speaker mode, the half-duplex gate: while the speaker plays, microphone audio
// is replaced by silence unless it is loud enough to be the user talking over the model.
// Zero fields take the defaults shown.
type GateConfig struct {
	BargeIn float64       // dBFS the near end must reach to open the gate while the far end plays (-30)
	Release float64       // dB below BargeIn at which an open gate starts closing (hysteresis, 8)
	Attack  time.Duration // time above BargeIn needed to open (30 ms)
	Hold    time.Duration // an open gate stays open this long after the level falls (400 ms)
	Tail    time.Duration // the far end counts as playing this long after it went quiet (300 ms)
}

func (c GateConfig) withDefaults() GateConfig {
	if c.BargeIn == 0 {
		c.BargeIn = -30
	}
	if c.Release <= 0 {
		c.Release = 8
	}
	if c.Attack <= 0 {
		c.Attack = 30 * time.Millisecond
	}
	if c.Hold <= 0 {
		c.Hold = 400 * time.Millisecond
	}
	if c.Tail <= 0 {
		c.Tail = 300 * time.Millisecond
	}
	return c
}

// gate is the half-duplex state machine. It is driven by the capture callback only.
type gate struct {
	openAt, closeAt float64 // linear RMS thresholds, in int16 units
	attack, hold    int     // samples
	above, holdLeft int
	bargedIn        bool
	gain            float32

	gatedPeriods atomic.Uint64
	bargeIns     atomic.Uint64
}

func newGate(cfg GateConfig, rate int) *gate {
	cfg = cfg.withDefaults()
	return &gate{
		openAt:  32768 * math.Pow(10, cfg.BargeIn/20),
		closeAt: 32768 * math.Pow(10, (cfg.BargeIn-cfg.Release)/20),
		attack:  samplesOf(cfg.Attack, rate),
		hold:    samplesOf(cfg.Hold, rate),
		gain:    1,
	}
}

// process gates one period in place. farActive says whether the speaker is (or just was)
// playing. It returns whether the period passed (fully or partly).
func (g *gate) process(s []int16, farActive bool) bool {
	open := true
	if farActive {
		rms := rms16(s)
		switch {
		case g.bargedIn && rms >= g.closeAt:
			g.holdLeft = g.hold
		case g.bargedIn:
			g.holdLeft -= len(s)
			if g.holdLeft <= 0 {
				g.bargedIn = false
			}
		case rms >= g.openAt:
			g.above += len(s)
			if g.above >= g.attack {
				g.bargedIn = true
				g.holdLeft = g.hold
				g.bargeIns.Add(1)
			}
		default:
			g.above = 0
		}
		open = g.bargedIn
	} else {
		g.bargedIn = false
		g.above = 0
	}
	target := float32(0)
	if open {
		target = 1
	}
	if g.gain == target {
		if !open {
			clear(s)
			g.gatedPeriods.Add(1)
		}
		return open
	}
	// Ramp over the period to avoid a click.
	step := (target - g.gain) / float32(len(s))
	for i, v := range s {
		g.gain += step
		s[i] = int16(float32(v) * g.gain)
	}
	g.gain = target
	return true
}

func rms16(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	var sum int64
	for _, v := range s {
		sum += int64(v) * int64(v)
	}
	return math.Sqrt(float64(sum) / float64(len(s)))
}
