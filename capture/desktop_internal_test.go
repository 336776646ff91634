package capture

import (
	"image"
	"image/draw"
	"math/rand/v2"
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
