package ui

import (
	"bytes"
	"image/png"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func renderText(t *testing.T, s string) []byte {
	t.Helper()
	l := widget.NewLabel(s)
	w := test.NewTempWindow(t, l)
	w.Resize(fyne.NewSize(240, 60))
	var buf bytes.Buffer
	if err := png.Encode(&buf, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func inkOf(t *testing.T, b []byte) int {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bg := img.At(0, 0)
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.At(x, y) != bg {
				n++
			}
		}
	}
	return n
}

// TestScriptsRender checks that Chinese, Japanese and Arabic text draws real glyphs, not
// missing-glyph boxes: with boxes, a string and its reverse render identically. Fyne 2.7 falls
// back to system fonts per character (fonts-noto-cjk for CJK, DejaVu/Noto for Arabic on Linux).
func TestScriptsRender(t *testing.T) {
	test.NewTempApp(t)
	tests := []struct{ name, text, reversed string }{
		{"simplified chinese", "你好世界", "界世好你"},
		{"traditional chinese", "繁體中文", "文中體繁"},
		{"japanese", "こんにちは", "はちにんこ"},
		{"arabic", "مرحبا بالعالم", "ملاعلاب ابحرم"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := renderText(t, tt.text), renderText(t, tt.reversed)
			if bytes.Equal(a, b) {
				t.Errorf("%q and %q render identically: glyphs are missing (install fonts-noto-cjk / a font with Arabic)", tt.text, tt.reversed)
			}
			if inkOf(t, a) == 0 {
				t.Errorf("%q renders nothing", tt.text)
			}
		})
	}
}
