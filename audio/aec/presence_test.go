package aec

import (
	"slices"
	"testing"
)

// TestNoEchoPath: with no echo path (headphones) the canceller says so within the first
// answer and stops muting, so a user who talks 0.8 s into the model's first answer gets
// through; with an echo path — short or long, and when the user spoke just before the model
// answered — it never says so, and the guard mutes the far-end stretches as before.
func TestNoEchoPath(t *testing.T) {
	far24 := loadWAV(t, "far24k.wav", 24000)
	far16 := loadWAV(t, "far16k.wav", 16000)
	near := loadWAV(t, "near16k.wav", 16000)
	const rate = 16000
	lead := rate // a second of quiet before the model's first answer
	tests := []struct {
		name       string
		r          room
		bargeAt    int // samples after the answer starts; -1: none
		before     bool
		wantNoEcho bool
		noLead     bool // the model answers at once: no quiet before it
		measure    int  // samples into the barge-in from which the user is measured (rate/4 if 0)
	}{
		{"headphones, the model answers at once", room{delayMs: 60, gain: 0, decayMs: 10, noiseDB: -65, seed: 8}, 8 * rate / 10, false, true, true, 0},
		{"speakers, the model answers at once", room{delayMs: 60, gain: 0.5, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 9}, -1, false, false, true, 0},
		{"speakers at -26 dB, the model answers at once", room{delayMs: 60, gain: 0.05, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 10}, -1, false, false, true, 0},
		{"headphones, barge-in 0.8 s into the first answer", room{delayMs: 60, gain: 0, decayMs: 10, noiseDB: -65, seed: 3}, 8 * rate / 10, false, true, false, 0},
		{"headphones in a noisy room", room{delayMs: 60, gain: 0, decayMs: 10, noiseDB: -45, seed: 4}, 8 * rate / 10, false, true, false, 0},
		{"speakers, 60 ms at -6 dB", room{delayMs: 60, gain: 0.5, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 5}, -1, false, false, false, 0},
		{"speakers, 400 ms at -20 dB", room{delayMs: 400, gain: 0.1, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 6}, -1, false, false, false, 0},
		{"speakers, the user spoke just before the answer", room{delayMs: 60, gain: 0.3, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 7}, -1, true, false, false, 0},
		// The user talks over the model from (nearly) its first word: presence cannot decide while
		// they talk, the lag scan must, within a second.
		{"headphones, barge-in 0.3 s into the first answer", room{delayMs: 60, gain: 0, decayMs: 10, noiseDB: -65, seed: 11}, 3 * rate / 10, false, true, false, rate},
		{"headphones, the user talks as the first answer starts", room{delayMs: 60, gain: 0, decayMs: 10, noiseDB: -65, seed: 12}, 0, false, true, false, rate},
		{"headphones, the user talks as the model answers at once", room{delayMs: 60, gain: 0, decayMs: 10, noiseDB: -65, seed: 13}, 0, false, true, true, rate},
		// ... and must not take an echo path for none while the user talks over it.
		{"speakers, the user talks as the first answer starts", room{delayMs: 60, gain: 0.5, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 14}, 0, false, false, false, -1},
		{"speakers at -26 dB, the user talks as the first answer starts", room{delayMs: 60, gain: 0.05, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 15}, 0, false, false, false, -1},
		{"speakers, 400 ms, the user talks as the first answer starts", room{delayMs: 400, gain: 0.3, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 16}, 0, false, false, false, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lead := lead
			if tt.noLead {
				lead = 0
			}
			src := append(make([]float32, lead), far16...)
			play := append(make([]float32, 3*lead/2), far24...)
			mic := tt.r.echo(src, rate)
			nearIn := make([]float32, len(mic))
			if tt.bargeAt >= 0 {
				at := lead + tt.bargeAt
				for i, v := range near[:min(len(near), len(mic)-at)] {
					nearIn[at+i] = v * 0.5
				}
			}
			if tt.before {
				for i, v := range near[:lead*9/10] {
					nearIn[lead/10+i] = v * 0.5
				}
			}
			for i := range mic {
				mic[i] += nearIn[i]
			}
			ref := &fakeRef{rate: 24000, sig: toS16(play)}
			c, err := New(ref, Config{})
			if err != nil {
				t.Fatal(err)
			}
			out := sim{playBurst: 1}.run(t, c, ref, mic)
			st := c.Stats()
			if st.NoEchoPath != tt.wantNoEcho {
				t.Errorf("NoEchoPath = %v, want %v (%+v)", st.NoEchoPath, tt.wantNoEcho, st)
			}
			if tt.bargeAt >= 0 && tt.measure >= 0 {
				// From 0.25 s into the barge-in for a second: what the server hears of the user.
				measure := tt.measure
				if measure == 0 {
					measure = rate / 4
				}
				a := lead + tt.bargeAt + measure
				b := min(a+rate, len(out))
				loss := ratioDB(nearIn[a:b], out[a:b])
				t.Logf("the user %.2f-%.2f s into the barge-in: %.1f dB lost; %+v", float64(measure)/rate, float64(measure+rate)/rate, loss, st)
				if loss > 6 {
					t.Errorf("the user talking over the first answer lost %.1f dB (the guard mutes 40 dB)", loss)
				}
			} else {
				t.Logf("%+v", st)
				if st.Guarded == 0 {
					t.Error("nothing was guarded on an echo path before convergence")
				}
			}
			_ = slices.Max(out)
		})
	}
}
