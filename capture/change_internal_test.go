package capture

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"testing"
)

func TestGridSize(t *testing.T) {
	tests := []struct {
		src        image.Point
		cell       int
		grid       image.Point
		rowsOfCell []int // sampled rows of the first cell row
	}{
		{image.Pt(1600, 1000), 8, image.Pt(200, 125), []int{2, 6}},
		{image.Pt(1920, 1080), 8, image.Pt(240, 135), []int{2, 6}},
		{image.Pt(1280, 720), 6, image.Pt(213, 120), []int{1, 4}},
		{image.Pt(3840, 2160), 16, image.Pt(240, 135), []int{4, 12}},
		{image.Pt(640, 480), 4, image.Pt(160, 120), []int{1, 3}},
		{image.Pt(1080, 1920), 8, image.Pt(135, 240), []int{2, 6}},
		{image.Pt(64, 3), 4, image.Pt(16, 1), []int{1}},
		{image.Pt(1, 1), 4, image.Pt(1, 1), []int{0}},
	}
	for _, tt := range tests {
		if got := cellSize(tt.src); got != tt.cell {
			t.Errorf("cellSize(%v) = %d, want %d", tt.src, got, tt.cell)
		}
		if got := gridSize(tt.src); got != tt.grid {
			t.Errorf("gridSize(%v) = %v, want %v", tt.src, got, tt.grid)
		}
		var th thumbnailer
		th.prepare(tt.src)
		if got := sampledRows(&th, 0); !equalInts(got, tt.rowsOfCell) {
			t.Errorf("%v: rows sampled in the first cell row = %v, want %v", tt.src, got, tt.rowsOfCell)
		}
		if last := th.xs[len(th.xs)-1]; last != tt.src.X {
			t.Errorf("%v: cells end at x=%d, want the remainder in the last cell", tt.src, last)
		}
	}
}

