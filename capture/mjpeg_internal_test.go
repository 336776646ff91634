package capture

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStandardDHTMatchesSpec checks the table data two ways: the symbol
// counts add up, and image/jpeg (which writes the same Annex K.3 tables)
// emits a byte-identical DHT segment.
func TestStandardDHTMatchesSpec(t *testing.T) {
	for _, h := range standardHuffman {
		n := 0
		for _, b := range h.bits {
			n += int(b)
		}
		if n != len(h.vals) {
			t.Errorf("table %#x: bits count %d symbols, vals has %d", h.class, n, len(h.vals))
		}
	}
	// image/jpeg writes all four tables for a colour image.
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	j := buf.Bytes()
	i := bytes.Index(j, []byte{0xff, 0xc4})
	if i < 0 {
		t.Fatal("image/jpeg wrote no DHT segment")
	}
	n := int(j[i+2])<<8 | int(j[i+3])
	if diff := cmp.Diff(j[i:i+2+n], standardDHT); diff != "" {
		t.Errorf("standardDHT differs from image/jpeg's tables (-go +ours):\n%s", diff)
	}
}

func TestFixMJPEGErrors(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
	}{
		{"empty", nil},
		{"not jpeg", []byte("hello world, not a jpeg")},
		{"truncated before scan", []byte{0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43, 0x00}},
		{"bad length", []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0, 0}},
		{"no marker", []byte{0xff, 0xd8, 0x12, 0x34, 0x56, 0x78}},
	}
	for _, tt := range tests {
		if _, err := FixMJPEG(nil, tt.frame); !errors.Is(err, ErrBadMJPEG) {
			t.Errorf("%s: FixMJPEG error = %v, want ErrBadMJPEG", tt.name, err)
		}
	}
}
