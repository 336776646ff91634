package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/audio/aec"
	"github.com/livedesk/livedesk/cli"
	"github.com/livedesk/livedesk/live/livetest"

	"github.com/livedesk/livedesk/audio/pcm"
)

type mapEnv map[string]string

func (m mapEnv) Getenv(k string) string { return m[k] }

const testKey = "AIza-test-key-do-not-print"

// requireAudioEnv skips without the Xvfb + PulseAudio test environment (scripts/with-testenv.sh)
// and fails when it is promised but a tool is missing.
func requireAudioEnv(t *testing.T, tools ...string) {
	t.Helper()
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		t.Skip("needs Xvfb and PulseAudio: run under scripts/with-testenv.sh (make test)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("LIVEDESK_TESTENV is set but %s is missing: %v", tool, err)
		}
	}
}

// TestTalkEndToEnd runs `livedesk talk` with the real devices of the test environment: speech
// from espeak-ng goes into the virtual microphone, the Xvfb screen is shared, the reply is
// recorded from the speaker's monitor.
func TestTalkEndToEnd(t *testing.T) {
	requireAudioEnv(t, "espeak-ng", "paplay", "parecord")
	dir := t.TempDir()
	speech := filepath.Join(dir, "question.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "160", "-w", speech, "What is on my screen right now?").CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	const answer = "I can see a dark screen with nothing open."
	srv, err := livetest.Start(livetest.Options{APIKey: testKey, Pace: livetest.RealTime, Responder: func(tu livetest.Turn) livetest.Reply {
		return livetest.Reply{Text: answer}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	spk, err := startSpeakerRecording(filepath.Join(dir, "speaker.raw"), 24000)
	if err != nil {
		t.Fatal(err)
	}
	defer spk.stop()

	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Talk(t.Context(), []string{"--endpoint", srv.URL(), "--backend", "pulse", "--mic", "VirtualMic", "--speaker", "Speaker",
			"--screen", "0", "--duration", "14s", "--headphones"}, &stdout, &stderr, mapEnv{"GEMINI_API_KEY": testKey})
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := srv.Wait(ctx, func(cs []livetest.ConnInfo) bool { return len(cs) == 1 && cs[0].SetupDone && cs[0].AudioChunks > 10 }); err != nil {
		t.Fatalf("talk did not connect and stream: %v; stderr: %s", err, stderr.String())
	}
	if out, err := exec.Command("paplay", "--device=micsrc", speech).CombinedOutput(); err != nil {
		t.Fatalf("paplay: %v %s", err, out)
	}
	if _, err := srv.Wait(ctx, func(cs []livetest.ConnInfo) bool { return cs[0].Turns >= 1 }); err != nil {
		t.Fatalf("no model turn: %v; stdout: %s", err, stdout.String())
	}
	if code := <-done; code != 0 {
		t.Fatalf("talk exited %d: %s", code, stderr.String())
	}

	c := srv.Conns()[0]
	if c.Frames < 1 || c.LastFrame.MIME != "image/jpeg" || c.LastFrame.Width != 1024 || c.LastFrame.Height != 576 || c.FrameErrors != 0 {
		t.Errorf("frames: %d, last %+v, errors %d; want 1024x576 JPEGs of the 1920x1080 screen", c.Frames, c.LastFrame, c.FrameErrors)
	}
	if c.AudioSamples < 16000*5 {
		t.Errorf("server received %.1f s of microphone audio", float64(c.AudioSamples)/16000)
	}
	out := stdout.String()
	if !strings.Contains(out, "gemini: "+answer) || !strings.Contains(out, "you: [") || !strings.Contains(out, "[live]") {
		t.Errorf("stdout:\n%s", out)
	}

	// The reply must have come out of the speaker: look for a loud stretch in the recording.
	raw := spk.stop()
	loud := 0.0
	const win = 2400 // 100 ms
	for off := 0; off+2*win <= len(raw); off += 2 * win {
		var sum float64
		for i := range win {
			v := float64(int16(binary.LittleEndian.Uint16(raw[off+2*i:]))) / 32768
			sum += v * v
		}
		if r := math.Sqrt(sum / win); r > 0.02 {
			loud += 0.1
		}
	}
	if loud < 1.0 {
		t.Errorf("speaker recording has %.1f s of sound (of %.1f s recorded); want the ~2 s reply", loud, float64(len(raw))/48000)
	}
	t.Logf("stdout:\n%s", out)
}

// TestTalkCPU measures the steady-state CPU of a `livedesk talk` process sharing the Xvfb screen
// at 1 fps for a minute, with a spoken question every 10 s. It runs only when asked:
//
//	LIVEDESK_TALK_CPU=60s scripts/with-testenv.sh go test -run TestTalkCPU -v .
func TestTalkCPU(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("LIVEDESK_TALK_CPU"))
	if err != nil {
		t.Skip("set LIVEDESK_TALK_CPU=60s to measure")
	}
	requireAudioEnv(t, "espeak-ng", "paplay")
	dir := t.TempDir()
	bin := filepath.Join(dir, "livedesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v %s", err, out)
	}
	speech := filepath.Join(dir, "q.wav")
	if out, err := exec.Command("espeak-ng", "-w", speech, "What do you see on my screen?").CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	srv, err := livetest.Start(livetest.Options{APIKey: testKey, Pace: livetest.RealTime})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cmd := exec.Command(bin, "talk", "--endpoint", srv.URL(), "--backend", "pulse", "--mic", "VirtualMic", "--speaker", "Speaker",
		"--screen", "0", "--duration", d.String(), "--headphones")
	cmd.Env = append(os.Environ(), "GEMINI_API_KEY="+testKey)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				exec.Command("paplay", "--device=micsrc", speech).Run()
			}
		}
	}()
	err = cmd.Wait()
	close(stop)
	if err != nil {
		t.Fatalf("talk: %v\n%s", err, out.String())
	}
	u := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	c := srv.Conns()
	t.Logf("talk for %s: %.2f s CPU = %.1f%% of one core; %d turns, %d frames sent\n%s", d, u.Seconds(), 100*u.Seconds()/d.Seconds(), c[0].Turns, c[0].Frames, out.String())
}

