package audio

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/livedesk/livedesk/audio/audiotest"

	"github.com/livedesk/livedesk/audio/pcm"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

func nullContext(t testing.TB) *Context {
	t.Helper()
	c, err := NewContext(BackendNull, testLogger(t))
	if err != nil {
		t.Fatalf("NewContext(null): %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Context.Close: %v", err)
		}
	})
	return c
}

// waitFor polls cond every 5 ms until it holds or the (generous) deadline passes.
func waitFor(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNullDevicesList(t *testing.T) {
	c := nullContext(t)
	for name, list := range map[string]func() ([]Device, error){
		"capture": c.CaptureDevices, "playback": c.PlaybackDevices,
	} {
		devs, err := list()
		if err != nil {
			t.Fatalf("%s devices: %v", name, err)
		}
		if len(devs) == 0 || devs[0].Name == "" || devs[0].ID == "" {
			t.Errorf("%s devices = %+v, want at least one named device", name, devs)
		}
		t.Logf("%s: %+v", name, devs)
	}
}

func TestOpenUnknownDevice(t *testing.T) {
	c := nullContext(t)
	if _, err := c.OpenMic(MicConfig{Device: "no such mic"}); !errors.Is(err, ErrNoDevice) {
		t.Errorf("OpenMic(unknown) error = %v, want ErrNoDevice", err)
	}
	if _, err := c.OpenPlayer(PlayerConfig{Device: "no such speaker"}); !errors.Is(err, ErrNoDevice) {
		t.Errorf("OpenPlayer(unknown) error = %v, want ErrNoDevice", err)
	}
	if _, err := c.OpenMic(MicConfig{ChunkMs: 50}); err == nil {
		t.Error("OpenMic accepted 50 ms chunks")
	}
	if _, err := c.OpenMic(MicConfig{SpeakerMode: true}); err == nil {
		t.Error("OpenMic accepted speaker mode without a FarEnd")
	}
}

// TestNullMicAndPlayer runs a real capture and a real playback device on miniaudio's null
// backend, which paces both from the same clock: the chunk sizes and formats must be right and
// the capture and playback rates must match each other.
func TestNullMicAndPlayer(t *testing.T) {
	tests := []struct {
		chunkMs int
	}{{0}, {20}, {40}}
	for _, tt := range tests {
		t.Run(time.Duration(tt.chunkMs*int(time.Millisecond)).String(), func(t *testing.T) {
			c := nullContext(t)
			devs, err := c.CaptureDevices()
			if err != nil {
				t.Fatal(err)
			}
			m, err := c.OpenMic(MicConfig{Device: devs[0].ID, ChunkMs: tt.chunkMs})
			if err != nil {
				t.Fatalf("OpenMic: %v", err)
			}
			defer m.Close()
			p, err := c.OpenPlayer(PlayerConfig{})
			if err != nil {
				t.Fatalf("OpenPlayer: %v", err)
			}
			defer p.Close()

			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			const chunks = 25
			startPlayed := p.Stats().Frames
			startCaptured := m.Stats().Captured
			for i := range chunks {
				b, err := m.Read(ctx)
				if err != nil {
					t.Fatalf("Read %d: %v", i, err)
				}
				if want := 2 * InputRate * cmp.Or(tt.chunkMs, 24) / 1000; len(b) != want { // 0: the default
					t.Fatalf("chunk %d: %d bytes, want %d", i, len(b), want)
				}
				for _, v := range b {
					if v != 0 {
						t.Fatalf("null capture delivered non-silence")
					}
				}
			}
			captured := m.Stats().Captured - startCaptured
			played := time.Duration(p.Stats().Frames-startPlayed) * time.Second / OutputRate
			ratio := float64(captured) / float64(played)
			t.Logf("captured %v while the player's device consumed %v: ratio %.3f", captured, played, ratio)
			if ratio < 0.8 || ratio > 1.25 {
				t.Errorf("captured %v while %v was played: ratio %.2f, want about 1", captured, played, ratio)
			}
			if st := m.Stats(); st.Dropped != 0 || st.Chunks < chunks {
				t.Errorf("mic stats %+v", st)
			}
		})
	}
}

// TestNullPlayerPlaysAndClears plays a tone through a null device and watches the reference tap
// (what the callback handed to the device).
func TestNullPlayerPlaysAndClears(t *testing.T) {
	c := nullContext(t)
	p, err := c.OpenPlayer(PlayerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tone := pcm.FloatToS16LE(nil, audiotest.Sine(440, 0.5, OutputRate, OutputRate)) // 1 s
	g := p.Generation()
	p.Write(g, tone)
	waitFor(t, "300 ms played", 5*time.Second, func() bool { return p.Stats().Played >= OutputRate*3/10 })
	if !p.FarEndActive(100 * time.Millisecond) {
		t.Error("FarEndActive = false while playing")
	}
	g2 := p.Clear()
	if g2 != g+1 {
		t.Errorf("Clear = %d, want %d", g2, g+1)
	}
	p.Write(g, tone) // late audio of the interrupted turn
	cb := p.Stats().Callbacks
	waitFor(t, "two periods after Clear", 5*time.Second, func() bool { return p.Stats().Callbacks >= cb+3 })
	st := p.Stats()
	if st.Queued != 0 || st.StaleChunks != 1 || st.Played >= OutputRate {
		t.Errorf("after Clear: %+v", st)
	}
	last := make([]int16, p.period)
	p.Reference().Read(last)
	for i, v := range last {
		if v != 0 {
			t.Fatalf("sample %d of the last period = %d, want silence", i, v)
		}
	}
}

func TestMicCloseWakesRead(t *testing.T) {
	c := nullContext(t)
	m, err := c.OpenMic(MicConfig{})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		for {
			if _, err := m.Read(t.Context()); err != nil {
				errc <- err
				return
			}
		}
	}()
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close = %v, want ErrClosed", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := m.Read(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Read on closed mic = %v, want ErrClosed", err)
	}
}

