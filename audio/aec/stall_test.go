package aec

import (
	"math"
	"os"
	"slices"
	"testing"
)

// stall is a playback hiccup at a microphone time: the player hands the device nothing for ms.
// With underrun the device ran dry and played silence meanwhile, so everything after plays ms
// later and the reference never catches up (the echo path, counted from the reference's end,
// stays where it was). Without it the device still had sound buffered: the reference is late
// and then catches up at once, and the speaker never noticed.
type stall struct {
	atMs     int
	ms       int
	underrun bool
}

// stallSim plays far through a room with playback stalls. It returns the microphone signal and
// the reference's end position (24 kHz samples handed to the device) at each 10 ms capture
// period.
func stallSim(far16 []float32, r room, stalls []stall) (mic []float32, ends []uint64) {
	const period = 160 // 10 ms at 16 kHz
	played := make([]float32, 0, len(far16)+16000)
	src := 0 // next far16 sample the speaker plays
	handed := 0.0
	const lead = 2 * 320 // the device's buffer: 40 ms at 16 kHz
	si := 0
	var late float64 // ms of reference owed by a late (not underrun) player
	for t := 0; t < len(far16); t += period {
		ms := t / 16
		gap := false
		for si < len(stalls) && ms >= stalls[si].atMs && ms < stalls[si].atMs+stalls[si].ms {
			gap = true
			if stalls[si].underrun {
				played = append(played, make([]float32, period)...)
			} else {
				played = append(played, far16[src:min(src+period, len(far16))]...)
				src += period
				late += 10
			}
			break
		}
		if si < len(stalls) && ms >= stalls[si].atMs+stalls[si].ms {
			si++
		}
		if !gap {
			played = append(played, far16[src:min(src+period, len(far16))]...)
			src += period
			if late > 0 {
				handed += late * 24
				late = 0
			}
			handed += 240
		}
		// The player hands 20 ms periods: the reference's end moves in steps of 480.
		ends = append(ends, uint64(math.Floor((handed+float64(lead)*1.5)/480)*480))
	}
	mic = r.echo(played[:len(far16)], 16000)
	return mic, ends
}

// leakRun is the longest run, in ms, of 20 ms frames that hold sound (mic above -50 dBFS) but
// were cancelled by less than 10 dB: echo a voice detector could take for the user.
func leakRun(mic, out []float32) int {
	run, worst := 0, 0
	for s := 0; s+320 <= min(len(mic), len(out)); s += 320 {
		m, o := energy(mic[s:s+320])/320, energy(out[s:s+320])/320
		if m > 1e-5 && o > m/10 {
			run++
			worst = max(worst, run)
		} else {
			run = 0
		}
	}
	return worst * 20
}

// TestPlaybackStalls: a loaded machine makes the playback callback late. When the device ran
// dry meanwhile (an underrun), the reference falls behind the microphone for good but the echo
// path, counted from the reference, does not move; when it did not, the reference catches up
// and nothing moved either. Either way the canceller must keep cancelling: no stretch of echo
// a voice detector would hear, and the ERLE of the undisturbed case within a few dB.
func TestPlaybackStalls(t *testing.T) {
	far24 := loadWAV(t, "far24k.wav", 24000)
	far16 := loadWAV(t, "far16k.wav", 16000)
	far24 = append(slices.Clone(far24), far24...)
	far16 = append(slices.Clone(far16), far16...)
	r := room{delayMs: 60, gain: 0.5, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 9}
	var mixed []stall
	for i, at := 0, 4000; at < 26000; i, at = i+1, at+1300 {
		mixed = append(mixed, stall{atMs: at, ms: []int{20, 40, 30, 20}[i%4], underrun: i%3 != 1})
	}
	var early []stall
	for at := 300; at < 26000; at += 700 {
		early = append(early, stall{atMs: at, ms: 20, underrun: true})
	}
	cases := []struct {
		name    string
		stalls  []stall
		minERLE float64 // dB from 3 s on
		worst   float64 // dB, the worst 0.5 s window
		leakMs  int     // longest run of 20 ms frames cancelled by less than 10 dB
		skip    string
	}{
		{name: "none", minERLE: 40, worst: 25, leakMs: 20},
		{name: "underruns and late periods", stalls: mixed, minERLE: 25, worst: 12, leakMs: 60},
		// Known weakness (issue 13): underruns every 0.7 s from the first words. Each moves the
		// reference 2.5 blocks against the microphone while the read position steps back in
		// whole blocks taking the bulk delay with it, so the path is off by half a block or a
		// block after each, the filter never converges, and once the guard's 12 s are spent
		// the echo leaks at 10 dB of reduction (longest leak 320 ms).
		{name: "underruns from the start", stalls: early, minERLE: 25, worst: 12, leakMs: 60,
			skip: "known weakness, see the comment: the read position must follow the reference's underruns sample-exactly"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" && os.Getenv("LIVEDESK_AEC_KNOWN_WEAK") == "" {
				t.Skip(tc.skip + " (LIVEDESK_AEC_KNOWN_WEAK=1 runs it)")
			}
			mic, ends := stallSim(far16, r, tc.stalls)
			ref := &fakeRef{rate: 24000, sig: toS16(far24)}
			c, err := New(ref, Config{})
			if err != nil {
				t.Fatal(err)
			}
			in := toS16(mic)
			out := make([]int16, 0, len(in))
			for k := range ends {
				ref.pos = int(ends[k])
				b := slices.Clone(in[k*160 : min(len(in), (k+1)*160)])
				c.Process(b)
				out = append(out, b...)
			}
			o := toF32(out[Latency(160):])
			from := 3 * 16000
			n := min(len(mic), len(o))
			erle := ratioDB(mic[from:n], o[from:n])
			win := erleWindows(mic[from:n], o[from:n], 8000)
			leak := leakRun(mic[from:n], o[from:n])
			t.Logf("ERLE from 3 s %.1f dB, worst 0.5 s %.1f dB, longest leak %d ms; stats %+v", erle, slices.Min(win), leak, c.Stats())
			t.Logf("ERLE per 0.5 s: %.0f", win)
			if erle < tc.minERLE || slices.Min(win) < tc.worst || leak > tc.leakMs {
				t.Errorf("ERLE from 3 s %.1f dB (want >= %.0f), worst 0.5 s %.1f dB (want >= %.0f), longest leak %d ms (want <= %d)",
					erle, tc.minERLE, slices.Min(win), tc.worst, leak, tc.leakMs)
			}
		})
	}
}
