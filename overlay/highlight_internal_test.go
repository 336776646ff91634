package overlay

import (
	"image"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var highlightScreen = image.Rect(0, 0, 1920, 1080)

// TestHighlightFramesEnd checks where the outline rests after the animation: every pixel of it
// within 3 px of the box's edges, its bright part touching the edge, and the inside of the box
// (more than 2 px in) left alone.
func TestHighlightFramesEnd(t *testing.T) {
	tests := []struct {
		name string
		box  image.Rectangle
	}{
		{"middle of the screen", image.Rect(400, 300, 600, 420)},
		{"top-left corner", image.Rect(0, 0, 100, 80)},
		{"bottom-right corner", image.Rect(1800, 1000, 1920, 1080)},
		{"small", image.Rect(50, 60, 54, 63)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := highlightFrames(tt.box, image.Point{}, highlightScreen)
			if len(frames) != highlightSteps+1 {
				t.Fatalf("%d frames, want %d", len(frames), highlightSteps+1)
			}
			last := frames[len(frames)-1]
			near := tt.box.Inset(-highlightOutside)
			inside := tt.box.Inset(highlightOutside)
			// At the screen's edge the outline moves inwards to stay visible: 5 px instead of 3.
			const inwards = highlightRing - highlightOutside
			if tt.box.Min.X == highlightScreen.Min.X {
				inside.Min.X += inwards
			}
			if tt.box.Min.Y == highlightScreen.Min.Y {
				inside.Min.Y += inwards
			}
			if tt.box.Max.X == highlightScreen.Max.X {
				inside.Max.X -= inwards
			}
			if tt.box.Max.Y == highlightScreen.Max.Y {
				inside.Max.Y -= inwards
			}
			for p := range pixels(last.dark...) {
				if !p.In(near) || p.In(inside) {
					t.Fatalf("outline pixel %v is too far from the edges of %v", p, tt.box)
				}
				if !p.In(highlightScreen) {
					t.Fatalf("outline pixel %v is off the screen", p)
				}
			}
			bright := pixels(last.bright...)
			if len(bright) == 0 {
				t.Fatal("no bright pixels")
			}
			for p := range bright {
				if !p.In(near) {
					t.Fatalf("bright pixel %v is outside the dark outline", p)
				}
			}
			// The bright part shows on every edge of a box that is not tiny.
			if tt.box.Dx() > 20 {
				for _, p := range []image.Point{
					{tt.box.Min.X + 1, (tt.box.Min.Y + tt.box.Max.Y) / 2},
					{tt.box.Max.X - 2, (tt.box.Min.Y + tt.box.Max.Y) / 2},
					{(tt.box.Min.X + tt.box.Max.X) / 2, tt.box.Min.Y + 1},
					{(tt.box.Min.X + tt.box.Max.X) / 2, tt.box.Max.Y - 2},
				} {
					found := false
					for q := range bright {
						if abs(q.X-p.X) <= 3 && q.Y == p.Y || abs(q.Y-p.Y) <= 3 && q.X == p.X {
							found = true
							break
						}
					}
					if !found {
						t.Errorf("no bright pixel within 3 px of %v", p)
					}
				}
			}
		})
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// TestHighlightFramesShrink checks that the outline starts inflated and moves onto the box in
// steps small enough for consecutive rings to touch.
func TestHighlightFramesShrink(t *testing.T) {
	box := image.Rect(400, 300, 600, 420)
	frames := highlightFrames(box, image.Pt(60, 20), highlightScreen)
	if got, want := frames[0].outer, box.Inset(-highlightOutside-highlightInflate); got != want {
		t.Errorf("first frame's outer edge = %v, want %v", got, want)
	}
	for k := 1; k < len(frames); k++ {
		step := frames[k].outer.Min.X - frames[k-1].outer.Min.X
		if step <= 0 || step > highlightRing {
			t.Errorf("step %d moves the outline by %d px, want 1..%d", k, step, highlightRing)
		}
		if frames[k].label.Empty() || frames[k].label.Overlaps(frames[k].outer.Inset(highlightRing)) {
			t.Errorf("step %d: label %v missing or inside the box", k, frames[k].label)
		}
	}
}

// TestHighlightCovered checks that the rectangles Covered is taken from hold every pixel any
// frame shows.
func TestHighlightCovered(t *testing.T) {
	tests := []struct {
		name  string
		box   image.Rectangle
		label image.Point
	}{
		{"middle", image.Rect(400, 300, 600, 420), image.Pt(80, 21)},
		{"no label", image.Rect(400, 300, 600, 420), image.Point{}},
		{"corner", image.Rect(0, 0, 50, 40), image.Pt(80, 21)},
		{"bottom edge, label above", image.Rect(700, 1050, 900, 1080), image.Pt(80, 21)},
		{"thin", image.Rect(100, 100, 104, 300), image.Pt(30, 21)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := highlightFrames(tt.box, tt.label, highlightScreen)
			covered := pixels(highlightCovered(frames)...)
			for k, f := range frames {
				for p := range pixels(append(append(f.dark, f.bright...), f.label)...) {
					if covered[p] == 0 {
						t.Fatalf("frame %d shows %v, which Covered lacks", k, p)
					}
				}
			}
			// The inside of the box, away from the outline, stays out of Covered: frames painted
			// back there would hide what changes inside the box.
			if in := tt.box.Inset(highlightOutside); !in.Empty() && tt.label == (image.Point{}) {
				for p := range pixels(in) {
					if covered[p] > 0 {
						t.Fatalf("Covered holds %v, inside the box", p)
					}
				}
			}
		})
	}
}

func TestLabelText(t *testing.T) {
	long := strings.Repeat("ä", 50)
	tests := []struct {
		name    string
		in      string
		unicode bool
		want    string
	}{
		{"short", "Settings", true, "Settings"},
		{"spaces trimmed", "  gear icon \n", true, "gear icon"},
		{"control characters", "a\tb\x00c", true, "a b c"},
		{"empty", "", true, ""},
		{"only spaces", " \n ", false, ""},
		{"40 characters kept", strings.Repeat("x", 40), true, strings.Repeat("x", 40)},
		{"long, unicode ellipsis", long, true, strings.Repeat("ä", 39) + "…"},
		{"long, ASCII dots", long, false, strings.Repeat("ä", 37) + "..."},
		{"invalid UTF-8", "ab\xffc", true, "ab c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := labelText(tt.in, tt.unicode)
			if got != tt.want {
				t.Errorf("labelText(%q, %v) = %q, want %q", tt.in, tt.unicode, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > maxLabel {
				t.Errorf("labelText(%q) has %d characters, want at most %d", tt.in, n, maxLabel)
			}
		})
	}
}

func TestCheckHighlight(t *testing.T) {
	box := Box{Rect: image.Rect(10, 10, 50, 50)}
	tests := []struct {
		name    string
		boxes   []Box
		d       time.Duration
		wantErr string
	}{
		{"one box", []Box{box}, time.Second, ""},
		{"eight boxes", make8(box), time.Second, ""},
		{"no boxes", nil, time.Second, "no boxes"},
		{"nine boxes", append(make8(box), box), time.Second, "9 boxes, at most 8"},
		{"empty box", []Box{box, {Rect: image.Rect(5, 5, 5, 9)}}, time.Second, "box 2"},
		{"no duration", []Box{box}, 0, "duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkHighlight(tt.boxes, tt.d)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("checkHighlight = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func make8(b Box) []Box {
	bs := make([]Box, 8)
	for i := range bs {
		bs[i] = b
	}
	return bs
}