func TestContextCloseClosesDevices(t *testing.T) {
	c, err := NewContext(BackendNull, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.OpenMic(MicConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.OpenPlayer(PlayerConfig{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := m.Read(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Context.Close = %v, want ErrClosed", err)
	}
	if _, err := c.OpenMic(MicConfig{}); !errors.Is(err, ErrClosed) {
		t.Errorf("OpenMic after Close = %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestMicReadHonoursContext(t *testing.T) {
	c := nullContext(t)
	m, err := c.OpenMic(MicConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := m.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled context = %v, want context.Canceled", err)
	}
}

// A device that stops on its own (unplugged, sound server gone) makes Read fail with
// ErrDeviceLost instead of blocking forever; the app can close it and open another.
func TestMicDeviceLost(t *testing.T) {
	c := nullContext(t)
	m, err := c.OpenMic(MicConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Read(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.dev.Stop(); err != nil { // what miniaudio does when the device goes away
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var rerr error
	for rerr == nil {
		_, rerr = m.Read(ctx)
	}
	if !errors.Is(rerr, ErrDeviceLost) || m.Err() == nil || !m.Stats().Lost {
		t.Errorf("Read after the device stopped = %v, want ErrDeviceLost", rerr)
	}
	if err := m.Close(); err != nil {
		t.Errorf("Close of a lost mic: %v", err)
	}
	m2, err := c.OpenMic(MicConfig{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer m2.Close()
	if _, err := m2.Read(ctx); err != nil {
		t.Errorf("Read from the reopened mic: %v", err)
	}
}

// The callbacks must not allocate. The devices are real (null backend) but stopped, so the test
// is the only caller of the callback.
func TestCallbacksDoNotAllocate(t *testing.T) {
	c := nullContext(t)
	far, err := c.OpenPlayer(PlayerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()
	m, err := c.OpenMic(MicConfig{SpeakerMode: true, FarEnd: far, Processors: []Processor{invert{}}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := far.dev.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := m.dev.Stop(); err != nil {
		t.Fatal(err)
	}
	in := pcm.FloatToS16LE(nil, audiotest.Sine(440, 0.3, InputRate, InputRate/100))
	out := make([]byte, 2*far.period)
	pcm := pcm.FloatToS16LE(nil, audiotest.Sine(440, 0.3, OutputRate, far.period))
	if a := testing.AllocsPerRun(500, func() { m.onData(nil, in, uint32(len(in)/2)) }); a != 0 {
		t.Errorf("mic callback: %v allocations per period, want 0", a)
	}
	if a := testing.AllocsPerRun(500, func() {
		far.Write(far.Generation(), pcm)
		far.onData(out, nil, uint32(len(out)/2))
	}); a != 0 {
		t.Errorf("player callback: %v allocations per period, want 0", a)
	}
}

type invert struct{}

func (invert) Process(s []int16) {
	for i, v := range s {
		s[i] = ^v
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
