package capture_test

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"testing"

	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/capture/capturetest"
)

// ring draws the part of an annulus (radii r0..r1 around c) between the
// angles from and to (degrees), as a spinner is drawn.
func ring(m *image.RGBA, c image.Point, r0, r1, from, to float64, col color.Color) {
	for y := c.Y - int(r1) - 1; y <= c.Y+int(r1)+1; y++ {
		for x := c.X - int(r1) - 1; x <= c.X+int(r1)+1; x++ {
			dx, dy := float64(x-c.X)+0.5, float64(y-c.Y)+0.5
			d := math.Hypot(dx, dy)
			a := math.Atan2(dy, dx)*180/math.Pi + 180
			if d >= r0 && d <= r1 && (a >= from && a < to || a+360 >= from && a+360 < to) {
				m.Set(x, y, col)
			}
		}
	}
}

// TestChangeShapes draws the small changes a desktop keeps making and the
// small changes a user makes on a desktop-like screen, at every offset
// against the 8-pixel change grid of a 1600- to 2048-pixel-wide screen, and
// checks which count as changed. The screen is a 1600×300 strip of one, so
// that 64 offsets stay quick under the race detector.
func TestChangeShapes(t *testing.T) {
	caret := func(h int) func(before, after *image.RGBA, p image.Point) {
		return func(_, after *image.RGBA, p image.Point) {
			draw.Draw(after, image.Rectangle{p, p.Add(image.Pt(3, h))}, image.NewUniform(capturetest.Ink), image.Point{}, draw.Src)
		}
	}
	text := func(before, after string) func(b, a *image.RGBA, p image.Point) {
		return func(b, a *image.RGBA, p image.Point) {
			if before != "" {
				capturetest.DrawText(b, p.Add(image.Pt(0, 11)), before, capturetest.Ink)
			}
			capturetest.DrawText(a, p.Add(image.Pt(0, 11)), after, capturetest.Ink)
		}
	}
	spinner := func(size float64) func(b, a *image.RGBA, p image.Point) {
		return func(b, a *image.RGBA, p image.Point) {
			c := p.Add(image.Pt(int(size/2), int(size/2)))
			ring(b, c, size/3, size/2, 0, 270, capturetest.Ink)
			ring(a, c, size/3, size/2, 90, 360, capturetest.Ink) // a quarter turn on
		}
	}
	tests := []struct {
		name string
		draw func(before, after *image.RGBA, p image.Point)
		want bool
	}{
		{"caret 3×25 px", caret(25), false},
		{"caret 3×32 px", caret(32), false},
		{"clock seconds 12:34:56 → 57", text("12:34:56", "12:34:57"), false},
		{"clock seconds 12:34:19 → 20", text("12:34:19", "12:34:20"), false},
		{"spinner 16 px", spinner(16), false},
		{"spinner 24 px", spinner(24), false},
		{"typed word hello", text("", "hello"), true},
		{"typed words hello world", text("", "hello world"), true},
		{"line edited", text("the quick brown fox", "the slow brown fox"), true},
		{"button 60×20 px highlighted", func(_, a *image.RGBA, p image.Point) {
			draw.Draw(a, image.Rectangle{p, p.Add(image.Pt(60, 20))}, image.NewUniform(color.RGBA{60, 120, 220, 255}), image.Point{}, draw.Src)
		}, true},
	}
	for _, size := range []image.Point{{1600, 300}} {
		base := capturetest.Desktop(size)
		page := capturetest.DesktopPage(size)
		blank := image.Rect(page.Min.X+8, page.Min.Y+96, page.Max.X-8, page.Min.Y+160)
		draw.Draw(base, blank, image.NewUniform(capturetest.Paper), image.Point{}, draw.Src)
		before, after := image.NewRGBA(base.Rect), image.NewRGBA(base.Rect)
		for _, tt := range tests {
			got := 0
			for off := range 64 { // every phase against the grid, in x and y
				copy(before.Pix, base.Pix)
				copy(after.Pix, base.Pix)
				p := blank.Min.Add(image.Pt(16+off%8, 8+off/8))
				tt.draw(before, after, p)
				if capture.CompareFrames(after, before, 0).Changed {
					got++
				}
			}
			want := 0
			if tt.want {
				want = 64
			}
			if got != want {
				t.Errorf("%v %s: counted as changed at %d of 64 offsets, want %d", size, tt.name, got, want)
			}
		}
	}
}
