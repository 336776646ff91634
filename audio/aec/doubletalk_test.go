package aec

import (
	"slices"
	"testing"
)

// TestDoubleTalk talks over the far end (near-end speech from a second espeak-ng voice) once
// the canceller has converged, and measures how well the near end survives (near-to-distortion
// ratio: the near speech against everything else in the output, residual echo and
// suppression damage alike), and that the echo path is not lost: cancellation after the talk
// is as good as before.
func TestDoubleTalk(t *testing.T) {
	far24 := loadWAV(t, "far24k.wav", 24000)
	far16 := loadWAV(t, "far16k.wav", 16000)
	near := loadWAV(t, "near16k.wav", 16000)
	const rate = 16000
	tests := []struct {
		name      string
		r         room
		nearGain  float32 // the talker's level relative to the file (about -21 dBFS RMS at 1)
		minNDR    float64 // dB, during double talk
		minGainDB float64 // NDR improvement over the unprocessed microphone
		minAfter  float64 // ERLE once the near end stops
	}{
		{"talker as loud as the echo", room{delayMs: 60, gain: 0.5, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 1}, 0.5, 8, 8, 25},
		{"quiet talker, loud echo", room{delayMs: 100, gain: 0.8, decayMs: 100, reverb: 0.1, noiseDB: -65, seed: 2}, 0.25, 4, 15, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := append(slices.Clone(far16), far16...)
			play := append(slices.Clone(far24), far24...)
			echo := tt.r.echo(src, rate)
			at := 8 * rate
			nearIn := make([]float32, len(echo))
			for i, v := range near {
				nearIn[at+i] = v * tt.nearGain
			}
			mic := make([]float32, len(echo))
			for i := range mic {
				mic[i] = echo[i] + nearIn[i]
			}
			ref := &fakeRef{rate: 24000, sig: toS16(play)}
			c, err := New(ref, Config{})
			if err != nil {
				t.Fatal(err)
			}
			out := sim{playBurst: 1}.run(t, c, ref, mic)
			n := min(len(mic), len(out))
			dt0, dt1 := at+rate/2, at+len(near)-rate/2
			before := ratioDB(nearIn[dt0:dt1], diff(mic[dt0:dt1], nearIn[dt0:dt1]))
			ndr := ratioDB(nearIn[dt0:dt1], diff(out[dt0:dt1], nearIn[dt0:dt1]))
			loss := ratioDB(nearIn[dt0:dt1], out[dt0:dt1]) // < 0: output louder (residual echo)
			a0 := at + len(near) + rate
			after := ratioDB(mic[a0:n], out[a0:n])
			pre := ratioDB(mic[3*rate:at], out[3*rate:at])
			t.Logf("double talk: near-to-distortion %.1f dB (unprocessed %.1f dB), level change %.1f dB; ERLE before %.1f dB, after %.1f dB; %+v",
				ndr, before, -loss, pre, after, c.Stats())
			if ndr < tt.minNDR {
				t.Errorf("near-to-distortion ratio during double talk = %.1f dB, want >= %.0f", ndr, tt.minNDR)
			}
			if ndr-before < tt.minGainDB {
				t.Errorf("double talk improved by %.1f dB over the raw microphone, want >= %.0f", ndr-before, tt.minGainDB)
			}
			if after < tt.minAfter {
				t.Errorf("ERLE after double talk = %.1f dB, want >= %.0f (echo path lost)", after, tt.minAfter)
			}
		})
	}
}

func diff(a, b []float32) []float32 {
	d := make([]float32, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return d
}
