package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/livedesk/livedesk/audio/audiotest"

	"github.com/livedesk/livedesk/audio/pcm"
)

// wavBytes builds a WAV file by hand. tag is the format tag written in the fmt chunk; when
// extensible is set, the chunk is WAVE_FORMAT_EXTENSIBLE carrying tag in its sub-format GUID.
type wavSpec struct {
	tag        uint16
	extensible bool
	channels   int
	rate       int
	bits       int
	data       []byte
	extraChunk bool // a LIST chunk of odd size before fmt
	dataSize   int  // -1: the real size
}

func (s wavSpec) bytes() []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	w16 := func(v uint16) { _ = binary.Write(&b, le, v) }
	w32 := func(v uint32) { _ = binary.Write(&b, le, v) }
	b.WriteString("RIFF")
	w32(0) // patched below
	b.WriteString("WAVE")
	if s.extraChunk {
		b.WriteString("LIST")
		w32(3)
		b.WriteString("abc\x00") // 3 bytes + pad
	}
	b.WriteString("fmt ")
	if s.extensible {
		w32(40)
		w16(wavFormatExtensible)
	} else {
		w32(16)
		w16(s.tag)
	}
	w16(uint16(s.channels))
	w32(uint32(s.rate))
	w32(uint32(s.rate * s.channels * s.bits / 8))
	w16(uint16(s.channels * s.bits / 8))
	w16(uint16(s.bits))
	if s.extensible {
		w16(22)
		w16(uint16(s.bits))
		w32(0)
		w16(s.tag)
		b.Write(wavGUIDTail[:])
	}
	b.WriteString("data")
	size := len(s.data)
	if s.dataSize >= 0 {
		size = s.dataSize
	}
	w32(uint32(size))
	b.Write(s.data)
	out := b.Bytes()
	le.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

func le16(v ...int16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint16(b, uint16(x))
	}
	return b
}

