package pcm

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// FloatToS16LE appends src, converted to signed 16-bit little-endian and clamped to the int16
// range, to dst and returns the extended slice. Pass dst[:0] to reuse a buffer.
func FloatToS16LE(dst []byte, src []float32) []byte {
	for _, v := range src {
		x := v * 32768
		var s int16
		switch {
		case x != x: // NaN
			s = 0
		case x >= 32767:
			s = 32767
		case x <= -32768:
			s = -32768
		case x >= 0:
			s = int16(x + 0.5)
		default:
			s = int16(x - 0.5)
		}
		dst = append(dst, byte(s), byte(uint16(s)>>8))
	}
	return dst
}

// S16LEToFloat appends the signed 16-bit little-endian samples of src (a trailing odd byte is
// ignored), scaled to -1..1, to dst and returns the extended slice.
func S16LEToFloat(dst []float32, src []byte) []float32 {
	for i := 0; i+1 < len(src); i += 2 {
		dst = append(dst, float32(int16(binary.LittleEndian.Uint16(src[i:])))/32768)
	}
	return dst
}

// MinRate and MaxRate bound the sample rates accepted from outside (a WAV header, a MIME type):
// a rate of 1 Hz would make the resampler allocate hundreds of megabytes per second of audio.
const (
	MinRate = 8000
	MaxRate = 192000
)

// RateOf reads the rate parameter of an audio MIME type such as "audio/pcm;rate=24000". It
// returns def when the type names no rate, and an error when the rate is not a number between
// MinRate and MaxRate.
func RateOf(mime string, def int) (int, error) {
	_, params, _ := strings.Cut(mime, ";")
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "rate") {
			continue
		}
		r, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || r < MinRate || r > MaxRate {
			return 0, fmt.Errorf("audio type %q: sample rate must be %d to %d Hz", mime, MinRate, MaxRate)
		}
		return r, nil
	}
	return def, nil
}

// Converter turns chunks of s16le mono audio, each labelled with a MIME type that may name its
// rate, into s16le at one fixed rate. Chunks already at that rate pass through untouched; others
// go through a Stream, so their edges join seamlessly. Not safe for concurrent use.
type Converter struct {
	to   int
	from int // rate of the stream in progress; 0 when none
	s    *Stream
	f    []float32
}

// NewConverter returns a converter to rate to.
func NewConverter(to int) *Converter { return &Converter{to: to} }

// Convert returns data at the converter's rate. A MIME type without a rate is taken to be at
// that rate already; a rate outside MinRate..MaxRate is an error and the chunk is dropped.
func (c *Converter) Convert(mime string, data []byte) ([]byte, error) {
	rate, err := RateOf(mime, c.to)
	if err != nil {
		return nil, err
	}
	var out []byte
	if rate != c.from && c.s != nil {
		out = c.Flush() // the rate changed: finish the old stream first
	}
	if rate == c.to {
		return append(out, data...), nil
	}
	if c.s == nil {
		c.s, c.from = NewStream(rate, c.to), rate
	}
	c.f = c.s.Write(c.f[:0], S16LEToFloat(nil, data))
	return FloatToS16LE(out, c.f), nil
}

// Flush returns what a resampling stream still holds back (the last few milliseconds), at the
// end of a turn.
func (c *Converter) Flush() []byte {
	if c.s == nil {
		return nil
	}
	c.f = c.s.Flush(c.f[:0])
	c.s, c.from = nil, 0
	return FloatToS16LE(nil, c.f)
}

// Reset drops what a stream holds back (the turn was interrupted).
func (c *Converter) Reset() { c.s, c.from = nil, 0 }
