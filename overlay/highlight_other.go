//go:build !linux

package overlay

import (
	"image"
	"runtime"
	"time"
)

// Highlighter shows outlined, labelled boxes on top of the desktop. Only X11 (Linux) can show
// them so far; here Show returns ErrUnsupported.
type Highlighter struct{}

// NewHighlighter returns a Highlighter.
func NewHighlighter() *Highlighter { return &Highlighter{} }

// Show would show boxes for d; on this platform it returns an error wrapping ErrUnsupported
// (after the same checks of its arguments as on X11).
func (h *Highlighter) Show(boxes []Box, d time.Duration) error {
	if err := checkHighlight(boxes, d); err != nil {
		return err
	}
	return &unsupportedError{"there is no overlay for " + runtime.GOOS + " yet"}
}

// Hide does nothing: nothing is ever shown.
func (h *Highlighter) Hide() {}

// Shown is always false.
func (h *Highlighter) Shown() bool { return false }

// Covered is always nil.
func (h *Highlighter) Covered() []*image.RGBA { return nil }

// Close does nothing.
func (h *Highlighter) Close() {}
