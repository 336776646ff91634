package audio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/livedesk/livedesk/audio/pcm"
)

// Sample rates of the Live API: microphone audio goes up at InputRate, model audio comes down at
// OutputRate. Both are mono signed 16-bit little-endian.
const (
	InputRate  = 16000
	OutputRate = 24000
)

// ErrBadWAV is wrapped by every ReadWAV error about the content of the stream (as opposed to I/O
// errors of the underlying reader).
var ErrBadWAV = errors.New("bad wav")

// PCM is decoded audio: interleaved samples in -1..1.
type PCM struct {
	Rate     int
	Channels int
	Samples  []float32 // interleaved, len = frames*Channels
}

// Frames returns the number of sample frames (samples per channel).
func (p *PCM) Frames() int {
	if p.Channels <= 0 {
		return 0
	}
	return len(p.Samples) / p.Channels
}

// Mono returns the signal downmixed to one channel (the mean of all channels). For mono input it
// returns p.Samples itself, not a copy.
func (p *PCM) Mono() []float32 {
	if p.Channels <= 1 {
		return p.Samples
	}
	n := p.Frames()
	out := make([]float32, n)
	inv := 1 / float32(p.Channels)
	for i := range n {
		var s float32
		for _, v := range p.Samples[i*p.Channels : (i+1)*p.Channels] {
			s += v
		}
		out[i] = s * inv
	}
	return out
}

const (
	wavFormatPCM        = 1
	wavFormatFloat      = 3
	wavFormatExtensible = 0xFFFE
	maxWAVChannels      = 8
	maxWAVRate          = 768000 // for writing; reading accepts pcm.MinRate..pcm.MaxRate
	// MaxWAVData bounds the audio data ReadWAV loads (a question, not a recording archive):
	// a header claiming gigabytes, or a file that is that long, is refused rather than read.
	MaxWAVData = 100 << 20
)

// The tail shared by the KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT GUIDs after their first two bytes.
var wavGUIDTail = [14]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

type wavFormat struct {
	tag      uint16
	channels int
	rate     int
	bits     int // container bits per sample
}

// ReadWAV decodes a RIFF/WAVE stream: integer PCM of 8, 16, 24 or 32 bits, IEEE float of 32 or 64
// bits (also inside WAVE_FORMAT_EXTENSIBLE), any sample rate, 1 to 8 channels. Unknown chunks are
// skipped. A data chunk that is shorter than its header claims (a recording that was cut off) is
// decoded up to the last whole frame. Errors about the content wrap ErrBadWAV.
func ReadWAV(r io.Reader) (*PCM, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var hdr [12]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, fmt.Errorf("read wav header: %w", wavEOF(err))
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, fmt.Errorf("not a RIFF/WAVE stream (starts with %q): %w", hdr[0:4], ErrBadWAV)
	}
	var (
		f     *wavFormat
		chunk [8]byte
	)
	for {
		if _, err := io.ReadFull(br, chunk[:]); err != nil {
			if f == nil {
				return nil, fmt.Errorf("read wav: no fmt chunk: %w", ErrBadWAV)
			}
			return nil, fmt.Errorf("read wav: no data chunk: %w", ErrBadWAV)
		}
		id := string(chunk[0:4])
		size := int64(binary.LittleEndian.Uint32(chunk[4:8]))
		switch id {
		case "fmt ":
			if f != nil {
				return nil, fmt.Errorf("read wav: second fmt chunk: %w", ErrBadWAV)
			}
			var err error
			if f, err = readWAVFormat(br, size); err != nil {
				return nil, err
			}
		case "data":
			if f == nil {
				return nil, fmt.Errorf("read wav: data chunk before fmt chunk: %w", ErrBadWAV)
			}
			return readWAVData(br, f, size)
		default:
			if _, err := io.CopyN(io.Discard, br, size+size&1); err != nil {
				return nil, fmt.Errorf("read wav: skip %q chunk: %w", id, wavEOF(err))
			}
		}
	}
}

func wavEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated stream: %w", ErrBadWAV)
	}
	return err
}

