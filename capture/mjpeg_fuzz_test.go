package capture

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"
)

// FuzzFixMJPEG: a camera frame of any bytes is fixed or refused with ErrBadMJPEG, and a fixed
// frame starts like a JPEG — never a panic or an out-of-range read.
func FuzzFixMJPEG(f *testing.F) {
	var buf bytes.Buffer
	jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 16, 16)), nil)
	f.Add(buf.Bytes())
	f.Add(stripDHT(buf.Bytes()))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xda, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, frame []byte) {
		out, err := FixMJPEG(nil, frame)
		if err != nil {
			if !errors.Is(err, ErrBadMJPEG) {
				t.Fatalf("error does not wrap ErrBadMJPEG: %v", err)
			}
			return
		}
		if len(out) < 2 || out[0] != 0xff || out[1] != 0xd8 {
			t.Fatalf("fixed frame does not start with SOI")
		}
	})
}

// stripDHT removes the Huffman tables, as many webcams send MJPEG.
func stripDHT(b []byte) []byte {
	out := append([]byte(nil), b[:2]...)
	for i := 2; i+4 <= len(b) && b[i] == 0xff; {
		n := int(b[i+2])<<8 | int(b[i+3])
		if b[i+1] == 0xda || i+2+n > len(b) {
			return append(out, b[i:]...)
		}
		if b[i+1] != 0xc4 {
			out = append(out, b[i:i+2+n]...)
		}
		i += 2 + n
	}
	return out
}

// FuzzYUYVToRGBA: any frame and size is converted or refused with an error — never a panic.
func FuzzYUYVToRGBA(f *testing.F) {
	f.Add(make([]byte, 4*2*2), 4, 2)
	f.Add([]byte{16, 128, 235, 128}, 2, 1)
	f.Add([]byte{1, 2, 3}, 3, 1)
	f.Fuzz(func(t *testing.T, src []byte, w, h int) {
		if w > 4096 || h > 4096 || w < -4096 || h < -4096 {
			return // the destination is allocated by the caller, at a real camera's size
		}
		dw, dh := max(w, 1), max(h, 1)
		dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
		if err := YUYVToRGBA(dst, src, w, h); err != nil {
			return
		}
		if len(src) < w*h*2 {
			t.Fatalf("converted %d bytes as %dx%d", len(src), w, h)
		}
	})
}
