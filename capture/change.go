package capture

import (
	"encoding/binary"
	"image"
	"image/draw"
)

// Change detection decides whether a frame differs from the last frame sent
// enough for the model to care. On 3.x models every frame sent costs about
// 256 input tokens, so a blinking caret, a clock's seconds or a spinner must
// not cause a frame, while a typed word, a scrolled page or a new window
// must, and a camera's sensor noise must not either.
//
// It works on a luma thumbnail computed straight from the grabbed image in
// one pass: the frame is cut into square cells of cellSize pixels (8 px on
// a 1600- to 2048-px screen), at most changeSide on the longest side, and
// each cell holds the mean BT.601 luma of two of its rows. The thumbnail of
// a frame is compared with the one of the last frame sent:
//
//  1. Noise. The median absolute cell difference estimates the frame's
//     noise (a screen's is 0; a camera image is never pixel-identical). A
//     cell counts as changed when it moved by more than noiseFactor
//     medians, and by more than minCellTolerance levels in any case.
//  2. Regions. Changed cells at most reach cells apart form a region. A
//     region smaller than minRegionWidth across and minRegionHeight down (a
//     caret, a clock's seconds, a spinner, stray noise) is ignored, unless
//     changed cells cover a scattered fraction of the grid.
//  3. Area. The frame changed when the cells of the changes that matter
//     make up more than Options.ChangeThreshold of the grid (any at all with
//     the default 0).
//
// Sizes are in cells, so relative to the picture as the model sees it (a
// cell is 4 to 5 pixels of a 1024-pixel frame): on a 4K screen at 100%
// scaling a 7-px font is 2 px in the frame sent, and typing it is no change
// the model could read.
const (
	// changeSide bounds the grid's longest side. Cells of 1/200 to 1/256
	// of the picture (8 px on a 1600- or 1920-px screen) keep a 3-px caret
	// to one column of cells and a typed word to a row of them, which a
	// coarser grid would blur into the same few cells.
	changeSide = 256
	// minCellPixels keeps cells at least this many source pixels wide, so
	// a small camera frame still averages some noise away in every cell.
	minCellPixels = 4
	// cellRows rows of each cell are summed, the first at 1/cellRowOffset
	// of the cell (rows 2 and 6 of an 8-px cell): summing every row of a
	// 1080p frame takes over 2 ms of scalar Go, two rows a cell a quarter
	// of that. Every column is summed, so a thin vertical stroke (a caret,
	// a letter's stem) always counts; a horizontal line thinner than half
	// a cell may fall between the rows, and text, which has stems, never.
	cellRows      = 2
	cellRowOffset = 4
	// minCellTolerance is the least change of a cell's mean luma (of 255)
	// that counts, whatever the noise: antialiasing and dithering
	// differences stay below it, while a 1-px text stroke through an 8-px
	// cell moves it by 20 to 28 (ink and paper are 150 to 220 apart).
	minCellTolerance = 10
	// noiseFactor times the median cell difference is the tolerance for a
	// noisy source. For Gaussian noise the median of |d| is 0.67σ, so 6
	// medians is 4σ: about 6 cells in 100 000 pass by chance, and those
	// stay isolated, far from a region that matters.
	noiseFactor = 6
	// maxNoise is the largest median cell difference taken for noise. A
	// larger median means most of the picture changed (a new page, the
	// lights went on); the tolerance then falls back to minCellTolerance
	// so that the change cannot raise the bar over itself.
	maxNoise = 16
	// minRegionWidth and minRegionHeight are the smallest bounding box, in
	// cells, of a changed region that matters: at least this wide or this
	// tall. They differ because text runs across and a caret is a vertical
	// line one text line high. A typed word is no taller than the caret
	// (a 7×13 px font fills one or two cell rows) but is wide: five 7-px
	// characters always span 5 cells, while a 3×25 px caret spans 1 or 2
	// columns and at most 4 rows, a 16- to 24-px spinner at most 4 cells,
	// one or two changed clock digits at most 3. So 5 across sees "hello"
	// typed at any position and never the caret; 6 down (48 px at 1080p)
	// ignores carets up to 32 px high.
	minRegionWidth  = 5
	minRegionHeight = 6
	// reach is how far apart, in cells, two changed cells may be and still
	// form one region: 2 bridges a one-cell gap, such as a letter whose
	// thin strokes missed the summed rows, or the space between words, so
	// a typed word is one region rather than two short halves.
	reach = 2
	// scattered is the fraction of the grid that matters when changed even
	// if every region is small: a table of numbers updating all over the
	// screen. Noise beyond 4σ stays far below (1e-4).
	scattered = 0.01
)

