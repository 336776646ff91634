//go:build linux

package overlay

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDim(t *testing.T) {
	rgb888 := halfMask(0xff0000) | halfMask(0xff00) | halfMask(0xff)
	rgb565 := halfMask(0xf800) | halfMask(0x07e0) | halfMask(0x001f)
	tests := []struct {
		name   string
		f      pixelFormat
		stride int
		in     []byte
		want   []byte
	}{
		{
			name: "32 bpp, LSB first (B G R X)", f: pixelFormat{bytes: 4, keep: rgb888}, stride: 8,
			in:   []byte{0x40, 0x80, 0xc0, 0x00, 0xff, 0xff, 0xff, 0x00},
			want: []byte{0x20, 0x40, 0x60, 0x00, 0x7f, 0x7f, 0x7f, 0x00},
		},
		{
			name: "32 bpp, MSB first (X R G B)", f: pixelFormat{bytes: 4, msb: true, keep: rgb888}, stride: 8,
			in:   []byte{0x00, 0xc0, 0x80, 0x41, 0x00, 0x01, 0x01, 0x01},
			want: []byte{0x00, 0x60, 0x40, 0x20, 0x00, 0x00, 0x00, 0x00},
		},
		{
			name: "24 bpp packed, rows padded", f: pixelFormat{bytes: 3, keep: rgb888}, stride: 8,
			in:   []byte{0x40, 0x80, 0xc0, 0xfe, 0xfe, 0xfe, 0xaa, 0xbb},
			want: []byte{0x20, 0x40, 0x60, 0x7f, 0x7f, 0x7f, 0xaa, 0xbb}, // padding untouched
		},
		{
			// 0xffff is white in 5-6-5; halved per channel it is 0x7bef (15, 31, 15).
			name: "16 bpp 5-6-5, LSB first", f: pixelFormat{bytes: 2, keep: rgb565}, stride: 4,
			in:   []byte{0xff, 0xff, 0x00, 0xf8},
			want: []byte{0xef, 0x7b, 0x00, 0x78},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := append([]byte(nil), tt.in...)
			tt.f.dim(got, tt.stride, tt.stride/tt.f.bytes, 1)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("dim (-want +got):\n%s", diff)
			}
		})
	}
}
