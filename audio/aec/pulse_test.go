package aec

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livedesk/livedesk/audio"

	"github.com/livedesk/livedesk/audio/pcm"
)

var _ audio.Processor = (*Canceller)(nil)
var _ Source = (*audio.Reference)(nil)

// tap is a Processor that records what passes through it into a preallocated buffer (the
// capture callback does not allocate); n is published atomically after the samples.
type tap struct {
	buf []int16
	n   atomic.Int64
}

func newTap(d time.Duration) *tap {
	return &tap{buf: make([]int16, int(d.Seconds()*audio.InputRate))}
}

func (t *tap) Process(s []int16) {
	n := int(t.n.Load())
	k := copy(t.buf[n:], s)
	t.n.Store(int64(n + k))
}

func (t *tap) samples() []float32 { return toF32(t.buf[:t.n.Load()]) }

// timed runs a Processor and adds up the time it takes, on the real capture callback.
type timed struct {
	p       audio.Processor
	ns, n   atomic.Int64
	samples atomic.Int64
}

func (t *timed) Process(s []int16) {
	start := time.Now()
	t.p.Process(s)
	t.ns.Add(int64(time.Since(start)))
	t.n.Add(1)
	t.samples.Add(int64(len(s)))
}

// perPeriod is the mean processing time per 10 ms of audio.
func (t *timed) perPeriod() time.Duration {
	if t.samples.Load() == 0 {
		return 0
	}
	return time.Duration(t.ns.Load() * int64(audio.InputRate/100) / t.samples.Load())
}

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// pulse returns a PulseAudio context from scripts/with-testenv.sh, skipping without it and
// failing when it is announced but missing.
func pulse(t *testing.T, tools ...string) *audio.Context {
	t.Helper()
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		t.Skip("needs the PulseAudio test environment: scripts/with-testenv.sh go test ./audio/aec/...")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("LIVEDESK_TESTENV is set but %s is missing: %v", tool, err)
		}
	}
	log := slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := audio.NewContext(audio.BackendPulse, log)
	if err != nil {
		t.Fatalf("LIVEDESK_TESTENV is set but PulseAudio is not reachable: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("audio context close: %v", err)
		}
	})
	return c
}