// lumaThumb holds the mean luma of each cell of a change-detection grid.
type lumaThumb struct {
	size image.Point // grid size in cells
	y    []uint8     // row-major, size.X*size.Y
}

// set makes t a copy of u, reusing t's storage.
func (t *lumaThumb) set(u *lumaThumb) {
	t.size = u.size
	t.y = append(t.y[:0], u.y...)
}

// thumbnailer computes lumaThumbs. It keeps its tables and accumulators for
// the last source size, so thumbnails of same-size frames allocate nothing.
// Not safe for concurrent use.
type thumbnailer struct {
	src, grid image.Point
	xs, ys    []int     // cell boundaries in source pixels: len grid.X+1, grid.Y+1
	invW      []float32 // 1/(width of cell column i)
	acc       []uint64  // per cell column: partial sums in 16-bit lanes
	acc2      []uint64  // per cell column: second lane set (RGBA: G and A)
	sum       []uint64  // per cell column: luma sum ×65536 of the band so far
	foldRGBA  int       // sampled RGBA rows that fit the 16-bit lanes before folding
	foldPlane int       // the same for a luma plane
	rowOff    int       // first sampled row of a cell
	rowStep   int       // distance between sampled rows
	conv      *image.RGBA
}

// cellSize returns the side, in source pixels, of the square cells of the
// change grid for a source of the given size: the smallest even size (at
// least minCellPixels) that keeps the grid within changeSide on the longest
// side. Even widths keep RGBA pixel pairs inside a cell, and the same width
// for every cell keeps the summing loop's trip count predictable.
func cellSize(src image.Point) int {
	long := max(src.X, src.Y)
	c := 2 * ((long + 2*changeSide - 1) / (2 * changeSide))
	return max(c, minCellPixels)
}

// gridSize returns the change grid for a source of the given size: whole
// cells of cellSize pixels, the remainder joining the last row or column.
func gridSize(src image.Point) image.Point {
	c := cellSize(src)
	return image.Pt(max(src.X/c, 1), max(src.Y/c, 1))
}

// prepare (re)builds the tables for a source size.
func (th *thumbnailer) prepare(src image.Point) {
	if th.src == src && th.xs != nil {
		return
	}
	th.src = src
	th.grid = gridSize(src)
	g := th.grid
	th.xs = make([]int, g.X+1)
	th.ys = make([]int, g.Y+1)
	th.invW = make([]float32, g.X)
	c := cellSize(src)
	th.rowOff, th.rowStep = c/cellRowOffset, c/cellRows
	for i := range th.xs {
		th.xs[i] = min(i*c, src.X)
	}
	th.xs[g.X] = src.X
	for j := range th.ys {
		th.ys[j] = min(j*c, src.Y)
	}
	th.ys[g.Y] = src.Y
	widest := 0
	for i := range th.invW {
		w := th.xs[i+1] - th.xs[i]
		th.invW[i] = 1 / float32(max(w, 1))
		widest = max(widest, w)
	}
	th.acc = make([]uint64, g.X)
	th.acc2 = make([]uint64, g.X)
	th.sum = make([]uint64, g.X)
	// A 16-bit lane gets at most one byte of each pixel pair of a cell's
	// row (RGBA), or two bytes of each 8-byte load plus the leftover bytes
	// (a plane). Fold the lanes into the 64-bit sums before they can
	// overflow. (One row cannot: the widest cell, the last, is under twice
	// the cell size, and sources up to 65 000 px have cells of at most
	// 256 px.)
	fold := func(perRow int) int { return max(1, 0xffff/(255*max(perRow, 1))) }
	th.foldRGBA = fold((widest + 1) / 2)
	th.foldPlane = fold(widest/8*2 + widest%8)
}

// thumb computes the luma thumbnail of img into t, reusing t's storage.
// *image.RGBA, *image.YCbCr (its Y plane) and *image.Gray are read in
// place; other types are converted first.
func (th *thumbnailer) thumb(t *lumaThumb, img image.Image) {
	switch m := img.(type) {
	case *image.RGBA:
		th.fromRGBA(t, m)
	case *image.YCbCr:
		th.fromPlane(t, m.Y[m.YOffset(m.Rect.Min.X, m.Rect.Min.Y):], m.YStride, m.Rect.Size())
	case *image.Gray:
		th.fromPlane(t, m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], m.Stride, m.Rect.Size())
	default:
		b := img.Bounds()
		if th.conv == nil || th.conv.Rect.Size() != b.Size() {
			th.conv = image.NewRGBA(image.Rectangle{Max: b.Size()})
		}
		draw.Draw(th.conv, th.conv.Rect, img, b.Min, draw.Src)
		th.fromRGBA(t, th.conv)
	}
}

