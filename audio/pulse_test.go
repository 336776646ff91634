package audio

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/livedesk/livedesk/audio/audiotest"

	"github.com/livedesk/livedesk/audio/pcm"
)

// pulseContext returns a Context on the PulseAudio backend of the test environment
// (scripts/with-testenv.sh). Without LIVEDESK_TESTENV the test is skipped; with it, anything
// missing is a failure.
func pulseContext(t *testing.T, tools ...string) *Context {
	t.Helper()
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		t.Skip("needs the PulseAudio test environment: scripts/with-testenv.sh go test ./audio/...")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("LIVEDESK_TESTENV is set but %s is missing: %v", tool, err)
		}
	}
	c, err := NewContext(BackendPulse, testLogger(t))
	if err != nil {
		t.Fatalf("LIVEDESK_TESTENV is set but PulseAudio is not reachable: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Context.Close: %v", err)
		}
	})
	return c
}

func TestPulseDevices(t *testing.T) {
	c := pulseContext(t)
	caps, err := c.CaptureDevices()
	if err != nil {
		t.Fatal(err)
	}
	plays, err := c.PlaybackDevices()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("capture %+v\nplayback %+v", caps, plays)
}

const speechText = "Hello, this is a test of the live desk audio engine. One, two, three, four."

// speech makes a sentence with espeak-ng and returns the file and its mono samples.
func speech(t *testing.T) (string, *PCM) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "speech.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "160", "-w", path, speechText).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v\n%s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := ReadWAV(f)
	if err != nil {
		t.Fatalf("read espeak output: %v", err)
	}
	return path, p
}

// recorder records a PulseAudio source with parecord (raw s16le mono at rate) until stop.
type recorder struct {
	cmd  *exec.Cmd
	path string
	rate int
}

func record(t *testing.T, source string, rate int) *recorder {
	t.Helper()
	r := &recorder{path: filepath.Join(t.TempDir(), "rec.raw"), rate: rate}
	f, err := os.Create(r.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r.cmd = exec.Command("parecord", "--device="+source, "--raw", "--rate="+strconv.Itoa(rate),
		"--channels=1", "--format=s16le", "--latency-msec=20")
	r.cmd.Stdout = f
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("parecord: %v", err)
	}
	t.Cleanup(func() { _ = r.cmd.Process.Kill(); _ = r.cmd.Wait() })
	// parecord writes the monitor's silence as soon as it is connected: wait for 100 ms of it.
	waitFor(t, "parecord to start", 10*time.Second, func() bool {
		st, err := os.Stat(r.path)
		return err == nil && st.Size() >= int64(rate/5)
	})
	return r
}

func (r *recorder) stop(t *testing.T) []float32 {
	t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGINT)
	_ = r.cmd.Wait()
	b, err := os.ReadFile(r.path)
	if err != nil {
		t.Fatal(err)
	}
	return pcm.S16LEToFloat(nil, b)
}

// align finds where ref best matches inside sig: a coarse search on 10 ms energy envelopes,
// then a fine search on samples. It returns the offset and the normalised correlation there.
func align(sig, ref []float32, rate int) (int, float64) {
	hop := rate / 100
	env := func(x []float32) []float64 {
		e := make([]float64, len(x)/hop)
		for i := range e {
			for _, v := range x[i*hop : (i+1)*hop] {
				e[i] += float64(v) * float64(v)
			}
			e[i] = math.Sqrt(e[i])
		}
		return e
	}
	es, er := env(sig), env(ref)
	best, bestLag := math.Inf(-1), 0
	for lag := 0; lag+len(er) <= len(es); lag++ {
		if c := ncc(es[lag:lag+len(er)], er); c > best {
			best, bestLag = c, lag
		}
	}
	best, bestOff := math.Inf(-1), 0
	for off := max(0, (bestLag-2)*hop); off <= (bestLag+2)*hop && off+len(ref) <= len(sig); off++ {
		if c := ncc32(sig[off:off+len(ref)], ref); c > best {
			best, bestOff = c, off
		}
	}
	return bestOff, best
}

func ncc(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	return ab / math.Sqrt(aa*bb+1e-20)
}

