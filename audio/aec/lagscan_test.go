package aec

import "testing"

// TestLagScan drives the scan alone, block by block, with the far end's speech and the user
// talking over it from the first block: it must find no echo path when there is none, and
// never claim so when the far end echoes 60 ms later, also when the reference steps blocks
// back or forward on the way. (The scan's history steps with the reference, but even a scan
// that did not would hold: 8 ms steps keep an echo's cells loud at neighbouring delays, since
// speech stays loud for longer than a block; the 96 ms case passes without the steps too.)
func TestLagScan(t *testing.T) {
	far := loadWAV(t, "far16k.wav", 16000)
	user := loadWAV(t, "near16k.wav", 16000)
	const delay = 60 * 16 // samples
	n := min(len(far), len(user)) / Block * Block
	tests := []struct {
		name  string
		gain  float32 // of the echo; 0: no echo path
		steps []int   // blocks at which the reference steps: -1 back, +1 forward (at index i)
		want  bool
	}{
		{"no echo path", 0, nil, true},
		{"no echo path, the reference steps back and forward", 0, []int{40: -1, 90: 1, 150: -1}, true},
		{"echo at -6 dB", 0.5, nil, false},
		{"echo at -26 dB", 0.05, nil, false},
		{"echo at -6 dB, the reference steps back and forward", 0.5, []int{40: -1, 60: -1, 90: 1, 150: -1, 151: -1}, false},
		{"echo at -6 dB, the reference steps back 96 ms in its first second", 0.5, []int{14: -1, 20: -1, 26: -1, 32: -1, 38: -1, 44: -1, 50: -1, 56: -1, 62: -1, 68: -1, 74: -1, 80: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newLagScan(60)
			if err != nil {
				t.Fatal(err)
			}
			// The speaker plays far block after block; the scan's ring holds them in that order.
			// When the reference steps back (it came late: the speaker too) the block just
			// pushed is pushed again with the next microphone block; when it steps forward, one
			// more block is pushed without one. Either way the echo follows the speaker.
			decided := -1
			p := 0 // the speaker's block for the next microphone block
			mic := make([]float32, Block)
			for b := 0; (b+1)*Block <= n && (p+2)*Block <= n && decided < 0; b++ {
				if b < len(tt.steps) {
					switch tt.steps[b] {
					case -1:
						s.popFar()
						p--
					case 1:
						s.pushFar(far[p*Block : (p+1)*Block])
						p++
					}
				}
				for i := range mic {
					mic[i] = 0.5*user[b*Block+i] + 1e-4*float32((b*Block+i)%7-3) // the user from the first sample, a little noise
					if k := p*Block + i - delay; k >= 0 {
						mic[i] += tt.gain * far[k]
					}
				}
				if s.push(mic, far[p*Block:(p+1)*Block]) {
					decided = b
				}
				p++
			}
			if got := decided >= 0; got != tt.want {
				t.Errorf("no echo path found: %v (block %d), want %v", got, decided, tt.want)
			}
			if decided >= 0 {
				t.Logf("decided after %.2f s", float64(decided*Block)/16000)
			}
		})
	}
}
