// Package xdisplay opens connections to the X server of $DISPLAY for the packages that speak X
// themselves (capture, overlay, hotkey): one reading of what kind of session this is, and one
// place that keeps xgb quiet. Each caller words its own errors for what it was trying to do.
package xdisplay

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/jezek/xgb"
)

// Session is what the environment says about the desktop session.
type Session struct {
	Display string // $DISPLAY; "" when there is no X server to reach
	Wayland bool   // a Wayland session (X clients then run on XWayland, if at all)
}

// Current reads the session from the environment.
func Current() Session {
	return Session{
		Display: os.Getenv("DISPLAY"),
		Wayland: os.Getenv("WAYLAND_DISPLAY") != "" || os.Getenv("XDG_SESSION_TYPE") == "wayland",
	}
}

// ErrNoDisplay: DISPLAY is not set.
var ErrNoDisplay = errors.New("DISPLAY is not set")

var quiet sync.Once

// Dial connects to the session's X display.
func (s Session) Dial() (*xgb.Conn, error) {
	// jezek/xgb logs two lines to stderr on every connection when there is no ~/.Xauthority
	// (normal under Xvfb and in some sessions); the error reaches the caller anyway.
	// SetOutput rather than replacing the shared logger: it is safe while other connections'
	// goroutines log.
	quiet.Do(func() { xgb.Logger.SetOutput(io.Discard) })
	if s.Display == "" {
		return nil, ErrNoDisplay
	}
	c, err := xgb.NewConnDisplay(s.Display)
	if err != nil {
		return nil, fmt.Errorf("connect to X display %q: %w", s.Display, err)
	}
	return c, nil
}
