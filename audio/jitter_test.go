package audio

import (
	"encoding/binary"
	"math"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

const (
	simRate   = OutputRate
	simPeriod = 10 * time.Millisecond
	simFrames = simRate / 100
)

// ramp returns n s16le samples continuing a counting sequence from *next, so the output order
// can be checked sample by sample. Values stay in 1000..20999 (never silent).
func ramp(next *int, n int) []byte {
	b := make([]byte, 0, 2*n)
	for range n {
		b = binary.LittleEndian.AppendUint16(b, uint16(1000+*next%20000))
		*next++
	}
	return b
}

// simDevice plays the role of the audio callback: every simPeriod, starting half a period in (so
// it never ties with producers acting on whole periods), it pulls one period from j.
type simDevice struct {
	mu      sync.Mutex
	periods [][]int16
}

func (d *simDevice) run(j *jitter, n int, wg *sync.WaitGroup) {
	wg.Go(func() {
		time.Sleep(simPeriod / 2)
		for range n {
			buf := make([]int16, simFrames)
			j.fill(buf)
			d.mu.Lock()
			d.periods = append(d.periods, buf)
			d.mu.Unlock()
			time.Sleep(simPeriod)
		}
	})
}

// played returns the non-zero samples in output order and the index of the first period that
// had any.
func (d *simDevice) played() (samples []int16, first int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	first = -1
	for i, p := range d.periods {
		for _, s := range p {
			if s != 0 {
				if first < 0 {
					first = i
				}
				samples = append(samples, s)
			}
		}
	}
	return samples, first
}

// checkSequence verifies that got is exactly the ramp 0..want-1.
func checkSequence(t *testing.T, got []int16, want int) {
	t.Helper()
	if len(got) != want {
		t.Errorf("played %d samples, want %d", len(got), want)
	}
	for i, s := range got[:min(len(got), want)] {
		if w := int16(1000 + i%20000); s != w {
			t.Errorf("sample %d = %d, want %d (order broken)", i, s, w)
			return
		}
	}
}

// steady is a gap function for chunks of 20 ms delivered in real time from t=0.
func steady(i int) time.Duration {
	if i == 0 {
		return 0
	}
	return 20 * time.Millisecond
}

func TestJitterDelivery(t *testing.T) {
	const chunk = 20 * time.Millisecond
	chunkSamples := simRate * int(chunk/time.Millisecond) / 1000
	tests := []struct {
		name string
		// deliver sends total chunks of 20 ms; gap(i) is the pause before chunk i.
		chunks        int
		gap           func(i int) time.Duration
		dup           bool
		wantFirst     int // period index of the first non-silent output
		wantUnderruns func(n uint64) bool
	}{
		{
			name: "steady real time", chunks: 100,
			gap:           steady,
			wantFirst:     2, // periods at 5, 15 ms wait; at 25 ms two chunks (40 ms) are buffered
			wantUnderruns: func(n uint64) bool { return n == 0 },
		},
		{
			name: "bursts faster than real time", chunks: 150,
			// 25 chunks (500 ms) at once, then a 400 ms pause.
			gap: func(i int) time.Duration {
				if i%25 == 0 && i > 0 {
					return 400 * time.Millisecond
				}
				return 0
			},
			wantFirst:     0, // the first burst covers the lead at once
			wantUnderruns: func(n uint64) bool { return n == 0 },
		},
		{
			name: "duplicated parts", chunks: 100, dup: true,
			gap:           steady,
			wantFirst:     2,
			wantUnderruns: func(n uint64) bool { return n == 0 },
		},
		{
			// Real time on average, but every 200 ms the delivery stalls for 100 ms and then
			// catches up with a burst.
			name: "late: 100 ms stalls", chunks: 150,
			gap: func(i int) time.Duration {
				switch {
				case i == 0:
					return 0
				case i%10 == 0:
					return 120 * time.Millisecond
				case i%10 <= 5 && i > 10:
					return 0 // the burst that catches up after a stall
				}
				return chunk
			},
			wantFirst: 2,
			// The first stalls cause underruns; each grows the lead until it covers the stall.
			wantUnderruns: func(n uint64) bool { return n >= 1 && n <= 6 },
		},
		{
			name: "slow: delivery at 2/3 of real time", chunks: 100,
			gap: func(i int) time.Duration {
				if i == 0 {
					return 0
				}
				return 30 * time.Millisecond
			},
			wantFirst:     3,
			wantUnderruns: func(n uint64) bool { return n >= 1 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				j := newJitter(simRate, JitterConfig{})
				var (
					dev  simDevice
					wg   sync.WaitGroup
					next int
				)
				var total time.Duration
				for i := range tt.chunks {
					total += tt.gap(i)
				}
				dev.run(j, int((total+time.Duration(tt.chunks)*chunk)/simPeriod)+100, &wg)
				for i := range tt.chunks {
					time.Sleep(tt.gap(i))
					pcm := ramp(&next, chunkSamples)
					j.write(0, pcm)
					if tt.dup {
						j.write(0, pcm)
					}
				}
				wg.Wait()
				got, first := dev.played()
				checkSequence(t, got, tt.chunks*chunkSamples)
				st := j.stats()
				if first != tt.wantFirst {
					t.Errorf("first audible period = %d, want %d", first, tt.wantFirst)
				}
				if !tt.wantUnderruns(st.Underruns) {
					t.Errorf("underruns = %d: unexpected (lead now %v)", st.Underruns, st.Lead)
				}
				if tt.dup && st.Duplicates != uint64(tt.chunks) {
					t.Errorf("duplicates = %d, want %d", st.Duplicates, tt.chunks)
				}
				if st.Queued != 0 || st.Played != uint64(tt.chunks*chunkSamples) {
					t.Errorf("stats at end: %+v", st)
				}
			})
		})
	}
}

