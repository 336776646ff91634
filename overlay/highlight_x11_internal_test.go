//go:build linux

package overlay

import (
	"image"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHighlightLabelChars(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		unicode bool
		want    []uint16 // Byte1<<8 | Byte2
	}{
		{"ASCII", "Ok", false, []uint16{'O', 'k'}},
		{"Latin-1 kept", "ö", false, []uint16{0xf6}},
		{"beyond Latin-1 replaced", "€ص", false, []uint16{'?', '?'}},
		{"unicode font: BMP kept", "€ص", true, []uint16{0x20ac, 0x0635}},
		{"unicode font: beyond the BMP replaced", "a😀", true, []uint16{'a', '?'}},
		{"empty", "", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []uint16
			for _, c := range labelChars(tt.in, tt.unicode) {
				got = append(got, uint16(c.Byte1)<<8|uint16(c.Byte2))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("labelChars(%q, %v) mismatch (-want +got):\n%s", tt.in, tt.unicode, diff)
			}
		})
	}
	if got := latin1(labelChars("aö", false)); got != "a\xf6" {
		t.Errorf("latin1 = %q, want %q", got, "a\xf6")
	}
}

func TestHighlightPixelLayout(t *testing.T) {
	r := image.Rect(10, 20, 12, 21) // two pixels: (10,20) and (11,20)
	tests := []struct {
		name   string
		layout pixelLayout
		data   []byte
		want   []uint8 // R G B A, R G B A
	}{
		{
			"32 bits, LSB first (B G R X)",
			pixelLayout{bytes: 4, r: 0xff0000, g: 0xff00, b: 0xff},
			[]byte{0x30, 0x20, 0x10, 0, 0xff, 0xb3, 0xff, 0},
			[]uint8{0x10, 0x20, 0x30, 0xff, 0xff, 0xb3, 0xff, 0xff},
		},
		{
			"24 bits, MSB first, padded rows",
			pixelLayout{bytes: 3, msb: true, r: 0xff0000, g: 0xff00, b: 0xff},
			[]byte{0x10, 0x20, 0x30, 0xff, 0xb3, 0xff, 0, 0},
			[]uint8{0x10, 0x20, 0x30, 0xff, 0xff, 0xb3, 0xff, 0xff},
		},
		{
			"16 bits 5-6-5, LSB first",
			pixelLayout{bytes: 2, r: 0xf800, g: 0x07e0, b: 0x001f},
			[]byte{0x00, 0x00, 0xff, 0xff}, // black, white
			[]uint8{0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.layout.rgba(tt.data, r)
			if err != nil {
				t.Fatalf("rgba: %v", err)
			}
			if m.Bounds() != r {
				t.Errorf("bounds = %v, want %v", m.Bounds(), r)
			}
			if diff := cmp.Diff(tt.want, m.Pix); diff != "" {
				t.Errorf("pixels mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := (pixelLayout{bytes: 4}).rgba(make([]byte, 7), r); err == nil {
		t.Error("rgba of a short image: no error")
	}
}