// TestTalkEchoCancellation runs `livedesk talk` on speakers: PulseAudio loops the speaker back
// into the microphone (module-loopback, 60 ms, -6 dB) like a laptop without headphones, loud.
// Over ten answers (issue 13: at least eight) the fake server must see no barge-in from the
// model's own voice (its VAD: an energy gate, see below), and the user talking over the model
// must still interrupt it, twice, with the answer after each double talk again playing out
// uninterrupted. The echo that reached the server is measured against what the speaker played.
// LIVEDESK_ECHO_MODE=off shows the failure it guards against.
//
//	scripts/with-testenv.sh go test -run TestTalkEchoCancellation -v .
func TestTalkEchoCancellation(t *testing.T) {
	requireAudioEnv(t, "espeak-ng", "pactl")
	echo := os.Getenv("LIVEDESK_ECHO_MODE") // "off" demonstrates the failure this test guards against
	if echo == "" {
		echo = "auto"
	}
	question := spoken(t, "And what happened next?")
	bargeIn := spoken(t, "Wait, stop, I have a question.")

	// The user speaks through one stream kept open for the whole test: a stream that connects
	// to the microphone feed (paplay) makes PulseAudio renegotiate that sink's latency, and the
	// echo path then jumps by 0.6-20 ms each time the "user" starts or stops talking, just
	// before the model answers, which no laptop's acoustics do.
	user := openMouth(t, "MicFeed")
	// The fake model speaks with espeak-ng's voice: real speech, as Gemini's would be (the
	// fake's own synthetic voice is a few steady tones, a poor stand-in for an echo path).
	story := "Once upon a time a small robot learned to listen before it spoke. It waited for people to finish, and then it answered kindly."
	storyPCM := spoken(t, story)
	// The canceller must follow every move of the echo path, but a sound server that cannot
	// keep time (seen on the shared CI machines: the speaker falling 1 s behind the
	// microphone in 25 s, running up to 10 % slow for seconds) moves it four times a second,
	// which no laptop does. Such a run is measured (from the recording: how far the speaker
	// fell behind) and, when it fell short, repeated; a run on a sound server that kept time
	// must meet everything.
	//
	// Known weakness (issue 13, item 4): now and then, with the sound server keeping time, a
	// little echo still reaches the server at the start of an answer and the model interrupts
	// itself (ci23: twice in one run, 20 ms slip, the canceller reporting 68 dB; 0 of 9 local
	// runs, 4 of them beside two CPU hogs). Until that is found, such a run is kept for study
	// (testdata/artifacts/echo-e2e-failed) and repeated once, logged; two fail the test.
	for attempt := 1; ; attempt++ {
		fails := failsWhileTimeKept(t, 150*time.Millisecond, func() ([]string, time.Duration) { // 5 ms a second over the ~30 s run
			return talkEchoRun(t, echo, user, question, bargeIn, storyPCM, story)
		})
		if len(fails) == 0 || t.Skipped() {
			return
		}
		if attempt == 2 || echo == "off" {
			for _, f := range fails {
				t.Error(f)
			}
			return
		}
		kept := filepath.Join("testdata", "artifacts", "echo-e2e-failed")
		os.RemoveAll(kept)
		if err := os.Rename(filepath.Join("testdata", "artifacts", "echo-e2e"), kept); err != nil {
			t.Logf("keeping the failed run's recording: %v", err)
		}
		t.Logf("attempt %d let echo through while the sound server kept time (known weakness, issue 13 item 4; recording in %s): %s",
			attempt, kept, strings.Join(fails, "; "))
	}
}

