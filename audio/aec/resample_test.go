package aec

import (
	"math"
	"testing"
)

// TestResampler converts sines from the reference rate to 16 kHz and compares with the exact
// sine at the output positions: passband tones survive within 0.1 dB and -50 dB of error,
// tones above the output's Nyquist frequency are removed.
func TestResampler(t *testing.T) {
	tests := []struct {
		from  int
		freq  float64
		pass  bool
		maxDB float64 // error (pass) or residual level (stop), dB re the input
	}{
		{24000, 300, true, -50},
		{24000, 3000, true, -50},
		{24000, 5000, true, -30},
		{48000, 1000, true, -50},
		{16000, 1000, true, -50},
		{24000, 10000, false, -40},
	}
	for _, tt := range tests {
		r, err := newResampler(tt.from, 16000)
		if err != nil {
			t.Fatal(err)
		}
		in := make([]int16, tt.from/2)
		for i := range in {
			in[i] = int16(16000 * math.Sin(2*math.Pi*tt.freq*float64(i)/float64(tt.from)))
		}
		out := make([]float32, 4000)
		x0 := 200.0
		r.run(out, x0, r.ratio, in, 0)
		var errE, sigE float64
		for i, v := range out {
			want := 16000.0 / 32768 * math.Sin(2*math.Pi*tt.freq*(x0+float64(i)*r.ratio)/float64(tt.from))
			if !tt.pass {
				want = 0
			}
			errE += (float64(v) - want) * (float64(v) - want)
			sigE += 0.5 * (16000.0 / 32768) * (16000.0 / 32768)
		}
		got := 10 * math.Log10(errE/sigE)
		if got > tt.maxDB {
			t.Errorf("%d Hz -> 16 kHz, %.0f Hz tone: error %.1f dB, want <= %.0f", tt.from, tt.freq, got, tt.maxDB)
		}
	}
}

func TestNewErrors(t *testing.T) {
	ref := &fakeRef{rate: 24000}
	tests := []struct {
		name string
		ref  Source
		cfg  Config
	}{
		{"no reference", nil, Config{}},
		{"rate too low", ref, Config{Rate: 4000}},
		{"bad reference rate", &fakeRef{rate: 0}, Config{}},
	}
	for _, tt := range tests {
		if _, err := New(tt.ref, tt.cfg); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
}

// TestDisabledPassesThrough: switched off, Process leaves the samples alone; switched back on it
// cancels again (after relearning).
func TestDisabledPassesThrough(t *testing.T) {
	far24 := loadWAV(t, "far24k.wav", 24000)
	far16 := loadWAV(t, "far16k.wav", 16000)
	mic := room{delayMs: 60, gain: 0.5, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 1}.echo(far16, 16000)
	ref := &fakeRef{rate: 24000, sig: toS16(far24)}
	c, err := New(ref, Config{})
	if err != nil {
		t.Fatal(err)
	}
	c.SetEnabled(false)
	in := toS16(mic[:16000])
	buf := append([]int16(nil), in...)
	for k := 0; k < len(buf); k += 160 {
		ref.pos += 240
		c.Process(buf[k : k+160])
	}
	for i := range buf {
		if buf[i] != in[i] {
			t.Fatalf("disabled: sample %d changed from %d to %d", i, in[i], buf[i])
		}
	}
	c.SetEnabled(true)
	if !c.Enabled() {
		t.Fatal("Enabled() = false after SetEnabled(true)")
	}
	out := sim{playBurst: 1}.run(t, c, ref, mic)
	if e := ratioDB(mic[3*16000:len(out)], out[3*16000:]); e < 30 {
		t.Errorf("re-enabled: ERLE %.1f dB, want >= 30", e)
	}
}
