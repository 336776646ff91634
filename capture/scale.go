package capture

import (
	"encoding/binary"
	"image"
	"image/draw"
)

// Fixed-point precision of the box filter weights: 8 bits vertically (a
// weighted byte then fits a 16-bit lane, see resample) and 12 horizontally,
// so a sample needs 8+8+12 = 28 bits and the accumulators stay in uint32.
const (
	vWeightBits = 8
	weightBits  = 12
	weightOne   = 1 << weightBits
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
func newAxis(n, m int) axis { return newAxisBits(n, m, weightBits) }

// newAxisBits is newAxis with weights summing to 1<<bits.
func newAxisBits(n, m, bits int) axis {
	one := uint64(1) << bits
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
			w := uint32((uint64(hi-lo)*one + uint64(n)/2) / uint64(n))
			if len(a.w) == big || w > a.w[big] {
				big = len(a.w)
			}
			a.w = append(a.w, w)
			sum += w
		}
		// Give the rounding remainder to the largest weight so every
		// destination sample's weights sum to exactly weightOne.
		a.w[big] += uint32(one) - sum
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
	accE, accO       []uint64 // vertically filtered row: even / odd bytes in 16-bit lanes
	acc              []uint32 // the same row unpacked, 4 values per pixel
	dst              *image.RGBA
	conv             *image.RGBA   // non-RGBA sources are converted here first
	half             []*image.RGBA // successive 2× reductions of large sources
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
	// Halve exactly (2×2 averages) while at least 2× too big: much cheaper
	// per source pixel than the general filter, and still an area average.
	for level := 0; size.X >= 2*want.X && size.Y >= 2*want.Y; level++ {
		h := image.Pt(size.X/2, size.Y/2)
		if level == len(s.half) {
			s.half = append(s.half, nil)
		}
		if s.half[level] == nil || s.half[level].Rect.Size() != h {
			s.half[level] = image.NewRGBA(image.Rectangle{Max: h})
		}
		halve(s.half[level], rgba)
		rgba, size = s.half[level], h
	}
	if size == want {
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
	s.ya = newAxisBits(src.Y, dst.Y, vWeightBits)
	words := (src.X*4 + 7) / 8
	s.accE = make([]uint64, words)
	s.accO = make([]uint64, words)
	s.acc = make([]uint32, words*8)
	s.dst = image.NewRGBA(image.Rectangle{Max: dst})
}

func (s *Scaler) resample(src *image.RGBA) {
	const even = 0x00ff_00ff_00ff_00ff
	ya, xa := &s.ya, &s.xa
	dst := s.dst
	n := src.Rect.Dx() * 4
	accE, accO, acc := s.accE, s.accO, s.acc
	accO = accO[:len(accE)]
	acc = acc[:len(accE)*8]
	const round = 1 << (vWeightBits + weightBits - 1)
	for dy := range ya.start {
		// Vertical pass: weighted sum of the contributing source rows. The
		// weights have 8 bits, so a weighted byte fits a 16-bit lane and one
		// multiply handles four bytes.
		clear(accE)
		clear(accO)
		sy := int(ya.start[dy])
		for k, wk := range ya.w[ya.off[dy] : ya.off[dy]+ya.count[dy]] {
			off := (sy + k) * src.Stride
			row := src.Pix[off : off+n]
			w := uint64(wk)
			j := 0
			for ; j+8 <= len(row); j += 8 {
				x := binary.LittleEndian.Uint64(row[j:])
				accE[j/8] += (x & even) * w
				accO[j/8] += (x >> 8 & even) * w
			}
			if j < len(row) { // odd width: one pixel left
				x := uint64(binary.LittleEndian.Uint32(row[j:]))
				accE[j/8] += (x & even) * w
				accO[j/8] += (x >> 8 & even) * w
			}
		}
		// Unpack to R, G, B, A per pixel for the horizontal pass.
		for i, e := range accE {
			o := accO[i]
			q := acc[i*8 : i*8+8 : i*8+8]
			q[0], q[1], q[2] = uint32(e&0xffff), uint32(o&0xffff), uint32(e>>16&0xffff)
			q[4], q[5], q[6] = uint32(e>>32&0xffff), uint32(o>>32&0xffff), uint32(e>>48)
		}
		// Horizontal pass over the accumulated row. Downscaling by less
		// than 2 (1080p → 1024) gives 2 or 3 taps, which get unrolled.
		out := dst.Pix[dy*dst.Stride : dy*dst.Stride+len(xa.start)*4]
		for d := range xa.start {
			i, wo := int(xa.start[d])*4, int(xa.off[d])
			var r, g, b uint32
			switch xa.count[d] {
			case 2:
				w := xa.w[wo : wo+2 : wo+2]
				q := acc[i : i+7 : i+7]
				r = w[0]*q[0] + w[1]*q[4]
				g = w[0]*q[1] + w[1]*q[5]
				b = w[0]*q[2] + w[1]*q[6]
			case 3:
				w := xa.w[wo : wo+3 : wo+3]
				q := acc[i : i+11 : i+11]
				r = w[0]*q[0] + w[1]*q[4] + w[2]*q[8]
				g = w[0]*q[1] + w[1]*q[5] + w[2]*q[9]
				b = w[0]*q[2] + w[1]*q[6] + w[2]*q[10]
			default:
				p := acc[i:]
				for _, wk := range xa.w[wo : wo+int(xa.count[d])] {
					q := p[:3:3]
					r += wk * q[0]
					g += wk * q[1]
					b += wk * q[2]
					p = p[4:]
				}
			}
			o := out[d*4 : d*4+4 : d*4+4]
			o[0] = uint8((r + round) >> (vWeightBits + weightBits))
			o[1] = uint8((g + round) >> (vWeightBits + weightBits))
			o[2] = uint8((b + round) >> (vWeightBits + weightBits))
			o[3] = 0xff
		}
	}
}

// halve writes the 2×2 box average of src into dst (half src's size,
// rounded down; an odd last row or column is dropped). It reads two pixels
// of each row as one uint64 and sums the even and the odd bytes in 16-bit
// lanes, so one output pixel costs a handful of integer operations.
func halve(dst, src *image.RGBA) {
	const even = 0x00ff_00ff_00ff_00ff
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	for y := range h {
		a := src.Pix[2*y*src.Stride : 2*y*src.Stride+w*8]
		b := src.Pix[(2*y+1)*src.Stride : (2*y+1)*src.Stride+w*8]
		b = b[:len(a)]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+w*4]
		out = out[:len(a)/2]
		for i := 0; i+8 <= len(a); i += 8 {
			pa := binary.LittleEndian.Uint64(a[i:])
			pb := binary.LittleEndian.Uint64(b[i:])
			se := pa&even + pb&even           // R and B of both pixels, rows summed
			so := (pa>>8)&even + (pb>>8)&even // G and A
			// Add the left pixel (low half) to the right one (high half).
			te := (se&0xffff_ffff + se>>32 + 0x0002_0002) >> 2 & 0x00ff_00ff
			to := (so&0xffff_ffff + so>>32 + 0x0002_0002) >> 2 & 0x00ff_00ff
			binary.LittleEndian.PutUint32(out[i/2:], uint32(te|to<<8))
		}
	}
}
