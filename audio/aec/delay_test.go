package aec

import "testing"

// TestDelayEstimator feeds block envelopes of speech and a delayed, attenuated, noisy copy and
// checks the lag found, and that silence gives no estimate.
func TestDelayEstimator(t *testing.T) {
	far := loadWAV(t, "far16k.wav", 16000)
	tests := []struct {
		name  string
		lag   int // blocks
		gain  float32
		noise float64
		want  bool
	}{
		{"no delay", 0, 0.5, -70, true},
		{"80 ms", 10, 0.5, -65, true},
		{"400 ms quiet echo", 50, 0.1, -65, true},
		{"silent far end", 12, 0, -60, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDelayEstimator(188, 63, 63)
			r := room{delayMs: float64(tt.lag) * 8, gain: float64(tt.gain), decayMs: 40, reverb: 0.1, noiseDB: tt.noise, seed: 9}
			f := far
			if tt.gain == 0 {
				f = make([]float32, len(far))
			}
			mic := r.echo(f, 16000)
			var lag int
			var rho float64
			var ok bool
			for b := 0; (b+1)*Block <= 4*16000; b++ {
				d.pushFar(f[b*Block : (b+1)*Block])
				d.pushNear(mic[b*Block : (b+1)*Block])
				if b%16 == 15 {
					if l, r, k := d.estimate(); k {
						lag, rho, ok = l, r, true
					}
				}
			}
			if ok != tt.want {
				t.Fatalf("estimate ok = %v (lag %d, rho %.2f), want %v", ok, lag, rho, tt.want)
			}
			if ok && (lag < tt.lag || lag > tt.lag+1) {
				t.Errorf("lag = %d blocks (rho %.2f), want %d or %d", lag, rho, tt.lag, tt.lag+1)
			}
		})
	}
}
