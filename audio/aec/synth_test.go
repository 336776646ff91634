package aec

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/livedesk/livedesk/audio"
)

// loadWAV reads a mono test file from testdata (made with espeak-ng and sox, see
// testdata/README.md).
func loadWAV(t testing.TB, name string, rate int) []float32 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := audio.ReadWAV(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if p.Rate != rate {
		t.Fatalf("%s: rate %d, want %d", name, p.Rate, rate)
	}
	return p.Mono()
}

// room is a synthetic acoustic echo path: a bulk delay, then a decaying random impulse
// response (direct sound plus reverberation) with the given gain on the direct tap.
type room struct {
	delayMs float64
	gain    float64
	decayMs float64 // time for the reverberation to fall by 60 dB
	noiseDB float64 // dBFS of white noise added at the microphone
	seed    uint64
}

func (r room) impulse(rate int) []float32 {
	rng := rand.New(rand.NewPCG(r.seed, 7))
	d := int(r.delayMs * float64(rate) / 1000)
	tail := int(r.decayMs * float64(rate) / 1000)
	h := make([]float32, d+tail)
	h[d] = float32(r.gain)
	for i := 1; i < tail; i++ {
		env := math.Pow(10, -3*float64(i)/float64(tail)) // -60 dB at the end
		h[d+i] = float32(r.gain * 0.3 * env * rng.NormFloat64())
	}
	return h
}

// echo convolves far with the room and adds the microphone's noise.
func (r room) echo(far []float32, rate int) []float32 {
	h := r.impulse(rate)
	out := make([]float32, len(far))
	for i := range far {
		if far[i] == 0 {
			continue
		}
		for j, v := range h {
			if i+j >= len(out) {
				break
			}
			out[i+j] += far[i] * v
		}
	}
	rng := rand.New(rand.NewPCG(r.seed, 11))
	amp := math.Pow(10, r.noiseDB/20)
	for i := range out {
		out[i] += float32(amp * rng.NormFloat64())
	}
	return out
}

func erleWindows(t *testing.T, near, out []float32, win int) []float64 {
	var res []float64
	for s := 0; s+win <= len(near) && s+win <= len(out); s += win {
		res = append(res, 10*math.Log10(energy(near[s:s+win])/max(energy(out[s:s+win]), 1e-12)))
	}
	return res
}

func TestMDFExplore(t *testing.T) {
	far := loadWAV(t, "far16k.wav", 16000)
	r := room{delayMs: 60, gain: 0.5, decayMs: 80, noiseDB: -65, seed: 1}
	mic := r.echo(far, 16000)
	m, err := newMDF(128, 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	m.place(60*16/128-1, 0)
	out := make([]float32, len(mic))
	for s := 0; s+128 <= len(mic); s += 128 {
		m.pushFar(far[s : s+128])
		m.process(mic[s:s+128], out[s:s+128], true)
	}
	// out is one block late
	t.Logf("erle per 0.5 s: %.1f", erleWindows(t, mic[:len(mic)-128], out[128:], 8000))
	t.Logf("stats %+v leak %.4f", m.st, m.leak)
}

func TestCancellerExplore(t *testing.T) {
	far24 := loadWAV(t, "far24k.wav", 24000)
	far16 := loadWAV(t, "far16k.wav", 16000)
	for _, tc := range []struct {
		r room
		s sim
	}{
		{room{delayMs: 60, gain: 0.5, decayMs: 80, noiseDB: -65, seed: 1}, sim{playBurst: 1}},
		{room{delayMs: 120, gain: 0.8, decayMs: 150, noiseDB: -60, seed: 2}, sim{playBurst: 2}},
		{room{delayMs: 40, gain: 0.3, decayMs: 60, noiseDB: -60, seed: 3}, sim{playBurst: 4, lead: 2}},
	} {
		mic := tc.r.echo(far16, 16000)
		ref := &fakeRef{rate: 24000, sig: toS16(far24)}
		c, err := New(ref, Config{})
		if err != nil {
			t.Fatal(err)
		}
		out := tc.s.run(t, c, ref, mic)
		t.Logf("%+v: erle per 0.5 s: %.1f", tc.r, erleWindows(t, mic, out, 8000))
		t.Logf("stats %+v leak %.4f delay %d", c.Stats(), c.m.leak, c.m.delay)
	}
}
