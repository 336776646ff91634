package capturetest

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Picture colours of Desktop, also handy for drawing on it.
var (
	Paper  = color.RGBA{250, 250, 248, 255} // a document's background
	Ink    = color.RGBA{30, 30, 36, 255}    // text
	Wall   = color.RGBA{52, 84, 122, 255}   // the desktop behind the windows
	Chrome = color.RGBA{214, 216, 220, 255} // title bars and panels
)

// Font is the face DrawText, DrawPage and Source.Text draw with: 7-pixel advance, 13-pixel lines, like a
// small UI or terminal font at 100% scaling.
var Font font.Face = basicfont.Face7x13

// Desktop returns a deterministic desktop-like picture of the given size: a
// plain wallpaper, a top panel, and a window (from 10% to 75% of the width,
// 12% to 90% of the height) with a title bar and a page of text on Paper.
// DesktopPage is the window's text area.
func Desktop(size image.Point) *image.RGBA {
	m := image.NewRGBA(image.Rectangle{Max: size})
	fill(m, m.Rect, Wall)
	fill(m, image.Rect(0, 0, size.X, 24), Chrome)
	win := DesktopWindow(size)
	fill(m, win, Chrome)
	DrawPage(m, DesktopPage(size), 0)
	return m
}

// LineHeight is the distance between the baselines of DrawPage's lines.
const LineHeight = 16

// DrawPage fills r with Paper and lines of word-like text in Ink, as a
// document or a terminal shows them. Pages of different seeds differ in
// every line.
func DrawPage(m *image.RGBA, r image.Rectangle, seed uint64) {
	fill(m, r, Paper)
	rng := rand.New(rand.NewPCG(7, seed))
	for y := r.Min.Y + LineHeight; y+4 < r.Max.Y; y += LineHeight {
		DrawText(m, image.Pt(r.Min.X+8, y), string(randomLine(rng, (r.Dx()-16)/7)), Ink)
	}
}

// DesktopWindow is the window of Desktop(size), title bar included.
func DesktopWindow(size image.Point) image.Rectangle {
	return image.Rect(size.X/10, size.Y*12/100, size.X*3/4, size.Y*9/10)
}

// DesktopPage is the text area of Desktop(size)'s window.
func DesktopPage(size image.Point) image.Rectangle {
	w := DesktopWindow(size)
	return image.Rect(w.Min.X+4, w.Min.Y+28, w.Max.X-4, w.Max.Y-4)
}

// randomLine returns a line of up to n characters of word-like text.
func randomLine(rng *rand.Rand, n int) []byte {
	line := make([]byte, 0, n)
	for len(line) < n-12 {
		for range 2 + rng.IntN(8) {
			line = append(line, byte('a'+rng.IntN(26)))
		}
		line = append(line, ' ')
	}
	return line[:len(line)-rng.IntN(len(line)/2+1)]
}

func fill(m *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(m, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// DrawText draws text in Font and colour c with its baseline starting at p
// and returns the text's bounds.
func DrawText(m *image.RGBA, p image.Point, text string, c color.Color) image.Rectangle {
	d := font.Drawer{Dst: m, Src: image.NewUniform(c), Face: Font, Dot: fixed.P(p.X, p.Y)}
	d.DrawString(text)
	b, _ := font.BoundString(Font, text)
	return image.Rect(p.X+b.Min.X.Floor(), p.Y+b.Min.Y.Floor(), p.X+b.Max.X.Ceil(), p.Y+b.Max.Y.Ceil())
}

// NewImageSource returns a Source showing a copy of m.
func NewImageSource(m image.Image) *Source {
	c := image.NewRGBA(image.Rectangle{Max: m.Bounds().Size()})
	draw.Draw(c, c.Rect, m, m.Bounds().Min, draw.Src)
	return &Source{img: c}
}

// Show replaces the picture with a copy of m (of the same size or not);
// later grabs see it.
func (s *Source) Show(m image.Image) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.img.Rect.Size() != m.Bounds().Size() {
		s.img = image.NewRGBA(image.Rectangle{Max: m.Bounds().Size()})
	}
	draw.Draw(s.img, s.img.Rect, m, m.Bounds().Min, draw.Src)
}

// Text draws s in Font with its baseline starting at p, in colour c, as a
// user typing would; later grabs see it. It returns the text's bounds.
func (s *Source) Text(p image.Point, text string, c color.Color) image.Rectangle {
	s.mu.Lock()
	defer s.mu.Unlock()
	return DrawText(s.img, p, text, c)
}

// Page redraws r as DrawPage does with the given seed; later grabs see it.
func (s *Source) Page(r image.Rectangle, seed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	DrawPage(s.img, r, seed)
}

// Scroll moves the content of r up by dy pixels (down when dy < 0), as a
// scrolled page does, and fills the uncovered rows with c.
func (s *Source) Scroll(r image.Rectangle, dy int, c color.Color) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r = r.Intersect(s.img.Rect)
	if dy == 0 || r.Empty() {
		return
	}
	moved := image.NewRGBA(r)
	draw.Draw(moved, r, s.img, r.Min, draw.Src)
	fill(s.img, r, c)
	// draw clips to moved's bounds, so the uncovered rows keep the fill.
	draw.Draw(s.img, r, moved, r.Min.Add(image.Pt(0, dy)), draw.Src)
}

// At returns the colour of the picture (without noise) at p.
func (s *Source) At(p image.Point) color.RGBA {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.img.RGBAAt(p.X, p.Y)
}

// SetNoise makes every later grab add fresh sensor-like noise to each
// pixel: the same Gaussian-like offset with standard deviation sigma (in
// levels of 255) on R, G and B, so the luma noise has that deviation. A
// camera image is never pixel-identical; this is that. 0 turns it off. The
// noise is deterministic for a given sequence of grabs.
func (s *Source) SetNoise(sigma float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noise = newNoise(sigma, 1)
}

// noise adds Gaussian-like pixel noise: the sum of four uniform bytes (an
// Irwin-Hall distribution, close to Gaussian and bounded) scaled to sigma,
// through a lookup table so a 1080p frame costs a few milliseconds.
type noise struct {
	rng   *rand.Rand
	table [1021]int16 // offset for each sum of four bytes
}

func newNoise(sigma float64, seed uint64) *noise {
	if sigma <= 0 {
		return nil
	}
	n := &noise{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	sd := math.Sqrt(4 * (256*256 - 1) / 12.0) // of a sum of four uniform bytes
	for i := range n.table {
		n.table[i] = int16(math.Round(float64(i-510) / sd * sigma))
	}
	return n
}

func (n *noise) add(m *image.RGBA) {
	var bits uint64
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		row := m.Pix[m.PixOffset(m.Rect.Min.X, y):m.PixOffset(m.Rect.Max.X, y)]
		for x := 0; x+3 < len(row); x += 4 {
			if x%8 == 0 {
				bits = n.rng.Uint64()
			}
			sum := bits&0xff + bits>>8&0xff + bits>>16&0xff + bits>>24&0xff
			bits >>= 32
			d := int(n.table[sum])
			for c := range 3 {
				row[x+c] = uint8(min(max(int(row[x+c])+d, 0), 255))
			}
		}
	}
}