func ncc32(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		ab += x * y
		aa += x * x
		bb += y * y
	}
	return ab / math.Sqrt(aa*bb+1e-20)
}

func rmsF(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(1, len(x))))
}

func db(x float64) float64 { return 20 * math.Log10(x) }

// TestPulseMicCapturesSpeech: espeak-ng speech played into the virtual microphone in real time
// must come out of Mic at 16 kHz with the same waveform, length and energy.
func TestPulseMicCapturesSpeech(t *testing.T) {
	c := pulseContext(t, "espeak-ng", "paplay")
	path, sp := speech(t)
	ref := pcm.Resample(sp.Mono(), sp.Rate, InputRate)

	m, err := c.OpenMic(MicConfig{Device: "VirtualMic"})
	if err != nil {
		t.Fatalf("OpenMic: %v", err)
	}
	defer m.Close()
	withRetries(t, func() (string, bool) {
		ctx, cancel := context.WithCancel(t.Context())
		var (
			wg       sync.WaitGroup
			captured []byte
			peak     = math.Inf(-1)
		)
		for m.q.pop(make([]byte, m.q.chunkBytes)) { // start from an empty queue
		}
		dropped0 := m.Stats().Dropped
		wg.Go(func() {
			for {
				b, err := m.Read(ctx)
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						t.Errorf("Read: %v", err)
					}
					return
				}
				captured = append(captured, b...)
				peak = max(peak, m.Level().Peak)
			}
		})
		waitFor(t, "the first capture callback", 10*time.Second, func() bool { return m.Stats().Callbacks > 0 })
		if out, err := exec.Command("paplay", "--device=micsrc", path).CombinedOutput(); err != nil {
			t.Fatalf("paplay: %v\n%s", err, out)
		}
		time.Sleep(500 * time.Millisecond)
		st := m.Stats() // before the reader stops: after that the queue fills and drops, as designed
		cancel()
		wg.Wait()

		got := pcm.S16LEToFloat(nil, captured)
		if len(got) < len(ref) {
			t.Fatalf("captured %d samples, less than the %d of the speech", len(got), len(ref))
		}
		off, corr := align(got, ref, InputRate)
		gain := db(rmsF(got[off:off+len(ref)]) / rmsF(ref))
		good, voiced, drift := matchSegments(t, got, ref, InputRate, off)
		t.Logf("speech %.2fs, captured %.2fs, offset %dms, whole-signal correlation %.3f, gain %.2f dB, %d/%d pieces match, length drift %d samples, meter peak %.1f dBFS, stats %+v",
			float64(len(ref))/InputRate, float64(len(got))/InputRate, off*1000/InputRate, corr, gain, good, voiced, drift, peak, st)
		if math.Abs(gain) > 1.5 {
			t.Errorf("captured speech is %.2f dB off the original, want within 1.5 dB", gain)
		}
		// Nothing added: before the speech the capture is silence.
		if r := rmsF(got[:off]); r > 0.003 {
			t.Errorf("before the speech the capture has RMS %.4f, want silence", r)
		}
		if peak < -20 {
			t.Errorf("level meter peaked at %.1f dBFS during speech, want above -20", peak)
		}
		// Whole 8 ms periods, every one: the echo canceller then holds nothing back (aec.Latency).
		if want := time.Duration(st.Callbacks) * 8 * time.Millisecond; st.Captured != want {
			t.Errorf("the device delivered %v in %d callbacks, want whole 8 ms periods (%v)", st.Captured, st.Callbacks, want)
		}
		if st.Dropped != dropped0 || st.Lost {
			t.Errorf("mic stats %+v", st)
		}
		if good*100 < voiced*85 {
			return fmt.Sprintf("only %d of %d voiced pieces of the speech came out of the mic", good, voiced), false
		}
		if abs(drift) > InputRate/100 {
			return fmt.Sprintf("the captured speech is %d samples longer than the original", drift), false
		}
		return "", false
	})
}

