package ui

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/livedesk/livedesk/call"
)

// TestCaptureForReview writes PNG renderings (software painter) of the main window and the
// settings dialog when UI_CAPTURE_DIR is set, for a human to look at.
func TestCaptureForReview(t *testing.T) {
	dir := os.Getenv("UI_CAPTURE_DIR")
	if dir == "" {
		t.Skip("UI_CAPTURE_DIR not set: nothing to capture")
	}
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }, script: conversationScript()}
	w, loop := newTestWindow(t, Options{Call: conv, Devices: fakeDevices{}})
	go w.Run(t.Context())
	w.SetShare(call.Share{Kind: call.ShareScreen})
	w.Connect()
	loop.until(t, "transcript", func() bool { return len(w.tr.turns) == 2 && w.tr.turns[1].Final && w.preview.Image != nil })
	save := func(name string) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, w.win.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
	}
	save("main.png")
	w.ShowSettings()
	save("settings.png")
}
