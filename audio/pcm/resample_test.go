package pcm

import (
	"math"
	"testing"

	"github.com/livedesk/livedesk/audio/audiotest"
)

func midRMS(x []float32) float64 {
	x = x[len(x)/8 : len(x)-len(x)/8]
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

func TestResampleTone(t *testing.T) {
	tests := []struct {
		from, to int
		freq     float64
		wantGain float64 // output amplitude / input amplitude
		tolDB    float64 // for the pass band; stop band: the output must be below wantGain
	}{
		{48000, 16000, 1000, 1, 0.05},
		{44100, 16000, 1000, 1, 0.05},
		{22050, 16000, 1000, 1, 0.05},
		{8000, 16000, 1000, 1, 0.05},
		{24000, 16000, 1000, 1, 0.05},
		{16000, 24000, 1000, 1, 0.05},
		{44101, 16000, 1000, 1, 0.05}, // no useful common factor
		{16000, 16000, 1000, 1, 0.001},
		// Above the new Nyquist (8 kHz): must be strongly attenuated, not folded back.
		{48000, 16000, 9000, 3e-5, 0},  // -90 dB
		{44100, 16000, 12000, 3e-5, 0}, // would alias to 4 kHz
		{22050, 16000, 8500, 1e-4, 0},  // -80 dB just past the transition band
	}
	for _, tt := range tests {
		in := audiotest.Sine(tt.freq, 0.5, tt.from, tt.from) // one second
		out := Resample(in, tt.from, tt.to)
		if want := tt.to; len(out) != want {
			t.Errorf("%d->%d: len = %d, want %d", tt.from, tt.to, len(out), want)
			continue
		}
		gain := midRMS(out) / (0.5 / math.Sqrt2)
		t.Logf("%d->%d %v Hz: gain %.3g dB", tt.from, tt.to, tt.freq, 20*math.Log10(gain))
		if tt.tolDB > 0 {
			db := 20 * math.Log10(gain)
			if math.Abs(db) > tt.tolDB {
				t.Errorf("%d->%d %v Hz: gain %.4f dB, want within ±%v dB", tt.from, tt.to, tt.freq, db, tt.tolDB)
			}
			// The tone must be a clean tone at the same frequency (no distortion products).
			if amp := audiotest.ToneAmplitude(out[len(out)/8:], tt.freq, tt.to); math.Abs(amp-0.5) > 0.005 {
				t.Errorf("%d->%d: %v Hz component amplitude %.4f, want 0.5", tt.from, tt.to, tt.freq, amp)
			}
		} else if gain > tt.wantGain {
			t.Errorf("%d->%d %v Hz: gain %.2g (%.1f dB), want below %.2g", tt.from, tt.to, tt.freq, gain, 20*math.Log10(gain), tt.wantGain)
		}
	}
}

func TestResampleEdges(t *testing.T) {
	if got := Resample([]float32{1, 2}, 0, 16000); got != nil {
		t.Errorf("Resample with rate 0 = %v, want nil", got)
	}
	if got := Resample(nil, 48000, 16000); len(got) != 0 {
		t.Errorf("Resample(nil) = %v, want empty", got)
	}
	for _, n := range []int{1, 2, 3, 7, 100} {
		if got, want := len(Resample(make([]float32, n), 48000, 16000)), (n+2)/3; got != want {
			t.Errorf("len(Resample(%d samples 48k->16k)) = %d, want %d", n, got, want)
		}
	}
	// DC stays DC (the kernel is normalised).
	out := Resample(dc(0.25, 4800), 48000, 16000)
	if v := out[len(out)/2]; math.Abs(float64(v)-0.25) > 1e-4 {
		t.Errorf("DC 0.25 resampled to %v", v)
	}
}

func dc(v float32, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func BenchmarkResample48kTo16k(b *testing.B) {
	in := audiotest.Sine(440, 0.5, 48000, 48000)
	b.SetBytes(int64(len(in) * 4))
	for b.Loop() {
		Resample(in, 48000, 16000)
	}
}

// TestStreamMatchesOneShot: a stream resampled in uneven pieces equals the whole resampled at
// once, so chunk edges leave no trace.
func TestStreamMatchesOneShot(t *testing.T) {
	for _, rates := range [][2]int{{16000, 24000}, {48000, 24000}, {22050, 24000}, {24000, 16000}} {
		in := audiotest.Sine(440, 0.5, rates[0], rates[0]/2)
		want := Resample(in, rates[0], rates[1])
		s := NewStream(rates[0], rates[1])
		var got []float32
		for off, n := 0, 1; off < len(in); off, n = off+n, n*3%977+1 {
			got = s.Write(got, in[off:min(off+n, len(in))])
		}
		got = s.Flush(got)
		if len(got) != len(want) {
			t.Fatalf("%v: %d samples, want %d", rates, len(got), len(want))
		}
		for i := range got {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-6 {
				t.Fatalf("%v: sample %d = %v, one-shot %v", rates, i, got[i], want[i])
			}
		}
	}
}

func TestRateOf(t *testing.T) {
	tests := []struct {
		mime    string
		want    int
		wantErr bool
	}{
		{"audio/pcm;rate=24000", 24000, false},
		{"audio/pcm; rate=16000", 16000, false},
		{"audio/pcm", 24000, false},
		{"audio/L16;codec=pcm;Rate=48000", 48000, false},
		{"audio/pcm;rate=1", 0, true},
		{"audio/pcm;rate=999999999", 0, true},
		{"audio/pcm;rate=abc", 0, true},
	}
	for _, tt := range tests {
		got, err := RateOf(tt.mime, 24000)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("RateOf(%q) = %d, %v; want %d, err %v", tt.mime, got, err, tt.want, tt.wantErr)
		}
	}
}
