package aec

// An echo path that does not exist never converges: with headphones, or a laptop whose
// hardware already cancels, the filter has nothing to learn, and the convergence guard would
// mute far-end stretches of the microphone for its whole budget — the user could not
// interrupt the model's first answers. presence tells, within the first second of the far
// end's sound, that the microphone hears none of it.
//
// It looks at a span of the last maxDelay+presenceWin blocks. Any echo of the far end's sound
// in the span's first presenceWin blocks arrives within the span (the delay searched is at
// most maxDelay), so if the far end was loud there and nothing in the whole span stands out
// of the microphone's own quiet blocks by more than steadyRatio, the microphone hears no echo
// — or one below its noise, which no voice detector would take for the user either. An echo
// follows the far end's syllables, which stand 20 dB and more apart, and the far end must
// be speech-like (not steady) over the span for that to hold. A user talking in the span
// stands out too: the span slides on, and the next one decides.
const (
	presenceWin = 16   // blocks whose echo the span must hold, and between decisions: 128 ms
	steadyRatio = 4.0  // the span's loudest microphone blocks within 6 dB of its quiet ones
	speechRatio = 10.0 // far-end speech: its loud blocks 10 dB above its quiet ones
	farLoudMS   = 1e-5 // mean square of far-end sound loud enough to echo audibly (-50 dBFS)
)

type presence struct {
	near, far []float64 // the span's block energies, a ring
	scratch   []float64
	n         int  // blocks pushed since the last restart
	next      int  // ring position of the next block
	decided   bool // the span showed no echo since the last restart
}

func newPresence(maxDelay int) presence {
	l := maxDelay + presenceWin
	return presence{near: make([]float64, l), far: make([]float64, l), scratch: make([]float64, l)}
}

// restart forgets what was seen (the path may have changed).
func (p *presence) restart() {
	p.n, p.next, p.decided = 0, 0, false
}

// push takes one block's microphone and far-end energies and reports whether this block
// completed a span that shows no echo path.
func (p *presence) push(nearE, farE float64) bool {
	l := len(p.near)
	p.near[p.next], p.far[p.next] = nearE, farE
	p.next = (p.next + 1) % l
	p.n++
	if p.decided || p.n < l || p.n%presenceWin != 0 {
		return false
	}
	// The span's first presenceWin blocks start at p.next (the oldest).
	loud := false
	for i := range presenceWin {
		if p.far[(p.next+i)%l] > farLoudMS*Block {
			loud = true
			break
		}
	}
	if !loud {
		return false
	}
	if lo, hi := p.spread(p.far); hi < speechRatio*lo {
		return false // a steady far end would make a steady echo
	}
	if lo, hi := p.spread(p.near); hi > steadyRatio*lo {
		return false // something stands out: an echo, or the user
	}
	p.decided = true
	return true
}

// spread returns the 10th and the 90th percentile of v.
func (p *presence) spread(v []float64) (lo, hi float64) {
	s := p.scratch[:len(v)]
	copy(s, v)
	for i := 1; i < len(s); i++ { // insertion sort: ~80 values every 128 ms, no allocation
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	n := len(s)
	return s[n/10], s[n-1-n/10]
}