// withRetries runs an end-to-end attempt up to three times while it reports only a sound-server
// glitch: content garbled on the server's side, which happens when a loaded machine starves the
// server or its clients (stream underruns make the null sink rewind, and its monitor then
// carries garbage for a moment). Failures on our side are reported by the attempt directly.
func withRetries(t *testing.T, attempt func() (glitch string, starved bool)) {
	t.Helper()
	allStarved := true
	for i := 1; ; i++ {
		g, starved := attempt()
		if g == "" || t.Failed() {
			return
		}
		allStarved = allStarved && starved
		if i == 3 {
			if allStarved {
				// Our side was checked exactly (the device got every sample written, in order);
				// what went missing went missing while the machine kept the callback from
				// running (ci24: 40-64 ms between 20 ms callbacks under -race in all three).
				t.Skipf("%s (in all %d attempts, each with the device callback starved by the machine): the test cannot judge the app on this machine now", g, i)
			}
			t.Errorf("%s (in all %d attempts)", g, i)
			return
		}
		t.Logf("attempt %d: %s: a sound-server glitch under load; trying again", i, g)
	}
}

// starved reports whether the player's callback was kept waiting for more than half a period
// beyond its own at least once: the machine, not the app, then decides what the sink plays.
func starved(st PlayerStats, periodMs int) bool {
	if periodMs <= 0 {
		periodMs = 20
	}
	return st.MaxGap > time.Duration(periodMs)*time.Millisecond*3/2
}

// periodFromEnv lets a run try other playback periods (LIVEDESK_AUDIO_PERIOD_MS).
func periodFromEnv() int {
	v, _ := strconv.Atoi(os.Getenv("LIVEDESK_AUDIO_PERIOD_MS"))
	return v
}

// tap collects everything the player hands to its device, from the reference tap, until stop.
func tap(p *Player) (stop func() []int16) {
	ref := p.Reference()
	var (
		wg   sync.WaitGroup
		out  []int16
		quit = make(chan struct{})
	)
	pos := ref.pos.Load()
	buf := make([]int16, OutputRate/2)
	grab := func() {
		end := ref.Read(buf)
		n := int(end - pos)
		if n > len(buf) {
			n = -1 // fell behind: cannot happen when polled every 50 ms
		}
		if n > 0 {
			out = append(out, buf[len(buf)-n:]...)
		}
		pos = end
		if n < 0 {
			out = nil
		}
	}
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				grab()
				return
			case <-tick.C:
				grab()
			}
		}
	})
	return func() []int16 {
		close(quit)
		wg.Wait()
		return out
	}
}