// loopback loads module-loopback from the speaker's monitor into the microphone feed: the
// acoustic echo path, with PulseAudio's own buffering. It is unloaded when the test ends.
func loopback(t *testing.T, latencyMs int, extra ...string) (unload func()) {
	t.Helper()
	args := append([]string{"load-module", "module-loopback", "source=spk.monitor", "sink=micsrc",
		"latency_msec=" + strconv.Itoa(latencyMs), "source_dont_move=true", "sink_dont_move=true"}, extra...)
	out, err := exec.Command("pactl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("pactl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	id := strings.TrimSpace(string(out))
	var once sync.Once
	unload = func() {
		once.Do(func() {
			if out, err := exec.Command("pactl", "unload-module", id).CombinedOutput(); err != nil {
				t.Errorf("pactl unload-module %s: %v\n%s", id, err, out)
			}
		})
	}
	t.Cleanup(unload)
	return unload
}

// TestPulseEchoPath plays far-end speech through the real player into "Speaker", loops the
// speaker back into the virtual microphone with module-loopback, captures it through the real
// Mic with the canceller installed (the app's path), and, 6 s before the far end stops, talks
// into the microphone at the same time (double talk), going on after the far end stops.
//
// module-loopback normally keeps its latency by resampling adaptively: the echo path then
// slides by about half a sample per second, like a speaker and microphone on different clocks.
func TestPulseEchoPath(t *testing.T) {
	if raceEnabled {
		// Under the race detector the canceller runs about ten times slower on the real-time
		// capture callback and falls behind the devices; the figures then measure the detector,
		// and a busy machine fails the test. scripts/check.sh runs it without -race.
		t.Skip("real-time echo path: runs without -race (scripts/check.sh)")
	}
	ac := pulse(t, "pactl", "paplay")
	tests := []echoPathCase{
		{"fixed 60 ms loopback", 60, []string{"adjust_time=0"}, 1, 2 * time.Second, 30, 2 * time.Second},
		{"rate-adapting 60 ms loopback", 60, nil, 2, 14 * time.Second, 25, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A sound-server glitch on this shared 2-core machine (a playback or capture
			// stall, a speaker that falls behind) moves the echo path mid-measurement; the
			// canceller then realigns, and that half second dominates the ratio. Such a run is repeated, up to three times;
			// a run without a path jump must meet the figures.
			for attempt := 1; ; attempt++ {
				fails, robust, glitched, slow := pulseEchoRun(t, ac, tt)
				if len(fails) == 0 {
					return
				}
				if glitched && attempt < 3 {
					t.Logf("attempt %d: the echo path jumped (a sound-server glitch under load): %s; trying again", attempt, strings.Join(fails, "; "))
					continue
				}
				if slow {
					// The sound server did not keep time in the last run either (the speaker
					// fell behind by more than 5 ms a second, as on starved CI hosts): as
					// TestTalkEchoCancellation does, the canceller is not judged on it.
					t.Skipf("the sound server did not keep time in %d runs in a row; the canceller cannot be judged on this machine now (%s)", attempt, strings.Join(fails, "; "))
				}
				if glitched {
					// Three runs in a row with jumps: the machine is too busy for the whole-span
					// figures, which the re-convergence after each jump dominates. The last run
					// must still cancel well in most of its half-second windows.
					t.Logf("every run had echo path jumps; judging the last by its windows (whole-span figures: %s)", strings.Join(fails, "; "))
					fails = robust
				}
				for _, f := range fails {
					t.Error(f)
				}
				return
			}
		})
	}
}

// echoPathCase is one echo path of TestPulseEchoPath and the figures it must meet.
type echoPathCase struct {
	name      string
	latencyMs int
	extra     []string
	repeat    int           // times the 14 s far-end file is played
	from      time.Duration // ERLE is measured from here to the double talk
	minERLE   float64
	maxConv   time.Duration // first 0.5 s window with 30 dB; 0: not checked
}

// pathJump is how far the speaker may fall behind the microphone in one run before the run
// counts as one whose echo path jumped: two device periods.
const pathJump = 20 * time.Millisecond

// pulseEchoRun plays the far end through the loopback echo path once and returns what fell
// short of the figures, and whether the echo path jumped meanwhile.
func pulseEchoRun(t *testing.T, ac *audio.Context, tt echoPathCase) (fails, robust []string, glitched, slow bool) {
	fail := func(format string, a ...any) { fails = append(fails, fmt.Sprintf(format, a...)) }
	defer loopback(t, tt.latencyMs, tt.extra...)() // one echo path per attempt
	far := loadWAV(t, "far24k.wav", 24000)
	var play []float32
	for range tt.repeat {
		play = append(play, far...)
	}
	farLen := time.Duration(tt.repeat) * 14 * time.Second
	nearAt := farLen - 6*time.Second
	nearLen := 8900 * time.Millisecond
	total := farLen + 4*time.Second

	player, err := ac.OpenPlayer(audio.PlayerConfig{Device: "Speaker"})
	if err != nil {
		t.Fatalf("open player: %v", err)
	}
	defer player.Close()
	c, err := New(player.Reference(), Config{Log: slog.New(slog.NewTextHandler(logWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	raw, out := newTap(total+5*time.Second), newTap(total+5*time.Second)
	tc := &timed{p: c}
	// What the canceller saw, saved when the run falls short, for TestReplay.
	rec := NewRecorder(player.Reference(), audio.InputRate, total+6*time.Second)
	rec.Watch(c)
	defer func() {
		if len(fails) == 0 {
			return
		}
		dir := filepath.Join("testdata", "artifacts", fmt.Sprintf("pulse-%s-%d", strings.ReplaceAll(tt.name, " ", "-"), time.Now().Unix()))
		if err := rec.Save(dir); err != nil {
			t.Logf("saving the recording: %v", err)
		} else {
			t.Logf("recording saved: LIVEDESK_AEC_REPLAY=audio/aec/%s go test -run TestReplay -v ./audio/aec/", dir)
		}
	}()
	mic, err := ac.OpenMic(audio.MicConfig{Device: "VirtualMic", Processors: []audio.Processor{raw, rec.Input(), tc, rec.Output(), out}})
	if err != nil {
		t.Fatalf("open mic: %v", err)
	}
	defer mic.Close()
	waitFor(t, "the microphone to start", 5*time.Second, func() bool { return raw.n.Load() > 1600 })
	start := raw.n.Load()
	player.Write(player.Generation(), pcm.FloatToS16LE(nil, play))
	waitFor(t, "the far end to play up to the double talk", nearAt+5*time.Second, func() bool {
		return raw.n.Load()-start >= int64(nearAt.Seconds()*audio.InputRate)
	})
	estimate := c.ERLE() // what the diagnostics panel shows before the double talk
	talk := exec.Command("paplay", "--device=micsrc", filepath.Join("testdata", "near16k.wav"))
	if out, err := talk.CombinedOutput(); err != nil {
		t.Fatalf("paplay: %v\n%s", err, out)
	}
	waitFor(t, "the recording to end", total, func() bool {
		return raw.n.Load()-start >= int64(total.Seconds()*audio.InputRate)
	})
	if err := mic.Close(); err != nil {
		t.Errorf("mic close: %v", err)
	}
	st := c.Stats()
	r := raw.samples()[start:]
	o := out.samples()[start+int64(Latency(int(rec.calls[0][0]))):]
	n := min(len(r), len(o))
	r, o = r[:n], o[:n]

	const rate = audio.InputRate
	at := func(d time.Duration) int { return min(n, int(d.Seconds()*rate)) }
	t.Logf("ERLE per 0.5 s (double talk from %v, far end stops at %v): %.0f", nearAt, farLen, erleWindows(r, o, rate/2))
	conv := convergence(r[:at(nearAt)], o[:at(nearAt)], rate, 30)
	erle := ratioDB(r[at(tt.from):at(nearAt)], o[at(tt.from):at(nearAt)])
	t.Logf("ERLE %v..%v = %.1f dB; first 0.5 s window >= 30 dB at %v; canceller's own estimate %.1f dB (at the end %.1f dB); stats %+v",
		tt.from, nearAt, erle, conv, estimate, st.ERLE, st)
	if math.IsNaN(estimate) || estimate < min(erle, 30)-10 {
		fail("the canceller's ERLE estimate before double talk = %.1f dB, measured %.1f dB", estimate, erle)
	}
	if erle < tt.minERLE {
		fail("ERLE %v..%v = %.1f dB, want >= %.0f", tt.from, nearAt, erle, tt.minERLE)
	}
	if tt.maxConv > 0 && (conv < 0 || conv > tt.maxConv) {
		fail("first 0.5 s window with 30 dB ERLE at %v, want <= %v", conv, tt.maxConv)
	}
	// Near-end speech must come through: alone (after the far end stops) untouched,
	// and during double talk the output keeps most of the microphone's level (what is
	// removed is the echo).
	nearOnly := ratioDB(r[at(farLen+500*time.Millisecond):at(nearAt+nearLen-500*time.Millisecond)],
		o[at(farLen+500*time.Millisecond):at(nearAt+nearLen-500*time.Millisecond)])
	dt := ratioDB(r[at(nearAt+time.Second):at(farLen)], o[at(nearAt+time.Second):at(farLen)])
	t.Logf("level lost: near end alone %.1f dB, double talk %.1f dB; canceller CPU on the capture callback: %v per 10 ms (%d calls)",
		nearOnly, dt, tc.perPeriod(), tc.n.Load())
	if nearOnly > 1 {
		fail("near-end speech alone lost %.1f dB, want <= 1", nearOnly)
	}
	if dt > 6 {
		fail("double talk lost %.1f dB of the microphone level, want <= 6", dt)
	}
	// The same figures by half-second windows, robust to the transients of a path jump: the
	// median window, and most windows well cancelled.
	win := erleWindows(r[at(tt.from):at(nearAt)], o[at(tt.from):at(nearAt)], rate/2)
	good := 0
	for _, e := range win {
		if e >= 20 {
			good++
		}
	}
	var dtWin []float64
	for a := at(nearAt + time.Second); a+rate/2 <= at(farLen); a += rate / 2 {
		dtWin = append(dtWin, ratioDB(r[a:a+rate/2], o[a:a+rate/2]))
	}
	if m := median(win); m < tt.minERLE || 4*good < 3*len(win) {
		robust = append(robust, fmt.Sprintf("ERLE by 0.5 s windows: median %.1f dB (want >= %.0f), %d of %d windows >= 20 dB (want 3/4)", m, tt.minERLE, good, len(win)))
	}
	if m := median(dtWin); m > 6 {
		robust = append(robust, fmt.Sprintf("double talk by 0.5 s windows: median %.1f dB lost, want <= 6", m))
	}
	if nearOnly > 1 {
		robust = append(robust, fmt.Sprintf("near-end speech alone lost %.1f dB, want <= 1", nearOnly))
	}
	// A sound server that could not keep time (playback underruns, a stalled sink: the
	// speaker fell behind the microphone by more than 5 ms a second) moves the echo path
	// again and again; that is the machine, not the canceller.
	slipped := rec.Slip()
	t.Logf("the speaker fell %v behind the microphone over %v", slipped.Round(time.Millisecond), total)
	slow = slipped > total/200
	// One slip of a few periods is a path jump too, even when the run as a whole kept time
	// (ci27: 40 ms in 18 s on the fixed loopback, the delay went 56 → 48 ms and the canceller
	// did not realign: issue 13's weakness, kept for study in its recording).
	jumped := slipped >= pathJump
	return fails, robust, st.Realigns > 0 || st.Restores > 0 || slow || jumped, slow
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// ratioDB is 10·log10 of the energy ratio a/b.
func ratioDB(a, b []float32) float64 {
	return 10 * math.Log10(energy(a)/max(energy(b), 1e-12))
}

// convergence returns the start of the first 0.5 s window whose ERLE reaches target dB, or -1.
func convergence(near, out []float32, rate int, target float64) time.Duration {
	for i, e := range erleWindows(near, out, rate/2) {
		if e >= target {
			return time.Duration(i) * 500 * time.Millisecond
		}
	}
	return -1
}

func waitFor(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