func TestJitterLeadAdapts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := JitterConfig{SteadyAfter: time.Second}
		j := newJitter(simRate, cfg)
		var (
			dev  simDevice
			wg   sync.WaitGroup
			next int
		)
		dev.run(j, 1000, &wg)
		// Phase 1: 2 s at 70% of real time: underruns, the lead grows.
		for range 70 {
			j.write(0, ramp(&next, simRate/50))
			time.Sleep(time.Second * 2 / 70)
		}
		grown := j.stats()
		if grown.Underruns == 0 || grown.Lead <= 40*time.Millisecond {
			t.Fatalf("after late delivery: underruns %d lead %v, want >0 and >40ms", grown.Underruns, grown.Lead)
		}
		// Phase 2: steady delivery slightly ahead of real time for 6 s: the lead shrinks back.
		for range 300 {
			j.write(0, ramp(&next, simRate/50))
			time.Sleep(19 * time.Millisecond)
		}
		wg.Wait()
		st := j.stats()
		if st.Lead >= grown.Lead || st.Lead != 40*time.Millisecond {
			t.Errorf("lead after steady delivery = %v (was %v), want back at 40ms", st.Lead, grown.Lead)
		}
		if st.Underruns != grown.Underruns {
			t.Errorf("underruns grew during steady delivery: %d -> %d", grown.Underruns, st.Underruns)
		}
		got, _ := dev.played()
		checkSequence(t, got, next)
	})
}

func TestJitterEndOfTurnIsNotUnderrun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := newJitter(simRate, JitterConfig{})
		var (
			dev  simDevice
			wg   sync.WaitGroup
			next int
		)
		dev.run(j, 900, &wg)
		j.write(0, ramp(&next, simRate/2)) // a 500 ms reply
		time.Sleep(3 * time.Second)        // the user talks
		j.write(0, ramp(&next, simRate/2)) // the next reply, same generation, not marked
		// A reply shorter than the lead still plays.
		time.Sleep(2 * time.Second)
		j.write(0, ramp(&next, simRate/100))
		time.Sleep(2 * time.Second)
		if st := j.stats(); st.Underruns != 0 {
			t.Errorf("underruns = %d, want 0 (a gap of 3 s is a new turn)", st.Underruns)
		}
		// With endTurn marking the end, even a short gap is no underrun, and a complete reply
		// shorter than the lead starts at the next period.
		j.write(0, ramp(&next, simRate/10))
		j.endTurn()
		time.Sleep(200 * time.Millisecond)
		j.write(0, ramp(&next, simRate/100))
		j.endTurn()
		dev.mu.Lock()
		start := len(dev.periods)
		dev.mu.Unlock()
		wg.Wait()
		if got, _ := (&simDevice{periods: dev.periods[start : start+1]}).played(); len(got) != simRate/100 {
			t.Errorf("a complete 10 ms reply: %d samples in the next period, want %d", len(got), simRate/100)
		}
		if st := j.stats(); st.Underruns != 0 {
			t.Errorf("underruns = %d, want 0 (gaps between turns are not underruns)", st.Underruns)
		}
		got, _ := dev.played()
		checkSequence(t, got, next)
	})
}

