package ui

import (
	"context"
	"errors"
	"image"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/capture"
)

// The share picker shows what can be shared — every display, every window, every camera —
// as live thumbnails, the way meeting apps do; a click shares it. Thumbnails of displays and
// windows are grabbed again every thumbEvery while the picker is open (by Window.Run, through
// the devices' Open), cameras once (a camera is not held open behind the user's back). The
// thumbnails come through the same capture path as what is sent, so Live Desk's own windows
// appear masked in them exactly as Gemini would see them.

// shareOpener opens a share target as a capture source (call.Devices does).
type shareOpener interface {
	Open(call.Share) (capture.Source, error)
}

const (
	thumbEvery = 1500 * time.Millisecond
	thumbSide  = 240 // longest side of a thumbnail, in pixels
)

// thumbJob is what Run's thumbnailer works on: the picker's targets (nil: stop).
type thumbJob struct {
	gen     uint64
	targets []call.Share
	hideOwn bool // the setting: Live Desk's windows masked, as in what is sent
}

type pickerCard struct {
	share call.Share
	img   *canvas.Image
	note  *widget.Label  // why there is no picture ("minimised", an error)
	pick  *widget.Button // the card itself: a click shares
	name  *widget.Label
}

// ShowSharePicker opens the share picker.
func (w *Window) ShowSharePicker() {
	if w.picker != nil {
		w.picker.Show()
		return
	}
	w.displays, w.windows, w.cameras = w.listDisplays(), w.listWindows(), w.listCameras()
	w.pickerCards = nil
	var rows []fyne.CanvasObject
	grid := func(title string, cards []fyne.CanvasObject) {
		if len(cards) == 0 {
			return
		}
		rows = append(rows, widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			container.NewGridWrap(fyne.NewSize(260, 200), cards...))
	}
	var cards []fyne.CanvasObject
	dn := displayNames(w.displays)
	for i, d := range w.displays {
		s := call.Share{Kind: call.ShareScreen, Display: d.Index}
		region := widget.NewButtonWithIcon(lang.L("Region…"), theme.ContentCutIcon(), func() { w.pickRegion(d) })
		if d.Bounds.Empty() {
			region.Disable()
		}
		cards = append(cards, w.pickerCard(dn[i], nil, s, region))
	}
	grid(lang.L("Screens"), cards)
	cards = nil
	wn := windowTitles(w.windows)
	for i, win := range w.windows {
		cards = append(cards, w.pickerCard(wn[i], win.Icon, call.Share{Kind: call.ShareScreen, Window: win.ID, Title: win.Title}, nil))
	}
	grid(lang.L("Windows"), cards)
	cards = nil
	cn := cameraNames(w.cameras)
	for i, c := range w.cameras {
		cards = append(cards, w.pickerCard(cn[i], nil, call.Share{Kind: call.ShareCamera, Camera: c.Path}, nil))
	}
	grid(lang.L("Cameras"), cards)
	if len(rows) == 0 {
		rows = append(rows, widget.NewLabel(lang.L("Nothing to share was found.")))
	}

	stop := widget.NewButtonWithIcon(lang.L("Stop sharing"), theme.MediaStopIcon(), func() {
		w.closePicker()
		w.SetShare(call.Share{})
	})
	if w.share.Kind == call.ShareNone {
		stop.Disable()
	}
	closeBtn := widget.NewButton(lang.L("Close"), w.closePicker)
	body := container.NewVScroll(container.NewVBox(rows...))
	// As big as the window allows (a row of cards and their names, at least), so a picker in a
	// large window is not a small box of cut-off names.
	ws := w.win.Canvas().Size()
	body.SetMinSize(fyne.NewSize(max(720, ws.Width-160), max(460, ws.Height-220)))
	d := dialog.NewCustomWithoutButtons(lang.L("Choose what to share"), body, w.win)
	d.SetButtons([]fyne.CanvasObject{stop, closeBtn})
	d.SetOnClosed(func() {
		w.picker = nil
		w.pickerGen++
		w.sendThumbJob(thumbJob{gen: w.pickerGen})
	})
	w.picker = d
	w.pickerGen++
	targets := make([]call.Share, len(w.pickerCards))
	for i, c := range w.pickerCards {
		targets[i] = c.share
	}
	w.sendThumbJob(thumbJob{gen: w.pickerGen, targets: targets, hideOwn: w.cfg.HideOwnWindows})
	// Escape closes it (Fyne's dialogs without buttons of their own do not): the text box
	// behind it gives up the focus, so the key reaches the canvas.
	w.win.Canvas().Unfocus()
	w.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape && w.picker != nil {
			w.closePicker()
		}
	})
	d.Show()
}

func (w *Window) pickerCard(title string, icon image.Image, s call.Share, extra fyne.CanvasObject) fyne.CanvasObject {
	c := &pickerCard{share: s, img: canvas.NewImageFromImage(nil), note: widget.NewLabel(lang.L("Loading…"))}
	w.pickerCards = append(w.pickerCards, c)
	c.img.FillMode = canvas.ImageFillContain
	c.img.SetMinSize(fyne.NewSize(240, 135))
	c.note.Alignment = fyne.TextAlignCenter
	c.note.Wrapping = fyne.TextWrapWord
	name := widget.NewLabel(title)
	name.Truncation = fyne.TextTruncateEllipsis
	c.name = name
	if s == w.share || s.Kind == call.ShareScreen && s.Window != 0 && s.Window == w.share.Window {
		name.TextStyle = fyne.TextStyle{Bold: true}
		name.SetText("● " + title)
	}
	var head fyne.CanvasObject = name
	if icon != nil {
		ic := canvas.NewImageFromImage(icon)
		ic.FillMode = canvas.ImageFillContain
		ic.SetMinSize(fyne.NewSize(20, 20))
		head = container.NewBorder(nil, nil, ic, nil, name)
	}
	// The note takes the picture's whole width (a wrapping label centred on its own would be
	// one letter wide).
	picture := container.NewStack(canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)), c.img,
		container.NewVBox(layout.NewSpacer(), c.note, layout.NewSpacer()))
	pick := widget.NewButton("", func() { w.pick(s) })
	pick.Importance = widget.LowImportance
	c.pick = pick
	content := container.NewBorder(nil, head, nil, nil, picture)
	card := container.NewStack(pick, container.NewPadded(content))
	if extra != nil {
		return container.NewBorder(nil, extra, nil, nil, card)
	}
	return card
}