// trimSilence drops leading and trailing zeros.
func trimSilence(s []int16) []int16 {
	for len(s) > 0 && s[0] == 0 {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == 0 {
		s = s[:len(s)-1]
	}
	return s
}

// matchSegments aligns ref against sig in 250 ms pieces, following the offset from piece to
// piece, and returns how many voiced pieces were found with correlation >= 0.95, of how many.
// A sound server under heavy load inserts gaps (client underruns) and rewinds the null sink,
// which garbles its monitor for a moment; piecewise matching tolerates that and still requires
// the content to be right.
//
// drift is how far the last matched piece sits from where the first one predicts: the signal's
// length change (0 when nothing was lost or added).
func matchSegments(t *testing.T, sig, ref []float32, rate, start int) (good, voiced, drift int) {
	seg := rate / 4
	prev := start
	first := -1
	for s := 0; s+seg <= len(ref); s += seg {
		piece := ref[s : s+seg]
		if rmsF(piece) < 0.02 {
			continue
		}
		voiced++
		lo := max(0, prev+s-rate/4)
		hi := min(len(sig), prev+s+seg+rate/2)
		if hi-lo < seg {
			continue
		}
		off, c := align(sig[lo:hi], piece, rate)
		if c >= 0.95 {
			good++
			prev = lo + off - s
			if first < 0 {
				first = prev
			}
			drift = prev - first
		} else {
			t.Logf("piece at %d ms: best correlation %.3f", s*1000/rate, c)
		}
	}
	return good, voiced, drift
}

// TestPulsePlayerRoundTrip: speech written to Player in network-sized chunks must be handed to
// the device bit-exactly, and come out of the speaker sink (its monitor, recorded by parecord)
// with the same waveform and energy.
func TestPulsePlayerRoundTrip(t *testing.T) {
	c := pulseContext(t, "espeak-ng", "parecord")
	_, sp := speech(t)
	ref := pcm.Resample(sp.Mono(), sp.Rate, OutputRate)
	pcm := pcm.FloatToS16LE(nil, ref)

	p, err := c.OpenPlayer(PlayerConfig{Device: "Speaker", PeriodMs: periodFromEnv()})
	if err != nil {
		t.Fatalf("OpenPlayer: %v", err)
	}
	defer p.Close()
	withRetries(t, func() (string, bool) {
		rec := record(t, "spk.monitor", OutputRate)
		stopTap := tap(p)
		played0 := p.Stats().Played
		g := p.Generation()
		for chunk := range slices.Chunk(pcm, 2*OutputRate*40/1000) { // 40 ms network chunks
			p.Write(g, chunk)
		}
		p.EndTurn()
		waitFor(t, "the speech to play", 30*time.Second, func() bool { return p.Stats().Played >= played0+uint64(len(ref)) })
		time.Sleep(400 * time.Millisecond)
		handed := stopTap()
		got := rec.stop(t)

		// Our side, exact: the device callback received precisely the samples written.
		want := trimSilence(s16(pcm))
		if h := trimSilence(handed); !slices.Equal(h, want) {
			t.Errorf("the device was handed %d samples that differ from the %d written", len(h), len(want))
		}

		// The sound server's side: the sink monitor carries the same speech.
		off, corr := align(got, ref, OutputRate)
		gain := db(rmsF(got[off:off+len(ref)]) / rmsF(ref))
		good, voiced, drift := matchSegments(t, got, ref, OutputRate, off)
		st := p.Stats()
		t.Logf("recorded %.2fs, offset %dms, whole-signal correlation %.4f, gain %.2f dB, %d/%d pieces match, length drift %d samples, stats %+v",
			float64(len(got))/OutputRate, off*1000/OutputRate, corr, gain, good, voiced, drift, st)
		if math.Abs(gain) > 1 {
			t.Errorf("played speech is %.2f dB off, want within 1 dB", gain)
		}
		if st.Underruns != 0 || st.Duplicates != 0 || st.Lost {
			t.Errorf("player stats %+v", st)
		}
		if good*100 < voiced*85 {
			return fmt.Sprintf("only %d of %d voiced pieces of the speech came out of the sink (longest gap between callbacks %v)",
				good, voiced, st.MaxGap), starved(st, periodFromEnv())
		}
		if abs(drift) > OutputRate/100 {
			return fmt.Sprintf("the speech on the sink is %d samples longer than the original (gaps; longest gap between callbacks %v)", drift, st.MaxGap), starved(st, periodFromEnv())
		}
		return "", false
	})
}

// s16 decodes s16le bytes.
func s16(b []byte) []int16 {
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
	}
	return out
}

