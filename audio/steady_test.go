package audio

import (
	"os"
	"testing"
	"time"

	"github.com/livedesk/livedesk/audio/audiotest"
	"github.com/livedesk/livedesk/audio/pcm"
)

// TestPulseSteadyPlayback plays one long answer the way the model's audio arrives (40 ms chunks
// in real time after a short head start) and counts underruns twice: the player's own count
// (its buffer running dry mid-answer) and, from outside, the gaps in what the speaker sink
// played (its monitor, recorded). Issue 13 asks for none in 60 s of playback:
//
//	LIVEDESK_STEADY_PLAYBACK=60s scripts/with-testenv.sh go test -run TestPulseSteadyPlayback -v ./audio
//
// The default is 10 s; scripts/check.sh runs the full minute without -race. The test fails on
// any underrun the player counts, and when the gaps heard add up to more than 1 % of the answer
// (a starved sound server on a busy shared machine makes a few, which the numbers logged show).
func TestPulseSteadyPlayback(t *testing.T) {
	c := pulseContext(t, "parecord")
	d := 10 * time.Second
	if v := os.Getenv("LIVEDESK_STEADY_PLAYBACK"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("LIVEDESK_STEADY_PLAYBACK: %v", err)
		}
	}
	p, err := c.OpenPlayer(PlayerConfig{Device: "Speaker", PeriodMs: periodFromEnv()})
	if err != nil {
		t.Fatalf("OpenPlayer: %v", err)
	}
	defer p.Close()
	rec := record(t, "spk.monitor", OutputRate)

	const chunk = OutputRate * 40 / 1000
	tone := pcm.FloatToS16LE(nil, audiotest.Sine(440, 0.3, OutputRate, int(d.Seconds()*OutputRate)/chunk*chunk))
	g := p.Generation()
	const ahead = 5 // chunks sent at once, as the server's first burst
	for i := 0; i < ahead; i++ {
		p.Write(g, tone[:2*chunk])
		tone = tone[2*chunk:]
	}
	tick := time.NewTicker(40 * time.Millisecond)
	for len(tone) > 0 {
		<-tick.C
		p.Write(g, tone[:2*chunk])
		tone = tone[2*chunk:]
	}
	tick.Stop()
	total := uint64(d.Seconds()*OutputRate) / chunk * chunk
	waitFor(t, "the answer to play out", 30*time.Second, func() bool { return p.Stats().Played >= total })
	time.Sleep(300 * time.Millisecond) // what the sound server still holds
	got := rec.stop(t)
	st := p.Stats()

	starts, gapTotal, span := dropouts(got, OutputRate)
	gaps := len(starts)
	t.Logf("%v of continuous playback: %d underruns counted by the player; on the speaker sink %d gaps adding up to %v over %v of tone (starting at %v); longest time between callbacks %v; player %+v",
		d, st.Underruns, gaps, gapTotal, span, starts[:min(gaps, 10)], st.MaxGap, st)
	if span < d*9/10 {
		t.Fatalf("the speaker sink carried %v of tone, want about %v", span, d)
	}
	if st.Underruns != 0 {
		t.Errorf("the player counted %d underruns in %v of steady playback", st.Underruns, d)
	}
	if gapTotal > span/100 {
		t.Errorf("gaps on the speaker sink add up to %v in %v of tone (%d gaps), want under 1 %%", gapTotal, span, gaps)
	}
}

// dropouts finds the gaps inside a recorded tone: 2 ms windows whose peak is below -50 dBFS,
// between the first and the last loud sample. It returns where each run of such windows starts
// (from the first loud sample), their total length, and the length of the tone.
func dropouts(x []float32, rate int) (starts []time.Duration, total, span time.Duration) {
	const floor = 0.003 // -50 dBFS
	first, last := -1, -1
	for i, v := range x {
		if v > floor || v < -floor {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	dur := func(n int) time.Duration { return time.Duration(n) * time.Second / time.Duration(rate) }
	if first < 0 {
		return nil, 0, 0
	}
	win := rate / 500
	quiet, in := 0, false
	for i := first; i+win <= last; i += win {
		peak := float32(0)
		for _, v := range x[i : i+win] {
			peak = max(peak, v, -v)
		}
		if peak < floor {
			quiet++
			if !in {
				starts = append(starts, dur(i-first))
				in = true
			}
		} else {
			in = false
		}
	}
	return starts, dur(quiet * win), dur(last - first)
}

func TestDropouts(t *testing.T) {
	const rate = 24000
	tone := func(sec float64) []float32 { return audiotest.Sine(440, 0.3, rate, int(sec*rate)) }
	silence := func(ms int) []float32 { return make([]float32, rate*ms/1000) }
	cat := func(parts ...[]float32) (out []float32) {
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		x         []float32
		gaps      int
		min, max  time.Duration // total
		spanAbout time.Duration
	}{
		{"steady", cat(silence(100), tone(1), silence(100)), 0, 0, 0, time.Second},
		{"two gaps", cat(tone(0.5), silence(20), tone(0.5), silence(8), tone(0.5)), 2, 24 * time.Millisecond, 28 * time.Millisecond, 1528 * time.Millisecond},
		{"nothing", silence(50), 0, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			starts, total, span := dropouts(tc.x, rate)
			if gaps := len(starts); gaps != tc.gaps || total < tc.min || total > tc.max || (span-tc.spanAbout).Abs() > time.Millisecond {
				t.Errorf("dropouts = %d gaps, %v in all, span %v; want %d, %v..%v, about %v", gaps, total, span, tc.gaps, tc.min, tc.max, tc.spanAbout)
			}
			if tc.gaps == 2 && (starts[0]-500*time.Millisecond).Abs() > 2*time.Millisecond {
				t.Errorf("the first gap starts at %v, want about 500ms", starts[0])
			}
		})
	}
}
