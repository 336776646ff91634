package capture_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/capture/capturetest"
)

// Golden YUYV bytes (BT.601 limited range, as UVC cameras send) and the RGB
// they must become.
func TestYUYVToRGBAGolden(t *testing.T) {
	tests := []struct {
		name string
		yuyv []byte // one pixel pair: Y0 U Y1 V
		want [2]color.RGBA
	}{
		{"black and white", []byte{16, 128, 235, 128}, [2]color.RGBA{{0, 0, 0, 255}, {255, 255, 255, 255}}},
		{"mid grey", []byte{126, 128, 126, 128}, [2]color.RGBA{{128, 128, 128, 255}, {128, 128, 128, 255}}},
		{"red", []byte{81, 90, 81, 240}, [2]color.RGBA{{255, 0, 0, 255}, {255, 0, 0, 255}}},
		{"green", []byte{145, 54, 145, 34}, [2]color.RGBA{{0, 255, 1, 255}, {0, 255, 1, 255}}},
		{"blue", []byte{41, 240, 41, 110}, [2]color.RGBA{{0, 0, 255, 255}, {0, 0, 255, 255}}},
		{"below black clamps", []byte{0, 128, 255, 128}, [2]color.RGBA{{0, 0, 0, 255}, {255, 255, 255, 255}}},
	}
	for _, tt := range tests {
		dst := image.NewRGBA(image.Rect(0, 0, 2, 1))
		if err := capture.YUYVToRGBA(dst, tt.yuyv, 2, 1); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := [2]color.RGBA{dst.RGBAAt(0, 0), dst.RGBAAt(1, 0)}
		if got != tt.want {
			t.Errorf("%s: YUYV %v → %v, want %v", tt.name, tt.yuyv, got, tt.want)
		}
	}
}

func TestYUYVToRGBARoundTrip(t *testing.T) {
	src := capturetest.Pattern(image.Pt(64, 32))
	dst := image.NewRGBA(src.Rect)
	if err := capture.YUYVToRGBA(dst, capturetest.EncodeYUYV(src), 64, 32); err != nil {
		t.Fatal(err)
	}
	for i, p := range capturetest.QuadrantCentres(src.Rect.Size()) {
		if got := dst.At(p.X, p.Y); !capturetest.Near(got, capturetest.Quadrants[i], 2) {
			t.Errorf("quadrant %d = %v, want %v", i, got, capturetest.Quadrants[i])
		}
	}
}

func TestYUYVToRGBAErrors(t *testing.T) {
	dst := image.NewRGBA(image.Rect(0, 0, 4, 2))
	tests := []struct {
		name string
		src  []byte
		w, h int
	}{
		{"short frame", make([]byte, 15), 4, 2},
		{"odd width", make([]byte, 16), 3, 2},
		{"wrong destination", make([]byte, 32), 8, 2},
	}
	for _, tt := range tests {
		if err := capture.YUYVToRGBA(dst, tt.src, tt.w, tt.h); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// A real JPEG stripped of its DHT segments, as UVC cameras send MJPEG, must
// fail in image/jpeg, then decode to the very same pixels after FixMJPEG.
func TestFixMJPEGRestoresTables(t *testing.T) {
	src := capturetest.Pattern(image.Pt(320, 240))
	full, err := capturetest.EncodeJPEG(src)
	if err != nil {
		t.Fatal(err)
	}
	stripped := capturetest.StripDHT(full)
	if bytes.Contains(stripped[:bytes.Index(stripped, []byte{0xff, 0xda})], []byte{0xff, 0xc4}) {
		t.Fatal("StripDHT left a DHT segment")
	}
	if _, err := jpeg.Decode(bytes.NewReader(stripped)); err == nil {
		t.Fatal("image/jpeg decoded a frame without Huffman tables; the test premise is wrong")
	}
	fixed, err := capture.FixMJPEG(nil, stripped)
	if err != nil {
		t.Fatal(err)
	}
	got, err := jpeg.Decode(bytes.NewReader(fixed))
	if err != nil {
		t.Fatalf("decode fixed frame: %v", err)
	}
	want, err := jpeg.Decode(bytes.NewReader(full))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.(*image.YCbCr).Y, got.(*image.YCbCr).Y); diff != "" {
		t.Errorf("fixed frame decodes differently:\n%s", diff)
	}

	// Frames that have tables are passed through without a copy.
	same, err := capture.FixMJPEG(nil, full)
	if err != nil || &same[0] != &full[0] {
		t.Errorf("FixMJPEG copied or rejected a complete JPEG: %v", err)
	}

	// dst storage is reused.
	buf := make([]byte, 0, len(fixed)+10)
	again, _ := capture.FixMJPEG(buf, stripped)
	if &again[0] != &buf[:1][0] {
		t.Errorf("FixMJPEG did not reuse dst")
	}
	if _, err := capture.FixMJPEG(nil, []byte("GIF89a")); !errors.Is(err, capture.ErrBadMJPEG) {
		t.Errorf("non-JPEG: err = %v, want ErrBadMJPEG", err)
	}
}
