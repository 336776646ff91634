package audio

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
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
	return S16LEToFloat(nil, b)
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
	ref := Resample(sp.Mono(), sp.Rate, InputRate)

	m, err := c.OpenMic(MicConfig{Device: "VirtualMic"})
	if err != nil {
		t.Fatalf("OpenMic: %v", err)
	}
	defer m.Close()
	ctx, cancel := context.WithCancel(t.Context())
	var (
		wg       sync.WaitGroup
		captured []byte
		peak     = math.Inf(-1)
	)
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
	cancel()
	wg.Wait()

	got := S16LEToFloat(nil, captured)
	if len(got) < len(ref) {
		t.Fatalf("captured %d samples, less than the %d of the speech", len(got), len(ref))
	}
	off, corr := align(got, ref, InputRate)
	seg := got[off : off+len(ref)]
	gain := db(rmsF(seg) / rmsF(ref))
	t.Logf("speech %.2fs, captured %.2fs, offset %dms, correlation %.3f, gain %.2f dB, meter peak %.1f dBFS, stats %+v",
		float64(len(ref))/InputRate, float64(len(got))/InputRate, off*1000/InputRate, corr, gain, peak, m.Stats())
	if corr < 0.9 {
		t.Errorf("correlation with the speech = %.3f, want >= 0.9", corr)
	}
	if math.Abs(gain) > 1.5 {
		t.Errorf("captured speech is %.2f dB off the original, want within 1.5 dB", gain)
	}
	// Nothing lost or added: the rest of the capture is silence.
	if r := rmsF(got[off+len(ref):]); r > 0.003 {
		t.Errorf("after the speech the capture has RMS %.4f, want silence", r)
	}
	if r := rmsF(got[:off]); r > 0.003 {
		t.Errorf("before the speech the capture has RMS %.4f, want silence", r)
	}
	if peak < -20 {
		t.Errorf("level meter peaked at %.1f dBFS during speech, want above -20", peak)
	}
	if st := m.Stats(); st.Dropped != 0 || st.Lost {
		t.Errorf("mic stats %+v", st)
	}
}

// TestPulsePlayerRoundTrip: speech written to Player must come out of the speaker sink (its
// monitor, recorded by parecord) with the same waveform and energy.
func TestPulsePlayerRoundTrip(t *testing.T) {
	c := pulseContext(t, "espeak-ng", "parecord")
	_, sp := speech(t)
	ref := Resample(sp.Mono(), sp.Rate, OutputRate)
	pcm := FloatToS16LE(nil, ref)

	p, err := c.OpenPlayer(PlayerConfig{Device: "Speaker"})
	if err != nil {
		t.Fatalf("OpenPlayer: %v", err)
	}
	defer p.Close()
	rec := record(t, "spk.monitor", OutputRate)
	g := p.Generation()
	for chunk := range slices.Chunk(pcm, 2*OutputRate*40/1000) { // 40 ms network chunks
		p.Write(g, chunk)
	}
	p.EndTurn()
	waitFor(t, "the speech to play", 30*time.Second, func() bool { return p.Stats().Played >= uint64(len(ref)) })
	time.Sleep(400 * time.Millisecond)
	got := rec.stop(t)

	off, corr := align(got, ref, OutputRate)
	seg := got[off : off+len(ref)]
	gain := db(rmsF(seg) / rmsF(ref))
	t.Logf("recorded %.2fs, offset %dms, correlation %.4f, gain %.2f dB, stats %+v",
		float64(len(got))/OutputRate, off*1000/OutputRate, corr, gain, p.Stats())
	if corr < 0.95 {
		t.Errorf("correlation with the speech = %.3f, want >= 0.95", corr)
	}
	if math.Abs(gain) > 1 {
		t.Errorf("played speech is %.2f dB off, want within 1 dB", gain)
	}
	if r := rmsF(got[off+len(ref):]); r > 0.002 {
		t.Errorf("after the speech the speaker has RMS %.4f, want silence", r)
	}
	if st := p.Stats(); st.Underruns != 0 || st.Duplicates != 0 || st.Lost {
		t.Errorf("player stats %+v", st)
	}
}

// TestPulsePlayerClear: a Clear half-way through leaves silence on the speaker from then on.
func TestPulsePlayerClear(t *testing.T) {
	c := pulseContext(t, "parecord")
	p, err := c.OpenPlayer(PlayerConfig{Device: "Speaker"})
	if err != nil {
		t.Fatalf("OpenPlayer: %v", err)
	}
	defer p.Close()
	rec := record(t, "spk.monitor", OutputRate)
	tone := FloatToS16LE(nil, sine(440, 0.5, OutputRate, 3*OutputRate))
	g := p.Generation()
	p.Write(g, tone)
	waitFor(t, "1 s to play", 30*time.Second, func() bool { return p.Stats().Played >= OutputRate })
	p.Clear()
	played := p.Stats().Played
	p.Write(g, tone) // late audio of the interrupted turn: dropped
	time.Sleep(time.Second)
	got := rec.stop(t)

	first, last := -1, -1
	for i, v := range got {
		if math.Abs(float64(v)) > 0.003 { // -50 dBFS
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		t.Fatal("nothing was recorded")
	}
	audible := last - first + 1
	t.Logf("handed to the device before Clear: %.1f ms; audible on the sink: %.1f ms; silence after: %.1f ms",
		float64(played)*1000/OutputRate, float64(audible)*1000/OutputRate, float64(len(got)-last)*1000/OutputRate)
	// What was handed to the device before Clear plays, plus the fade (at most 5 ms); nothing of
	// the remaining 2 s.
	if extra := audible - int(played); extra < -OutputRate/100 || extra > OutputRate*6/1000 {
		t.Errorf("audible %d samples vs %d handed over before Clear: %+d, want within -10..+6 ms", audible, played, extra)
	}
	if len(got)-last < OutputRate/2 {
		t.Errorf("only %d samples of silence recorded after the Clear", len(got)-last)
	}
	if st := p.Stats(); st.StaleChunks != 1 || st.Cleared < time.Second {
		t.Errorf("player stats %+v", st)
	}
}
