// Package capturetest provides test doubles for package capture: a Source
// whose picture tests control (a desktop with text, typing, scrolling, a
// caret to blink, sensor-like noise), and a fake V4L2 Camera that produces
// real MJPEG (with or without Huffman tables) and YUYV frames, optionally of
// a still, noisy scene, so the webcam and pipeline code run headless on
// machines without /dev/video*.
package capturetest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"sync"
)

// Quadrant colours of Pattern, in order top-left, top-right, bottom-left,
// bottom-right. They are far apart in every channel so JPEG and scaling
// errors cannot confuse them.
var Quadrants = [4]color.RGBA{
	{R: 220, G: 30, B: 30, A: 255},
	{R: 30, G: 200, B: 40, A: 255},
	{R: 30, G: 40, B: 210, A: 255},
	{R: 240, G: 230, B: 40, A: 255},
}

// Pattern returns an image of the given size split into four solid
// quadrants coloured Quadrants.
func Pattern(size image.Point) *image.RGBA {
	m := image.NewRGBA(image.Rectangle{Max: size})
	cx, cy := size.X/2, size.Y/2
	rects := [4]image.Rectangle{
		image.Rect(0, 0, cx, cy), image.Rect(cx, 0, size.X, cy),
		image.Rect(0, cy, cx, size.Y), image.Rect(cx, cy, size.X, size.Y),
	}
	for i, r := range rects {
		draw.Draw(m, r, image.NewUniform(Quadrants[i]), image.Point{}, draw.Src)
	}
	return m
}

// QuadrantCentres returns the centre points of Pattern's quadrants for an
// image of the given size.
func QuadrantCentres(size image.Point) [4]image.Point {
	x0, x1 := size.X/4, size.X*3/4
	y0, y1 := size.Y/4, size.Y*3/4
	return [4]image.Point{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}}
}

// Near reports whether a and b differ by at most tol in each of R, G and B.
func Near(a, b color.Color, tol int) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) bool {
		v := int(x>>8) - int(y>>8)
		return v <= tol && v >= -tol
	}
	return d(ar, br) && d(ag, bg) && d(ab, bb)
}

// Source is a capture.Source showing an image the test changes at will.
// It is safe for concurrent use.
type Source struct {
	mu     sync.Mutex
	img    *image.RGBA
	out    *image.RGBA
	fail   []error
	grabs  int
	closed bool
	noise  *noise // nil: grabs are exact copies
}

// NewSource returns a Source of the given size filled with c.
func NewSource(size image.Point, c color.Color) *Source {
	s := &Source{img: image.NewRGBA(image.Rectangle{Max: size})}
	s.Fill(s.img.Rect, c)
	return s
}

// NewPatternSource returns a Source showing Pattern(size).
func NewPatternSource(size image.Point) *Source {
	return &Source{img: Pattern(size)}
}

// Fill paints r in colour c; later grabs see it.
func (s *Source) Fill(r image.Rectangle, c color.Color) {
	s.mu.Lock()
	defer s.mu.Unlock()
	draw.Draw(s.img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// FailNext makes the next len(errs) grabs return these errors in order.
func (s *Source) FailNext(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, errs...)
}

// Grab returns a copy of the current picture in a buffer reused by the next
// Grab, like the real sources.
func (s *Source) Grab(ctx context.Context) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grabs++
	if len(s.fail) > 0 {
		err := s.fail[0]
		s.fail = s.fail[1:]
		return nil, err
	}
	if s.out == nil || s.out.Rect != s.img.Rect {
		s.out = image.NewRGBA(s.img.Rect)
	}
	copy(s.out.Pix, s.img.Pix)
	if s.noise != nil {
		s.noise.add(s.out)
	}
	return s.out, nil
}

// Grabs returns how many times Grab was called.
func (s *Source) Grabs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grabs
}

// Close marks the source closed.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Closed reports whether Close was called.
func (s *Source) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// EncodeJPEG encodes m with image/jpeg at quality 90.
func EncodeJPEG(m image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}); err != nil {
		return nil, fmt.Errorf("capturetest: encode jpeg: %w", err)
	}
	return b.Bytes(), nil
}

// StripDHT returns a copy of a JPEG file without its DHT (Huffman table)
// segments, as many UVC cameras send MJPEG frames.
func StripDHT(jpg []byte) []byte {
	out := append([]byte(nil), jpg[:2]...)
	i := 2
	for i+4 <= len(jpg) && jpg[i] == 0xff {
		marker := jpg[i+1]
		if marker == 0xda { // start of scan: the rest is entropy-coded data
			break
		}
		n := int(jpg[i+2])<<8 | int(jpg[i+3])
		if marker != 0xc4 {
			out = append(out, jpg[i:i+2+n]...)
		}
		i += 2 + n
	}
	return append(out, jpg[i:]...)
}

// EncodeYUYV converts m to packed YUYV 4:2:2 with BT.601 limited-range
// coefficients, as UVC cameras send it. The width must be even.
func EncodeYUYV(m image.Image) []byte {
	b := m.Bounds()
	out := make([]byte, 0, b.Dx()*b.Dy()*2)
	yuv := func(c color.Color) (y, u, v float64) {
		r16, g16, b16, _ := c.RGBA()
		r, g, bl := float64(r16>>8), float64(g16>>8), float64(b16>>8)
		y = 16 + (65.481*r+128.553*g+24.966*bl)/255
		u = 128 + (-37.797*r-74.203*g+112.0*bl)/255
		v = 128 + (112.0*r-93.786*g-18.214*bl)/255
		return y, u, v
	}
	clip := func(f float64) byte {
		f += 0.5
		if f < 0 {
			return 0
		}
		if f > 255 {
			return 255
		}
		return byte(f)
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x+1 < b.Max.X; x += 2 {
			y0, u0, v0 := yuv(m.At(x, y))
			y1, u1, v1 := yuv(m.At(x+1, y))
			out = append(out, clip(y0), clip((u0+u1)/2), clip(y1), clip((v0+v1)/2))
		}
	}
	return out
}
