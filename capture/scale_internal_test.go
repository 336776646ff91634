package capture

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewAxisWeightsSumToOne(t *testing.T) {
	tests := []struct{ n, m int }{
		{1920, 1024}, {1080, 576}, {3840, 1024}, {2160, 576}, {1024, 64}, {7, 3}, {5, 5}, {3, 1}, {1281, 640},
	}
	for _, tt := range tests {
		for _, bits := range []int{weightBits, vWeightBits} {
			a := newAxisBits(tt.n, tt.m, bits)
			for d := range tt.m {
				var sum uint32
				for _, w := range a.w[a.off[d] : a.off[d]+a.count[d]] {
					sum += w
				}
				if sum != 1<<bits {
					t.Errorf("newAxisBits(%d, %d, %d): weights at d=%d sum to %d, want %d", tt.n, tt.m, bits, d, sum, 1<<bits)
				}
			}
		}
		a := newAxis(tt.n, tt.m)
		for d := range tt.m {
			for _, w := range a.w[a.off[d] : a.off[d]+a.count[d]] {
				if w == 0 {
					t.Errorf("newAxis(%d, %d): zero weight at d=%d", tt.n, tt.m, d)
				}
			}
			if end := int(a.start[d] + a.count[d]); end > tt.n {
				t.Errorf("newAxis(%d, %d): d=%d reads source up to %d", tt.n, tt.m, d, end)
			}
		}
	}
}

func TestFitSize(t *testing.T) {
	tests := []struct {
		src  image.Point
		max  int
		want image.Point
	}{
		{image.Pt(1920, 1080), 1024, image.Pt(1024, 576)},
		{image.Pt(3840, 2160), 1024, image.Pt(1024, 576)},
		{image.Pt(1080, 1920), 1024, image.Pt(576, 1024)},
		{image.Pt(1280, 1024), 1024, image.Pt(1024, 819)},
		{image.Pt(800, 600), 1024, image.Pt(800, 600)},
		{image.Pt(5000, 2), 1024, image.Pt(1024, 1)},
		{image.Pt(1920, 1080), 0, image.Pt(1920, 1080)},
	}
	for _, tt := range tests {
		if got := fitSize(tt.src, tt.max); got != tt.want {
			t.Errorf("fitSize(%v, %d) = %v, want %v", tt.src, tt.max, got, tt.want)
		}
	}
}

// referenceBox is a float64 area-average resampler used as the oracle.
func referenceBox(src *image.RGBA, dst image.Point) [][3]float64 {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	out := make([][3]float64, dst.X*dst.Y)
	sx := float64(sw) / float64(dst.X)
	sy := float64(sh) / float64(dst.Y)
	for dy := range dst.Y {
		y0, y1 := float64(dy)*sy, float64(dy+1)*sy
		for dx := range dst.X {
			x0, x1 := float64(dx)*sx, float64(dx+1)*sx
			var acc [3]float64
			for y := int(y0); float64(y) < y1; y++ {
				wy := min(y1, float64(y+1)) - max(y0, float64(y))
				for x := int(x0); float64(x) < x1; x++ {
					wx := min(x1, float64(x+1)) - max(x0, float64(x))
					p := src.RGBAAt(x, y)
					acc[0] += wx * wy * float64(p.R)
					acc[1] += wx * wy * float64(p.G)
					acc[2] += wx * wy * float64(p.B)
				}
			}
			for c := range acc {
				acc[c] /= sx * sy
			}
			out[dy*dst.X+dx] = acc
		}
	}
	return out
}

func randomRGBA(size image.Point, seed uint64) *image.RGBA {
	m := image.NewRGBA(image.Rectangle{Max: size})
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range m.Pix {
		m.Pix[i] = uint8(r.IntN(256))
	}
	return m
}

