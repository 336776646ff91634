package xdisplay

import (
	"errors"
	"strings"
	"testing"
)

func TestCurrent(t *testing.T) {
	tests := []struct {
		display, wayland, sessionType string
		want                          Session
	}{
		{":0", "", "x11", Session{Display: ":0"}},
		{"", "", "", Session{}},
		{"", "wayland-0", "", Session{Wayland: true}},
		{":1", "", "wayland", Session{Display: ":1", Wayland: true}},
	}
	for _, tc := range tests {
		t.Setenv("DISPLAY", tc.display)
		t.Setenv("WAYLAND_DISPLAY", tc.wayland)
		t.Setenv("XDG_SESSION_TYPE", tc.sessionType)
		if got := Current(); got != tc.want {
			t.Errorf("DISPLAY=%q WAYLAND_DISPLAY=%q XDG_SESSION_TYPE=%q: %+v, want %+v", tc.display, tc.wayland, tc.sessionType, got, tc.want)
		}
	}
}

func TestDialErrors(t *testing.T) {
	if _, err := (Session{}).Dial(); !errors.Is(err, ErrNoDisplay) {
		t.Errorf("no display: %v, want ErrNoDisplay", err)
	}
	// A display that cannot exist: the error names it.
	_, err := Session{Display: ":4093"}.Dial()
	if err == nil || !strings.Contains(err.Error(), `":4093"`) {
		t.Errorf("unreachable display: %v", err)
	}
}
