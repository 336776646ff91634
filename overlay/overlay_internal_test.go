package overlay

import (
	"image"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDragRect(t *testing.T) {
	bounds := image.Rect(0, 0, 960, 1080)
	tests := []struct {
		name string
		a, b image.Point
		want image.Rectangle
	}{
		{"down-right", image.Pt(10, 20), image.Pt(110, 220), image.Rect(10, 20, 110, 220)},
		{"up-left", image.Pt(110, 220), image.Pt(10, 20), image.Rect(10, 20, 110, 220)},
		{"up-right", image.Pt(10, 220), image.Pt(110, 20), image.Rect(10, 20, 110, 220)},
		{"off the right edge", image.Pt(900, 500), image.Pt(1500, 600), image.Rect(900, 500, 960, 600)},
		{"off the top-left", image.Pt(100, 100), image.Pt(-50, -70), image.Rect(0, 0, 100, 100)},
		{"entirely outside", image.Pt(1000, 10), image.Pt(1100, 20), image.Rectangle{}},
		{"no movement", image.Pt(5, 5), image.Pt(5, 5), image.Rectangle{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dragRect(tt.a, tt.b, bounds)
			if !got.Eq(tt.want) {
				t.Errorf("dragRect(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestIsRegion(t *testing.T) {
	tests := []struct {
		r    image.Rectangle
		want bool
	}{
		{image.Rect(0, 0, 4, 4), true},
		{image.Rect(10, 10, 13, 400), false}, // a vertical line is not a region
		{image.Rect(10, 10, 400, 13), false},
		{image.Rect(10, 10, 13, 13), false},
		{image.Rectangle{}, false},
		{image.Rect(0, 0, 1920, 1080), true},
	}
	for _, tt := range tests {
		if got := isRegion(tt.r); got != tt.want {
			t.Errorf("isRegion(%v) = %v, want %v", tt.r, got, tt.want)
		}
	}
}

// pixels lists the points of rs, with how many of rs hold each.
func pixels(rs ...image.Rectangle) map[image.Point]int {
	m := map[image.Point]int{}
	for _, r := range rs {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				m[image.Pt(x, y)]++
			}
		}
	}
	return m
}

func TestSubtract(t *testing.T) {
	a := image.Rect(10, 10, 30, 30)
	tests := []struct {
		name string
		a, b image.Rectangle
	}{
		{"disjoint", a, image.Rect(40, 40, 50, 50)},
		{"equal", a, a},
		{"b inside", a, image.Rect(15, 15, 20, 25)},
		{"a inside", a, image.Rect(0, 0, 100, 100)},
		{"overlap top-left", a, image.Rect(0, 0, 20, 20)},
		{"overlap right strip", a, image.Rect(25, 0, 100, 100)},
		{"empty a", image.Rectangle{}, a},
		{"empty b", a, image.Rectangle{}},
		{"grow down-right", image.Rect(100, 100, 200, 200), image.Rect(100, 100, 250, 260)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := subtract(tt.a, tt.b)
			// Compare as pixel sets: a minus b, each pixel covered exactly once.
			want := map[image.Point]int{}
			for p := range pixels(tt.a) {
				if !p.In(tt.b) {
					want[p] = 1
				}
			}
			if diff := cmp.Diff(want, pixels(got...)); diff != "" {
				t.Errorf("subtract(%v, %v) = %v; pixels (-want +got):\n%s", tt.a, tt.b, got, diff)
			}
			if len(got) > 4 {
				t.Errorf("subtract gave %d rectangles, want at most 4", len(got))
			}
		})
	}
}

func TestEdges(t *testing.T) {
	tests := []struct {
		name string
		r    image.Rectangle
	}{
		{"normal", image.Rect(10, 20, 110, 70)},
		{"thin", image.Rect(10, 20, 13, 70)},
		{"tiny", image.Rect(0, 0, 1, 1)},
		{"empty", image.Rectangle{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pixels(edges(tt.r, 2)...)
			want := map[image.Point]int{}
			for p := range pixels(tt.r) {
				if p.X < tt.r.Min.X+2 || p.X >= tt.r.Max.X-2 || p.Y < tt.r.Min.Y+2 || p.Y >= tt.r.Max.Y-2 {
					want[p] = 1
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("edges(%v, 2) pixels (-want +got):\n%s", tt.r, diff)
			}
		})
	}
}

func TestLabelRect(t *testing.T) {
	bounds := image.Rect(0, 0, 960, 1080)
	size := image.Pt(60, 19)
	tests := []struct {
		name string
		band image.Rectangle
		want image.Rectangle
	}{
		{"below", image.Rect(100, 100, 300, 250), image.Rect(100, 254, 160, 273)},
		{"above when no room below", image.Rect(100, 900, 300, 1070), image.Rect(100, 877, 160, 896)},
		{"inside when the band fills the height", image.Rect(100, 0, 300, 1080), image.Rect(104, 4, 164, 23)},
		{"pulled in from the right edge", image.Rect(940, 100, 960, 200), image.Rect(900, 204, 960, 223)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := labelRect(tt.band, size, bounds)
			if !got.Eq(tt.want) {
				t.Errorf("labelRect(%v) = %v, want %v", tt.band, got, tt.want)
			}
			if !got.In(bounds) {
				t.Errorf("labelRect(%v) = %v, outside %v", tt.band, got, bounds)
			}
		})
	}
}
