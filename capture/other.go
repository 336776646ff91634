//go:build !linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/kbinani/screenshot"
)

// Displays lists the monitors. kbinani/screenshot reports the primary display first on
// Windows and macOS.
func Displays() ([]Display, error) {
	n := screenshot.NumActiveDisplays()
	if n == 0 {
		return nil, fmt.Errorf("no display found: %w", ErrNoDisplay)
	}
	ds := make([]Display, n)
	for i := range n {
		ds[i] = Display{Index: i, Bounds: screenshot.GetDisplayBounds(i), Primary: i == 0}
	}
	return ds, nil
}

// Screen captures part of the desktop through kbinani/screenshot (Windows: GDI, macOS:
// CoreGraphics). The X11 fast path with shared memory is Linux-only (screen.go).
type Screen struct {
	mu     sync.Mutex
	target ScreenTarget
	rect   image.Rectangle
	closed bool
}

// ErrWindowsUnsupported: sharing one window is built on X11 only so far.
var ErrWindowsUnsupported = errors.New("sharing a single window works on Linux (X11) only for now; share a display or a region instead")

// Windows lists nothing here: see ErrWindowsUnsupported.
func Windows() ([]Window, error) { return nil, ErrWindowsUnsupported }

// NewScreen prepares to capture t. The mouse pointer is drawn by the OS where it does so.
func NewScreen(t ScreenTarget) (*Screen, error) {
	if t.Window != 0 {
		return nil, ErrWindowsUnsupported
	}
	ds, err := Displays()
	if err != nil {
		return nil, err
	}
	r, err := targetRect(ds, t)
	if err != nil {
		return nil, err
	}
	return &Screen{target: t, rect: r}, nil
}

// Bounds is the captured rectangle in desktop coordinates.
func (s *Screen) Bounds() image.Rectangle {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rect
}

// Locate returns where the target is on the desktop now.
func (s *Screen) Locate() (image.Rectangle, error) {
	ds, err := Displays()
	if err != nil {
		return image.Rectangle{}, err
	}
	return targetRect(ds, s.target)
}

// SetCovered does nothing here: there are no overlays on this system (overlay.Highlighter
// is X11-only).
func (s *Screen) SetCovered(func() []*image.RGBA) {}

// SharedMemory reports false: there is no shared-memory path here.
func (s *Screen) SharedMemory() bool { return false }

// Grab captures the target now, following display layout changes.
func (s *Screen) Grab(ctx context.Context) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if ds, err := Displays(); err == nil {
		if r, err := targetRect(ds, s.target); err == nil {
			s.rect = r
		} else {
			return nil, err
		}
	}
	img, err := screenshot.CaptureRect(s.rect)
	if err != nil {
		return nil, fmt.Errorf("capture screen %v: %w (check the screen-recording permission)", s.rect, err)
	}
	return img, nil
}

// Close ends the capture.
func (s *Screen) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// errNoV4L2 explains that webcams are read through V4L2, which only Linux has.
var errNoV4L2 = errors.New("webcam capture uses Video4Linux and is only available on Linux")

// Cameras returns no cameras on this system.
func Cameras() ([]Camera, error) { return []Camera{}, nil }

// OpenWebcam is unavailable on this system.
func OpenWebcam(string, image.Point) (*Webcam, error) {
	return nil, fmt.Errorf("%w: %w", ErrNoCamera, errNoV4L2)
}

// WebcamSupported reports whether cameras can be shared on this system (V4L2: Linux only).
const WebcamSupported = false
