package aec

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// replaySource serves a recorded reference with the end positions the canceller saw.
type replaySource struct {
	rate  int
	start uint64
	ref   []int16
	end   uint64
}

func (r *replaySource) Rate() int { return r.rate }

func (r *replaySource) Read(dst []int16) uint64 {
	for i := range dst {
		at := int64(r.end) - int64(len(dst)) + int64(i) - int64(r.start)
		if at < 0 || at >= int64(len(r.ref)) {
			dst[i] = 0
		} else {
			dst[i] = r.ref[at]
		}
	}
	return r.end
}

type recording struct {
	near, out []int16
	src       *replaySource
	calls     [][2]uint64
}

func readRaw(t *testing.T, p string) []int16 {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s
}

func loadRecording(t *testing.T, dir string) *recording {
	t.Helper()
	rec := &recording{near: readRaw(t, filepath.Join(dir, "near.raw")), out: readRaw(t, filepath.Join(dir, "out.raw")),
		src: &replaySource{ref: readRaw(t, filepath.Join(dir, "ref.raw"))}}
	f, err := os.Open(filepath.Join(dir, "calls.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	if _, err := fmt.Sscan(sc.Text(), &rec.src.start, &rec.src.rate); err != nil {
		t.Fatalf("calls.txt: %v", err)
	}
	for sc.Scan() {
		var c [2]uint64
		if _, err := fmt.Sscan(sc.Text(), &c[0], &c[1]); err != nil {
			t.Fatalf("calls.txt: %v", err)
		}
		rec.calls = append(rec.calls, c)
	}
	return rec
}

// replay runs a fresh canceller over a recording, callback by callback, and returns its output
// and its stats every half second.
func (rec *recording) replay(t *testing.T) ([]int16, []Stats) {
	t.Helper()
	c, err := New(rec.src, Config{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, 0, len(rec.near))
	var stats []Stats
	pos := 0
	for _, cl := range rec.calls {
		n := int(cl[0])
		if pos+n > len(rec.near) {
			break
		}
		rec.src.end = cl[1]
		b := slices.Clone(rec.near[pos : pos+n])
		c.Process(b)
		out = append(out, b...)
		pos += n
		if len(stats) < pos/8000 {
			stats = append(stats, c.Stats())
		}
	}
	return out, stats
}

func dbfs(s []int16) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	return 10 * math.Log10(e/float64(max(len(s), 1))/32768/32768+1e-12)
}

// TestReplay replays a session recorded with `livedesk talk --echo-record DIR` through the
// current canceller and prints, per half second, its state and the microphone and output
// levels (of the replay and, in brackets, of the recorded run): the way to study a failure
// seen on real devices with a change to the canceller, deterministically and in a second.
//
//	LIVEDESK_AEC_REPLAY=DIR go test -run TestReplay -v ./audio/aec/
//	LIVEDESK_AEC_REPLAY=DIR LIVEDESK_AEC_FINE="9.5 10.5" go test ...   (20 ms levels in that span)
func TestReplay(t *testing.T) {
	dir := os.Getenv("LIVEDESK_AEC_REPLAY")
	if dir == "" {
		t.Skip("set LIVEDESK_AEC_REPLAY to a directory recorded with livedesk talk --echo-record")
	}
	rec := loadRecording(t, dir)
	out, stats := rec.replay(t)
	lat := Latency(int(rec.calls[0][0])) // the canceller's latency
	var b strings.Builder
	for i, st := range stats {
		s, e := i*8000, (i+1)*8000
		if e+lat > len(out) {
			break
		}
		near, o := rec.near[s:e], out[s+lat:e+lat]
		live := "-"
		if e+lat <= len(rec.out) {
			live = fmt.Sprintf("%.1f", dbfs(rec.out[s+lat:e+lat]))
		}
		fmt.Fprintf(&b, "%5.1f s  mic %6.1f  out %6.1f (%s) dBFS  ERLE %5.1f  delay %v  rewinds %d  realigns %d  restores %d  drift %d ppm  guarded %d\n",
			float64(s)/16000, dbfs(near), dbfs(o), live, st.ERLE, st.Delay, st.Rewinds, st.Realigns, st.Restores, st.DriftPPM, st.Guarded)
	}
	t.Log("\n" + b.String())
	if span := os.Getenv("LIVEDESK_AEC_FINE"); span != "" {
		var from, to float64
		fmt.Sscan(span, &from, &to)
		b.Reset()
		for s := int(from * 16000); s+320+lat <= min(int(to*16000), len(out)); s += 320 {
			fmt.Fprintf(&b, "%6.2f s  mic %6.1f  out %6.1f\n", float64(s)/16000, dbfs(rec.near[s:s+320]), dbfs(out[s+lat:s+lat+320]))
		}
		t.Log("\n" + b.String())
	}
}

// TestRecorderReplay records a simulated session (echo path jump included) through a Recorder
// around the canceller, saves it, and replays it: with the timing the recorder kept, the replay
// must give the same output sample for sample.
func TestRecorderReplay(t *testing.T) {
	far24 := loadWAV(t, "far24k.wav", 24000)
	far16 := loadWAV(t, "far16k.wav", 16000)
	before := room{delayMs: 60, gain: 0.5, decayMs: 80, reverb: 0.1, noiseDB: -65, seed: 1}
	after := before
	after.delayMs += 3.4
	a, b := before.echo(far16, 16000), after.echo(far16, 16000)
	mic := append(a[:7*16000:7*16000], b[7*16000:]...)
	ref := &fakeRef{rate: 24000, sig: toS16(far24)}
	c, err := New(ref, Config{})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRecorder(ref, 16000, 20*time.Second)
	in, outTap := r.Input(), r.Output()
	chain := processorFunc(func(s []int16) {
		in.Process(s)
		c.Process(s)
		outTap.Process(s)
	})
	live := sim{playBurst: 2}.run(t, chain, ref, mic)
	dir := t.TempDir()
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	rec := loadRecording(t, dir)
	if len(rec.near) != len(mic) || len(rec.calls) == 0 {
		t.Fatalf("recorded %d samples in %d callbacks, want %d", len(rec.near), len(rec.calls), len(mic))
	}
	got, _ := rec.replay(t)
	want := toS16(live)
	lat := Latency(int(rec.calls[0][0]))
	if n := min(len(got)-lat, len(want)); n < len(mic)-4*Block || !slices.Equal(got[lat:lat+n], want[:n]) {
		t.Errorf("the replay differs from the recorded run")
	}
	if !slices.Equal(rec.out, got) {
		t.Errorf("the recorded output differs from the replay")
	}
	if c.Stats().Realigns == 0 {
		t.Errorf("the simulated jump was not followed: %+v", c.Stats())
	}
}

type processorFunc func([]int16)

func (f processorFunc) Process(s []int16) { f(s) }