func TestReadWAVFormats(t *testing.T) {
	f32 := func(v ...float32) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		return b
	}
	f64 := func(v ...float64) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		return b
	}
	tests := []struct {
		name string
		spec wavSpec
		want *PCM
	}{
		{"pcm8 mono", wavSpec{tag: 1, channels: 1, rate: 8000, bits: 8, data: []byte{128, 192, 0, 255}},
			&PCM{8000, 1, []float32{0, 0.5, -1, 127.0 / 128}}},
		{"pcm16 stereo", wavSpec{tag: 1, channels: 2, rate: 44100, bits: 16, data: le16(16384, -16384, 32767, -32768)},
			&PCM{44100, 2, []float32{0.5, -0.5, 32767.0 / 32768, -1}}},
		{"pcm24 mono", wavSpec{tag: 1, channels: 1, rate: 48000, bits: 24, data: []byte{0, 0, 0x40, 0, 0, 0xC0, 0xFF, 0xFF, 0xFF}},
			&PCM{48000, 1, []float32{0.5, -0.5, -1.0 / (1 << 23)}}},
		{"pcm32 mono", wavSpec{tag: 1, channels: 1, rate: 16000, bits: 32, data: binary.LittleEndian.AppendUint32(nil, 0xC0000000)},
			&PCM{16000, 1, []float32{-0.5}}},
		{"float32", wavSpec{tag: 3, channels: 1, rate: 22050, bits: 32, data: f32(0.25, -0.75)},
			&PCM{22050, 1, []float32{0.25, -0.75}}},
		{"float64", wavSpec{tag: 3, channels: 1, rate: 22050, bits: 64, data: f64(0.25, -0.75)},
			&PCM{22050, 1, []float32{0.25, -0.75}}},
		{"extensible pcm16", wavSpec{tag: 1, extensible: true, channels: 2, rate: 96000, bits: 16, data: le16(1, 2)},
			&PCM{96000, 2, []float32{1.0 / 32768, 2.0 / 32768}}},
		{"extensible float", wavSpec{tag: 3, extensible: true, channels: 1, rate: 11025, bits: 32, data: f32(0.5)},
			&PCM{11025, 1, []float32{0.5}}},
		{"odd chunk skipped", wavSpec{tag: 1, channels: 1, rate: 16000, bits: 16, data: le16(100), extraChunk: true},
			&PCM{16000, 1, []float32{100.0 / 32768}}},
		{"truncated data keeps whole frames", wavSpec{tag: 1, channels: 2, rate: 16000, bits: 16, data: le16(1, 2, 3), dataSize: 100},
			&PCM{16000, 2, []float32{1.0 / 32768, 2.0 / 32768}}},
		{"streaming size 0xFFFFFFFF", wavSpec{tag: 1, channels: 1, rate: 16000, bits: 16, data: le16(7, 8), dataSize: 0xFFFFFFFF},
			&PCM{16000, 1, []float32{7.0 / 32768, 8.0 / 32768}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.spec.dataSize == 0 {
				tt.spec.dataSize = -1
			}
			got, err := ReadWAV(bytes.NewReader(tt.spec.bytes()))
			if err != nil {
				t.Fatalf("ReadWAV: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-7)); diff != "" {
				t.Errorf("ReadWAV mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadWAVErrors(t *testing.T) {
	good := wavSpec{tag: 1, channels: 1, rate: 16000, bits: 16, data: le16(1), dataSize: -1}
	mod := func(f func(*wavSpec)) []byte { s := good; f(&s); return s.bytes() }
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"not riff", []byte("RIFX\x00\x00\x00\x00WAVEfmt ")},
		{"header only", []byte("RIFF\x04\x00\x00\x00WAVE")},
		{"mp3 tag", mod(func(s *wavSpec) { s.tag = 0x55 })},
		{"12-bit", mod(func(s *wavSpec) { s.bits = 12 })},
		{"16-bit float", mod(func(s *wavSpec) { s.tag = 3 })},
		{"zero channels", mod(func(s *wavSpec) { s.channels = 0 })},
		{"zero rate", mod(func(s *wavSpec) { s.rate = 0 })},
		{"1 Hz (would make the resampler allocate hundreds of MB)", mod(func(s *wavSpec) { s.rate = 1 })},
		{"rate above 192 kHz", mod(func(s *wavSpec) { s.rate = 384000 })},
		{"extensible alaw", mod(func(s *wavSpec) { s.extensible = true; s.tag = 6 })},
		{"cut in fmt", good.bytes()[:20]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadWAV(bytes.NewReader(tt.in))
			if !errors.Is(err, ErrBadWAV) {
				t.Fatalf("ReadWAV error = %v, want one wrapping ErrBadWAV", err)
			}
		})
	}
}

// TestReadWAVHugeData: a data chunk beyond MaxWAVData is refused — from the header when it
// says so, after reading at most the bound when its size is unknown (streaming encoders) —
// never loaded whole.
func TestReadWAVHugeData(t *testing.T) {
	tests := []struct {
		name     string
		dataSize int64
		maxAlloc uint64
	}{
		{"claims 2 GB", 0x7FFFFFF0, 1 << 20},
		{"unknown size, 4 GB follow", 0xFFFFFFFF, 5 * MaxWAVData}, // read in doubling buffers (more under -race)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := wavSpec{tag: 1, channels: 1, rate: 16000, bits: 16, data: nil, dataSize: int(tt.dataSize)}.bytes()
			r := io.MultiReader(bytes.NewReader(hdr), io.LimitReader(zeros{}, 4<<30))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadWAV(r)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrBadWAV) || !strings.Contains(err.Error(), "100 MB") {
				t.Fatalf("ReadWAV = %v", err)
			}
			grown := after.TotalAlloc - before.TotalAlloc
			if grown > tt.maxAlloc {
				t.Errorf("refusing 4 GB of audio allocated %d MB", grown>>20)
			}
			t.Logf("refused, %d MB allocated", grown>>20)
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestWriteWAVRoundTrip(t *testing.T) {
	samples := le16(0, 1000, -1000, 32767, -32768)
	var buf bytes.Buffer
	if err := WriteWAV(&buf, OutputRate, samples); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if got, want := len(b), 44+len(samples); got != want {
		t.Fatalf("file length = %d, want %d", got, want)
	}
	if got, want := binary.LittleEndian.Uint32(b[4:]), uint32(len(b)-8); got != want {
		t.Errorf("RIFF size = %d, want %d", got, want)
	}
	p, err := ReadWAV(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if p.Rate != OutputRate || p.Channels != 1 {
		t.Errorf("rate/channels = %d/%d, want %d/1", p.Rate, p.Channels, OutputRate)
	}
	if diff := cmp.Diff(samples, pcm.FloatToS16LE(nil, p.Samples)); diff != "" {
		t.Errorf("samples changed (-want +got):\n%s", diff)
	}
	if err := WriteWAV(&buf, OutputRate, []byte{1, 2, 3}); err == nil {
		t.Error("WriteWAV accepted an odd byte count")
	}
}

func TestFloatS16Conversion(t *testing.T) {
	tests := []struct {
		in   float32
		want int16
	}{
		{0, 0}, {0.5, 16384}, {-0.5, -16384}, {1, 32767}, {-1, -32768}, {2, 32767}, {-3, -32768},
		{float32(math.NaN()), 0}, {float32(math.Inf(1)), 32767}, {1.4 / 32768, 1}, {-1.6 / 32768, -2},
	}
	for _, tt := range tests {
		got := int16(binary.LittleEndian.Uint16(pcm.FloatToS16LE(nil, []float32{tt.in})))
		if got != tt.want {
			t.Errorf("pcm.FloatToS16LE(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
	// Every int16 survives s16 -> float -> s16.
	all := make([]byte, 0, 1<<17)
	for v := math.MinInt16; v <= math.MaxInt16; v++ {
		all = binary.LittleEndian.AppendUint16(all, uint16(int16(v)))
	}
	if !bytes.Equal(pcm.FloatToS16LE(nil, pcm.S16LEToFloat(nil, all)), all) {
		t.Error("s16 -> float -> s16 is not the identity")
	}
}

func TestMono(t *testing.T) {
	p := &PCM{Rate: 8000, Channels: 2, Samples: []float32{1, 0, 0.5, -0.5, -1, -1}}
	if diff := cmp.Diff([]float32{0.5, 0, -1}, p.Mono()); diff != "" {
		t.Errorf("Mono (-want +got):\n%s", diff)
	}
}

// TestReadWAVFromSox reads files written by a real, independent encoder in every format we claim
// to support and checks the decoded tone.
func TestReadWAVFromSox(t *testing.T) {
	sox, err := exec.LookPath("sox")
	if err != nil {
		if os.Getenv("LIVEDESK_TESTENV") != "" {
			t.Fatalf("LIVEDESK_TESTENV is set but sox is missing: %v", err)
		}
		t.Skip("sox not installed; set LIVEDESK_TESTENV=1 (scripts/with-testenv.sh) to require it")
	}
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		rate int
		ch   int
	}{
		{"u8", []string{"-e", "unsigned-integer", "-b", "8"}, 8000, 1},
		{"s16 stereo", []string{"-e", "signed-integer", "-b", "16"}, 44100, 2},
		{"s24", []string{"-e", "signed-integer", "-b", "24"}, 48000, 1},
		{"s32", []string{"-e", "signed-integer", "-b", "32"}, 22050, 1},
		{"f32", []string{"-e", "floating-point", "-b", "32"}, 16000, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".wav")
			args := []string{"-n", "-r", strconv.Itoa(tt.rate), "-c", strconv.Itoa(tt.ch)}
			args = append(args, tt.args...)
			args = append(args, path, "synth", "0.5", "sine", "440", "vol", "0.5")
			if out, err := exec.Command(sox, args...).CombinedOutput(); err != nil {
				t.Fatalf("sox %v: %v\n%s", args, err, out)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p, err := ReadWAV(f)
			if err != nil {
				t.Fatalf("ReadWAV: %v", err)
			}
			if p.Rate != tt.rate || p.Channels != tt.ch || p.Frames() != tt.rate/2 {
				t.Fatalf("got rate %d ch %d frames %d, want %d %d %d", p.Rate, p.Channels, p.Frames(), tt.rate, tt.ch, tt.rate/2)
			}
			amp := audiotest.ToneAmplitude(p.Mono(), 440, p.Rate)
			if math.Abs(amp-0.5) > 0.02 {
				t.Errorf("440 Hz amplitude = %.4f, want 0.5", amp)
			}
		})
	}
}

func TestReadInputWAV(t *testing.T) {
	// One second of a 1 kHz stereo tone at 48 kHz becomes one second of mono 16 kHz s16le.
	st := audiotest.Sine(1000, 0.5, 48000, 48000)
	inter := make([]float32, 0, 2*len(st))
	for _, v := range st {
		inter = append(inter, v, v)
	}
	spec := wavSpec{tag: 1, channels: 2, rate: 48000, bits: 16, data: pcm.FloatToS16LE(nil, inter), dataSize: -1}
	got, err := ReadInputWAV(bytes.NewReader(spec.bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2*InputRate {
		t.Fatalf("len = %d bytes, want %d", len(got), 2*InputRate)
	}
	if amp := audiotest.ToneAmplitude(pcm.S16LEToFloat(nil, got)[InputRate/8:], 1000, InputRate); math.Abs(amp-0.5) > 0.005 {
		t.Errorf("1 kHz amplitude = %.4f, want 0.5", amp)
	}
}
