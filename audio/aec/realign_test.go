package aec

import (
	"math"
	"testing"
	"time"
)

// TestEchoPathJump moves the echo path by a few milliseconds in the middle of far-end speech, as
// PulseAudio does when it re-buffers a stream (jumps of 0.6-18 ms were measured on the CI echo
// path). The canceller must follow within about half a second (the realigner), not re-learn
// for seconds, and must not take the jump for clock drift.
func TestEchoPathJump(t *testing.T) {
	far24 := loadWAV(t, "far24k.wav", 24000)
	far16 := loadWAV(t, "far16k.wav", 16000)
	const rate = 16000
	jumpAt := 7 * rate
	tests := []struct {
		name   string
		jumpMs float64
	}{
		{"3.4 ms later", 3.4},
		{"7 ms later", 7},
		{"18 ms later", 18},
		{"5 ms earlier", -5},
		{"0.6 ms earlier", -0.6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := room{delayMs: 60, gain: 0.5, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 1}
			after := before
			after.delayMs += tt.jumpMs
			a, b := before.echo(far16, rate), after.echo(far16, rate)
			mic := append(a[:jumpAt:jumpAt], b[jumpAt:]...)
			ref := &fakeRef{rate: 24000, sig: toS16(far24)}
			c, err := New(ref, Config{})
			if err != nil {
				t.Fatal(err)
			}
			out := sim{playBurst: 2}.run(t, c, ref, mic)
			n := min(len(mic), len(out))
			st := c.Stats()
			w := erleWindows(mic[:n], out[:n], rate/4)
			t.Logf("ERLE per 0.25 s (jump at 7 s): %.0f", w)
			t.Logf("stats %+v", st)
			settle := jumpAt + rate/2 // half a second to notice and follow
			if e := ratioDB(mic[settle:n], out[settle:n]); e < 30 {
				t.Errorf("ERLE from %v after the jump = %.1f dB, want >= 30", 500*time.Millisecond, e)
			}
			if e := ratioDB(mic[4*rate:jumpAt], out[4*rate:jumpAt]); e < 30 {
				t.Errorf("ERLE before the jump = %.1f dB, want >= 30", e)
			}
			if st.Realigns == 0 {
				t.Errorf("no realignment counted")
			}
			if math.Abs(float64(st.DriftPPM)) > 20 {
				t.Errorf("the jump was taken for clock drift: %d ppm", st.DriftPPM)
			}
		})
	}
}
