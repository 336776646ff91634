package audio

import (
	"testing"
	"time"

	"github.com/livedesk/livedesk/audio/audiotest"

	"github.com/livedesk/livedesk/audio/pcm"
)

func TestGate(t *testing.T) {
	const n = InputRate / 100                                               // 10 ms periods
	loud := pcm.FloatToS16LE(nil, audiotest.Sine(300, 0.3, InputRate, n))   // about -13 dBFS RMS: the user talking
	echo := pcm.FloatToS16LE(nil, audiotest.Sine(300, 0.01, InputRate, n))  // about -43 dBFS: the speaker's echo
	quiet := pcm.FloatToS16LE(nil, audiotest.Sine(300, 0.04, InputRate, n)) // -31 dBFS: between release and barge-in
	type step struct {
		in      []byte
		far     bool
		periods int
		pass    bool // whether the last of these periods passes (non-zero)
	}
	tests := []struct {
		name     string
		steps    []step
		bargeIns uint64
	}{
		{"far end idle: everything passes", []step{{echo, false, 10, true}, {loud, false, 10, true}}, 0},
		{"echo while the far end plays is gated", []step{{echo, true, 50, false}}, 0},
		{"a short loud burst does not open", []step{{echo, true, 10, false}, {loud, true, 2, false}, {echo, true, 1, false}}, 0},
		{"talking over the model opens after the attack", []step{{echo, true, 10, false}, {loud, true, 3, true}, {loud, true, 20, true}}, 1},
		{"hysteresis: a quieter voice keeps it open", []step{{loud, true, 5, true}, {quiet, true, 100, true}}, 1},
		{"hold, then close on echo", []step{{loud, true, 5, true}, {echo, true, 30, true}, {echo, true, 20, false}}, 1},
		{"the far end stops: passes again", []step{{echo, true, 10, false}, {echo, false, 2, true}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate(GateConfig{}, InputRate)
			for i, st := range tt.steps {
				var passed bool
				for range st.periods {
					s := pcm.S16LEToFloat(nil, st.in)
					buf := make([]int16, len(s))
					for k, v := range s {
						buf[k] = int16(v * 32768)
					}
					g.process(buf, st.far)
					passed = rms16(buf) > 0
				}
				if passed != st.pass {
					t.Errorf("step %d: last period passed = %v, want %v", i, passed, st.pass)
				}
			}
			if got := g.bargeIns.Load(); got != tt.bargeIns {
				t.Errorf("barge-ins = %d, want %d", got, tt.bargeIns)
			}
		})
	}
}

func TestGateRampsWithoutClick(t *testing.T) {
	g := newGate(GateConfig{}, InputRate)
	s := make([]int16, 160)
	for i := range s {
		s[i] = 10000
	}
	g.process(s, true) // closes: ramps 1 -> 0 over the period
	for i := 1; i < len(s); i++ {
		if s[i] > s[i-1] {
			t.Fatalf("closing ramp rises at %d", i)
		}
	}
	if s[0] < 9000 || s[len(s)-1] > 100 {
		t.Errorf("closing ramp from %d to %d, want about 10000 to 0", s[0], s[len(s)-1])
	}
}

func TestReference(t *testing.T) {
	r := newReference(1000)
	dst := make([]int16, 5)
	if pos := r.Read(dst); pos != 0 || dst[4] != 0 {
		t.Errorf("empty reference: pos %d dst %v", pos, dst)
	}
	if r.Active(time.Hour) {
		t.Error("Active before anything was played")
	}
	r.write([]int16{1, 2, 3})
	if pos := r.Read(dst); pos != 3 || dst[0] != 0 || dst[1] != 0 || dst[2] != 1 || dst[4] != 3 {
		t.Errorf("after 3 samples: pos %d dst %v", pos, dst)
	}
	if r.Active(time.Hour) {
		t.Error("Active after samples below the silence threshold")
	}
	big := make([]int16, 2500)
	for i := range big {
		big[i] = int16(i)
	}
	r.write(big)
	if pos := r.Read(dst); pos != 2503 || dst[0] != 2495 || dst[4] != 2499 {
		t.Errorf("after wrap: pos %d dst %v", pos, dst)
	}
	if !r.Active(time.Hour) {
		t.Error("not Active after loud samples")
	}
	long := make([]int16, 1500) // more than the 1 s kept
	r.Read(long)
	if long[499] != 0 || long[500] != 1500 {
		t.Errorf("long read: %d %d, want 0 then 1500", long[499], long[500])
	}
}
