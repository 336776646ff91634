package capture

import "image"

// Change detection compares a tiny grey thumbnail of each frame with the one
// of the last frame sent. A thumbnail cell is the area average of a block of
// the frame (about 16×16 pixels of a 1024-pixel frame), so sensor noise and a
// blinking text cursor stay below the per-cell tolerance while a typed word,
// a scrolled page or a moved window do not.
const (
	changeSide = 64 // longest side of the change-detection thumbnail
	// cellTolerance is how far (of 255) a cell's luma must move to count as
	// changed.
	cellTolerance = 10
)

// lumaThumb holds the luma of a change-detection thumbnail.
type lumaThumb struct {
	size image.Point
	y    []uint8
}

// set fills t with the BT.601 luma of m, reusing t's storage.
func (t *lumaThumb) set(m *image.RGBA) {
	t.size = m.Rect.Size()
	n := t.size.X * t.size.Y
	if cap(t.y) < n {
		t.y = make([]uint8, n)
	}
	t.y = t.y[:n]
	i := 0
	for y := range t.size.Y {
		row := m.Pix[y*m.Stride : y*m.Stride+t.size.X*4]
		for x := 0; x+3 < len(row); x += 4 {
			r, g, b := uint32(row[x]), uint32(row[x+1]), uint32(row[x+2])
			t.y[i] = uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
			i++
		}
	}
}

// changedFraction returns the fraction of cells whose luma differs by more
// than cellTolerance between a and b; 1 when the sizes differ or either is
// empty.
func changedFraction(a, b *lumaThumb) float64 {
	if a.size != b.size || len(a.y) == 0 || len(a.y) != len(b.y) {
		return 1
	}
	changed := 0
	for i, v := range a.y {
		d := int(v) - int(b.y[i])
		if d > cellTolerance || d < -cellTolerance {
			changed++
		}
	}
	return float64(changed) / float64(len(a.y))
}
