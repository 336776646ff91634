// Package overlay puts Live Desk's own short-lived windows on top of the desktop: today a
// full-screen selector that lets the user drag a rectangle to choose the part of a display to
// share (SelectRegion). It is X11-only; elsewhere SelectRegion returns ErrUnsupported.
//
// The windows carry _NET_WM_PID of this process, so the capture side's masking of the app's own
// windows hides them from frames sent to the model.
package overlay

import (
	"errors"
	"image"
)

// Errors callers can test with errors.Is.
var (
	// ErrCancelled: the user dismissed the selector (Esc or a right click) without choosing.
	ErrCancelled = errors.New("region selection cancelled")
	// ErrUnsupported: this platform or session has no way to show the selector (not X11, or no
	// X server to talk to).
	ErrUnsupported = errors.New("region selection is not supported here")
)

// Title is the selector window's name (WM_NAME is the ASCII form), shown by tools that list
// windows and used by tests to find it.
const Title = "Live Desk — drag to choose a region"

// minDrag is the smallest width and height, in pixels, that counts as a region: anything
// smaller is a click (or a slip of the hand), and the selector keeps waiting.
const minDrag = 4

// dragRect is the region from a drag between a and b (either order, either direction),
// clipped to bounds. The pixel under b is outside it, as in image.Rect.
func dragRect(a, b image.Point, bounds image.Rectangle) image.Rectangle {
	return image.Rect(a.X, a.Y, b.X, b.Y).Intersect(bounds)
}

// isRegion reports whether r is big enough to be meant as a region rather than a click.
func isRegion(r image.Rectangle) bool {
	return r.Dx() >= minDrag && r.Dy() >= minDrag
}

// subtract returns up to four disjoint rectangles that together cover a minus b.
func subtract(a, b image.Rectangle) []image.Rectangle {
	if a.Empty() {
		return nil
	}
	in := a.Intersect(b)
	if in.Empty() {
		return []image.Rectangle{a}
	}
	var out []image.Rectangle
	add := func(r image.Rectangle) {
		if !r.Empty() {
			out = append(out, r)
		}
	}
	add(image.Rect(a.Min.X, a.Min.Y, a.Max.X, in.Min.Y))   // above, full width
	add(image.Rect(a.Min.X, in.Max.Y, a.Max.X, a.Max.Y))   // below, full width
	add(image.Rect(a.Min.X, in.Min.Y, in.Min.X, in.Max.Y)) // left, between
	add(image.Rect(in.Max.X, in.Min.Y, a.Max.X, in.Max.Y)) // right, between
	return out
}

// edges returns the strips of width w along the inside of r's border (fewer when r is thin),
// where the rubber band's outline is drawn.
func edges(r image.Rectangle, w int) []image.Rectangle {
	if r.Empty() {
		return nil
	}
	if r.Dx() <= 2*w || r.Dy() <= 2*w {
		return []image.Rectangle{r}
	}
	return []image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+w),
		image.Rect(r.Min.X, r.Max.Y-w, r.Max.X, r.Max.Y),
		image.Rect(r.Min.X, r.Min.Y+w, r.Min.X+w, r.Max.Y-w),
		image.Rect(r.Max.X-w, r.Min.Y+w, r.Max.X, r.Max.Y-w),
	}
}

// labelRect places a label of the given size next to the band within bounds: below its
// bottom-left corner, else above its top-left corner, else inside it.
func labelRect(band image.Rectangle, size image.Point, bounds image.Rectangle) image.Rectangle {
	const gap = 4
	at := image.Pt(band.Min.X, band.Max.Y+gap)
	if at.Y+size.Y > bounds.Max.Y {
		at.Y = band.Min.Y - gap - size.Y
	}
	if at.Y < bounds.Min.Y {
		at = band.Min.Add(image.Pt(gap, gap))
	}
	at.X = max(bounds.Min.X, min(at.X, bounds.Max.X-size.X))
	at.Y = max(bounds.Min.Y, min(at.Y, bounds.Max.Y-size.Y))
	return image.Rectangle{at, at.Add(size)}.Intersect(bounds)
}
