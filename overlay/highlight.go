package overlay

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// HighlightTitle is the name (_NET_WM_NAME; WM_NAME is the ASCII form) of the windows a
// Highlighter puts on the screen, for tools that list windows and for tests.
const HighlightTitle = "Live Desk — highlight"

// HighlightProperty names the X property (CARDINAL, format 32, this process's ID) that marks a
// Highlighter's windows. They carry no _NET_WM_PID on purpose: the capture side greys out the
// app's own windows by that mark, which would grey the very thing the user is shown. It skips
// windows with this mark instead and paints Covered back into its frames.
const HighlightProperty = "_LIVEDESK_HIGHLIGHT"

// Box is one thing to point at: a rectangle in root-window (virtual desktop) coordinates and a
// short label.
type Box struct {
	Rect  image.Rectangle
	Label string
}

const (
	// maxHighlights bounds one Show: more outlines than this point at nothing in particular.
	maxHighlights = 8
	// highlightBorder is the bright part of the outline.
	highlightBorder = 3
	// highlightContour is the dark line on both sides of the bright part, so the outline shows on
	// light and dark screens alike.
	highlightContour = 1
	// highlightRing is the whole outline, contours included.
	highlightRing = highlightBorder + 2*highlightContour
	// highlightOutside is how far the outline's outer edge lies outside the box: the bright part
	// straddles the box's edge, so every pixel of the outline is within 3 px of it.
	highlightOutside = 3
	// highlightInflate is how much larger than the box the outline starts: a shrinking outline
	// catches the eye where a static one appearing does not.
	highlightInflate = 12
	// highlightSteps is how many moves the outline takes to shrink onto the box. Each move is
	// at most highlightRing px, so the rings of consecutive steps touch and Covered can be a few
	// strips rather than one rectangle per step.
	highlightSteps = 4
	// highlightAnimation is how long the shrinking takes.
	highlightAnimation = 150 * time.Millisecond
	// maxLabel is the longest label, in characters, ellipsis included: a label names a thing,
	// it does not explain it.
	maxLabel = 40
)

// unsupportedError says why highlighting cannot work in this session. It wraps ErrUnsupported
// but words the message itself: ErrUnsupported's own text speaks of region selection.
type unsupportedError struct{ reason string }

func (e *unsupportedError) Error() string {
	return "highlighting on the screen is not supported here: " + e.reason
}

func (e *unsupportedError) Unwrap() error { return ErrUnsupported }

var errHighlighterClosed = errors.New("show highlights: the highlighter is closed")

// checkHighlight rejects a Show that could never show anything, before any X traffic.
func checkHighlight(boxes []Box, d time.Duration) error {
	if len(boxes) == 0 {
		return errors.New("show highlights: no boxes")
	}
	if len(boxes) > maxHighlights {
		return fmt.Errorf("show highlights: %d boxes, at most %d", len(boxes), maxHighlights)
	}
	if d <= 0 {
		return fmt.Errorf("show highlights: duration %v, want more than 0", d)
	}
	for i, b := range boxes {
		if b.Rect.Empty() {
			return fmt.Errorf("show highlights: box %d (%v) is empty", i+1, b.Rect)
		}
	}
	return nil
}

// highlightFrame is what one box shows at one step of the animation, in root coordinates.
type highlightFrame struct {
	outer  image.Rectangle   // the outline's outer edge
	dark   []image.Rectangle // the whole outline; the bright part covers most of it
	bright []image.Rectangle
	label  image.Rectangle // empty without a label
}

// highlightFrames lays out box (already clipped to screen) for every step of the animation,
// from inflated to resting on the box. Near the screen's edge the outline moves inwards rather
// than off the screen.
func highlightFrames(box image.Rectangle, labelSize image.Point, screen image.Rectangle) []highlightFrame {
	frames := make([]highlightFrame, highlightSteps+1)
	for k := range frames {
		inflate := highlightInflate * (highlightSteps - k) / highlightSteps
		outer := box.Inset(-(highlightOutside + inflate)).Intersect(screen)
		f := highlightFrame{
			outer:  outer,
			dark:   edges(outer, highlightRing),
			bright: edges(outer.Inset(highlightContour), highlightBorder),
		}
		if labelSize.X > 0 && labelSize.Y > 0 {
			f.label = labelRect(outer, labelSize, screen)
		}
		frames[k] = f
	}
	return frames
}

// highlightCovered returns rectangles that together hold every pixel frames ever shows: the
// band between the largest outer edge and the smallest hole, and the span of the label's
// positions. It may hold a few more, which is harmless: those are restored to what the screen
// showed anyway.
func highlightCovered(frames []highlightFrame) []image.Rectangle {
	if len(frames) == 0 {
		return nil
	}
	var outer, label, hole image.Rectangle
	for i, f := range frames {
		outer = outer.Union(f.outer)
		label = label.Union(f.label)
		h := f.outer.Inset(highlightRing)
		if f.outer.Dx() <= 2*highlightRing || f.outer.Dy() <= 2*highlightRing {
			h = image.Rectangle{} // edges fills thin outlines completely
		}
		if i == 0 {
			hole = h
		} else {
			hole = hole.Intersect(h)
		}
	}
	rs := subtract(outer, hole)
	if !label.Empty() {
		rs = append(rs, label)
	}
	return rs
}

// labelText makes s fit on one short line: control characters become spaces, and text beyond
// maxLabel characters is cut with an ellipsis (three dots when the font has no "…").
func labelText(s string, unicodeFont bool) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s))
	if utf8.RuneCountInString(s) <= maxLabel {
		return s
	}
	ellipsis := "…"
	if !unicodeFont {
		ellipsis = "..."
	}
	keep := maxLabel - utf8.RuneCountInString(ellipsis)
	for i := range s {
		if keep == 0 {
			return strings.TrimSpace(s[:i]) + ellipsis
		}
		keep--
	}
	return s
}
