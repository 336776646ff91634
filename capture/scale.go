package capture

import (
	"image"
	"image/draw"
)

// weightBits is the fixed-point precision of the box filter weights. With 12
// bits per axis a fully weighted 8-bit sample needs 8+12+12 = 32 bits, so the
// accumulators stay in uint32.
const (
	weightBits = 12
	weightOne  = 1 << weightBits
)

// axis holds the area-average contributions of source samples to each
// destination sample along one axis.
type axis struct {
	start []int32  // first source index for each destination index
	count []int32  // number of contributing source samples
	off   []int32  // offset of the first weight in w
	w     []uint32 // weights, summing to weightOne for each destination index
}

// newAxis computes the box-filter contributions for resampling n source
// samples to m destination samples (m <= n). Destination sample d covers the
// source interval [d*n/m, (d+1)*n/m); each source sample is weighted by the
// length of its overlap with that interval.
func newAxis(n, m int) axis {
	a := axis{
		start: make([]int32, m),
		count: make([]int32, m),
		off:   make([]int32, m),
	}
	// Work in units of 1/m source pixel so every boundary is an integer.
	for d := range m {
		left, right := d*n, (d+1)*n
		first, last := left/m, (right-1)/m
		a.start[d] = int32(first)
		a.count[d] = int32(last - first + 1)
		a.off[d] = int32(len(a.w))
		var sum uint32
		big := len(a.w)
		for s := first; s <= last; s++ {
			lo, hi := max(left, s*m), min(right, (s+1)*m)
			w := uint32((uint64(hi-lo)*weightOne + uint64(n)/2) / uint64(n))
			if len(a.w) == big || w > a.w[big] {
				big = len(a.w)
			}
			a.w = append(a.w, w)
			sum += w
		}
		// Give the rounding remainder to the largest weight so every
		// destination sample's weights sum to exactly weightOne.
		a.w[big] += weightOne - sum
	}
	return a
}

// fitSize returns the size of an image of size src scaled down so that its
// longest side is at most maxSide, keeping the aspect ratio. Images that
// already fit keep their size. Every side is at least 1.
func fitSize(src image.Point, maxSide int) image.Point {
	if maxSide <= 0 || (src.X <= maxSide && src.Y <= maxSide) {
		return src
	}
	if src.X >= src.Y {
		return image.Pt(maxSide, max(1, (src.Y*maxSide+src.X/2)/src.X))
	}
	return image.Pt(max(1, (src.X*maxSide+src.Y/2)/src.Y), maxSide)
}

// Scaler downscales images with an area-average (box) filter. It keeps its
// filter tables and output buffer between calls, so scaling frames of the same
// size allocates nothing. The returned image is owned by the Scaler and is
// overwritten by the next call. A Scaler is not safe for concurrent use.
type Scaler struct {
	maxSide int

	srcSize, dstSize image.Point
	xa, ya           axis
	hrow             [2][]uint32 // horizontally filtered source rows (RGB)
	hrowY            [2]int      // source row held in hrow[i], or -1
	acc              []uint32
	dst              *image.RGBA
	conv             *image.RGBA // non-RGBA sources are converted here first
}

// NewScaler returns a Scaler whose output's longest side is at most maxSide
// pixels. maxSide <= 0 means no limit.
func NewScaler(maxSide int) *Scaler {
	return &Scaler{maxSide: maxSide}
}

// Scale returns src scaled down to fit the Scaler's size limit. An *image.RGBA
// that already fits is returned as is (not copied); other image types are
// converted to RGBA into a reused buffer. Alpha is ignored: the output is
// opaque.
func (s *Scaler) Scale(src image.Image) *image.RGBA {
	rgba := s.toRGBA(src)
	size := rgba.Rect.Size()
	want := fitSize(size, s.maxSide)
	if want == size {
		return rgba
	}
	s.prepare(size, want)
	s.resample(rgba)
	return s.dst
}

// toRGBA returns src as an *image.RGBA with its origin at (0, 0), converting
// other image types into the Scaler's conversion buffer.
func (s *Scaler) toRGBA(src image.Image) *image.RGBA {
	if m, ok := src.(*image.RGBA); ok {
		if m.Rect.Min == (image.Point{}) {
			return m
		}
		// Re-base the same pixels at the origin; no pixel copy.
		return &image.RGBA{
			Pix:    m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):],
			Stride: m.Stride,
			Rect:   image.Rectangle{Max: m.Rect.Size()},
		}
	}
	b := src.Bounds()
	if s.conv == nil || s.conv.Rect.Size() != b.Size() {
		s.conv = image.NewRGBA(image.Rectangle{Max: b.Size()})
	}
	// draw has fast paths for *image.YCbCr (MJPEG) and *image.Gray sources.
	draw.Draw(s.conv, s.conv.Rect, src, b.Min, draw.Src)
	return s.conv
}

// prepare (re)builds the filter tables and buffers when the sizes change.
func (s *Scaler) prepare(src, dst image.Point) {
	if s.srcSize == src && s.dstSize == dst && s.dst != nil {
		return
	}
	s.srcSize, s.dstSize = src, dst
	s.xa = newAxis(src.X, dst.X)
	s.ya = newAxis(src.Y, dst.Y)
	for i := range s.hrow {
		s.hrow[i] = make([]uint32, dst.X*3)
	}
	s.acc = make([]uint32, dst.X*3)
	s.dst = image.NewRGBA(image.Rectangle{Max: dst})
}

// hrowFor returns the horizontally filtered RGB values of source row y,
// reusing the previous result when consecutive destination rows share it.
func (s *Scaler) hrowFor(src *image.RGBA, y int) []uint32 {
	for i := range s.hrowY {
		if s.hrowY[i] == y {
			return s.hrow[i]
		}
	}
	// Evict the buffer holding the lower row: rows are visited in order.
	i := 0
	if s.hrowY[1] < s.hrowY[0] {
		i = 1
	}
	s.hrowY[i] = y
	out := s.hrow[i]
	row := src.Pix[y*src.Stride : y*src.Stride+src.Rect.Dx()*4]
	xa := &s.xa
	for d := range xa.start {
		p := row[int(xa.start[d])*4:]
		w := xa.w[xa.off[d] : xa.off[d]+xa.count[d]]
		var r, g, b uint32
		for _, wk := range w {
			r += wk * uint32(p[0])
			g += wk * uint32(p[1])
			b += wk * uint32(p[2])
			p = p[4:]
		}
		o := out[d*3 : d*3+3 : d*3+3]
		o[0], o[1], o[2] = r, g, b
	}
	return out
}

func (s *Scaler) resample(src *image.RGBA) {
	s.hrowY = [2]int{-1, -1}
	ya := &s.ya
	dst := s.dst
	const round = 1 << (2*weightBits - 1)
	for dy := range ya.start {
		acc := s.acc
		clear(acc)
		w := ya.w[ya.off[dy] : ya.off[dy]+ya.count[dy]]
		sy := int(ya.start[dy])
		for k, wk := range w {
			h := s.hrowFor(src, sy+k)
			h = h[:len(acc)]
			for i, v := range h {
				acc[i] += wk * v
			}
		}
		out := dst.Pix[dy*dst.Stride : dy*dst.Stride+len(acc)/3*4]
		for i, j := 0, 0; i+2 < len(acc); i, j = i+3, j+4 {
			o := out[j : j+4 : j+4]
			o[0] = uint8((acc[i] + round) >> (2 * weightBits))
			o[1] = uint8((acc[i+1] + round) >> (2 * weightBits))
			o[2] = uint8((acc[i+2] + round) >> (2 * weightBits))
			o[3] = 0xff
		}
	}
}
