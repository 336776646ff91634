package capture

import "errors"

// Errors callers can test with errors.Is. The errors returned wrap them with
// details and with what the user can do about it.
var (
	// ErrNoDisplay: DISPLAY is not set, so there is no X server to capture.
	ErrNoDisplay = errors.New("no X display")
	// ErrXUnreachable: DISPLAY is set but the X server does not answer or
	// refuses the connection.
	ErrXUnreachable = errors.New("cannot connect to the X server")
	// ErrWaylandNoX: a Wayland session without an X server (XWayland) the
	// app may use.
	ErrWaylandNoX = errors.New("wayland session without X access")
	// ErrNoSuchDisplay: the chosen display index does not exist.
	ErrNoSuchDisplay = errors.New("no such display")

	// ErrNoCamera: the camera device does not exist (or none is connected).
	ErrNoCamera = errors.New("no camera")
	// ErrCameraBusy: another program is using the camera.
	ErrCameraBusy = errors.New("camera busy")
	// ErrPermission: the user may not open the camera device.
	ErrPermission = errors.New("permission denied")
	// ErrCameraUnplugged: the camera went away while in use.
	ErrCameraUnplugged = errors.New("camera unplugged")
	// ErrNoFormat: the camera offers neither MJPEG nor YUYV.
	ErrNoFormat = errors.New("camera has no supported format")

	// ErrWindowHidden: the shared window is minimised, unmapped or off the screen; capture
	// pauses (no frame is sent) until it is back.
	ErrWindowHidden = errors.New("shared window is hidden")
	// ErrWindowGone: the shared window was closed.
	ErrWindowGone = errors.New("shared window was closed")

	// ErrClosed: the source was used after Close.
	ErrClosed = errors.New("capture source closed")
)
