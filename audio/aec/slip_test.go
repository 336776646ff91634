package aec

import (
	"testing"
	"time"
)

// TestSlip: the player hands 20 ms periods, the microphone delivers 10 ms ones; an underrun
// (the reference stops and never catches up) counts its length, a late period that catches up
// counts nothing.
func TestSlip(t *testing.T) {
	calls := func(n int, stall func(k int) (skip, owe bool)) [][2]uint64 {
		var c [][2]uint64
		var end uint64 = 960 // two periods buffered at the start
		owed := uint64(0)
		for k := range n {
			c = append(c, [2]uint64{160, end})
			skip, owe := false, false
			if stall != nil {
				skip, owe = stall(k)
			}
			switch {
			case skip && owe:
				owed += 240
			case skip:
			default:
				end += 240 + owed
				owed = 0
			}
		}
		return c
	}
	tests := []struct {
		name  string
		calls [][2]uint64
		want  time.Duration
	}{
		{"steady", calls(300, nil), 0},
		{"two 20 ms underruns", calls(300, func(k int) (bool, bool) { return k >= 100 && k < 102 || k >= 200 && k < 202, false }), 40 * time.Millisecond},
		{"a late period that catches up", calls(300, func(k int) (bool, bool) { return k >= 100 && k < 103, true }), 0},
		// PulseAudio holding a new stream for a second before it plays: start-up, not a slip.
		{"start-up held for a second", calls(400, func(k int) (bool, bool) { return k >= 1 && k < 100, false }), 0},
		{"no reference yet", [][2]uint64{{160, 0}, {160, 0}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slip(tt.calls, 16000, 24000)
			if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("slip = %v, want %v", got, tt.want)
			}
		})
	}
}