func (w *Window) closePicker() {
	if w.picker != nil {
		w.picker.Hide() // SetOnClosed stops the thumbnails
	}
}

// pick shares s, chosen in the picker.
func (w *Window) pick(s call.Share) {
	w.closePicker()
	if s.Kind == call.ShareCamera {
		for i, c := range w.cameras {
			if c.Path == s.Camera {
				w.cameraSel.SetSelectedIndex(i)
			}
		}
	}
	if s.Kind == call.ShareScreen {
		w.displaySel.SetOptions(append(displayNames(w.displays), windowNames(w.windows)...))
		w.regionEntry.SetText("")
	}
	w.SetShare(s)
}

// pickRegion lets the user drag a region of d and shares it.
func (w *Window) pickRegion(d capture.Display) {
	w.closePicker()
	w.selectRegion(d.Bounds, func(r image.Rectangle) {
		w.SetShare(call.Share{Kind: call.ShareScreen, Display: d.Index, Region: r})
	})
}

// sendThumbJob hands Run's thumbnailer its new work, replacing any not yet taken. Only the
// Fyne goroutine sends, so after the drain the send cannot block.
func (w *Window) sendThumbJob(j thumbJob) {
	select {
	case <-w.thumbs:
	default:
	}
	select {
	case w.thumbs <- j:
	default:
	}
}

// setThumb shows a thumbnail (or why there is none) in the open picker.
func (w *Window) setThumb(gen uint64, i int, img image.Image, err error) {
	if gen != w.pickerGen || w.picker == nil || i >= len(w.pickerCards) {
		return // the picker closed or was opened again since
	}
	c := w.pickerCards[i]
	switch {
	case err == nil:
		c.img.Image = img
		c.img.Refresh()
		c.note.Hide()
		return
	case errors.Is(err, capture.ErrWindowHidden):
		c.note.SetText(lang.L("(minimised)"))
	case errors.Is(err, capture.ErrCameraBusy):
		c.note.SetText(lang.L("In use"))
	default:
		c.note.SetText(err.Error())
	}
	c.img.Image = nil
	c.img.Refresh()
	c.note.Show()
}

// runThumbnails grabs the picker's thumbnails while it is open: displays and windows every
// thumbEvery from sources kept open meanwhile, cameras once. Owned by Run.
func (w *Window) runThumbnails(ctx context.Context) error {
	opener, _ := w.opts.Devices.(shareOpener)
	var job thumbJob
	open := map[int]capture.Source{}
	closeAll := func() {
		for i, s := range open {
			s.Close()
			delete(open, i)
		}
	}
	defer closeAll()
	// The ticker runs only while the picker is open: a closed picker costs no wake-ups.
	var tick *time.Ticker
	var tickC <-chan time.Time
	stopTick := func() {
		if tick != nil {
			tick.Stop()
			tick, tickC = nil, nil
		}
	}
	defer stopTick()
	scaler := capture.NewScaler(thumbSide)
	grab := func(first bool) {
		for i, s := range job.targets {
			if ctx.Err() != nil {
				return
			}
			if !first && s.Kind == call.ShareCamera {
				continue
			}
			var img image.Image
			err := errors.New(lang.L("No preview on this system"))
			if opener != nil {
				img, err = w.thumbnail(ctx, opener, open, i, s, job.hideOwn)
			}
			var small image.Image
			if err == nil {
				// The scaler reuses its buffer: the picture handed to the UI is a copy.
				small = cloneRGBA(scaler.Scale(img))
			}
			gen := job.gen
			w.bridge.do(func() { w.setThumb(gen, i, small, err) })
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case job = <-w.thumbs:
			closeAll()
			stopTick()
			if len(job.targets) > 0 {
				tick = time.NewTicker(thumbEvery)
				tickC = tick.C
				grab(true)
			}
		case <-tickC:
			grab(false)
		}
	}
}

// thumbnail grabs one picture of target i: screens and windows from a source kept open in
// open, a camera opened and closed around the grab.
func (w *Window) thumbnail(ctx context.Context, opener shareOpener, open map[int]capture.Source, i int, s call.Share, hideOwn bool) (image.Image, error) {
	src, ok := open[i]
	if !ok {
		var err error
		if src, err = opener.Open(s); err != nil {
			return nil, err
		}
		if h, ok := src.(interface{ SetHideOwnWindows(bool) }); ok {
			h.SetHideOwnWindows(hideOwn)
		}
		if s.Kind == call.ShareCamera {
			defer src.Close()
		} else {
			open[i] = src
		}
	}
	gctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return src.Grab(gctx)
}

func cloneRGBA(m *image.RGBA) *image.RGBA {
	c := image.NewRGBA(m.Rect)
	copy(c.Pix, m.Pix)
	return c
}