func TestScalerMatchesReference(t *testing.T) {
	tests := []struct {
		src image.Point
		max int
	}{
		// Ratios below 2 use the general filter only (larger ones halve
		// first; see TestScaler4KNearReference).
		{image.Pt(320, 180), 200},
		{image.Pt(333, 201), 190},
		{image.Pt(64, 640), 400},
		{image.Pt(1920, 1080), 1024},
		{image.Pt(1280, 720), 1024},
	}
	for _, tt := range tests {
		src := randomRGBA(tt.src, uint64(tt.src.X))
		got := NewScaler(tt.max).Scale(src)
		want := fitSize(tt.src, tt.max)
		if got.Rect.Size() != want {
			t.Fatalf("Scale(%v) size = %v, want %v", tt.src, got.Rect.Size(), want)
		}
		ref := referenceBox(src, want)
		worst := 0.0
		for y := range want.Y {
			for x := range want.X {
				p := got.RGBAAt(x, y)
				r := ref[y*want.X+x]
				for c, v := range []uint8{p.R, p.G, p.B} {
					worst = max(worst, abs(float64(v)-r[c]))
				}
				if p.A != 255 {
					t.Fatalf("alpha at %d,%d = %d, want 255", x, y, p.A)
				}
			}
		}
		// 12-bit weights per axis plus final rounding.
		if worst > 1.0 {
			t.Errorf("Scale(%v→%v): worst channel error %.3f, want <= 1", tt.src, want, worst)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestScalerExactAverages(t *testing.T) {
	// 4x2 → 2x1: each output pixel averages a 2x2 block exactly.
	src := image.NewRGBA(image.Rect(0, 0, 4, 2))
	vals := []uint8{0, 10, 100, 200, 20, 30, 255, 253}
	for i, v := range vals {
		src.SetRGBA(i%4, i/4, color.RGBA{v, 255 - v, v / 2, 255})
	}
	got := NewScaler(2).Scale(src)
	want := []color.RGBA{
		{15, 240, 8, 255},   // R (0+10+20+30)/4, G (255+245+235+225)/4, B (0+5+10+15)/4 = 7.5 rounds up
		{202, 53, 101, 255}, // R (100+200+255+253)/4, B (50+100+127+126)/4 = 100.75
	}
	for i, w := range want {
		if p := got.RGBAAt(i, 0); p != w {
			t.Errorf("pixel %d = %v, want %v", i, p, w)
		}
	}
}

func TestScalerUniformStaysUniform(t *testing.T) {
	c := color.RGBA{17, 130, 250, 255}
	src := image.NewRGBA(image.Rect(0, 0, 1917, 1079))
	for i := 0; i < len(src.Pix); i += 4 {
		src.Pix[i], src.Pix[i+1], src.Pix[i+2], src.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	got := NewScaler(1024).Scale(src)
	for y := range got.Rect.Dy() {
		for x := range got.Rect.Dx() {
			if p := got.RGBAAt(x, y); p != c {
				t.Fatalf("pixel %d,%d = %v, want %v", x, y, p, c)
			}
		}
	}
}

func TestScalerInputs(t *testing.T) {
	base := randomRGBA(image.Pt(200, 100), 7)
	want := NewScaler(50).Scale(base)
	wantPix := append([]uint8(nil), want.Pix...)

	// The same pixels as a sub-image with a non-zero origin.
	big := image.NewRGBA(image.Rect(0, 0, 260, 140))
	for y := range 100 {
		copy(big.Pix[(y+30)*big.Stride+40*4:], base.Pix[y*base.Stride:(y+1)*base.Stride])
	}
	sub := big.SubImage(image.Rect(40, 30, 240, 130))
	if got := NewScaler(50).Scale(sub); !cmp.Equal(got.Pix, wantPix) {
		t.Errorf("sub-image scaled differently from the same pixels at the origin")
	}

	// A YCbCr image (as MJPEG decodes) is converted first.
	ycc := image.NewYCbCr(image.Rect(0, 0, 200, 100), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = 200
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 128, 128
	}
	got := NewScaler(50).Scale(ycc)
	if got.Rect.Size() != image.Pt(50, 25) {
		t.Fatalf("YCbCr scaled to %v, want 50x25", got.Rect.Size())
	}
	if p := got.RGBAAt(10, 10); p != (color.RGBA{200, 200, 200, 255}) {
		t.Errorf("YCbCr grey 200 scaled to %v", p)
	}

	// Images that fit are returned as they are.
	small := randomRGBA(image.Pt(40, 20), 3)
	if got := NewScaler(50).Scale(small); got != small {
		t.Errorf("an RGBA image that fits was copied")
	}
}

func TestScalerSteadyStateDoesNotAllocate(t *testing.T) {
	tests := []struct {
		src image.Point
		max int
	}{
		{image.Pt(1920, 1080), 1024},
		{image.Pt(3840, 2160), 1024}, // one halving
		{image.Pt(1024, 576), 64},    // four halvings (the change thumbnail)
	}
	for _, tt := range tests {
		src := randomRGBA(tt.src, 9)
		s := NewScaler(tt.max)
		s.Scale(src)
		if n := testing.AllocsPerRun(3, func() { s.Scale(src) }); n != 0 {
			t.Errorf("Scale %v→%d allocates %v times per frame in steady state, want 0", tt.src, tt.max, n)
		}
	}
}

func TestHalve(t *testing.T) {
	src := randomRGBA(image.Pt(9, 5), 11) // odd sizes: last row and column dropped
	dst := image.NewRGBA(image.Rect(0, 0, 4, 2))
	halve(dst, src)
	for y := range 2 {
		for x := range 4 {
			for c := range 4 {
				sum := 0
				for _, p := range []image.Point{{2 * x, 2 * y}, {2*x + 1, 2 * y}, {2 * x, 2*y + 1}, {2*x + 1, 2*y + 1}} {
					sum += int(src.Pix[src.PixOffset(p.X, p.Y)+c])
				}
				if got, want := dst.Pix[dst.PixOffset(x, y)+c], uint8((sum+2)/4); got != want {
					t.Errorf("pixel %d,%d channel %d = %d, want %d", x, y, c, got, want)
				}
			}
		}
	}
}

// A 4K frame goes through halve then the general filter: a slightly
// different kernel from a direct area average (partial pixels at window edges
// count at half resolution), so the pictures agree closely but not exactly.
func TestScaler4KNearReference(t *testing.T) {
	src := desktopLike(image.Pt(3840, 2160))
	got := NewScaler(1024).Scale(src)
	ref := referenceBox(src, image.Pt(1024, 576))
	var sum float64
	for i, r := range ref {
		p := got.Pix[i*4 : i*4+3]
		for c := range 3 {
			sum += abs(float64(p[c]) - r[c])
		}
	}
	if mean := sum / float64(len(ref)*3); mean > 2.5 {
		t.Errorf("4K scale: mean channel error %.3f against a direct box filter, want <= 2.5", mean)
	}
}