func readWAVFormat(r io.Reader, size int64) (*wavFormat, error) {
	if size < 16 || size > 1024 {
		return nil, fmt.Errorf("read wav: fmt chunk of %d bytes: %w", size, ErrBadWAV)
	}
	b := make([]byte, size+size&1)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("read wav fmt chunk: %w", wavEOF(err))
	}
	f := &wavFormat{
		tag:      binary.LittleEndian.Uint16(b[0:2]),
		channels: int(binary.LittleEndian.Uint16(b[2:4])),
		rate:     int(binary.LittleEndian.Uint32(b[4:8])),
		bits:     int(binary.LittleEndian.Uint16(b[14:16])),
	}
	blockAlign := int(binary.LittleEndian.Uint16(b[12:14]))
	if f.tag == wavFormatExtensible {
		if size < 40 {
			return nil, fmt.Errorf("read wav: extensible fmt chunk of %d bytes: %w", size, ErrBadWAV)
		}
		sub := b[24:40]
		if [14]byte(sub[2:16]) != wavGUIDTail || sub[1] != 0 {
			return nil, fmt.Errorf("read wav: unsupported extensible sub-format % x: %w", sub, ErrBadWAV)
		}
		f.tag = uint16(sub[0])
	}
	switch {
	case f.tag != wavFormatPCM && f.tag != wavFormatFloat:
		return nil, fmt.Errorf("read wav: unsupported format tag %#x (only PCM and IEEE float): %w", f.tag, ErrBadWAV)
	case f.channels < 1 || f.channels > maxWAVChannels:
		return nil, fmt.Errorf("read wav: %d channels: %w", f.channels, ErrBadWAV)
	case f.rate < pcm.MinRate || f.rate > pcm.MaxRate:
		return nil, fmt.Errorf("read wav: sample rate %d Hz, want %d to %d: %w", f.rate, pcm.MinRate, pcm.MaxRate, ErrBadWAV)
	case f.tag == wavFormatPCM && f.bits != 8 && f.bits != 16 && f.bits != 24 && f.bits != 32:
		return nil, fmt.Errorf("read wav: %d-bit integer PCM (want 8, 16, 24 or 32): %w", f.bits, ErrBadWAV)
	case f.tag == wavFormatFloat && f.bits != 32 && f.bits != 64:
		return nil, fmt.Errorf("read wav: %d-bit float (want 32 or 64): %w", f.bits, ErrBadWAV)
	case blockAlign != f.channels*f.bits/8:
		return nil, fmt.Errorf("read wav: block align %d does not match %d channels of %d bits: %w",
			blockAlign, f.channels, f.bits, ErrBadWAV)
	}
	return f, nil
}

func readWAVData(r io.Reader, f *wavFormat, size int64) (*PCM, error) {
	// 0 and 0xFFFFFFFF are written by streaming encoders that never went back to fix the size.
	if size == 0 || size == 0xFFFFFFFF {
		size = math.MaxInt64
	} else if size > MaxWAVData {
		return nil, fmt.Errorf("read wav: the data chunk claims %d MB, more than the %d MB allowed: %w", size>>20, MaxWAVData>>20, ErrBadWAV)
	}
	data, err := io.ReadAll(io.LimitReader(r, min(size, MaxWAVData+1)))
	if err != nil {
		return nil, fmt.Errorf("read wav data: %w", err)
	}
	if len(data) > MaxWAVData {
		return nil, fmt.Errorf("read wav: more than %d MB of audio data: %w", MaxWAVData>>20, ErrBadWAV)
	}
	bps := f.bits / 8
	n := len(data) / (bps * f.channels) * f.channels
	out := make([]float32, n)
	switch {
	case f.tag == wavFormatFloat && bps == 4:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[i*4:]))
		}
	case f.tag == wavFormatFloat:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(data[i*8:])))
		}
	case bps == 1: // 8-bit WAV is unsigned
		for i := range out {
			out[i] = (float32(data[i]) - 128) / 128
		}
	case bps == 2:
		for i := range out {
			out[i] = float32(int16(binary.LittleEndian.Uint16(data[i*2:]))) / 32768
		}
	case bps == 3:
		for i := range out {
			b := data[i*3:]
			v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
			out[i] = float32(v) / (1 << 23)
		}
	default:
		for i := range out {
			out[i] = float32(float64(int32(binary.LittleEndian.Uint32(data[i*4:]))) / (1 << 31))
		}
	}
	return &PCM{Rate: f.rate, Channels: f.channels, Samples: out}, nil
}

// WriteWAV writes a complete RIFF/WAVE file holding pcm, which is mono signed 16-bit little-endian
// audio at the given rate (OutputRate for model audio).
func WriteWAV(w io.Writer, rate int, pcm []byte) error {
	if len(pcm)%2 != 0 {
		return fmt.Errorf("write wav: odd pcm length %d for 16-bit samples", len(pcm))
	}
	if rate < 1 || rate > maxWAVRate {
		return fmt.Errorf("write wav: sample rate %d", rate)
	}
	if int64(len(pcm)) > math.MaxUint32-36 {
		return fmt.Errorf("write wav: %d bytes is too long for a RIFF file", len(pcm))
	}
	var h [44]byte
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(pcm)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], wavFormatPCM)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(pcm)))
	if _, err := w.Write(h[:]); err != nil {
		return fmt.Errorf("write wav header: %w", err)
	}
	if _, err := w.Write(pcm); err != nil {
		return fmt.Errorf("write wav data: %w", err)
	}
	return nil
}

// ReadInputWAV reads any WAV ReadWAV accepts and returns it the way the Live API wants input
// audio: mono, InputRate, s16le.
func ReadInputWAV(r io.Reader) ([]byte, error) {
	p, err := ReadWAV(r)
	if err != nil {
		return nil, err
	}
	mono := pcm.Resample(p.Mono(), p.Rate, InputRate)
	return pcm.FloatToS16LE(make([]byte, 0, 2*len(mono)), mono), nil
}
