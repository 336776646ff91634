package call

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/livedesk/livedesk/live"
	"github.com/livedesk/livedesk/overlay"
)

// Highlighter outlines boxes on the desktop (overlay.Highlighter). Covered returns what the
// outlines hide, so that frames of a shared screen show those pixels instead.
type Highlighter interface {
	Show(boxes []overlay.Box, d time.Duration) error
	Hide()
	Covered() []*image.RGBA
}

// pointing is a run's current highlight: the model's pointing lasts until its time runs out,
// the user speaks or types, the model is interrupted, or the share changes.
type pointing struct {
	mu       sync.Mutex
	gen      uint64 // counts highlights, so a late timer cannot end a newer one
	shown    bool
	timer    *time.Timer
	notified bool // the user was told the desktop cannot be drawn on
}

// highlight carries out a highlight_on_screen call on run r: it maps the boxes from the frame
// the model saw last onto the desktop and outlines them there (a screen share), or has the
// window draw them on its preview (a camera share, or a system without the overlay). It
// returns how many boxes are shown.
func (c *Call) highlight(r *run, h live.Highlight) (int, error) {
	sh := r.share.Load()
	if sh == nil {
		return 0, errors.New("nothing is being shared: the user must share a screen, window or camera before you can point at something")
	}
	f, ok := sh.lastSent()
	if !ok {
		return 0, errors.New("no image of what the user shares has been sent yet: wait for it, then point")
	}
	boxes := make([]PointedBox, len(h.Boxes))
	for i, b := range h.Boxes {
		boxes[i] = PointedBox{X0: b.XMin / 1000, Y0: b.YMin / 1000, X1: b.XMax / 1000, Y1: b.YMax / 1000, Label: b.Label}
	}

	r.point.mu.Lock()
	defer r.point.mu.Unlock()
	onScreen := false
	if !f.Area.Empty() && c.opt.Highlighter != nil {
		area := f.Area
		if sh.spec.Window != 0 {
			// A shared window may have moved since the frame: the boxes go with it.
			if now, ok := sh.locate(); ok {
				area = image.Rectangle{Min: now.Min, Max: now.Min.Add(area.Size())}
			}
		}
		err := c.opt.Highlighter.Show(desktopBoxes(boxes, area), h.For)
		onScreen = err == nil
		if err != nil {
			c.diag(r.id, DiagWarning, "highlight on the screen: %v", err)
			if !r.point.notified {
				r.point.notified = true
				c.deliver(r.id, NoticeEvent{Text: fmt.Sprintf("Gemini pointed at something on your screen, but Live Desk cannot draw on this desktop (%v); the boxes are drawn on the preview instead.", err)})
			}
		}
	}
	r.point.gen++
	gen := r.point.gen
	r.point.shown = true
	if r.point.timer != nil {
		r.point.timer.Stop()
	}
	// Stopped by endHighlight and by the run's teardown.
	r.point.timer = time.AfterFunc(h.For, func() { c.endHighlight(r, gen) })
	c.deliver(r.id, HighlightEvent{Run: r.id, Boxes: boxes, OnScreen: onScreen, At: time.Now()})
	return len(boxes), nil
}

// endHighlight removes the run's highlight, if any; gen 0 ends whichever is shown, another
// value only that highlight (its timer).
func (c *Call) endHighlight(r *run, gen uint64) {
	r.point.mu.Lock()
	defer r.point.mu.Unlock()
	if !r.point.shown || (gen != 0 && gen != r.point.gen) {
		return
	}
	r.point.shown = false
	if r.point.timer != nil {
		r.point.timer.Stop()
		r.point.timer = nil
	}
	if c.opt.Highlighter != nil {
		c.opt.Highlighter.Hide()
	}
	c.deliver(r.id, HighlightEvent{Run: r.id, At: time.Now()})
}

// desktopBoxes maps boxes (fractions of a frame) onto area, the part of the desktop the frame
// showed.
func desktopBoxes(boxes []PointedBox, area image.Rectangle) []overlay.Box {
	out := make([]overlay.Box, len(boxes))
	at := func(min int, size int, f float64) int { return min + int(math.Round(f*float64(size))) }
	for i, b := range boxes {
		out[i] = overlay.Box{
			Rect: image.Rect(at(area.Min.X, area.Dx(), b.X0), at(area.Min.Y, area.Dy(), b.Y0),
				at(area.Min.X, area.Dx(), b.X1), at(area.Min.Y, area.Dy(), b.Y1)),
			Label: b.Label,
		}
	}
	return out
}

// PointedWhat names what boxes point at: their labels, or their numbers ("#2") where the
// model gave none. The window's and the journal's markers are built from it.
func PointedWhat(boxes []PointedBox) string {
	what := make([]string, len(boxes))
	for i, b := range boxes {
		what[i] = b.Label
		if b.Label == "" {
			what[i] = fmt.Sprintf("#%d", i+1)
		}
	}
	return strings.Join(what, ", ")
}

// PointedNote is the journal's and the terminal's marker for a highlight, e.g. "pointed at:
// Settings gear".
func PointedNote(boxes []PointedBox) string { return "pointed at: " + PointedWhat(boxes) }
