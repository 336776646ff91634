package capture

import "image"

// Exported for the external tests and benchmarks.
var DesktopLike = desktopLike

// ChangeVerdict is the change detector's verdict on cur against ref.
type ChangeVerdict struct {
	Changed           bool
	Area              float64
	Noise, Tolerance  int
	Cells, Wide, Tall int
}

// CompareFrames runs the change detector on two frames.
func CompareFrames(cur, ref image.Image, threshold float64) ChangeVerdict {
	var th thumbnailer
	var d changeDetector
	var a, b lumaThumb
	th.thumb(&b, ref)
	th.thumb(&a, cur)
	c := d.compare(&a, &b, threshold)
	return ChangeVerdict{c.changed, c.area, c.noise, c.tolerance, c.cells, c.wide, c.tall}
}
