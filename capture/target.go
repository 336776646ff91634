package capture

import (
	"fmt"
	"image"
)

// Display is one monitor of the X screen.
type Display struct {
	Index   int
	Bounds  image.Rectangle // in root-window (virtual desktop) coordinates
	Primary bool
	Name    string // RandR monitor name (e.g. "DP-1"), empty when unknown
}

// ScreenTarget chooses what a Screen captures.
type ScreenTarget struct {
	// Display is the index of the display to capture, or -1 for all displays
	// side by side (the bounding box of the virtual desktop).
	Display int
	// Region, when not empty, is the part of the display (or of the whole
	// desktop when Display is -1) to capture, relative to its top-left
	// corner. It is clipped to the display.
	Region image.Rectangle
	// Cursor draws the mouse pointer into the frames (X captures leave it
	// out), so the model sees what the user points at. Needs XFixes.
	Cursor bool
	// Window, when not 0, is the ID of a top-level window (see Windows) to capture on its
	// own instead of a display: each frame follows the window wherever it moved or however it
	// was resized, windows stacked above it are painted over (MaskGray), and Display and Region
	// are ignored. While it is minimised Grab fails with ErrWindowHidden (a pause); once it is
	// closed, with ErrWindowGone. X11 only.
	Window uint32
}

// Window is a top-level window of the desktop that can be shared on its own.
type Window struct {
	ID     uint32          // the X window; 0 never names one
	Title  string          // "" when it has none
	Bounds image.Rectangle // in root-window coordinates, when listed
	Hidden bool            // minimised or unmapped: there is nothing to see now
	PID    int             // the owning process, 0 when it does not say
	Icon   image.Image     // the window's own icon, nil when it has none
}

// AllDisplays is the ScreenTarget.Display value that captures every display.
const AllDisplays = -1

// targetRect resolves t against the displays into root coordinates.
func targetRect(ds []Display, t ScreenTarget) (image.Rectangle, error) {
	var area image.Rectangle
	switch {
	case t.Display == AllDisplays:
		for _, d := range ds {
			area = area.Union(d.Bounds)
		}
	case t.Display >= 0 && t.Display < len(ds):
		area = ds[t.Display].Bounds
	default:
		return image.Rectangle{}, fmt.Errorf("display %d (have %d): %w", t.Display, len(ds), ErrNoSuchDisplay)
	}
	if t.Region.Empty() {
		return area, nil
	}
	r := t.Region.Add(area.Min).Intersect(area)
	if r.Empty() {
		return image.Rectangle{}, fmt.Errorf("region %v lies outside display %v (%dx%d)",
			t.Region, t.Display, area.Dx(), area.Dy())
	}
	return r, nil
}
