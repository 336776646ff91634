package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livedesk/livedesk/live/livetest"
)

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

	rec := filepath.Join(dir, "speaker.raw")
	recFile, err := os.Create(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer recFile.Close()
	parecord := exec.Command("parecord", "--device=spk.monitor", "--raw", "--rate=24000", "--channels=1", "--format=s16le", "--latency-msec=20")
	parecord.Stdout = recFile
	if err := parecord.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { parecord.Process.Kill(); parecord.Wait() }()

	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runTalk(t.Context(), []string{"--endpoint", srv.URL(), "--backend", "pulse", "--mic", "VirtualMic", "--speaker", "Speaker",
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
	parecord.Process.Kill()
	parecord.Wait()
	raw, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
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