// sampledRows lists the source rows fromRGBA sums for cell row j: the same
// rule, written out as a spec.
func sampledRows(th *thumbnailer, j int) []int {
	var rows []int
	y0, y1 := th.ys[j], th.ys[j+1]
	for y := min(y0+th.rowOff, y1-1); y < y1; y += th.rowStep {
		rows = append(rows, y)
	}
	return rows
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// referenceThumb is the oracle: the float64 mean BT.601 luma of the sampled
// rows of every cell.
func referenceThumb(th *thumbnailer, m image.Image) []float64 {
	b := m.Bounds()
	th.prepare(b.Size())
	g := th.grid
	out := make([]float64, g.X*g.Y)
	for j := range g.Y {
		rows := sampledRows(th, j)
		for i := range g.X {
			var sum float64
			n := 0
			for _, y := range rows {
				for x := th.xs[i]; x < th.xs[i+1]; x++ {
					r, gg, bb, _ := m.At(b.Min.X+x, b.Min.Y+y).RGBA()
					sum += (lumaR*float64(r>>8) + lumaG*float64(gg>>8) + lumaB*float64(bb>>8)) / 65536
					n++
				}
			}
			out[j*g.X+i] = sum / float64(n)
		}
	}
	return out
}

func TestThumbnailMatchesReference(t *testing.T) {
	random := randomRGBA(image.Pt(333, 201), 3)
	big := randomRGBA(image.Pt(420, 260), 4)
	sub := big.SubImage(image.Rect(37, 21, 37+333, 21+201)).(*image.RGBA)
	ycc := image.NewYCbCr(image.Rect(0, 0, 301, 170), image.YCbCrSubsampleRatio420)
	gray := image.NewGray(image.Rect(0, 0, 99, 64))
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range ycc.Y {
		ycc.Y[i] = uint8(rng.IntN(256))
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 128, 128 // grey: Y is the luma At reports
	}
	for i := range gray.Pix {
		gray.Pix[i] = uint8(rng.IntN(256))
	}
	nrgba := image.NewNRGBA(image.Rect(0, 0, 128, 72))
	for i := range nrgba.Pix {
		nrgba.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 {
			nrgba.Pix[i] = 255
		}
	}
	tests := []struct {
		name string
		img  image.Image
	}{
		{"RGBA odd size", random},
		{"RGBA sub-image", sub},
		{"RGBA desktop 1080p", desktopLike(image.Pt(1920, 1080))},
		{"YCbCr Y plane", ycc},
		{"Gray", gray},
		{"NRGBA converted", nrgba},
	}
	for _, tt := range tests {
		var th thumbnailer
		var got lumaThumb
		th.thumb(&got, tt.img)
		want := referenceThumb(&thumbnailer{}, tt.img)
		if g := gridSize(tt.img.Bounds().Size()); got.size != g || len(got.y) != len(want) {
			t.Fatalf("%s: thumbnail %v with %d cells, want %v", tt.name, got.size, len(got.y), g)
		}
		for i, w := range want {
			if d := math.Abs(float64(got.y[i]) - w); d > 0.5+1e-3 {
				t.Errorf("%s: cell %d = %d, want %.2f", tt.name, i, got.y[i], w)
				break
			}
		}
	}

	// The same pixels in a sub-image and in their own image give the same
	// thumbnail.
	own := image.NewRGBA(image.Rectangle{Max: sub.Rect.Size()})
	draw.Draw(own, own.Rect, sub, sub.Rect.Min, draw.Src)
	var th thumbnailer
	var a, b lumaThumb
	th.thumb(&a, sub)
	th.thumb(&b, own)
	if string(a.y) != string(b.y) {
		t.Error("a sub-image and a copy of it have different thumbnails")
	}
}

// Folding the 16-bit lanes after every row, as very wide cells need, gives
// the same thumbnail as folding once per cell row.
func TestThumbnailFold(t *testing.T) {
	white := image.NewRGBA(image.Rect(0, 0, 1200, 700))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	gray := image.NewGray(white.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = 255
	}
	for _, img := range []image.Image{white, gray, randomRGBA(image.Pt(1200, 700), 8)} {
		var th thumbnailer
		var once, each lumaThumb
		th.thumb(&once, img)
		th.foldRGBA, th.foldPlane = 1, 1
		th.thumb(&each, img)
		if string(once.y) != string(each.y) {
			t.Errorf("%T: folding after every row changes the thumbnail", img)
		}
		if img == white || img == gray {
			for i, v := range once.y {
				if v != 255 {
					t.Fatalf("%T: white cell %d = %d, want 255", img, i, v)
				}
			}
		}
	}
}

// thumbOf returns a thumbnail of size g with every cell at v.
func thumbOf(g image.Point, v uint8) *lumaThumb {
	t := &lumaThumb{}
	t.resize(g)
	for i := range t.y {
		t.y[i] = v
	}
	return t
}

// addNoise adds Gaussian noise of deviation sigma to every cell.
func addNoise(t *lumaThumb, sigma float64, rng *rand.Rand) {
	for i, v := range t.y {
		t.y[i] = uint8(min(max(math.Round(float64(v)+rng.NormFloat64()*sigma), 0), 255))
	}
}

// paint sets the cells of r (in cells) to v.
func paint(t *lumaThumb, r image.Rectangle, v uint8) {
	r = r.Intersect(image.Rectangle{Max: t.size})
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			t.y[y*t.size.X+x] = v
		}
	}
}