// untilTimeKept runs a real-time audio test up to three times. A run that falls short while
// the sound server kept time (the speaker fell at most maxSlip behind the microphone) fails the
// test; one that fell short while it did not is repeated, and three of those skip the test
// saying so: the shared CI machines sometimes starve PulseAudio until the speaker runs several
// per cent slow, which no user's machine does and no canceller can follow.
func untilTimeKept(t *testing.T, maxSlip time.Duration, run func() (fails []string, slip time.Duration)) {
	t.Helper()
	var slips []string
	for attempt := 1; ; attempt++ {
		fails, slip := run()
		if len(fails) == 0 {
			return
		}
		if slip <= maxSlip {
			for _, f := range fails {
				t.Error(f)
			}
			return
		}
		slips = append(slips, slip.Round(time.Millisecond).String())
		t.Logf("attempt %d: the sound server did not keep time (the speaker fell %v behind the microphone): %s", attempt, slip.Round(time.Millisecond), strings.Join(fails, "; "))
		if attempt == 3 {
			t.Skipf("the sound server did not keep time in %d attempts (the speaker fell %s behind): the test cannot judge the app on this machine now", attempt, strings.Join(slips, ", "))
		}
	}
}

// failsWhileTimeKept runs run as untilTimeKept does, except that a run which falls short while
// the sound server kept time does not fail the test: its failures are returned, for the caller
// to repeat a known weakness. Nil when a run passed, or when the test was skipped.
func failsWhileTimeKept(t *testing.T, maxSlip time.Duration, run func() (fails []string, slip time.Duration)) []string {
	t.Helper()
	var kept []string
	untilTimeKept(t, maxSlip, func() ([]string, time.Duration) {
		fails, slip := run()
		if slip <= maxSlip {
			kept = fails // a sound server that kept time: the app's own failure
			return nil, slip
		}
		return fails, slip
	})
	return kept
}

