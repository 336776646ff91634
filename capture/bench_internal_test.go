//go:build unix

package capture

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

func BenchmarkScale(b *testing.B) {
	for _, size := range []image.Point{{1920, 1080}, {3840, 2160}} {
		b.Run(sizeName(size), func(b *testing.B) {
			src := desktopLike(size)
			s := NewScaler(DefaultMaxSize)
			s.Scale(src)
			b.ReportAllocs()
			defer cpuMetric(b)()
			for b.Loop() {
				s.Scale(src)
			}
		})
	}
}

func sizeName(p image.Point) string {
	return image.Rectangle{Max: p}.Size().String()
}

// BenchmarkEncode compares image/jpeg on RGBA input with YCbCr input of the
// same 1024×576 frame.
func BenchmarkEncode(b *testing.B) {
	scaled := NewScaler(DefaultMaxSize).Scale(desktopLike(image.Pt(1920, 1080)))
	ycc := image.NewYCbCr(scaled.Rect, image.YCbCrSubsampleRatio420)
	for y := range scaled.Rect.Dy() {
		for x := range scaled.Rect.Dx() {
			c := scaled.RGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			ycc.Y[ycc.YOffset(x, y)] = yy
			ycc.Cb[ycc.COffset(x, y)] = cb
			ycc.Cr[ycc.COffset(x, y)] = cr
		}
	}
	for _, tt := range []struct {
		name string
		img  image.Image
	}{{"RGBA", scaled}, {"YCbCr420", ycc}} {
		b.Run(tt.name, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			defer cpuMetric(b)()
			for b.Loop() {
				buf.Reset()
				if err := jpeg.Encode(&buf, tt.img, &jpeg.Options{Quality: DefaultQuality}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "jpeg-bytes")
		})
	}
}

// BenchmarkPipelineStep is one paced frame through the pipeline from an
// in-memory 1080p source: scale, change check, JPEG, preview, mailbox.
// "sent" encodes every frame; "skipped" is a static screen and "caret" a
// blinking caret: the change check finds nothing that matters in either.
func BenchmarkPipelineStep(b *testing.B) {
	base, caret, _ := caretAndScroll(image.Pt(1920, 1080))
	for _, tt := range []struct {
		name   string
		skip   bool
		frames []image.Image
	}{{"sent", false, []image.Image{base}}, {"skipped", true, []image.Image{base}}, {"caret", true, []image.Image{base, caret}}} {
		b.Run(tt.name, func(b *testing.B) {
			p := NewPipeline(&cycleSource{frames: tt.frames}, Options{SkipUnchanged: tt.skip}, nil)
			for range 3 { // the first frame is sent; then the buffers are sized
				if err := p.step(b.Context(), false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			defer cpuMetric(b)()
			for b.Loop() {
				if err := p.step(b.Context(), false); err != nil {
					b.Fatal(err)
				}
			}
			if s := p.Stats(); tt.skip && s.Sent != 1 {
				b.Errorf("%d frames sent, want only the first", s.Sent)
			}
		})
	}
}