func TestChangeDetector(t *testing.T) {
	g := image.Pt(240, 135) // a 1080p frame's grid
	tests := []struct {
		name      string
		noise     float64 // deviation of per-cell noise on both thumbnails
		threshold float64
		edit      func(cur *lumaThumb)
		want      bool
		wantTol   [2]int // tolerance range
	}{
		{"identical", 0, 0, func(*lumaThumb) {}, false, [2]int{10, 10}},
		{"caret: 1×4 cells", 0, 0, func(c *lumaThumb) { paint(c, image.Rect(50, 50, 51, 54), 40) }, false, [2]int{10, 10}},
		{"caret straddling: 2×4 cells", 0, 0, func(c *lumaThumb) { paint(c, image.Rect(50, 50, 52, 54), 80) }, false, [2]int{10, 10}},
		{"spinner: 4×4 cells", 0, 0, func(c *lumaThumb) { paint(c, image.Rect(50, 50, 54, 54), 40) }, false, [2]int{10, 10}},
		{"word: 5×1 cells", 0, 0, func(c *lumaThumb) { paint(c, image.Rect(50, 50, 55, 51), 40) }, true, [2]int{10, 10}},
		{"tall: 1×6 cells", 0, 0, func(c *lumaThumb) { paint(c, image.Rect(50, 50, 51, 56), 40) }, true, [2]int{10, 10}},
		{"word with one-cell gaps", 0, 0, func(c *lumaThumb) {
			for x := 50; x < 55; x += 2 {
				paint(c, image.Rect(x, 50, x+1, 51), 40)
			}
		}, true, [2]int{10, 10}},
		{"two carets three cells apart", 0, 0, func(c *lumaThumb) {
			paint(c, image.Rect(50, 50, 51, 54), 40)
			paint(c, image.Rect(53, 50, 54, 54), 40)
		}, false, [2]int{10, 10}},
		{"below tolerance", 0, 0, func(c *lumaThumb) { paint(c, image.Rect(0, 0, 240, 60), 128+10) }, false, [2]int{10, 10}},
		{"sensor noise σ 1", 1, 0, func(*lumaThumb) {}, false, [2]int{10, 10}},
		{"sensor noise σ 3", 3, 0, func(*lumaThumb) {}, false, [2]int{12, 18}},
		{"sensor noise σ 6", 6, 0, func(*lumaThumb) {}, false, [2]int{30, 36}},
		{"exposure drift +3 and noise σ 2", 2, 0, func(c *lumaThumb) {
			for i := range c.y {
				c.y[i] += 3
			}
		}, false, [2]int{18, 24}},
		// The window (22% of the grid) raises the median a little: a change
		// never hides itself this way until half the picture changed.
		{"window under noise σ 3", 3, 0, func(c *lumaThumb) { paint(c, image.Rect(20, 20, 120, 90), 200) }, true, [2]int{12, 24}},
		{"word under noise σ 3", 3, 0, func(c *lumaThumb) { paint(c, image.Rect(50, 50, 56, 52), 200) }, true, [2]int{12, 18}},
		{"lights on: everything +40", 3, 0, func(c *lumaThumb) {
			for i := range c.y {
				c.y[i] += 40
			}
		}, true, [2]int{10, 10}},
		{"scattered: 2% in isolated cells", 0, 0, func(c *lumaThumb) {
			for i := 0; i < len(c.y); i += 50 {
				c.y[i] = 0
			}
		}, true, [2]int{10, 10}},
		{"a few isolated cells", 0, 0, func(c *lumaThumb) {
			for i := 0; i < len(c.y); i += 1000 {
				c.y[i] = 0
			}
		}, false, [2]int{10, 10}},
		{"256 cells, threshold below", 0, 0.005, func(c *lumaThumb) { paint(c, image.Rect(0, 0, 16, 16), 0) }, true, [2]int{10, 10}},
		{"256 cells, threshold above", 0, 0.01, func(c *lumaThumb) { paint(c, image.Rect(0, 0, 16, 16), 0) }, false, [2]int{10, 10}},
	}
	for _, tt := range tests {
		rng := rand.New(rand.NewPCG(9, 9))
		ref, cur := thumbOf(g, 128), thumbOf(g, 128)
		if tt.noise > 0 {
			addNoise(ref, tt.noise, rng)
			addNoise(cur, tt.noise, rng)
		}
		tt.edit(cur)
		var d changeDetector
		got := d.compare(cur, ref, tt.threshold)
		if got.changed != tt.want {
			t.Errorf("%s: changed = %v, want %v (%+v)", tt.name, got.changed, tt.want, got)
		}
		if got.tolerance < tt.wantTol[0] || got.tolerance > tt.wantTol[1] {
			t.Errorf("%s: tolerance %d, want %d..%d (noise %d)", tt.name, got.tolerance, tt.wantTol[0], tt.wantTol[1], got.noise)
		}
		if got.changed && got.area <= tt.threshold {
			t.Errorf("%s: changed with area %v <= threshold %v", tt.name, got.area, tt.threshold)
		}
	}

	var d changeDetector
	if got := d.compare(thumbOf(g, 1), thumbOf(image.Pt(135, 240), 1), 0.5); !got.changed || got.area != 1 {
		t.Errorf("thumbnails of different sizes: %+v, want changed, area 1", got)
	}
	if got := d.compare(&lumaThumb{}, &lumaThumb{}, 0); !got.changed {
		t.Errorf("empty thumbnails: %+v, want changed", got)
	}
}

