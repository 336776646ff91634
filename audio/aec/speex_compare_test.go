//go:build aec_speex

package aec

import (
	"testing"
	"time"
)

// TestSpeexComparison runs libspeexdsp (frame 160, tail 2048 = 128 ms, with its preprocessor's
// residual suppression) on the synthetic echo cases, given the far end already aligned to
// within the bulk delay as the pure-Go engine's own delay estimate would (a head start for
// speex), and logs the same figures as TestEchoCancellation.
func TestSpeexComparison(t *testing.T) {
	far16 := loadWAV(t, "far16k.wav", 16000)
	for _, tc := range echoCases {
		if tc.ppm != 0 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			mic := toS16(tc.r.echo(far16, 16000))
			far := toS16(far16)
			// Align the far end to 16 ms before the echo (speex covers the 128 ms after).
			shift := int(tc.r.delayMs*16) - 256
			aligned := make([]int16, len(far))
			copy(aligned[shift:], far)
			s := newSpeexAEC(160, 2048, 16000)
			defer s.close()
			out := make([]int16, len(mic))
			start := time.Now()
			for i := 0; i+160 <= len(mic); i += 160 {
				s.process(mic[i:i+160], aligned[i:i+160], out[i:i+160])
			}
			el := time.Since(start)
			m, o := toF32(mic), toF32(out)
			n := len(mic) / 160 * 160
			t.Logf("speex: ERLE from 2 s %.1f dB; first 0.5 s window >= 25 dB at %v; %.1f µs per 10 ms frame",
				ratioDB(m[32000:n], o[32000:n]), convergence(m[:n], o[:n], 16000, 25),
				float64(el.Microseconds())/float64(n/160))
		})
	}
}
