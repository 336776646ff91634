package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/livedesk/livedesk/call"
)

// TestPointingOnThePreview: when Gemini points at something in a camera's picture, the boxes
// are drawn over the preview where the frame shows (the preview fits a 16:9 frame into its
// area), the transcript marks the pointing and the export keeps it; when the pointing ends the
// boxes go and the mark stays.
func TestPointingOnThePreview(t *testing.T) {
	goldenFontsPresent(t)
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
	w, loop := newTestWindow(t, Options{Call: conv, Devices: fakeDevices{}})
	w.SetShare(call.Share{Kind: call.ShareCamera})
	w.Connect()
	post := func(evs ...call.Event) {
		for _, ev := range evs {
			w.Bridge().Post(ev)
		}
		w.Bridge().flush()
		loop.drain()
	}
	post(call.StateEvent{Run: w.run, State: call.StateLive},
		call.PreviewEvent{Run: w.run, Image: frame(), Width: 1280, Height: 720, Bytes: 50000},
		call.TranscriptEvent{Run: w.run, Role: call.RoleModel, Text: "The red mug is on the left.", At: testNow})
	boxes := []call.PointedBox{
		{X0: 0.1, Y0: 0.5, X1: 0.3, Y1: 0.9, Label: "red mug"},
		{X0: 0.6, Y0: 0.1, X1: 0.9, Y1: 0.4},
	}
	post(call.HighlightEvent{Run: w.run, Boxes: boxes, At: testNow})

	objs := w.pointing.box.Objects
	if len(objs) != 4 {
		t.Fatalf("%d objects over the preview, want a box and a label for each of 2", len(objs))
	}
	// Where the frame is inside the preview (contain-fit), and the first box in it.
	size := w.pointing.box.Size()
	fw, fh := size.Width, size.Width*720/1280
	if fh > size.Height {
		fh, fw = size.Height, size.Height*1280/720
	}
	ox, oy := (size.Width-fw)/2, (size.Height-fh)/2
	r := objs[0].(*canvas.Rectangle)
	near := func(a, b float32) bool { return a-b < 0.5 && b-a < 0.5 }
	if p, s := r.Position(), r.Size(); !near(p.X, ox+0.1*fw) || !near(p.Y, oy+0.5*fh) || !near(s.Width, 0.2*fw) || !near(s.Height, 0.4*fh) {
		t.Errorf("first box at %v size %v; want at (%.1f, %.1f) size %.1fx%.1f in a %v preview",
			p, s, ox+0.1*fw, oy+0.5*fh, 0.2*fw, 0.4*fh, size)
	}
	if r.StrokeWidth == 0 || r.StrokeColor != pointColor {
		t.Errorf("box drawn with stroke %v %v", r.StrokeWidth, r.StrokeColor)
	}
	if l := objs[1].(*canvas.Text); l.Text != "red mug" {
		t.Errorf("label %q", l.Text)
	}
	test.AssertRendersToMarkup(t, "pointing_camera.xml", w.win.Canvas())

	const mark = "Pointed at: red mug, #2"
	if got := w.tr.turns[len(w.tr.turns)-1].Notes; len(got) != 1 || got[0] != mark {
		t.Errorf("transcript notes %q, want %q", got, mark)
	}
	var md bytes.Buffer
	if err := w.WriteTranscript(&md, "md"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "_("+mark+")_") {
		t.Errorf("the export lost the pointing:\n%s", md.String())
	}

	post(call.HighlightEvent{Run: w.run, At: testNow.Add(4 * time.Second)})
	if n := len(w.pointing.box.Objects); n != 0 {
		t.Errorf("%d objects over the preview after the pointing ended", n)
	}
	if got := w.tr.turns[len(w.tr.turns)-1].Notes; len(got) != 1 {
		t.Errorf("the transcript mark went with the boxes: %q", got)
	}
}