// resize sets t's grid size, reusing its storage.
func (t *lumaThumb) resize(g image.Point) {
	t.size = g
	n := g.X * g.Y
	if cap(t.y) < n {
		t.y = make([]uint8, n)
	}
	t.y = t.y[:n]
}

// BT.601 luma weights ×65536 (they sum to 65536).
const (
	lumaR = 19595
	lumaG = 38470
	lumaB = 7471
)

// fromRGBA sums R, G and B over the sampled rows of each cell with SWAR:
// one uint64 load holds two pixels, and masking the even and the odd bytes gives R, B and G, A in
// 16-bit lanes, so a pixel pair costs a load, two masks and two adds. Luma
// is linear, so the cell's luma comes from its channel sums at the end.
func (th *thumbnailer) fromRGBA(t *lumaThumb, m *image.RGBA) {
	size := m.Rect.Size()
	th.prepare(size)
	t.resize(th.grid)
	if size.X == 0 || size.Y == 0 {
		return
	}
	pix := m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):]
	cell := th.xs[1] * 4 // bytes per row of every cell but the last
	for j := range th.grid.Y {
		y0, y1 := th.ys[j], th.ys[j+1]
		clear(th.sum)
		rows, pending := 0, 0
		for y := min(y0+th.rowOff, y1-1); y < y1; y += th.rowStep {
			sumRowRGBA(pix[y*m.Stride:y*m.Stride+size.X*4], cell, th.acc, th.acc2)
			rows++
			if pending++; pending == th.foldRGBA {
				foldRGBA(th.sum, th.acc, th.acc2)
				pending = 0
			}
		}
		foldRGBA(th.sum, th.acc, th.acc2)
		th.store(t, j, rows)
	}
}

// sumRowRGBA adds the R, B (acc) and G, A (acc2) lane sums of one RGBA row
// to its cells' accumulators: cell bytes per cell, the rest of the row to the
// last cell.
func sumRowRGBA(row []byte, cell int, acc, acc2 []uint64) {
	const even = 0x00ff_00ff_00ff_00ff
	acc2 = acc2[:len(acc)]
	k := 0 // byte offset in row
	for i := range acc {
		end := k + cell
		if i == len(acc)-1 {
			end = len(row)
		}
		var e, o uint64
		for ; k+8 <= end; k += 8 {
			x := binary.LittleEndian.Uint64(row[k : k+8])
			e += x & even
			o += x >> 8 & even
		}
		if k+4 <= end { // an odd last pixel
			x := uint64(binary.LittleEndian.Uint32(row[k : k+4]))
			e += x & even
			o += x >> 8 & even
		}
		acc[i] += e
		acc2[i] += o
	}
}

// foldRGBA adds the luma (×65536) of the lane sums in acc and acc2 to sum
// and clears the lanes.
func foldRGBA(sum, acc, acc2 []uint64) {
	acc2 = acc2[:len(acc)]
	sum = sum[:len(acc)]
	for i, e := range acc {
		o := acc2[i]
		r := e&0xffff + e>>32&0xffff
		b := e>>16&0xffff + e>>48
		g := o&0xffff + o>>32&0xffff
		sum[i] += lumaR*r + lumaG*g + lumaB*b
	}
	clear(acc)
	clear(acc2)
}

// fromPlane is fromRGBA for a plane of luma bytes (the Y plane of a decoded
// MJPEG frame, a grey image).
func (th *thumbnailer) fromPlane(t *lumaThumb, pix []byte, stride int, size image.Point) {
	th.prepare(size)
	t.resize(th.grid)
	if size.X == 0 || size.Y == 0 {
		return
	}
	cell := th.xs[1]
	for j := range th.grid.Y {
		y0, y1 := th.ys[j], th.ys[j+1]
		clear(th.sum)
		rows, pending := 0, 0
		for y := min(y0+th.rowOff, y1-1); y < y1; y += th.rowStep {
			sumRowPlane(pix[y*stride:y*stride+size.X], cell, th.acc)
			rows++
			if pending++; pending == th.foldPlane {
				foldPlane(th.sum, th.acc)
				pending = 0
			}
		}
		foldPlane(th.sum, th.acc)
		th.store(t, j, rows)
	}
}

// sumRowPlane adds the byte sums of one row of a plane to its cells' 16-bit
// lanes in acc: cell bytes per cell, the rest of the row to the last cell.
func sumRowPlane(row []byte, cell int, acc []uint64) {
	const even = 0x00ff_00ff_00ff_00ff
	k := 0
	for i := range acc {
		end := k + cell
		if i == len(acc)-1 {
			end = len(row)
		}
		var e uint64
		for ; k+8 <= end; k += 8 {
			x := binary.LittleEndian.Uint64(row[k : k+8])
			e += x&even + x>>8&even
		}
		for ; k < end; k++ {
			e += uint64(row[k])
		}
		acc[i] += e
	}
}