// talkEchoRun runs one conversation of TestTalkEchoCancellation on a fresh echo path and
// fake server, and returns what fell short and how far the speaker fell behind the microphone.
func talkEchoRun(t *testing.T, echo string, user *mouth, question, bargeIn, storyPCM []byte, story string) (fails []string, slip time.Duration) {
	fail := func(format string, a ...any) { fails = append(fails, fmt.Sprintf(format, a...)) }
	var cleanups []func()
	defer func() {
		for _, c := range slices.Backward(cleanups) {
			c()
		}
	}()
	load := func(what string, args ...string) string {
		t.Helper()
		out, err := exec.Command("pactl", append([]string{"load-module"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("load %s: %v %s", what, err, out)
		}
		mod := strings.TrimSpace(string(out))
		cleanups = append(cleanups, func() { exec.Command("pactl", "unload-module", mod).Run() })
		return mod
	}
	mod := load("the echo path", "module-loopback", "source=spk.monitor", "sink=micsrc",
		"latency_msec=60", "adjust_time=0", "source_dont_move=true", "sink_dont_move=true")
	// Laptop speakers reach the microphone some 6-10 dB down; issue 13 asks for the loud end:
	// 79 % in PulseAudio's cubic volume scale is -6.1 dB.
	setLoopbackVolume(t, mod, "79%")

	srv, err := livetest.Start(livetest.Options{APIKey: testKey, Pace: livetest.RealTime, RecordAudio: true, Responder: func(tu livetest.Turn) livetest.Reply {
		return livetest.Reply{Text: story, Audio: storyPCM}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	// The canceller's input, output and reference, kept for study when this fails:
	// LIVEDESK_AEC_REPLAY=testdata/artifacts/echo-e2e go test -run TestReplay -v ./audio/aec/
	recording, err := filepath.Abs(filepath.Join("testdata", "artifacts", "echo-e2e"))
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(recording)
	// The real binary, not runTalk in this process: under -race (as in CI) the instrumented
	// signal processing runs several times slower than what people run, and the timing of the
	// audio callbacks is part of what this test is about.
	args := []string{"talk", "--endpoint", srv.URL(), "--backend", "pulse", "--mic", "VirtualMic", "--speaker", "Speaker",
		"--echo", echo, "--echo-record", recording, "--text", "Tell me a story."}
	// Default settings, as a new user has them: on speakers the app asks for LOW start
	// sensitivity (what Google recommends against echo; the fake then needs 120 ms above
	// -33 dBFS). LIVEDESK_ECHO_SENSITIVITY=high asks for the Gemini API's own default instead
	// (the fake: 40 ms above -45 dBFS): with it, 1 of 4 runs on 2026-12-04 had the model
	// interrupt itself at the start of the answers after a barge-in that met a playback stall.
	if s := os.Getenv("LIVEDESK_ECHO_SENSITIVITY"); s != "" {
		args = append(args, "--start-sensitivity", s)
	}
	// What the speaker played, from outside the app, to hold against what the server heard.
	spk, err := startSpeakerRecording(filepath.Join(t.TempDir(), "speaker.raw"), audio.InputRate)
	if err != nil {
		t.Fatal(err)
	}
	defer spk.stop()
	var userSpans [][2]time.Time
	speak := func(pcm []byte) {
		from := time.Now()
		user.say(t, pcm)
		userSpans = append(userSpans, [2]time.Time{from, time.Now()})
	}
	cmd := exec.Command(buildBinary(t), args...)
	cmd.Env = append(os.Environ(), "GEMINI_API_KEY="+testKey)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		cmd.Wait()
		done <- cmd.ProcessState.ExitCode()
	}()
	stop := func() { cmd.Process.Signal(os.Interrupt) } // talk then leaves and prints its summary
	measureSlip := func() {
		s, err := aec.ReadSlip(recording, audio.InputRate)
		if err != nil {
			fail("reading the recording: %v", err)
		}
		slip = s
	}
	wait := func(what string, d time.Duration, cond func(livetest.ConnInfo) bool) (livetest.ConnInfo, bool) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, d)
		defer wcancel()
		cs, err := srv.Wait(wctx, func(cs []livetest.ConnInfo) bool { return len(cs) == 1 && cond(cs[0]) })
		if err != nil {
			stop()
			<-done
			fail("waiting for %s: %v\nstdout:\n%s\nstderr:\n%s", what, err, stdout.String(), stderr.String())
			measureSlip()
			return livetest.ConnInfo{}, false
		}
		t.Logf("%5.2f s: %s (%d turns, %d interruptions)", time.Since(started).Seconds(), what, cs[0].Turns, cs[0].Interruptions)
		return cs[0], true
	}
	modelChunks := func(c livetest.ConnInfo) int { return c.Count("serverContent.modelTurn") }

	// Answer 1: the model tells its story out loud; its voice comes back through the echo path.
	c, ok := wait("answer 1", 40*time.Second, func(c livetest.ConnInfo) bool { return c.Turns >= 1 })
	if !ok {
		return fails, slip
	}
	self := map[string]int{"answer 1": c.Interruptions} // the model interrupting itself, by answer
	labels := []string{"answer 1"}
	// Then spoken questions, each answered out loud, and twice the user talking over the answer:
	// that must interrupt it, and the answer to that double talk must again play out. Eight
	// answers play out in full, and two are cut short.
	answer := 1
	for _, barge := range []bool{false, false, true, false, false, true, false} {
		speak(question)
		answer++
		label := fmt.Sprintf("answer %d", answer)
		n, turns, before := c.Interruptions, c.Turns, modelChunks(c)
		if c, ok = wait(label+" to start", 20*time.Second, func(c livetest.ConnInfo) bool { return modelChunks(c) > before+15 }); !ok {
			return fails, slip
		}
		if barge {
			start := "the start of " + label
			self[start], labels = c.Interruptions-n, append(labels, start)
			n = c.Interruptions
			speak(bargeIn)
			if c, ok = wait("the barge-in during "+label, 15*time.Second, func(c livetest.ConnInfo) bool { return c.Interruptions > n }); !ok {
				return fails, slip
			}
			// The user has finished speaking (say returns when the phrase has played).
			answer++
			label = fmt.Sprintf("answer %d (to the barge-in)", answer)
			n, turns, before = c.Interruptions, c.Turns, modelChunks(c)
			if c, ok = wait(label+" to start", 20*time.Second, func(c livetest.ConnInfo) bool { return modelChunks(c) > before+15 }); !ok {
				return fails, slip
			}
		}
		if c, ok = wait(label, 40*time.Second, func(c livetest.ConnInfo) bool { return c.Turns > turns }); !ok {
			return fails, slip
		}
		self[label], labels = c.Interruptions-n, append(labels, label)
	}
	stopped := time.Now()
	stop()
	if code := <-done; code != 0 {
		fail("talk exited %d: %s", code, stderr.String())
	}
	measureSlip()
	played := spk.stop()
	heard := srv.SessionAudio(c.Session)
	// The server's audio ends when talk stopped sending, just after stopped.
	heardFrom := stopped.Add(-time.Duration(len(heard)/2) * time.Second / audio.InputRate)
	session, answers, starts := echoAtServer(played, spk.started, heard, heardFrom, userSpans)
	t.Logf("echo at the server, outside in (speaker sink's monitor against the audio the fake server received, user's speech left out): %.1f dB below the speaker over the session; per answer %s (starting %.1f s into the recording)",
		session, formatDBs(answers), starts)
	if echo != "off" && session < 15 {
		fail("echo at the server only %.1f dB below the speaker over the session, want >= 15 (the echo path alone is 6 dB down)", session)
	}
	t.Logf("echo=%s: %d turns, %d interruptions; the speaker fell %v behind the microphone\n%s", echo, c.Turns, c.Interruptions, slip.Round(time.Millisecond), stdout.String())
	for _, what := range labels {
		if self[what] != 0 {
			fail("the model interrupted itself %d times during %s, played on speakers", self[what], what)
		}
	}
	if echo != "off" && !strings.Contains(stdout.String(), "dB echo reduction") {
		fail("talk did not report the measured echo reduction")
	}
	if echo != "off" {
		if fi, err := os.Stat(filepath.Join(recording, "near.raw")); err != nil || fi.Size() < 16000*2*10 {
			fail("talk --echo-record: near.raw missing or short (%v)", err)
		}
	}
	return fails, slip
}

// mouth is the test's user: a player on the microphone feed that stays open.
type mouth struct{ p *audio.Player }

func openMouth(t *testing.T, device string) *mouth {
	t.Helper()
	ac, err := audio.NewContext(audio.BackendPulse, nil)
	if err != nil {
		t.Fatalf("audio context for the user's voice: %v", err)
	}
	p, err := ac.OpenPlayer(audio.PlayerConfig{Device: device})
	if err != nil {
		ac.Close()
		t.Fatalf("open %s for the user's voice: %v", device, err)
	}
	t.Cleanup(func() {
		p.Close()
		ac.Close()
	})
	return &mouth{p: p}
}

// say plays 24 kHz s16le speech into the microphone feed and returns once it has played.
func (m *mouth) say(t *testing.T, pcm []byte) {
	t.Helper()
	want := m.p.Stats().Played + uint64(len(pcm)/2)
	// A new generation each time: the player drops a chunk that repeats a recent one.
	m.p.Write(m.p.Clear(), pcm)
	m.p.EndTurn()
	deadline := time.Now().Add(time.Duration(len(pcm)/2)*time.Second/audio.OutputRate + 5*time.Second)
	for m.p.Stats().Played < want {
		if time.Now().After(deadline) {
			t.Fatalf("the user's voice did not play: %d of %d samples", m.p.Stats().Played, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// spoken is text said by espeak-ng, as 24 kHz s16le mono (the model's rate).
func spoken(t *testing.T, text string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "speech.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "160", "-w", p, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	return speech24k(t, p)
}

// speech24k reads a WAV file as the model's audio: 24 kHz s16le mono.
func speech24k(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := audio.ReadWAV(f)
	if err != nil {
		t.Fatal(err)
	}
	return pcm.FloatToS16LE(nil, pcm.Resample(p.Mono(), p.Rate, audio.OutputRate))
}

// setLoopbackVolume sets the volume of the loopback module's sink input (the echo's gain).
func setLoopbackVolume(t *testing.T, module, vol string) {
	t.Helper()
	out, err := exec.Command("pactl", "list", "sink-inputs").Output()
	if err != nil {
		t.Fatalf("pactl list sink-inputs: %v", err)
	}
	input := ""
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if n, ok := strings.CutPrefix(line, "Sink Input #"); ok {
			input = n
		}
		if m, ok := strings.CutPrefix(line, "Owner Module: "); ok && m == module && input != "" {
			if out, err := exec.Command("pactl", "set-sink-input-volume", input, vol).CombinedOutput(); err != nil {
				t.Fatalf("set the echo gain: %v %s", err, out)
			}
			return
		}
	}
	t.Fatalf("no sink input of module %s in:\n%s", module, out)
}

// TestTalkBargeInWithoutEchoPath: headphones, or a laptop whose hardware already cancels the
// echo — the microphone hears none of the model — in default settings (echo cancellation
// "auto", nothing declared). The user talks 0.8 s into the model's first answer; the server
// must hear it and interrupt the model. The echo canceller's convergence guard used to mute
// such a user by 40 dB for the first 12 s of model speech, since a path that does not exist
// never converges. Real binary, real PulseAudio devices, the barge-in counted at the fake.
func TestTalkBargeInWithoutEchoPath(t *testing.T) {
	requireAudioEnv(t, "espeak-ng")
	bargeIn := spoken(t, "Wait, stop, I have a question.")
	story := spoken(t, "Once upon a time a small robot learned to listen before it spoke. It waited for people to finish, and then it answered kindly.")
	user := openMouth(t, "MicFeed")
	// As in TestTalkEchoCancellation: a run that failed while the sound server could not keep
	// time (measured from the canceller's recording) is repeated; one that kept time must pass.
	// Misses here used to come from the test environment: idle null sinks rendered ahead in 2 s
	// blocks, so the microphone (and later the speaker) started up to 2 s late; see
	// scripts/with-testenv.sh, which keeps the sinks in small blocks. A failing run is still
	// repeated twice and kept for replay (testdata/artifacts/barge-in-DELAY-missed-N); three
	// in a row fail the test.
	// 0.8 s is the case; at 0.3 s the user talks before presence could have heard half a
	// second of the model's voice without them, and only the lag scan lets them through.
	for _, after := range []time.Duration{800 * time.Millisecond, 300 * time.Millisecond} {
		t.Run(fmt.Sprintf("%v into the first answer", after), func(t *testing.T) {
			for attempt := 1; ; attempt++ {
				fails := failsWhileTimeKept(t, 100*time.Millisecond, func() ([]string, time.Duration) { // 5 ms a second over the ~20 s run
					return bargeInRun(t, user, bargeIn, story, after)
				})
				if len(fails) == 0 || t.Skipped() {
					return
				}
				if attempt == 3 {
					for _, f := range fails {
						t.Error(f)
					}
					return
				}
				kept := filepath.Join("testdata", "artifacts", fmt.Sprintf("barge-in-%v-missed-%d", after, attempt))
				os.RemoveAll(kept)
				if err := os.Rename(filepath.Join("testdata", "artifacts", "barge-in"), kept); err != nil {
					t.Logf("keeping the missed run's recording: %v", err)
				}
				t.Logf("attempt %d missed the barge-in (recording in %s): %s", attempt, kept, strings.Join(fails, "; "))
			}
		})
	}
}

// bargeInRun is one run of TestTalkBargeInWithoutEchoPath: what fell short, and how far the
// speaker fell behind the microphone meanwhile.
func bargeInRun(t *testing.T, user *mouth, bargeIn, story []byte, after time.Duration) (fails []string, slip time.Duration) {
	// The last run ended at the interruption, while the user's words still played on: they
	// must not reach this run's microphone.
	user.p.Clear()
	time.Sleep(500 * time.Millisecond)
	srv, err := livetest.Start(livetest.Options{APIKey: testKey, Pace: livetest.RealTime, Responder: func(tu livetest.Turn) livetest.Reply {
		return livetest.Reply{Text: "A story.", Audio: story}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// The canceller's input, output and reference, kept when the barge-in is missed:
	// LIVEDESK_AEC_REPLAY=$PWD/testdata/artifacts/barge-in-300ms-missed-1 go test -run TestReplay -v ./audio/aec/
	recording, err := filepath.Abs(filepath.Join("testdata", "artifacts", "barge-in"))
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(recording)
	var stdout, stderr syncBuffer
	args := []string{"talk", "--endpoint", srv.URL(), "--backend", "pulse", "--mic", "VirtualMic", "--speaker", "Speaker", "--text", "Tell me a story.",
		"--echo-record", recording}
	args = append(args, strings.Fields(os.Getenv("LIVEDESK_BARGE_ARGS"))...) // e.g. --headphones, for comparison
	cmd := exec.Command(buildBinary(t), args...)
	cmd.Env = append(os.Environ(), "GEMINI_API_KEY="+testKey)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Signal(os.Interrupt) // talk then prints its summary and saves the recording
			<-done
		}
	}
	defer stop()
	measure := func() {
		stop()
		if s, err := aec.ReadSlip(recording, audio.InputRate); err == nil {
			slip = s
		}
	}
	wait := func(what string, d time.Duration, cond func(livetest.ConnInfo) bool) (livetest.ConnInfo, time.Time, bool) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), d)
		defer cancel()
		cs, err := srv.Wait(ctx, func(cs []livetest.ConnInfo) bool { return len(cs) == 1 && cond(cs[0]) })
		if err != nil {
			measure()
			fails = append(fails, fmt.Sprintf("waiting for %s: %v\nstdout:\n%s\nstderr:\n%s", what, err, stdout.String(), stderr.String()))
			return livetest.ConnInfo{}, time.Time{}, false
		}
		return cs[0], time.Now(), true
	}
	_, started, ok := wait("the first answer to start", 40*time.Second, func(c livetest.ConnInfo) bool { return c.Count("serverContent.modelTurn") > 0 })
	if !ok {
		return fails, slip
	}
	time.Sleep(time.Until(started.Add(after)))
	if c := srv.Conns(); len(c) == 1 && c[0].Interruptions > 0 {
		measure()
		return append(fails, "the model was interrupted before the user spoke (what did the microphone hear?)"), slip
	}
	spoke := time.Now()
	user.p.Write(user.p.Clear(), bargeIn) // plays on while the test watches the server
	user.p.EndTurn()
	c, at, ok := wait("the barge-in", 10*time.Second, func(c livetest.ConnInfo) bool { return c.Interruptions > 0 })
	if !ok {
		return fails, slip
	}
	if c.Turns > 1 {
		fails = append(fails, fmt.Sprintf("the barge-in came after %d turns, want it during the first answer", c.Turns))
	}
	measure()
	t.Logf("barge-in %v into the first answer, no echo path, default settings: interrupted %v after the user started; the speaker fell %v behind", after, at.Sub(spoke).Round(time.Millisecond), slip.Round(time.Millisecond))
	return fails, slip
}

// speakerRecording records the speaker sink's monitor (s16le mono) with parecord.
type speakerRecording struct {
	cmd     *exec.Cmd
	path    string
	started time.Time
	done    bool
}

func startSpeakerRecording(path string, rate int) (*speakerRecording, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command("parecord", "--device=spk.monitor", "--raw", fmt.Sprintf("--rate=%d", rate), "--channels=1", "--format=s16le", "--latency-msec=10")
	cmd.Stdout = f
	r := &speakerRecording{cmd: cmd, path: path, started: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("parecord: %w", err)
	}
	return r, nil
}

// stop ends the recording and returns it (nil when called again, or when it cannot be read).
func (r *speakerRecording) stop() []byte {
	if r.done {
		return nil
	}
	r.done = true
	r.cmd.Process.Kill()
	r.cmd.Wait()
	b, _ := os.ReadFile(r.path)
	return b
}

// echoAtServer compares what the speaker played with what the server heard at the same wall
// time, both 16 kHz s16le: over the session and per answer (a stretch of speaker sound), how
// far below the speaker the server's audio is, in dB. Stretches where the user spoke (with
// 250 ms on either side) are left out, and each answer's last 150 ms (the echo path's delay
// and the clocks' imprecision put the echo's tail past the speaker's). The two timelines are
// matched by wall clock: parecord's start and the end of the server's audio, to a few tens of
// milliseconds.
func echoAtServer(played []byte, playedFrom time.Time, heard []byte, heardFrom time.Time, user [][2]time.Time) (session float64, answers, starts []float64) {
	const rate, frame = 16000, 320 // 20 ms frames
	sample := func(b []byte, i int) float64 { return float64(int16(binary.LittleEndian.Uint16(b[2*i:]))) / 32768 }
	power := func(b []byte, from int) float64 {
		var sum float64
		for i := from; i < from+frame; i++ {
			v := sample(b, i)
			sum += v * v
		}
		return sum / frame
	}
	userSpeaks := func(at time.Time) bool {
		for _, u := range user {
			if !at.Before(u[0].Add(-250*time.Millisecond)) && !at.After(u[1].Add(250*time.Millisecond)) {
				return true
			}
		}
		return false
	}
	frames := len(played) / 2 / frame
	loud := make([]bool, frames)
	for f := range frames {
		loud[f] = power(played, f*frame) > 1e-5 // above -50 dBFS
	}
	var totalSpk, totalSrv float64
	for f := 0; f < frames; {
		if !loud[f] {
			f++
			continue
		}
		// An answer: loud frames with pauses under a second (between sentences).
		end, quiet := f, 0
		for g := f; g < frames && quiet < 50; g++ {
			if loud[g] {
				end, quiet = g+1, 0
			} else {
				quiet++
			}
		}
		if end-f >= 50 { // a second or more: an answer, not a click
			var spk, srv float64
			for g := f; g < end-7; g++ {
				at := playedFrom.Add(time.Duration(g*frame) * time.Second / rate)
				h := int(at.Sub(heardFrom).Seconds() * rate)
				if userSpeaks(at) || h < 0 || (h+frame)*2 > len(heard) {
					continue
				}
				spk += power(played, g*frame)
				srv += power(heard, h)
			}
			if spk > 0 {
				answers = append(answers, ratioDB(spk, srv))
				starts = append(starts, float64(f*frame)/rate)
				totalSpk += spk
				totalSrv += srv
			}
		}
		f = end
	}
	return ratioDB(totalSpk, totalSrv), answers, starts
}

// ratioDB is how far b is below a, in dB (capped at 120 for silence).
func ratioDB(a, b float64) float64 {
	if b <= 0 {
		return 120
	}
	return min(10*math.Log10(a/b), 120)
}

func formatDBs(v []float64) string {
	parts := make([]string, len(v))
	worst := math.Inf(1)
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.1f", x)
		worst = min(worst, x)
	}
	return fmt.Sprintf("[%s] dB, worst %.1f dB", strings.Join(parts, " "), worst)
}