// TestPulsePlayerClear: a Clear half-way through leaves silence from then on: exactly (what the
// callback hands to the device) and on the speaker sink.
func TestPulsePlayerClear(t *testing.T) {
	c := pulseContext(t, "parecord")
	p, err := c.OpenPlayer(PlayerConfig{Device: "Speaker", PeriodMs: periodFromEnv()})
	if err != nil {
		t.Fatalf("OpenPlayer: %v", err)
	}
	defer p.Close()
	rec := record(t, "spk.monitor", OutputRate)
	stopTap := tap(p)
	const amp = 0.5
	tone := pcm.FloatToS16LE(nil, audiotest.Sine(440, amp, OutputRate, 3*OutputRate))
	g := p.Generation()
	p.Write(g, tone)
	waitFor(t, "1 s to play", 30*time.Second, func() bool { return p.Stats().Played >= OutputRate })
	g2 := p.Clear()
	played := int(p.Stats().Played)
	p.Write(g, tone) // late audio of the interrupted turn: dropped
	time.Sleep(time.Second)
	handed := stopTap()
	// The next answer plays in full after the rewritten silence.
	next := pcm.FloatToS16LE(nil, audiotest.Sine(660, amp, OutputRate, OutputRate/2))
	p.Write(g2, next)
	p.EndTurn()
	waitFor(t, "the next answer to play", 10*time.Second, func() bool { return p.Stats().Played >= uint64(played+OutputRate/2) })
	time.Sleep(300 * time.Millisecond)
	all := rec.stop(t)
	got := all[:min(len(all), len(all)-OutputRate*8/10)] // up to the next answer (recorded ≥ 0.8 s after it started)
	var nextEnergy float64
	for _, v := range all[len(got):] {
		nextEnergy += float64(v) * float64(v)
	}
	if heard := nextEnergy / (amp * amp / 2); heard < OutputRate/2*9/10 || heard > OutputRate/2*11/10 {
		t.Errorf("the answer after the Clear: the sink carried %.0f samples' worth of it, want %d", heard, OutputRate/2)
	}

	// Exact: the tone up to the Clear, a fade of at most 5 ms, then only zeros.
	h := trimSilence(handed)
	want := trimSilence(s16(tone)[:played]) // the sine starts at 0, which trimming removes too
	fade := len(h) - len(want)
	if fade < 0 || fade > OutputRate*5/1000 || !slices.Equal(h[:len(want)], want) {
		t.Errorf("handed to the device: %d samples; want the first %d of the tone and a fade of at most 5 ms, got %d extra",
			len(h), played, fade)
	}

	// On the sink: the tone's energy corresponds to what was handed over; then silence.
	last := -1
	var energy float64
	for i, v := range got {
		energy += float64(v) * float64(v)
		if math.Abs(float64(v)) > 0.003 { // -50 dBFS
			last = i
		}
	}
	if last < 0 {
		t.Fatal("nothing was recorded")
	}
	heard := energy / (amp * amp / 2) // samples of full tone
	t.Logf("handed before Clear %.1f ms (+%.1f ms fade); on the sink: tone energy worth %.1f ms, then %.1f ms of silence",
		float64(played)*1000/OutputRate, float64(fade)*1000/OutputRate, heard*1000/OutputRate, float64(len(got)-last)*1000/OutputRate)
	if ratio := heard / float64(played); ratio < 0.9 || ratio > 1.1 {
		t.Errorf("the sink carried %.0f samples' worth of tone for %d handed over (ratio %.2f)", heard, played, ratio)
	}
	if len(got)-last < OutputRate/2 {
		t.Errorf("only %d samples of silence recorded after the Clear", len(got)-last)
	}
	if st := p.Stats(); st.StaleChunks != 1 || st.Cleared < time.Second {
		t.Errorf("player stats %+v", st)
	}

	// How it stopped: a click is a corner in the waveform, which the second difference shows.
	// A 440 Hz tone's is amp·(2π·440/24000)² ≈ 0.013·amp; a step to silence is about the
	// amplitude, 37 dB more; a 1.5 ms raised-cosine fade adds about 2 dB.
	click := cornerDB(got, last)
	t.Logf("the stop's sharpest corner against the tone's: %+.1f dB (own stream %v, rewrites %d)", click, p.Stats().OwnStream, p.Stats().Rewrites)
	if p.Stats().OwnStream && click > 10 {
		t.Errorf("the tone stopped with a click: its sharpest corner is %+.1f dB against the tone's own, want a fade (under +10 dB)", click)
	}
}

// cornerDB compares the largest second difference in the 20 ms up to last (the stop) with the
// largest in the 100 ms of signal before, in dB.
func cornerDB(x []float32, last int) float64 {
	d2 := func(from, to int) float64 {
		m := 0.0
		for i := max(from, 1); i < min(to, len(x)-1); i++ {
			m = max(m, math.Abs(float64(x[i+1]-2*x[i]+x[i-1])))
		}
		return m
	}
	const ms = OutputRate / 1000
	stop := d2(last-20*ms, last+5*ms)
	tone := d2(last-120*ms, last-20*ms)
	return db(stop / max(tone, 1e-9))
}

// loadModule loads a PulseAudio module for the duration of the test.
func loadModule(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("pactl", append([]string{"load-module"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("pactl load-module %v: %v\n%s", args, err, out)
	}
	id := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command("pactl", "unload-module", id).Run() })
}