func TestJitterClear(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := newJitter(simRate, JitterConfig{})
		var (
			dev  simDevice
			wg   sync.WaitGroup
			next int
		)
		dev.run(j, 100, &wg)
		g0 := j.Generation()
		j.write(g0, ramp(&next, simRate)) // 1 s queued at once
		time.Sleep(200 * time.Millisecond)
		g1 := j.clear(false)
		if g1 != g0+1 || j.Generation() != g1 {
			t.Fatalf("clear returned %d (Generation %d), want %d", g1, j.Generation(), g0+1)
		}
		clearedAt := 20 // the clear at 200 ms is seen by the period at 205 ms
		// Late chunks of the interrupted turn are dropped.
		j.write(g0, ramp(&next, simRate/10))
		time.Sleep(300 * time.Millisecond)
		// The next turn plays.
		j.write(g1, ramp(&next, simRate/10))
		wg.Wait()

		dev.mu.Lock()
		defer dev.mu.Unlock()
		fade := dev.periods[clearedAt]
		fadeLen := simRate * 4 / 1000
		for i, s := range fade {
			switch {
			case i >= fadeLen && s != 0:
				t.Fatalf("period after Clear: sample %d = %d, want silence after the %d-sample fade", i, s, fadeLen)
			case i > 0 && i < fadeLen && abs16(s) > abs16(fade[i-1])+1:
				t.Errorf("fade is not decreasing at %d: %d after %d", i, s, fade[i-1])
			}
		}
		for _, p := range dev.periods[clearedAt+1 : 50] {
			for _, s := range p {
				if s != 0 {
					t.Fatalf("audio of the cleared turn after Clear")
				}
			}
		}
		if p := dev.periods[clearedAt-1]; p[len(p)-1] == 0 {
			t.Error("expected audio right before the Clear")
		}
		st := j.stats()
		if st.StaleChunks != 1 {
			t.Errorf("stale chunks = %d, want 1", st.StaleChunks)
		}
		if st.Cleared < 700*time.Millisecond {
			t.Errorf("cleared %v, want about 800ms", st.Cleared)
		}
		// The new turn's audio is the last 100 ms written.
		var tail []int16
		for _, p := range dev.periods[clearedAt+1:] {
			for _, s := range p {
				if s != 0 {
					tail = append(tail, s)
				}
			}
		}
		if len(tail) != simRate/10 || tail[0] != int16(1000+(next-simRate/10)%20000) {
			t.Errorf("new turn played %d samples starting %d", len(tail), tail[0])
		}
	})
}

func abs16(v int16) int32 {
	if v < 0 {
		return -int32(v)
	}
	return int32(v)
}

func TestJitterOverflowAndVolume(t *testing.T) {
	j := newJitter(simRate, JitterConfig{Capacity: 100 * time.Millisecond, StartLead: 10 * time.Millisecond})
	// Capacity rounds up to 4096 samples (170 ms).
	var next int
	for range 8 {
		j.write(0, ramp(&next, simRate/50)) // 20 ms
	}
	if st := j.stats(); st.Overflows != 0 || st.Queued != 160*time.Millisecond {
		t.Fatalf("before overflow: %+v", st)
	}
	j.write(0, ramp(&next, simRate/50))
	if st := j.stats(); st.Overflows != 1 {
		t.Fatalf("overflows = %d, want 1", st.Overflows)
	}
	j.setVolume(0.5)
	out := make([]int16, simFrames)
	j.fill(out)
	// The volume ramps from 1 to 0.5 over the first period, then holds.
	j.fill(out)
	for i, s := range out {
		want := int16(float32(1000+simFrames+i) * 0.5)
		if s != want {
			t.Fatalf("sample %d at volume 0.5 = %d, want %d", i, s, want)
		}
	}
}

func TestJitterFillDoesNotAllocate(t *testing.T) {
	j := newJitter(simRate, JitterConfig{})
	out := make([]int16, simFrames)
	var next int
	pcm := ramp(&next, simFrames)
	allocs := testing.AllocsPerRun(1000, func() {
		j.write(j.Generation(), pcm)
		j.fill(out)
	})
	if allocs != 0 {
		t.Errorf("write+fill allocate %v times per period, want 0", allocs)
	}
}

// TestJitterClearCut: a clear whose fade the device has already played (the player's own
// PulseAudio stream rewrites it) is silent from the first sample; otherwise it fades.
func TestJitterClearCut(t *testing.T) {
	for _, tc := range []struct {
		cut      bool
		wantFade bool
	}{{cut: true}, {cut: false, wantFade: true}} {
		j := newJitter(OutputRate, JitterConfig{StartLead: time.Millisecond})
		g := j.Generation()
		tone := make([]byte, OutputRate/5*2)
		for i := range len(tone) / 2 {
			binary.LittleEndian.PutUint16(tone[2*i:], uint16(int16(10000*math.Sin(float64(i)/3))))
		}
		j.write(g, tone)
		out := make([]int16, OutputRate/100)
		for range 3 {
			j.fill(out)
		}
		j.clear(tc.cut)
		j.fill(out)
		nonzero := slices.IndexFunc(out, func(v int16) bool { return v != 0 }) >= 0
		if nonzero != tc.wantFade {
			t.Errorf("clear(cut=%v): the next period has sound %v, want %v (%v…)", tc.cut, nonzero, tc.wantFade, out[:8])
		}
	}
}
