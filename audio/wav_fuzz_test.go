package audio

import (
	"bytes"
	"errors"
	"testing"

	"github.com/livedesk/livedesk/audio/pcm"
)

// FuzzReadWAV: any input is either refused with ErrBadWAV (or an I/O-shaped error) or decoded
// into a consistent PCM within the bounds — never a panic, never an absurd rate.
func FuzzReadWAV(f *testing.F) {
	f.Add(wavSpec{tag: 1, channels: 1, rate: 16000, bits: 16, data: le16(1, -1, 300), dataSize: -1}.bytes())
	f.Add(wavSpec{tag: 3, channels: 2, rate: 48000, bits: 32, data: make([]byte, 64), dataSize: -1}.bytes())
	f.Add(wavSpec{tag: 1, extensible: true, channels: 2, rate: 96000, bits: 24, data: make([]byte, 36), dataSize: 100}.bytes())
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt "))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ReadWAV(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrBadWAV) {
				t.Fatalf("error does not wrap ErrBadWAV: %v", err)
			}
			return
		}
		if p.Rate < pcm.MinRate || p.Rate > pcm.MaxRate || p.Channels < 1 || p.Channels > maxWAVChannels || len(p.Samples)%p.Channels != 0 {
			t.Fatalf("decoded rate %d, %d channels, %d samples", p.Rate, p.Channels, len(p.Samples))
		}
		if _, err := ReadInputWAV(bytes.NewReader(b)); err != nil {
			t.Fatalf("ReadWAV accepted what ReadInputWAV refuses: %v", err)
		}
	})
}
