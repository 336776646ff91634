package capture

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// desktopLike returns a deterministic image resembling a desktop: a photo-
// like gradient with a dark editor panel full of text-like strokes.
func desktopLike(size image.Point) *image.RGBA {
	m := image.NewRGBA(image.Rectangle{Max: size})
	for y := range size.Y {
		for x := range size.X {
			i := m.PixOffset(x, y)
			m.Pix[i] = uint8(x * 255 / size.X)
			m.Pix[i+1] = uint8(y * 255 / size.Y)
			m.Pix[i+2] = uint8((x + y) * 255 / (size.X + size.Y))
			m.Pix[i+3] = 255
		}
	}
	panel := image.Rect(size.X/20, size.Y/10, size.X*11/20, size.Y*9/10)
	draw.Draw(m, panel, image.NewUniform(image.Black), image.Point{}, draw.Src)
	rng := rand.New(rand.NewPCG(1, 1))
	light := image.NewUniform(image.White)
	for y := panel.Min.Y + 8; y+12 < panel.Max.Y; y += 18 {
		for x := panel.Min.X + 8 + rng.IntN(40); x+8 < panel.Max.X-40; x += 9 {
			if rng.IntN(6) == 0 {
				continue // a space
			}
			glyph := image.Rect(x, y+rng.IntN(4), x+7, y+12)
			draw.Draw(m, glyph, light, image.Point{}, draw.Src)
		}
	}
	return m
}

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
