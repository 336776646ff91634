package ui

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/capture"
)

// pickerDevices is fakeDevices with windows and sources: each target grabs a picture of its
// own colour (a minimised window and a busy camera fail as the real ones do), and the grabs
// and the sources left open are counted.
type pickerDevices struct {
	fakeDevices
	mu     sync.Mutex
	grabs  map[call.Share]int
	opened int
	closed int
	masked int // sources told to mask Live Desk's own windows
}

var pickerWindows = []capture.Window{
	{ID: 0x400001, Title: "Editor", Bounds: image.Rect(10, 10, 810, 610), Icon: image.NewRGBA(image.Rect(0, 0, 16, 16))},
	{ID: 0x400002, Title: "Mail", Hidden: true},
}

func (d *pickerDevices) Windows() ([]capture.Window, error) { return pickerWindows, nil }

func (d *pickerDevices) Open(s call.Share) (capture.Source, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.opened++
	return &pickerSource{d: d, s: s}, nil
}

// colourOf is the colour a target's pictures are painted.
func colourOf(s call.Share) color.RGBA {
	switch {
	case s.Kind == call.ShareScreen && s.Window == 0 && s.Display == 0:
		return color.RGBA{200, 0, 0, 255}
	case s.Kind == call.ShareScreen && s.Window == 0:
		return color.RGBA{0, 200, 0, 255}
	default:
		return color.RGBA{0, 0, 200, 255}
	}
}

type pickerSource struct {
	d *pickerDevices
	s call.Share
}

func (p *pickerSource) Grab(ctx context.Context) (image.Image, error) {
	p.d.mu.Lock()
	p.d.grabs[p.s]++
	p.d.mu.Unlock()
	switch {
	case p.s.Window == pickerWindows[1].ID:
		return nil, capture.ErrWindowHidden
	case p.s.Kind == call.ShareCamera:
		return nil, capture.ErrCameraBusy
	}
	m := image.NewRGBA(image.Rect(0, 0, 1600, 900))
	draw.Draw(m, m.Rect, image.NewUniform(colourOf(p.s)), image.Point{}, draw.Src)
	return m, nil
}

func (p *pickerSource) SetHideOwnWindows(on bool) {
	if on {
		p.d.mu.Lock()
		p.d.masked++
		p.d.mu.Unlock()
	}
}

func (p *pickerSource) Close() error {
	p.d.mu.Lock()
	p.d.closed++
	p.d.mu.Unlock()
	return nil
}

