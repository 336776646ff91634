//go:build linux

package capture_test

import (
	"image"
	"os"
	"testing"

	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/internal/xwin"
)

// TestScreenHidesOwnWindows: on the real (Xvfb) screen, a window of this process (marked with
// its _NET_WM_PID, as GLFW marks the app's windows) comes out flat gray in a grabbed frame,
// including where it reaches past a shared region, while everything around it is intact; with
// hiding off it shows.
func TestScreenHidesOwnWindows(t *testing.T) {
	requireTestEnv(t)
	other, err := xwin.Open(image.Rect(0, 0, 1920, 1080), 0xc02020) // another program's window
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	own, err := xwin.Open(image.Rect(400, 300, 720, 540), 0x20c020)
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if err := own.SetPID(uint32(os.Getpid())); err != nil {
		t.Fatal(err)
	}
	at := func(m image.Image, x, y int) [3]uint8 {
		r, g, b, _ := m.At(m.Bounds().Min.X+x, m.Bounds().Min.Y+y).RGBA()
		return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
	}
	gray := [3]uint8{capture.MaskGray, capture.MaskGray, capture.MaskGray}
	red, green := [3]uint8{0xc0, 0x20, 0x20}, [3]uint8{0x20, 0xc0, 0x20}
	tests := []struct {
		name   string
		target capture.ScreenTarget
		hide   bool
		inside image.Point // a point of the own window, in the frame's coordinates
		edge   image.Point // just outside it
		want   [3]uint8
	}{
		{"whole display", capture.ScreenTarget{Display: 0}, true, image.Pt(560, 420), image.Pt(399, 420), gray},
		{"region cutting the window", capture.ScreenTarget{Display: 0, Region: image.Rect(600, 200, 1000, 600)}, true, image.Pt(60, 200), image.Pt(121, 200), gray},
		{"hiding off", capture.ScreenTarget{Display: 0}, false, image.Pt(560, 420), image.Pt(399, 420), green},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := capture.NewScreen(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.SetHideOwnWindows(tt.hide)
			m, err := s.Grab(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got := at(m, tt.inside.X, tt.inside.Y); got != tt.want {
				t.Errorf("inside the own window: %v, want %v", got, tt.want)
			}
			if got := at(m, tt.edge.X, tt.edge.Y); got != red {
				t.Errorf("just outside it: %v, want the other window's %v", got, red)
			}
		})
	}
}
