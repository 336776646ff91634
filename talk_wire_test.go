package main

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/live/livetest"
)

// TestTalkMicToWire measures, from outside the app, how long microphone audio waits between
// the sound server and the Live API's socket once a chunk is complete (issue 13 item 3), in
// default settings, where the echo canceller processes every period.
//
// The clock is a second client of the same microphone source, in the test process: the sound
// server hands both the same data at the same moments. Short tone bursts are played into the
// microphone. For each, the fake server sees the chunk that holds its start arrive, and how
// many samples of that chunk follow the start; the test's own client says when the sound
// server had delivered that many samples after the same start. The difference is the wait
// after the chunk filled: the app's own buffering, the canceller, the encoder and the socket.
// LIVEDESK_ECHO_MODE=off gives the same figure without the canceller.
//
// The clock runs 2 ms periods, so it knows within about 2 ms when a sample was delivered (with
// the app's 8 ms it would be off by up to a period, by where each stream's periods started).
// CI asserts that every burst is found in both streams and in a chunk; the figures are logged
// (a shared machine's scheduling is not for assertions).
func TestTalkMicToWire(t *testing.T) {
	requireAudioEnv(t)
	const bursts = 12
	type arrival struct {
		at  time.Time
		end int // samples received up to the end of this chunk
	}
	var (
		mu     sync.Mutex
		chunks []arrival
		heard  []int16
	)
	srv, err := livetest.Start(livetest.Options{APIKey: testKey, Pace: livetest.RealTime,
		OnAudio: func(pcm []int16, at time.Time) {
			mu.Lock()
			heard = append(heard, pcm...)
			chunks = append(chunks, arrival{at, len(heard)})
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	clock := startDeliveryClock(t, "VirtualMic", 90*time.Second)
	user := openMouth(t, "MicFeed")

	args := []string{"talk", "--endpoint", srv.URL(), "--backend", "pulse", "--mic", "VirtualMic", "--speaker", "Speaker"}
	if mode := os.Getenv("LIVEDESK_ECHO_MODE"); mode != "" {
		args = append(args, "--echo", mode)
	}
	stdout, stderr := startTalk(t, args...)
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	if _, err := srv.Wait(ctx, func(cs []livetest.ConnInfo) bool { return len(cs) == 1 && cs[0].AudioSamples > audio.InputRate }); err != nil {
		t.Fatalf("waiting for a second of microphone audio at the server: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}

	// 5 ms bursts of 1 kHz at -12 dBFS, 300 ms apart (at 24 kHz, the player's rate): too short
	// for the fake's voice detector, so no answer plays meanwhile.
	const gap = 300 * time.Millisecond
	burst := make([]byte, 0, bursts*int(gap.Seconds()*audio.OutputRate)*2)
	for range bursts {
		for i := range int(gap.Seconds() * audio.OutputRate) {
			var v int16
			if i < audio.OutputRate*5/1000 {
				v = int16(8192 * math.Sin(2*math.Pi*1000*float64(i)/audio.OutputRate))
			}
			burst = binary.LittleEndian.AppendUint16(burst, uint16(v))
		}
	}
	user.say(t, burst)
	time.Sleep(300 * time.Millisecond) // the last chunks reach the server
	mu.Lock()
	got, arrived := slices.Clone(heard), slices.Clone(chunks)
	mu.Unlock()
	times, samples := clock.snapshot()

	atServer := onsets(got)
	atClock := onsets(samples)
	if len(atServer) != bursts || len(atClock) != bursts {
		t.Fatalf("found %d bursts at the server and %d in the clock's stream, want %d each", len(atServer), len(atClock), bursts)
	}
	var waits []time.Duration
	for i, o := range atServer {
		c, _ := slices.BinarySearchFunc(arrived, o+1, func(a arrival, n int) int { return cmp.Compare(a.end, n) })
		after := arrived[c].end - o // samples of the chunk from the burst's start on
		d, _ := slices.BinarySearch(deliveryEnds(times), atClock[i]+after)
		if d >= len(times) {
			t.Fatalf("burst %d: the clock's stream ends before its chunk would have filled", i)
		}
		waits = append(waits, arrived[c].at.Sub(times[d].at))
	}
	slices.Sort(waits)
	med := waits[len(waits)/2]
	var s []string
	for _, w := range waits {
		s = append(s, fmt.Sprintf("%.1f", float64(w.Microseconds())/1000))
	}
	t.Logf("chunk filled at the sound server → at the fake server, %d bursts (ms, sorted): %s; median %.1f ms (echo mode %q)",
		len(waits), strings.Join(s, " "), float64(med.Microseconds())/1000, cmp.Or(os.Getenv("LIVEDESK_ECHO_MODE"), "default"))
	// How many bursts reached the server at another level than the clock heard them, logged
	// only: the clock's own 2 ms periods glitch now and then on this sound server (seen with
	// the canceller off as well).
	off := 0
	for i := range bursts {
		a, b := burstRMS(got, atServer[i]), burstRMS(samples, atClock[i])
		if math.Abs(20*math.Log10(a/b)) > 1 {
			off++
		}
	}
	t.Logf("%d of %d bursts more than 1 dB apart between the server and the clock", off, bursts)
}

// startTalk runs the real binary with args against a test server; it is stopped (SIGINT, then
// waited for) when the test ends.
func startTalk(t *testing.T, args ...string) (stdout, stderr *syncBuffer) {
	t.Helper()
	stdout, stderr = new(syncBuffer), new(syncBuffer)
	cmd := exec.Command(buildBinary(t), args...)
	cmd.Env = append(os.Environ(), "GEMINI_API_KEY="+testKey)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		<-done
	})
	return stdout, stderr
}

// onsets returns where each tone burst starts: the first sample above -30 dBFS after 100 ms
// below it.
func onsets(x []int16) []int {
	var at []int
	quiet := 0
	for i, v := range x {
		if abs(int(v)) > 1036 {
			if quiet >= audio.InputRate/10 {
				at = append(at, i)
			}
			quiet = 0
			continue
		}
		quiet++
	}
	return at
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func burstRMS(x []int16, from int) float64 {
	var e float64
	n := 0
	for _, v := range x[from:min(len(x), from+audio.InputRate*10/1000)] {
		e += float64(v) * float64(v)
		n++
	}
	return math.Sqrt(e / float64(max(n, 1)))
}

// deliveryClock is an audio.Processor that notes when each period arrived and keeps the samples:
// the sound server's timeline as a client sees it.
type deliveryClock struct {
	mu      sync.Mutex
	times   []delivery
	samples []int16
}

type delivery struct {
	at  time.Time
	end int // samples delivered up to the end of this period
}

// startDeliveryClock records the capture device (up to d of it) in 2 ms periods, the test's
// own client of the sound server, until the test ends.
func startDeliveryClock(t *testing.T, device string, d time.Duration) *deliveryClock {
	t.Helper()
	n := int(d.Seconds() * audio.InputRate)
	c := &deliveryClock{times: make([]delivery, 0, n/64), samples: make([]int16, 0, n)}
	ac, err := audio.NewContext(audio.BackendPulse, nil)
	if err != nil {
		t.Fatalf("audio context for the clock: %v", err)
	}
	t.Cleanup(func() { ac.Close() })
	m, err := ac.OpenMic(audio.MicConfig{Device: device, PeriodMs: 2, Processors: []audio.Processor{c}})
	if err != nil {
		t.Fatalf("open %q for the clock: %v", device, err)
	}
	t.Cleanup(func() { m.Close() })
	return c
}

func (c *deliveryClock) Process(s []int16) {
	at := time.Now()
	c.mu.Lock()
	if len(c.samples)+len(s) <= cap(c.samples) && len(c.times) < cap(c.times) {
		c.samples = append(c.samples, s...)
		c.times = append(c.times, delivery{at, len(c.samples)})
	}
	c.mu.Unlock()
}

func (c *deliveryClock) snapshot() ([]delivery, []int16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.times), slices.Clone(c.samples)
}

// deliveryEnds lists the sample counts of ds, for a binary search: the first period whose end is
// at or past n delivered sample n-1.
func deliveryEnds(ds []delivery) []int {
	e := make([]int, len(ds))
	for i, d := range ds {
		e[i] = d.end
	}
	return e
}