// caretAndScroll returns a desktop-like frame and the same frame with a
// 3×25 px caret drawn, and with its text panel scrolled by one line.
func caretAndScroll(size image.Point) (base, caret, scrolled *image.RGBA) {
	base = desktopLike(size)
	caret = image.NewRGBA(base.Rect)
	copy(caret.Pix, base.Pix)
	draw.Draw(caret, image.Rect(700, 400, 703, 425), image.NewUniform(color.White), image.Point{}, draw.Src)
	scrolled = image.NewRGBA(base.Rect)
	copy(scrolled.Pix, base.Pix)
	panel := image.Rect(size.X/20, size.Y/10, size.X*11/20, size.Y*9/10)
	draw.Draw(scrolled, panel, base, panel.Min.Add(image.Pt(0, 18)), draw.Src)
	return base, caret, scrolled
}

func TestChangeDetectionDoesNotAllocate(t *testing.T) {
	base, caret, scrolled := caretAndScroll(image.Pt(1920, 1080))
	ycc := image.NewYCbCr(base.Rect, image.YCbCrSubsampleRatio420)
	var th thumbnailer
	var d changeDetector
	var ref, cur lumaThumb
	th.thumb(&ref, base)
	th.thumb(&cur, scrolled)
	d.compare(&cur, &ref, 0) // sizes the scratch buffers
	th.thumb(&cur, ycc)      // and the tables for a plane
	i := 0
	frames := []image.Image{caret, scrolled, ycc}
	n := testing.AllocsPerRun(10, func() {
		th.thumb(&cur, frames[i%len(frames)])
		i++
		d.compare(&cur, &ref, 0)
	})
	if n != 0 {
		t.Errorf("thumbnail + comparison allocate %v times per frame in steady state, want 0", n)
	}
}

// BenchmarkChangeDetect is the change check of one 1080p or 4K frame: the
// luma thumbnail straight from the frame,
// then the comparison with the last frame sent. "caret" is a blinking caret
// (no change; regions walked and ignored), "scroll" a scrolled text panel
// (a change; a large region walked).
func BenchmarkChangeDetect(b *testing.B) {
	for _, size := range []image.Point{{1920, 1080}, {3840, 2160}} {
		base, caret, scrolled := caretAndScroll(size)
		for _, tt := range []struct {
			name  string
			frame *image.RGBA
			want  bool
		}{{"caret", caret, false}, {"scroll", scrolled, true}} {
			b.Run(sizeName(size)+"/"+tt.name, func(b *testing.B) {
				var th thumbnailer
				var d changeDetector
				var ref, cur lumaThumb
				th.thumb(&ref, base)
				th.thumb(&cur, tt.frame)
				if got := d.compare(&cur, &ref, 0); got.changed != tt.want {
					b.Fatalf("changed = %v, want %v (%+v)", got.changed, tt.want, got)
				}
				b.ReportAllocs()
				defer cpuMetric(b)()
				for b.Loop() {
					th.thumb(&cur, tt.frame)
					d.compare(&cur, &ref, 0)
				}
			})
		}
	}
}
