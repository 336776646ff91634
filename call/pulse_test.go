package call

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"testing"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/live/livetest"
	"github.com/livedesk/livedesk/settings"
)

// TestMetersMoveWithSound runs the call on the real PulseAudio server of the test environment
// (scripts/with-testenv.sh): a tone played into the microphone feed moves the microphone meter,
// and the model's spoken answer moves the speaker meter.
func TestMetersMoveWithSound(t *testing.T) {
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		t.Skip("needs PulseAudio: run under scripts/with-testenv.sh (make test)")
	}
	srv, err := livetest.Start(livetest.Options{APIKey: testKey, Pace: livetest.RealTime})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rec := newRecorder()
	c := New(Options{Sink: rec, Backend: audio.BackendPulse})
	cfg := settings.Default()
	cfg.Endpoint, cfg.APIKey = srv.URL(), testKey
	cfg.MicDevice, cfg.SpeakerDevice = "VirtualMic", "Speaker"
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(t.Context())
	go func() { done <- c.Run(runCtx) }()
	defer func() { stop(); <-done }()
	run := c.Start(cfg)
	rec.wait(t, "live", hasState(run, StateLive))

	// The user: a 440 Hz tone at -12 dBFS into the microphone feed.
	ac, err := audio.NewContext(audio.BackendPulse, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	mouth, err := ac.OpenPlayer(audio.PlayerConfig{Device: "MicFeed"})
	if err != nil {
		t.Fatal(err)
	}
	defer mouth.Close()
	tone := make([]byte, 2*audio.OutputRate) // 1 s
	for i := range len(tone) / 2 {
		v := 0.25 * math.Sin(2*math.Pi*440*float64(i)/audio.OutputRate)
		binary.LittleEndian.PutUint16(tone[2*i:], uint16(int16(v*32767)))
	}
	mouth.Write(mouth.Generation(), tone)
	mouth.EndTurn()
	rec.wait(t, "the microphone meter", levelAbove(run, func(l LevelEvent) float64 { return l.Mic }, 0.5))

	if err := c.SendText("please answer out loud"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "the speaker meter", levelAbove(run, func(l LevelEvent) float64 { return l.Speaker }, 0.3))
}

func levelAbove(run uint64, which func(LevelEvent) float64, min float64) func([]Event) bool {
	return func(evs []Event) bool {
		for _, ev := range evs {
			if le, ok := ev.(LevelEvent); ok && le.Run == run && which(le) > min {
				return true
			}
		}
		return false
	}
}
