//go:build !linux

package capture

import (
	"context"
	"errors"
	"image"
)

// errUnsupported is returned on systems without X11/V4L2 support here.
var errUnsupported = errors.New("screen and camera capture are only implemented for Linux")

// Display is one monitor.
type Display struct {
	Index   int
	Bounds  image.Rectangle
	Primary bool
	Name    string
}

// ScreenTarget chooses what a Screen captures.
type ScreenTarget struct {
	Display int
	Region  image.Rectangle
	Cursor  bool
}

// AllDisplays is the ScreenTarget.Display value that captures every display.
const AllDisplays = -1

// Screen is unavailable on this system.
type Screen struct{}

// Displays is unavailable on this system.
func Displays() ([]Display, error) { return nil, errUnsupported }

// NewScreen is unavailable on this system.
func NewScreen(ScreenTarget) (*Screen, error) { return nil, errUnsupported }

// Grab is unavailable on this system.
func (*Screen) Grab(context.Context) (image.Image, error) { return nil, errUnsupported }

// Close does nothing.
func (*Screen) Close() error { return nil }

// Cameras returns no cameras on this system.
func Cameras() ([]Camera, error) { return []Camera{}, nil }

// OpenWebcam is unavailable on this system.
func OpenWebcam(string, image.Point) (*Webcam, error) { return nil, ErrNoCamera }
