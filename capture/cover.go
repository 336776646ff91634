package capture

import (
	"image"
	"image/draw"
)

// uncover paints patches (pictures whose Bounds are in root-window coordinates) into dst, a
// frame whose top-left pixel is origin on the desktop: what this app drew over the screen (a
// highlight pointing at something) is replaced by what it covered, so it never reaches the model.
func uncover(dst *image.RGBA, origin image.Point, patches []*image.RGBA) {
	for _, p := range patches {
		if p == nil {
			continue
		}
		r := p.Rect.Sub(origin).Intersect(dst.Rect)
		if r.Empty() {
			continue
		}
		draw.Draw(dst, r, p, r.Min.Add(origin), draw.Src)
	}
}
