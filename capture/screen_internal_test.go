//go:build linux

package capture

import (
	"errors"
	"image"
	"testing"
)

func TestTargetRect(t *testing.T) {
	two := []Display{
		{Index: 0, Bounds: image.Rect(0, 0, 1920, 1080), Primary: true},
		{Index: 1, Bounds: image.Rect(1920, 0, 3200, 1024)},
	}
	tests := []struct {
		name    string
		t       ScreenTarget
		want    image.Rectangle
		wantErr error
	}{
		{"first display", ScreenTarget{Display: 0}, image.Rect(0, 0, 1920, 1080), nil},
		{"second display", ScreenTarget{Display: 1}, image.Rect(1920, 0, 3200, 1024), nil},
		{"all side by side", ScreenTarget{Display: AllDisplays}, image.Rect(0, 0, 3200, 1080), nil},
		{"region of second", ScreenTarget{Display: 1, Region: image.Rect(10, 20, 110, 220)}, image.Rect(1930, 20, 2030, 220), nil},
		{"region clipped", ScreenTarget{Display: 0, Region: image.Rect(1800, 1000, 2500, 1500)}, image.Rect(1800, 1000, 1920, 1080), nil},
		{"region of all", ScreenTarget{Display: AllDisplays, Region: image.Rect(1900, 0, 2000, 10)}, image.Rect(1900, 0, 2000, 10), nil},
		{"no such display", ScreenTarget{Display: 2}, image.Rectangle{}, ErrNoSuchDisplay},
		{"negative display", ScreenTarget{Display: -2}, image.Rectangle{}, ErrNoSuchDisplay},
	}
	for _, tt := range tests {
		got, err := targetRect(two, tt.t)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.wantErr)
		}
		if got != tt.want {
			t.Errorf("%s: targetRect = %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, err := targetRect(two, ScreenTarget{Region: image.Rect(5000, 5000, 5100, 5100)}); err == nil {
		t.Errorf("a region outside the display must fail")
	}
}

func TestBGRXToRGBA(t *testing.T) {
	pix := []byte{1, 2, 3, 0, 0xff, 0x80, 0x00, 0x7f}
	bgrxToRGBA(pix)
	want := []byte{3, 2, 1, 0xff, 0x00, 0x80, 0xff, 0xff}
	if string(pix) != string(want) {
		t.Errorf("bgrxToRGBA = %v, want %v", pix, want)
	}
}