// foldPlane adds the lane sums in acc (×65536) to sum and clears the lanes.
func foldPlane(sum, acc []uint64) {
	sum = sum[:len(acc)]
	for i, e := range acc {
		sum[i] += (e&0xffff + e>>16&0xffff + e>>32&0xffff + e>>48) << 16
	}
	clear(acc)
}

// store writes cell row j of t from the band's luma sums (×65536) over h
// sampled rows.
func (th *thumbnailer) store(t *lumaThumb, j, h int) {
	out := t.y[j*th.grid.X : (j+1)*th.grid.X]
	invH := 1 / (float32(h) * 65536)
	for i, s := range th.sum[:len(out)] {
		out[i] = uint8(float32(s)*th.invW[i]*invH + 0.5)
	}
}

// changeDetector compares thumbnails. Its scratch buffers are reused, so a
// comparison of same-size thumbnails allocates nothing. Not safe for
// concurrent use.
type changeDetector struct {
	diff  []uint8 // |a-b| per cell; cleared while regions are walked
	stack []int32
	hist  [256]int32
}

// change is the outcome of one comparison.
type change struct {
	changed   bool
	area      float64 // fraction of the grid in changes that matter
	noise     int     // median cell difference
	tolerance int     // a cell changed when its difference exceeded this
	cells     int     // changed cells
	wide      int     // bounding-box width of the widest changed region, in cells
	tall      int     // bounding-box height of the tallest changed region
}

// compare tells whether cur differs from ref by more than threshold (a
// fraction of the grid, see Options.ChangeThreshold) in changes that
// matter. Thumbnails of different sizes, or an empty one, always differ.
func (d *changeDetector) compare(cur, ref *lumaThumb, threshold float64) change {
	n := len(cur.y)
	if cur.size != ref.size || n == 0 || len(ref.y) != n {
		return change{changed: true, area: 1}
	}
	if cap(d.diff) < n {
		d.diff = make([]uint8, n)
		d.stack = make([]int32, 0, n)
	}
	diff := d.diff[:n]
	hist := &d.hist
	clear(hist[:])
	ry := ref.y[:n]
	for i, a := range cur.y {
		v := int(a) - int(ry[i])
		v = max(v, -v)
		diff[i] = uint8(v)
		hist[v]++
	}
	c := change{noise: median(hist, n), tolerance: minCellTolerance}
	if c.noise <= maxNoise {
		c.tolerance = max(c.tolerance, noiseFactor*c.noise)
	}
	for v := c.tolerance + 1; v < len(hist); v++ {
		c.cells += int(hist[v])
	}
	if c.cells == 0 {
		return c
	}
	matter := c.cells // many changes together matter, however small each
	if float64(c.cells) < scattered*float64(n) {
		matter, c.wide, c.tall = d.regions(diff, cur.size, c.tolerance)
	}
	c.area = float64(matter) / float64(n)
	c.changed = matter > 0 && c.area > threshold
	return c
}

// median returns the median value counted in hist (n values in all).
func median(hist *[256]int32, n int) int {
	seen := 0
	for v, k := range hist {
		if seen += int(k); 2*seen >= n {
			return v
		}
	}
	return len(hist) - 1
}

// regions walks the regions of cells whose diff exceeds tol, a region
// joining cells at most reach apart, and clears those cells as it goes. It
// returns the number of cells in regions at least minRegionWidth wide or
// minRegionHeight tall, and the largest bounding-box width and height among
// all regions.
func (d *changeDetector) regions(diff []uint8, g image.Point, tol int) (cells, wide, tall int) {
	stack := d.stack[:0]
	w, h := g.X, g.Y
	for start, v := range diff {
		if int(v) <= tol {
			continue
		}
		diff[start] = 0
		stack = append(stack, int32(start))
		size := 0
		x0, y0 := start%w, start/w // the walk starts on the region's top row
		x1, y1 := x0, y0
		for len(stack) > 0 {
			i := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			size++
			x, y := i%w, i/w
			x0, x1, y1 = min(x0, x), max(x1, x), max(y1, y)
			for ny := max(y-reach, 0); ny <= min(y+reach, h-1); ny++ {
				for nx := max(x-reach, 0); nx <= min(x+reach, w-1); nx++ {
					k := ny*w + nx
					if int(diff[k]) > tol {
						diff[k] = 0
						stack = append(stack, int32(k))
					}
				}
			}
		}
		rw, rh := x1-x0+1, y1-y0+1
		wide, tall = max(wide, rw), max(tall, rh)
		if rw >= minRegionWidth || rh >= minRegionHeight {
			cells += size
		}
	}
	d.stack = stack[:0]
	return cells, wide, tall
}