// readFor reads chunks from m until d of audio has been read and returns them as samples.
func readFor(t *testing.T, m *Mic, d time.Duration) []float32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d+10*time.Second)
	defer cancel()
	var out []float32
	for len(out) < int(d.Seconds()*InputRate) {
		b, err := m.Read(ctx)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		out = pcm.S16LEToFloat(out, b)
	}
	return out
}

// TestPulseSpeakerMode simulates a laptop without headphones: a loopback from the speaker's
// monitor into the microphone feed is the acoustic echo (attenuated, 60 ms late). With speaker
// mode the model's own voice must not reach the microphone stream; without it, it does; and a
// user talking over the model still gets through.
func TestPulseSpeakerMode(t *testing.T) {
	c := pulseContext(t, "espeak-ng", "paplay", "pactl")
	path, sp := speech(t)
	loadModule(t, "module-loopback", "source=spk.monitor", "sink=micsrc", "latency_msec=60",
		"source_dont_move=true", "sink_dont_move=true")
	// 40% in PulseAudio's cubic volume scale is about -24 dB: a plausible echo level.
	if out, err := exec.Command("sh", "-c",
		`pactl list short sink-inputs | awk '$0 ~ /module-loopback/ {print $1}' | while read i; do pactl set-sink-input-volume $i 40%; done`).CombinedOutput(); err != nil {
		t.Fatalf("set loopback volume: %v\n%s", err, out)
	}

	p, err := c.OpenPlayer(PlayerConfig{Device: "Speaker", Jitter: JitterConfig{KeepDuplicates: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m, err := c.OpenMic(MicConfig{Device: "VirtualMic", SpeakerMode: true, FarEnd: p})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	far := pcm.FloatToS16LE(nil, pcm.Resample(sp.Mono(), sp.Rate, OutputRate))
	g := p.Generation()
	p.Write(g, far)
	p.Write(g, far) // the model keeps talking for about 12 s
	waitFor(t, "the model to be heard", 10*time.Second, func() bool { return p.FarEndActive(50 * time.Millisecond) })
	readFor(t, m, 500*time.Millisecond) // the echo path settles

	gated := readFor(t, m, 1500*time.Millisecond)
	m.SetSpeakerMode(false)
	readFor(t, m, 100*time.Millisecond)
	open := readFor(t, m, 1500*time.Millisecond)
	m.SetSpeakerMode(true)
	readFor(t, m, 100*time.Millisecond)

	// The user talks over the model at full level.
	user := exec.Command("paplay", "--device=micsrc", path)
	if err := user.Start(); err != nil {
		t.Fatal(err)
	}
	bargeIn := readFor(t, m, 3*time.Second)
	_ = user.Wait()

	st := m.Stats()
	t.Logf("echo with speaker mode %.1f dBFS, without %.1f dBFS, user over the model %.1f dBFS; stats %+v",
		db(rmsF(gated)), db(rmsF(open)), db(rmsF(bargeIn)), st)
	if r := db(rmsF(gated)); r > -70 {
		t.Errorf("speaker mode let the echo through at %.1f dBFS, want silence", r)
	}
	if r := db(rmsF(open)); r < -60 {
		t.Errorf("without speaker mode the echo is only %.1f dBFS: the test's echo path is not working", r)
	}
	if r := db(rmsF(bargeIn)); r < -35 || st.BargeIns == 0 {
		t.Errorf("user talking over the model: %.1f dBFS and %d barge-ins, want speech to pass", r, st.BargeIns)
	}
	if st.GatedPeriods == 0 {
		t.Errorf("no periods were gated")
	}
}

// TestPulseDeviceDisappears unloads the module behind the microphone and the speaker while they
// run: Read must fail with ErrDeviceLost instead of hanging, the player must report it, Close
// must return, and the app must be able to open the default devices again.
func TestPulseDeviceDisappears(t *testing.T) {
	c := pulseContext(t, "pactl")
	out, err := exec.Command("pactl", "load-module", "module-null-sink", "sink_name=gone",
		"sink_properties=device.description=Unplugged").CombinedOutput()
	if err != nil {
		t.Fatalf("load null sink: %v\n%s", err, out)
	}
	id := strings.TrimSpace(string(out))
	unloaded := false
	t.Cleanup(func() {
		if !unloaded {
			_ = exec.Command("pactl", "unload-module", id).Run()
		}
	})
	m, err := c.OpenMic(MicConfig{Device: "gone.monitor"})
	if err != nil {
		t.Fatalf("OpenMic: %v", err)
	}
	p, err := c.OpenPlayer(PlayerConfig{Device: "Unplugged"})
	if err != nil {
		t.Fatalf("OpenPlayer: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	t0 := time.Now()
	if _, err := m.Read(ctx); err != nil {
		t.Fatalf("first Read: %v", err)
	}
	t.Logf("first chunk after %v", time.Since(t0))
	if out, err := exec.Command("pactl", "unload-module", id).CombinedOutput(); err != nil {
		t.Fatalf("unload: %v\n%s", err, out)
	}
	unloaded = true
	var rerr error
	for rerr == nil {
		_, rerr = m.Read(ctx)
	}
	if !errors.Is(rerr, ErrDeviceLost) {
		t.Errorf("Read after the device vanished = %v, want ErrDeviceLost", rerr)
	}
	waitFor(t, "the player to notice", 10*time.Second, func() bool { return p.Err() != nil })
	closed := make(chan error, 2)
	go func() { closed <- m.Close() }()
	go func() { closed <- p.Close() }()
	for range 2 {
		select {
		case err := <-closed:
			t.Logf("Close after loss: %v", err)
		case <-time.After(15 * time.Second):
			t.Fatal("Close hangs after the device vanished")
		}
	}
	m2, err := c.OpenMic(MicConfig{})
	if err != nil {
		t.Fatalf("reopen default mic: %v", err)
	}
	defer m2.Close()
	if _, err := m2.Read(ctx); err != nil {
		t.Errorf("Read from the reopened mic: %v", err)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestPulsePlayerClearRacesClose: the network path may Clear (and the UI read Stats) while the
// call closes the player; neither may touch the closed stream.
func TestPulsePlayerClearRacesClose(t *testing.T) {
	c := pulseContext(t)
	for range 5 {
		p, err := c.OpenPlayer(PlayerConfig{Device: "Speaker"})
		if err != nil {
			t.Fatalf("OpenPlayer: %v", err)
		}
		p.Write(p.Generation(), pcm.FloatToS16LE(nil, audiotest.Sine(437, 0.3, OutputRate, OutputRate/2)))
		time.Sleep(100 * time.Millisecond)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 2 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					g := p.Clear()
					p.Write(g, make([]byte, 960))
					_ = p.Stats()
				}
			})
		}
		time.Sleep(30 * time.Millisecond)
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
		close(stop)
		wg.Wait()
		if st := p.Stats(); !st.OwnStream || st.Rewrites == 0 {
			t.Errorf("stats after close %+v: want the own stream's, with rewrites", st)
		}
	}
}

// TestPulseHushMutesStream: the hush (the fallback where the player's own stream cannot open)
// finds a playback stream by name and mutes and unmutes it in the server.
func TestPulseHushMutesStream(t *testing.T) {
	pulseContext(t, "pacat", "pactl")
	const name = "livedesk-hush-test"
	cmd := exec.Command("pacat", "--playback", "--stream-name="+name, "--raw", "--format=s16le", "--rate=24000", "--channels=1", "/dev/zero")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	muted := func() string {
		out, _ := exec.Command("pactl", "list", "sink-inputs").Output()
		for _, block := range strings.Split(string(out), "\n\n") {
			if strings.Contains(block, `media.name = "`+name+`"`) {
				if strings.Contains(block, "Mute: yes") {
					return "yes"
				}
				return "no"
			}
		}
		return "absent"
	}
	waitFor(t, "the stream to appear", 5*time.Second, func() bool { return muted() != "absent" })
	h := openHush(name)
	if h == nil {
		t.Fatal("openHush: nil with a PulseAudio server running")
	}
	defer h.close()
	h.set(true)
	waitFor(t, "the stream muted", 5*time.Second, func() bool { return muted() == "yes" && h.applied() == 1 })
	h.set(false)
	waitFor(t, "the stream unmuted", 5*time.Second, func() bool { return muted() == "no" && h.applied() == 2 })
}