// TestSharePicker opens the share picker: every display, window and camera gets a card with
// its thumbnail (or why not: minimised, in use), displays and windows are grabbed again while
// it is open and the camera only once, a click on a card shares that target, and closing the
// picker stops the grabbing and closes every source it opened. Thumbnails mask Live Desk's own
// windows as the frames sent do.
func TestSharePicker(t *testing.T) {
	devs := &pickerDevices{grabs: map[call.Share]int{}}
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
	w, loop := newTestWindow(t, Options{Call: conv, Devices: devs})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		for {
			select {
			case <-done:
				return
			case f := <-loop: // the thumbnailer may be handing over a picture
				f()
			}
		}
	}()

	w.ShowSharePicker()
	if w.picker == nil {
		t.Fatal("no picker")
	}
	if len(w.pickerCards) != 5 { // 2 displays, 2 windows, 1 camera
		t.Fatalf("%d cards, want 5: %+v", len(w.pickerCards), w.pickerCards)
	}
	card := func(s call.Share) *pickerCard {
		for _, c := range w.pickerCards {
			if c.share == s {
				return c
			}
		}
		t.Fatalf("no card for %+v", s)
		return nil
	}
	screen0 := card(call.Share{Kind: call.ShareScreen, Display: 0})
	screen1 := card(call.Share{Kind: call.ShareScreen, Display: 1})
	editor := card(call.Share{Kind: call.ShareScreen, Window: pickerWindows[0].ID, Title: "Editor"})
	mail := card(call.Share{Kind: call.ShareScreen, Window: pickerWindows[1].ID, Title: "Mail"})
	camera := card(call.Share{Kind: call.ShareCamera, Camera: "/dev/video0"})

	loop.until(t, "every card filled", func() bool {
		return screen0.img.Image != nil && screen1.img.Image != nil && editor.img.Image != nil &&
			mail.note.Text == "(minimised)" && camera.note.Text == "In use"
	})
	for _, c := range []*pickerCard{screen0, screen1, editor} {
		b := c.img.Image.Bounds()
		if max(b.Dx(), b.Dy()) != thumbSide {
			t.Errorf("%+v: thumbnail %v, want its longest side %d", c.share, b, thumbSide)
		}
		if got := color.RGBAModel.Convert(c.img.Image.At(b.Dx()/2, b.Dy()/2)); got != colourOf(c.share) {
			t.Errorf("%+v: thumbnail of colour %v, want %v", c.share, got, colourOf(c.share))
		}
		if c.note.Visible() {
			t.Errorf("%+v: note %q shown over a picture", c.share, c.note.Text)
		}
	}
	grabs := func(s call.Share) int {
		devs.mu.Lock()
		defer devs.mu.Unlock()
		return devs.grabs[s]
	}
	loop.until(t, "the thumbnails to be grabbed again", func() bool { return grabs(screen0.share) >= 2 && grabs(editor.share) >= 2 })
	devs.mu.Lock()
	masked, opened := devs.masked, devs.opened
	devs.mu.Unlock()
	if masked != opened {
		t.Errorf("%d of %d sources were told to mask Live Desk's own windows (the default setting)", masked, opened)
	}
	if n := grabs(camera.share); n != 1 {
		t.Errorf("the camera was grabbed %d times while the picker was open, want once", n)
	}

	test.Tap(editor.pick)
	if w.picker != nil {
		t.Error("the picker stayed open after a pick")
	}
	conv.mu.Lock()
	last := conv.shares[len(conv.shares)-1]
	conv.mu.Unlock()
	if last != editor.share {
		t.Errorf("picking the Editor window shared %+v", last)
	}
	loop.until(t, "every source the picker opened to be closed", func() bool {
		devs.mu.Lock()
		defer devs.mu.Unlock()
		return devs.opened > 0 && devs.closed == devs.opened
	})

	// Open again: the shared window is marked, and Stop sharing ends the share.
	w.ShowSharePicker()
	if c := card(editor.share); c.name.Text != "● Editor" || !c.name.TextStyle.Bold {
		t.Errorf("the shared window's card is titled %q (bold %v), want it marked", c.name.Text, c.name.TextStyle.Bold)
	}
	stopped := false
	for _, b := range buttonsIn(w.win.Canvas().Overlays().Top()) {
		if b.Text == "Stop sharing" {
			if b.Disabled() {
				t.Error("Stop sharing is disabled while a window is shared")
			}
			test.Tap(b)
			stopped = true
		}
	}
	if !stopped || w.share.Kind != call.ShareNone || w.picker != nil {
		t.Errorf("Stop sharing in the picker: found %v, share %+v, picker open %v", stopped, w.share, w.picker != nil)
	}
}

// TestSharePickerEscapeAndSize: Escape closes the picker even when the text box had the focus,
// and the picker grows with the window so the cards' names are not cut off.
func TestSharePickerEscapeAndSize(t *testing.T) {
	w, _ := newTestWindow(t, Options{Devices: &pickerDevices{grabs: map[call.Share]int{}}})
	w.win.Resize(fyne.NewSize(1280, 800))
	w.win.Canvas().Focus(w.input)
	w.ShowSharePicker()
	if w.picker == nil {
		t.Fatal("no picker")
	}
	if got := w.picker.MinSize(); got.Width < 1280-160 || got.Height < 800-220 {
		t.Errorf("picker %v in a 1280×800 window, want at least %v", got, fyne.NewSize(1280-160, 800-220))
	}
	if f := w.win.Canvas().Focused(); f != nil {
		t.Errorf("%T keeps the focus: Escape would go to it", f)
	}
	w.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if w.picker != nil {
		t.Error("Escape did not close the picker")
	}
}
