// Package ui is Live Desk's Fyne window: the main window, the settings dialog, the transcript,
// previews, meters, status bar and shortcuts. It drives the conversation through the
// Conversation interface and receives what happens through one Bridge.
package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/sync/errgroup"

	"github.com/livedesk/livedesk/settings"

	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/hotkey"
	"github.com/livedesk/livedesk/overlay"
)

// APIKeyURL is where users get a Gemini API key.
const APIKeyURL = "https://aistudio.google.com/apikey"

// Bounds of what the window shows (the export keeps the whole transcript).
const (
	maxDiagLines  = 500
	maxShownTurns = 100
)

// ErrNotWired is returned when the window has no Call to drive.
var ErrNotWired = errors.New("no call is wired into this build")

// Options configure a Window. Zero values are usable.
type Options struct {
	Call    Call           // nil: connecting reports ErrNotWired
	Devices Devices        // nil: pickers offer only defaults
	Keys    *settings.Keys // nil: the OS keyring, no file fallback
	Logger  *slog.Logger   // nil: discard
	Bridge  *Bridge        // nil: a new one; pass NewBridge() to hand it to the call first
	Demo    bool           // connected to the built-in fake server: label the window
	// Override adjusts the saved settings for this run only (e.g. --endpoint). It is applied when
	// connecting and never saved.
	Override func(settings.Config) settings.Config
	Now      func() time.Time // nil: time.Now
	// CheckFonts makes Run look once for scripts no installed font can draw, and say which
	// package to install instead of letting the transcript show boxes.
	CheckFonts bool
	// Store keeps the settings (settings.FileStore in the app); nil: Fyne's preferences.
	Store settings.Store
	// HistoryDir holds the journal of past conversations ("" hides the history).
	HistoryDir string
	// StartDemo starts the built-in fake server and returns its endpoint, for the welcome
	// screen's "Try the demo"; nil hides that button.
	StartDemo func() (endpoint string, err error)
	// DemoEndpoint is the built-in fake server this run talks to from the start (--demo);
	// "" none. It implies Demo.
	DemoEndpoint string
	// GlobalShortcuts makes Run listen for the settings' global shortcuts (X11 key grabs)
	// while the window lives.
	GlobalShortcuts bool
	// Tray puts Live Desk in the system tray (show or hide, connect, mute, stop sharing, quit)
	// when the app can show one (Fyne's desktop.App), and lets a window closed during a
	// conversation keep it going there. TrayHost says whether a tray shows the icon right now
	// (TrayHost in this package); nil: always.
	Tray     bool
	TrayHost func() bool
}

// Window is the main window. Create it with New on the Fyne goroutine (or before the app runs),
// then call Run from one goroutine for as long as the window lives.
type Window struct {
	app    fyne.App
	win    fyne.Window
	opts   Options
	log    *slog.Logger
	bridge *Bridge
	now    func() time.Time

	// Everything below is touched only on the Fyne goroutine.
	cfg       settings.Config // saved settings, with the API key
	keySource settings.KeySource
	keyErr    error
	state     call.State
	reason    string
	model     string
	run       uint64 // the newest run asked for or heard of: events of older runs are stale
	wantLive  bool
	welcome   *welcome // the first-run screen, once shown
	// globalKeys carries the global shortcuts to Run's listener (nil: not listening).
	globalKeys chan map[string]hotkey.Shortcut
	tray       desktop.App          // the system tray, when shown
	trayShown  *trayState           // what its menu shows now
	hidden     bool                 // the window is hidden to the tray
	closeAsk   *dialog.CustomDialog // the open "close during a conversation?" question
	// The share picker (nil when closed), its cards, its generation (thumbnails of an older
	// one are dropped) and the work it hands to Run's thumbnailer.
	picker      *dialog.CustomDialog
	pickerCards []*pickerCard
	pickerGen   uint64
	thumbs      chan thumbJob
	// demoEndpoint is the built-in fake server the welcome screen started ("" none): this
	// run's conversations go there.
	demoEndpoint string
	share        call.Share        // what the user wants shared
	sent         call.PreviewEvent // the last frame sent (its size, without the image)
	muted        bool
	// Who is talking: the last levels heard and when the user last cut an answer short.
	micLevel, spkLevel float64
	interruptedAt      time.Time
	talker             *widget.Label
	pttDown            bool
	usage              call.UsageEvent
	tr                 transcript
	turnViews          []*turnView // views of turns firstView… (older ones are dropped from the window)
	firstView          int
	diag               []string
	displays           []capture.Display
	windows            []capture.Window // listed after the displays in the display picker
	cameras            []capture.Camera

	connectBtn       *widget.Button
	muteBtn          *widget.Button
	micMeter         *levelMeter
	speakerMeter     *levelMeter
	screenBtn        *widget.Button
	displaySel       *widget.Select
	regionEntry      *widget.Entry
	regionErr        *widget.Label
	cameraBtn        *widget.Button
	cameraSel        *widget.Select
	indicator        *fyne.Container
	noticeBar        *fyne.Container
	noticeText       *widget.Label
	indicatorText    *canvas.Text
	preview          *canvas.Image
	pointing         *pointLayer // what Gemini points at, over the preview
	previewNote      *widget.Label
	transcriptBox    *fyne.Container
	transcriptScroll *container.Scroll
	input            *inputEntry
	sendBtn          *widget.Button
	status           *widget.Label
	diagList         *widget.List
	diagBtn          *widget.Button // shows or hides diagList (hidden at first)
	settings         *settingsForm  // the open (or last) settings dialog
	history          dialog.Dialog  // the open (or last) list of past conversations
	top              *fyne.Container
	shortcuts        map[string]func() // by fyne.Shortcut name
}

type turnView struct {
	box    *fyne.Container
	header *widget.Label
	body   *widget.Label
	links  *fyne.Container
	nLinks int
	nNotes int
}

// New builds the main window of app. It loads the settings and the API key but starts nothing.
func New(app fyne.App, o Options) *Window {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Keys == nil {
		o.Keys = &settings.Keys{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DemoEndpoint != "" {
		o.Demo = true
	}
	w := &Window{
		thumbs:       make(chan thumbJob, 1),
		app:          app,
		demoEndpoint: o.DemoEndpoint,
		opts:         o,
		log:          o.Logger,
		now:          o.Now,
	}
	w.bridge = o.Bridge
	if w.bridge == nil {
		w.bridge = NewBridge()
	}
	w.bridge.apply = w.applyBatch
	w.bridge.now = o.Now
	w.cfg = settings.Load(w.store())
	w.cfg.APIKey, w.keySource, w.keyErr = o.Keys.Load()
	if w.keyErr != nil {
		w.log.Warn("API key not loaded", "err", w.keyErr)
	}

	title := "Live Desk"
	if o.Demo {
		title = "Live Desk — " + lang.L("Demo")
	}
	w.win = app.NewWindow(title)
	w.win.SetContent(w.build())
	w.win.Resize(fyne.NewSize(1100, 720))
	w.addShortcuts()
	w.win.SetCloseIntercept(w.onCloseRequest)
	w.setupTray()
	if o.GlobalShortcuts {
		w.globalKeys = make(chan map[string]hotkey.Shortcut, 1)
		w.setGlobalKeys()
	}
	w.refresh()
	return w
}

// store is where the settings are kept.
func (w *Window) store() settings.Store {
	if w.opts.Store != nil {
		return w.opts.Store
	}
	return w.app.Preferences()
}

// Window returns the Fyne window.
func (w *Window) Window() fyne.Window { return w.win }

// Bridge returns the bridge the conversation reports through.
func (w *Window) Bridge() *Bridge { return w.bridge }

// NeedsAPIKey reports whether no credentials are configured anywhere: no API key, and no
// Vertex AI project whose Google Cloud credentials would be used instead.
func (w *Window) NeedsAPIKey() bool { return !w.cfg.HasCredentials() }

// Turns returns a copy of the transcript. Call on the Fyne goroutine.
func (w *Window) Turns() []Turn {
	out := make([]Turn, len(w.tr.turns))
	copy(out, w.tr.turns)
	return out
}

// Run applies posted events until ctx ends. The call does its own work: every request the
// window makes of it returns at once.
func (w *Window) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return w.bridge.Run(ctx) })
	g.Go(func() error { return w.runThumbnails(ctx) })
	if w.globalKeys != nil {
		g.Go(func() error { return w.runGlobalKeys(ctx) })
	}
	if w.opts.CheckFonts {
		g.Go(func() error {
			missing, err := missingScripts()
			if err != nil {
				w.bridge.Post(call.DiagEvent{Kind: call.DiagWarning, Line: "fonts: " + err.Error()})
			}
			if n := missingFontsNotice(missing); n != "" {
				w.bridge.Post(call.NoticeEvent{Text: n})
			}
			return nil
		})
	}
	return g.Wait()
}

func (w *Window) call() Call {
	if w.opts.Call == nil {
		return notWired{}
	}
	return w.opts.Call
}

// notWired stands in for a missing call: connecting says so.
type notWired struct{}

func (notWired) Start(settings.Config) uint64 { return 0 }
func (notWired) Stop()                        {}
func (notWired) SendText(string) error        { return ErrNotWired }
func (notWired) SetMuted(bool)                {}
func (notWired) SetPushToTalk(bool)           {}
func (notWired) SetShare(call.Share)          {}

func (w *Window) build() fyne.CanvasObject {
	w.connectBtn = widget.NewButtonWithIcon(withKeys(lang.L("Connect"), "Ctrl+K"), theme.MediaPlayIcon(), w.ToggleConnect)
	w.connectBtn.Importance = widget.HighImportance
	w.muteBtn = widget.NewButtonWithIcon(withKeys(lang.L("Mute"), "Ctrl+M"), theme.VolumeUpIcon(), w.ToggleMute)
	w.micMeter = newMeter()
	w.speakerMeter = newMeter()
	w.talker = widget.NewLabel("")
	w.talker.TextStyle = fyne.TextStyle{Bold: true}

	w.displays = w.listDisplays()
	w.windows = w.listWindows()
	w.displaySel = widget.NewSelect(append(displayNames(w.displays), windowNames(w.windows)...), func(string) { w.onShareTargetChanged() })
	w.displaySel.SetSelectedIndex(0)
	relistBtn := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), w.relistScreens)
	// Icon-only, like the refresh button, so the share row still fits the default window; the
	// region entry's placeholder names it.
	dragBtn := widget.NewButtonWithIcon("", theme.ContentCutIcon(), w.dragRegion)
	w.regionEntry = widget.NewEntry()
	w.regionEntry.SetPlaceHolder(bidiText(lang.L("Region x,y,w,h (optional)")))
	w.regionEntry.OnChanged = func(string) { w.onShareTargetChanged() }
	w.regionErr = widget.NewLabel("")
	w.regionErr.Importance = widget.DangerImportance
	w.regionErr.Hide()
	w.screenBtn = widget.NewButtonWithIcon(withKeys(lang.L("Share screen"), "Ctrl+Shift+S"), theme.ComputerIcon(), w.ToggleScreen)

	w.cameras = w.listCameras()
	w.cameraSel = widget.NewSelect(cameraNames(w.cameras), func(string) { w.onShareTargetChanged() })
	if len(w.cameras) > 0 {
		w.cameraSel.SetSelectedIndex(0)
	} else {
		w.cameraSel.PlaceHolder = lang.L("No camera found")
		if !capture.WebcamSupported {
			w.cameraSel.PlaceHolder = lang.L("Camera sharing works on Linux only for now")
		}
		w.cameraSel.Disable()
	}
	w.cameraBtn = widget.NewButtonWithIcon(withKeys(lang.L("Share camera"), "Ctrl+Shift+C"), theme.MediaVideoIcon(), w.ToggleCamera)
	if len(w.cameras) == 0 {
		w.cameraBtn.Disable()
	}

	pickBtn := widget.NewButtonWithIcon(lang.L("Share…"), theme.GridIcon(), w.ShowSharePicker)
	settingsBtn := widget.NewButtonWithIcon(lang.L("Settings"), theme.SettingsIcon(), w.ShowSettings)
	exportBtn := widget.NewButtonWithIcon(lang.L("Export"), theme.DocumentSaveIcon(), w.showExport)
	historyBtn := widget.NewButtonWithIcon(lang.L("History"), theme.HistoryIcon(), w.ShowHistory)
	if w.opts.HistoryDir == "" {
		historyBtn.Hide()
	}

	// Connect/Disconnect is the one primary control: drawn larger than the rest of the bar,
	// which stays at its usual height, centred beside it.
	primary := container.NewThemeOverride(w.connectBtn, primaryTheme{w.app.Settings().Theme()})
	rest := container.NewHBox(w.muteBtn, widget.NewLabel(lang.L("Mic")),
		container.NewGridWrap(fyne.NewSize(90, w.micMeter.MinSize().Height), w.micMeter),
		widget.NewLabel(lang.L("Speaker")),
		container.NewGridWrap(fyne.NewSize(90, w.speakerMeter.MinSize().Height), w.speakerMeter),
		layout.NewSpacer(), pickBtn, historyBtn, exportBtn, settingsBtn)
	toolbar := container.NewVBox(
		container.NewBorder(nil, nil, primary, nil, container.NewVBox(layout.NewSpacer(), rest, layout.NewSpacer())),
		container.NewHBox(w.screenBtn,
			container.NewGridWrap(fyne.NewSize(selectWidth(displayNames(w.displays), 180, 300), w.displaySel.MinSize().Height), w.displaySel), relistBtn,
			dragBtn,
			container.NewGridWrap(fyne.NewSize(entryWidth(w.regionEntry.PlaceHolder, 145, 260), w.regionEntry.MinSize().Height), w.regionEntry),
			w.regionErr, w.cameraBtn,
			container.NewGridWrap(fyne.NewSize(170, w.cameraSel.MinSize().Height), w.cameraSel)),
	)

	w.indicatorText = canvas.NewText("", theme.Color(theme.ColorNameForegroundOnError))
	w.indicatorText.TextStyle = fyne.TextStyle{Bold: true}
	w.indicatorText.TextSize = theme.TextSize() * 1.2
	w.indicatorText.Alignment = fyne.TextAlignCenter
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameError))
	w.indicator = container.NewStack(bg, container.NewPadded(w.indicatorText))
	w.indicator.Hide()

	w.noticeText = widget.NewLabel("")
	w.noticeText.Wrapping = fyne.TextWrapWord
	w.noticeText.Importance = widget.WarningImportance
	w.noticeBar = container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()),
		widget.NewButtonWithIcon("", theme.CancelIcon(), func() { w.noticeBar.Hide(); w.top.Refresh() }), w.noticeText)
	w.noticeBar.Hide()

	top := container.NewVBox(toolbar, w.indicator, w.noticeBar)
	w.top = top
	if w.opts.Demo {
		top.Add(demoBanner())
	}

	w.transcriptBox = container.NewVBox()
	w.transcriptScroll = container.NewVScroll(w.transcriptBox)
	w.input = newInputEntry(w.SendInput, w.runShortcut)
	w.input.SetMinRowsVisible(2)
	w.input.SetPlaceHolder(bidiText(lang.L("Type to Gemini… (Enter sends, Shift+Enter adds a line)")))
	w.sendBtn = widget.NewButtonWithIcon(lang.L("Send"), theme.MailSendIcon(), w.SendInput)
	inputRow := container.NewBorder(nil, nil, nil, w.sendBtn, w.input)
	// Who is talking sits over the conversation it is about, not in the full toolbar.
	transcriptHead := container.NewBorder(nil, nil, widget.NewLabelWithStyle(lang.L("Transcript"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), w.talker)
	transcriptPane := container.NewBorder(transcriptHead,
		inputRow, nil, nil, w.transcriptScroll)

	w.preview = canvas.NewImageFromImage(nil)
	w.preview.FillMode = canvas.ImageFillContain
	w.preview.SetMinSize(fyne.NewSize(320, 180))
	w.previewNote = widget.NewLabel(lang.L("Nothing is being sent"))
	w.previewNote.Alignment = fyne.TextAlignCenter
	w.pointing = newPointLayer()
	previewBox := container.NewStack(canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)), w.preview, w.pointing.box)

	w.diagList = widget.NewList(
		func() int { return len(w.diag) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.TextStyle = fyne.TextStyle{Monospace: true}
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(w.diag[i]) },
	)
	// Diagnostics are for when something goes wrong: behind a toggle, closed at first, so the
	// transcript and the preview are what the window shows.
	w.diagBtn = widget.NewButtonWithIcon(lang.L("Diagnostics"), theme.MenuExpandIcon(), w.ToggleDiagnostics)
	w.diagBtn.Importance = widget.LowImportance
	w.diagBtn.Alignment = widget.ButtonAlignLeading
	w.diagList.Hide()
	side := container.NewBorder(
		container.NewVBox(widget.NewLabelWithStyle(lang.L("Preview of what is sent"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			previewBox, w.previewNote, w.diagBtn),
		nil, nil, nil, w.diagList)

	split := container.NewHSplit(transcriptPane, side)
	split.Offset = 0.62

	w.status = widget.NewLabel("")
	w.status.Truncation = fyne.TextTruncateEllipsis
	return container.NewBorder(top, container.NewVBox(widget.NewSeparator(), w.status), nil, nil, split)
}

// primaryTheme draws the window's primary control larger than everything else on the bar, so
// the way into and out of a conversation is found at a glance; the rest is the app's theme.
type primaryTheme struct{ fyne.Theme }

// primaryScale is how much larger the primary control's text, icon and padding are.
const primaryScale = 1.3

func (t primaryTheme) Size(n fyne.ThemeSizeName) float32 {
	s := t.Theme.Size(n)
	switch n {
	case theme.SizeNameText, theme.SizeNameInlineIcon, theme.SizeNameInnerPadding:
		return s * primaryScale
	}
	return s
}

// selectWidth is a width for a drop-down that shows the widest of names whole (a display's
// name with its resolution), within [least, most]: longer names, such as window titles, are
// cut.
func selectWidth(names []string, least, most float32) float32 {
	wide := float32(0)
	for _, n := range names {
		wide = max(wide, fyne.MeasureText(n, theme.TextSize(), fyne.TextStyle{}).Width)
	}
	// Text, then the drop-down icon, with the select's padding on either side.
	return min(max(wide+theme.IconInlineSize()+4*theme.InnerPadding(), least), most)
}

// entryWidth is a width for an entry that shows its placeholder whole, within [least, most].
func entryWidth(placeholder string, least, most float32) float32 {
	wide := fyne.MeasureText(placeholder, theme.TextSize(), fyne.TextStyle{}).Width
	return min(max(wide+4*theme.InnerPadding(), least), most)
}

// rtl reports whether the UI language is written right to left.
var rtl = sync.OnceValue(func() bool {
	l, _, _ := strings.Cut(lang.SystemLocale().LanguageString(), "-")
	switch l {
	case "ar", "fa", "he", "ur":
		return true
	}
	return false
})

// withKeys appends a shortcut hint to a label. In right-to-left languages the hint is isolated
// (U+2066…U+2069) so the bidi algorithm keeps "(Ctrl+K)" whole and on the correct side.
func withKeys(label, keys string) string {
	return bidiText(label + " " + isolate("("+keys+")"))
}

func (w *Window) listDisplays() []capture.Display {
	if w.opts.Devices != nil {
		ds, err := w.opts.Devices.Displays()
		if err != nil {
			w.appendDiag(w.now(), "listing displays: "+err.Error())
		}
		if len(ds) > 0 {
			return ds
		}
	}
	return []capture.Display{{Index: 0}}
}

// listWindows lists the shareable windows when the devices can (X11).
func (w *Window) listWindows() []capture.Window {
	l, ok := w.opts.Devices.(interface {
		Windows() ([]capture.Window, error)
	})
	if !ok {
		return nil
	}
	ws, err := l.Windows()
	if err != nil {
		w.appendDiag(w.now(), "listing windows: "+err.Error())
	}
	return ws
}

// relistScreens reads the displays and windows again (a window opened, a monitor plugged in),
// keeping the choice when it is still there.
func (w *Window) relistScreens() {
	cur, _ := w.screenShare()
	w.displays, w.windows = w.listDisplays(), w.listWindows()
	w.displaySel.SetOptions(append(displayNames(w.displays), windowNames(w.windows)...))
	w.selectScreen(cur)
}

// selectScreen shows s's display or window in the picker.
func (w *Window) selectScreen(s call.Share) {
	for i, d := range w.displays {
		if s.Window == 0 && d.Index == s.Display {
			w.displaySel.SetSelectedIndex(i)
			return
		}
	}
	for i, win := range w.windows {
		if s.Window != 0 && win.ID == s.Window {
			w.displaySel.SetSelectedIndex(len(w.displays) + i)
			return
		}
	}
	w.displaySel.SetSelectedIndex(0)
}

// dragRegion lets the user drag the region to share on the chosen display (X11): the display
// freezes dimmed under a crosshair until the drag ends or Esc.
func (w *Window) dragRegion() {
	i := w.displaySel.SelectedIndex()
	if i < 0 || i >= len(w.displays) || w.displays[i].Bounds.Empty() {
		w.showNotice(lang.L("Choose a display first: a region is part of a display."))
		return
	}
	w.selectRegion(w.displays[i].Bounds, func(image.Rectangle) {})
}

// selectRegion runs the region selector on a display and, once the user has dragged one,
// fills the region entry and calls then with it (on the Fyne goroutine).
func (w *Window) selectRegion(bounds image.Rectangle, then func(image.Rectangle)) {
	go func() {
		// The selector returns once the user lets go or presses Esc; closing the window
		// cannot be done meanwhile (the selector holds the pointer), so no context is needed
		// beyond the selector's own.
		r, err := overlay.SelectRegion(context.Background(), bounds)
		fyne.Do(func() {
			switch {
			case errors.Is(err, overlay.ErrCancelled):
			case err != nil:
				w.showNotice(lang.L("Could not drag a region: {{.Err}}", map[string]any{"Err": err.Error()}))
			default:
				w.regionEntry.SetText(fmt.Sprintf("%d,%d,%d,%d", r.Min.X, r.Min.Y, r.Dx(), r.Dy()))
				then(r)
			}
		})
	}()
}

func windowNames(ws []capture.Window) []string { return windowLabels(ws, true) }

// windowTitles names windows under a heading that already says they are windows (the share
// picker's cards), so their titles have the room.
func windowTitles(ws []capture.Window) []string { return windowLabels(ws, false) }

func windowLabels(ws []capture.Window, prefixed bool) []string {
	names := make([]string, len(ws))
	for i, win := range ws {
		t := win.Title
		if t == "" {
			t = fmt.Sprintf("%#x", win.ID)
		}
		if rtl() {
			t = "\u2068" + t + "\u2069" // a title keeps its own direction (first strong letter)
		}
		names[i] = t
		if prefixed {
			names[i] = lang.L("Window: {{.Title}}", map[string]any{"Title": t})
		}
		if win.Hidden {
			names[i] += " " + lang.L("(minimised)")
		}
		names[i] = bidiText(names[i])
	}
	return names
}

func (w *Window) listCameras() []capture.Camera {
	if w.opts.Devices == nil || !capture.WebcamSupported {
		return nil
	}
	cs, err := w.opts.Devices.Cameras()
	if err != nil {
		w.appendDiag(w.now(), "listing cameras: "+err.Error())
	}
	return cs
}

func displayNames(ds []capture.Display) []string {
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = lang.L("Screen {{.N}}", map[string]any{"N": d.Index + 1})
		if !d.Bounds.Empty() {
			names[i] += " " + isolate(fmt.Sprintf("(%d×%d)", d.Bounds.Dx(), d.Bounds.Dy()))
		}
		names[i] = bidiText(names[i])
	}
	return names
}

func cameraNames(cs []capture.Camera) []string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
		if names[i] == "" {
			names[i] = c.Path
		}
		names[i] = bidiText(names[i])
	}
	return names
}

// parseRegion reads "x,y,w,h"; "" is the whole display.
func parseRegion(s string) (image.Rectangle, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return image.Rectangle{}, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return image.Rectangle{}, errors.New(lang.L("region must be x,y,w,h"))
	}
	var n [4]int
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 {
			return image.Rectangle{}, errors.New(lang.L("region must be x,y,w,h"))
		}
		n[i] = v
	}
	if n[2] < 16 || n[3] < 16 {
		return image.Rectangle{}, errors.New(lang.L("region is smaller than 16×16"))
	}
	return image.Rect(n[0], n[1], n[0]+n[2], n[1]+n[3]), nil
}

// ToggleConnect connects or disconnects.
func (w *Window) ToggleConnect() {
	if w.wantLive {
		w.Disconnect()
	} else {
		w.Connect()
	}
}

// Connect starts a session with the saved settings (and this run's overrides).
func (w *Window) Connect() {
	cfg := w.cfg
	if w.opts.Override != nil {
		cfg = w.opts.Override(cfg)
	}
	if w.demoEndpoint != "" {
		cfg.Endpoint, cfg.Backend = w.demoEndpoint, "gemini"
		if cfg.APIKey == "" {
			cfg.APIKey = "demo"
		}
	}
	if !cfg.HasCredentials() && cfg.Endpoint == "" {
		w.setState(call.StateFailed, lang.L("No API key: add one in Settings"), cfg.Model)
		w.ShowWelcome()
		return
	}
	if err := cfg.Validate(); err != nil {
		w.setState(call.StateFailed, lang.L("Settings are invalid")+": "+err.Error(), cfg.Model)
		w.ShowSettings()
		return
	}
	if w.opts.Call == nil {
		w.setState(call.StateFailed, ErrNotWired.Error(), cfg.Model)
		return
	}
	// The call keeps mute and the share across runs: they were told when the user chose them.
	w.run = w.call().Start(cfg)
	w.wantLive = true
	w.usage = call.UsageEvent{}
	w.setState(call.StateConnecting, "", cfg.Model)
}

// Disconnect ends the session.
func (w *Window) Disconnect() {
	w.call().Stop()
	w.wantLive = false
	w.setState(call.StateIdle, "", w.model)
}

// ToggleMute mutes or unmutes the microphone.
func (w *Window) ToggleMute() {
	w.muted = !w.muted
	w.log.Info("microphone", "muted", w.muted)
	w.call().SetMuted(w.muted)
	w.refresh()
}

// ToggleScreen starts or stops sharing the selected display.
func (w *Window) ToggleScreen() {
	if w.share.Kind == call.ShareScreen {
		w.SetShare(call.Share{})
		return
	}
	s, err := w.screenShare()
	if err != nil {
		return
	}
	w.SetShare(s)
}

// ToggleCamera starts or stops sharing the selected camera.
func (w *Window) ToggleCamera() {
	if w.share.Kind == call.ShareCamera {
		w.SetShare(call.Share{})
		return
	}
	if i := w.cameraSel.SelectedIndex(); i >= 0 && i < len(w.cameras) {
		w.SetShare(call.Share{Kind: call.ShareCamera, Camera: w.cameras[i].Path})
	}
}

// SetShare changes what the model can see; while connected it applies at once.
func (w *Window) SetShare(s call.Share) {
	if s.Kind == call.ShareScreen {
		w.selectScreen(s)
	}
	w.share = s
	w.log.Info("share", "kind", s.Kind, "display", s.Display, "region", s.Region, "camera", s.Camera)
	w.call().SetShare(s)
	if s.Kind == call.ShareNone {
		w.clearPreview()
	}
	w.refresh()
}

func (w *Window) screenShare() (call.Share, error) {
	r, err := parseRegion(w.regionEntry.Text)
	if err != nil {
		w.regionErr.SetText(err.Error())
		w.regionErr.Show()
		return call.Share{}, err
	}
	w.regionErr.Hide()
	idx := 0
	i := w.displaySel.SelectedIndex()
	if i >= len(w.displays) && i < len(w.displays)+len(w.windows) {
		win := w.windows[i-len(w.displays)]
		return call.Share{Kind: call.ShareScreen, Window: win.ID, Title: win.Title}, nil
	}
	if i >= 0 && i < len(w.displays) {
		idx = w.displays[i].Index
	}
	return call.Share{Kind: call.ShareScreen, Display: idx, Region: r}, nil
}

// onShareTargetChanged re-targets a running share when the picker changes.
func (w *Window) onShareTargetChanged() {
	if w.share.Kind == call.ShareScreen && w.displaySel != nil && w.regionEntry != nil {
		if s, err := w.screenShare(); err == nil && s != w.share {
			w.share = s
			w.call().SetShare(s)
		}
	}
	if w.share.Kind == call.ShareCamera && w.cameraSel != nil {
		if i := w.cameraSel.SelectedIndex(); i >= 0 && i < len(w.cameras) && w.cameras[i].Path != w.share.Camera {
			w.share.Camera = w.cameras[i].Path
			w.call().SetShare(w.share)
		}
	}
}

// SendInput sends the text box to the model (the call shows it as the user's turn).
func (w *Window) SendInput() {
	text := strings.TrimSpace(w.input.Text)
	if text == "" {
		return
	}
	if !w.wantLive {
		w.setState(w.state, lang.L("Connect first to send text"), w.model)
		return
	}
	if err := w.call().SendText(text); err != nil {
		w.appendDiag(w.now(), "send text: "+err.Error())
		w.setState(w.state, lang.L("Could not send")+": "+err.Error(), w.model)
		return
	}
	w.input.SetText("") // the call reports the typed turn back, as the terminal and the history see it
}

// SetPushToTalk reports the push-to-talk key going down or up.
func (w *Window) SetPushToTalk(down bool) {
	if w.pttDown == down {
		return
	}
	w.pttDown = down
	w.call().SetPushToTalk(down)
	w.refresh()
}

func (w *Window) addShortcuts() {
	c := w.win.Canvas()
	w.shortcuts = map[string]func(){}
	add := func(k fyne.KeyName, mod fyne.KeyModifier, f func()) {
		sc := &desktop.CustomShortcut{KeyName: k, Modifier: mod}
		w.shortcuts[sc.ShortcutName()] = f
		c.AddShortcut(sc, func(fyne.Shortcut) { f() })
	}
	add(fyne.KeyK, fyne.KeyModifierShortcutDefault, w.ToggleConnect)
	add(fyne.KeyM, fyne.KeyModifierShortcutDefault, w.ToggleMute)
	add(fyne.KeyS, fyne.KeyModifierShortcutDefault|fyne.KeyModifierShift, w.ToggleScreen)
	add(fyne.KeyC, fyne.KeyModifierShortcutDefault|fyne.KeyModifierShift, w.ToggleCamera)
	add(fyne.KeyP, fyne.KeyModifierShortcutDefault|fyne.KeyModifierShift, w.ShowSharePicker)
	add(fyne.KeyReturn, fyne.KeyModifierShortcutDefault, w.SendInput)
	if dc, ok := c.(desktop.Canvas); ok {
		dc.SetOnKeyDown(func(e *fyne.KeyEvent) {
			if !w.cfg.AutoVAD && string(e.Name) == w.cfg.PushToTalkKey {
				w.SetPushToTalk(true)
			}
		})
		dc.SetOnKeyUp(func(e *fyne.KeyEvent) {
			if !w.cfg.AutoVAD && string(e.Name) == w.cfg.PushToTalkKey {
				w.SetPushToTalk(false)
			}
		})
	}
}

// runShortcut runs one of the window's shortcuts; it reports false for any other shortcut.
func (w *Window) runShortcut(s fyne.Shortcut) bool {
	if f, ok := w.shortcuts[s.ShortcutName()]; ok {
		f()
		return true
	}
	return false
}

func (w *Window) setState(s call.State, reason, model string) {
	if s != w.state || reason != w.reason {
		w.log.Info("state", "state", s.String(), "reason", reason)
	}
	w.state, w.reason = s, reason
	if model != "" {
		w.model = model
	}
	if s == call.StateFailed {
		w.appendDiag(w.now(), "error: "+reason)
		if w.hidden && reason != "" {
			// Nobody is looking at the window: say it where people will see it.
			w.app.SendNotification(fyne.NewNotification(lang.L("Live Desk: the conversation ended"), reason))
		}
	}
	w.refresh()
}

// applyBatch runs on the Fyne goroutine (through the bridge's single fyne.Do).
func (w *Window) applyBatch(b *batch) {
	for _, d := range b.diag {
		w.addDiag(d.At, d.Line)
	}
	if len(b.diag) > 0 {
		w.refreshDiag()
	}
	if st := b.state; st != nil && !w.stale(st.Run) {
		w.run = max(w.run, st.Run)
		if !st.State.Active() {
			w.wantLive = false // the run ended (by request or fatally)
		}
		w.setState(st.State, st.Reason, st.Model)
	}
	for _, ev := range b.transcript {
		if !w.stale(ev.Run) {
			w.applyTranscript(ev)
		}
	}
	if len(b.grounding) > 0 && !w.stale(b.groundingRun) {
		i := w.tr.ground(b.grounding, w.now())
		w.renderTurn(i)
	}
	if b.usage != nil && !w.stale(b.usage.Run) {
		w.usage = *b.usage
	}
	if b.hasLevel && !w.stale(b.level.Run) {
		w.micMeter.SetValue(clamp01(b.level.Mic))
		w.speakerMeter.SetValue(clamp01(b.level.Speaker))
		w.micLevel, w.spkLevel = b.level.Mic, b.level.Speaker
	}
	if sh := b.share; sh != nil && !w.stale(sh.Run) {
		w.applyShare(*sh)
	}
	if pv := b.preview; pv != nil && !w.stale(pv.Run) {
		if pv.Image == nil {
			w.clearPreview()
		} else {
			w.preview.Image = pv.Image
			w.preview.Refresh()
			w.sent = *pv
			w.sent.Image = nil
		}
	}
	for _, h := range b.highlights {
		if !w.stale(h.Run) {
			w.applyHighlight(h)
		}
	}
	for _, n := range b.notices {
		w.showNotice(n)
	}
	if b.dropped > 0 {
		w.appendDiag(w.now(), fmt.Sprintf("(%d updates dropped under load)", b.dropped))
	}
	w.refresh()
}

// stale reports whether an event of run belongs to a run older than the newest one: the call
// never forwards a replaced run's events, but some may already be on their way when the user
// starts a new run.
func (w *Window) stale(run uint64) bool { return run != 0 && run < w.run }

// applyShare takes in what the call actually shares: when a share failed, the user's choice
// falls back to nothing and they are told why.
func (w *Window) applyShare(e call.ShareEvent) {
	if e.Paused != nil {
		w.showNotice(e.Paused.Error())
		return
	}
	if e.Err == nil {
		return
	}
	w.showNotice(e.Err.Error())
	if w.share.Kind != call.ShareNone {
		w.share = call.Share{}
		w.clearPreview()
	}
}

func (w *Window) clearPreview() {
	if w.preview.Image != nil {
		w.preview.Image = nil
		w.preview.Refresh()
	}
	w.sent = call.PreviewEvent{}
	w.pointing.show(nil, 0, 0)
}

// applyHighlight draws what Gemini points at over the preview (or clears it) and marks the
// pointing in the transcript, so the export keeps it.
func (w *Window) applyHighlight(h call.HighlightEvent) {
	w.pointing.show(h.Boxes, w.sent.Width, w.sent.Height)
	if len(h.Boxes) == 0 {
		return
	}
	at := h.At
	if at.IsZero() {
		at = w.now()
	}
	w.renderTurn(w.tr.note(pointedText(h.Boxes), at))
}

// showNotice puts text in the notice bar (replacing an older notice) and the diagnostics.
func (w *Window) showNotice(text string) {
	w.appendDiag(w.now(), "notice: "+text)
	w.noticeText.SetText(text)
	if w.noticeBar.Hidden {
		w.noticeBar.Show()
		w.top.Refresh()
	}
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }

func (w *Window) applyTranscript(ev call.TranscriptEvent) {
	if ev.Interrupted {
		w.noteInterrupted()
	}
	i := w.tr.apply(ev, w.now())
	if i < 0 {
		return
	}
	w.renderTurn(i)
	if t := w.tr.turns[i]; t.Final {
		w.log.Info("turn", "role", t.Role.String(), "chars", utf8.RuneCountInString(t.Text)) // never the text
	}
}

func (w *Window) renderTurn(i int) {
	if i < w.firstView {
		return // scrolled out of the window's history; still in the export
	}
	t := w.tr.turns[i]
	for w.firstView+len(w.turnViews) <= i {
		tv := &turnView{
			header: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			body:   widget.NewLabel(""),
			links:  container.NewVBox(),
		}
		tv.body.Wrapping = fyne.TextWrapWord
		tv.body.Selectable = true
		tv.box = container.NewVBox(tv.header, tv.body, tv.links)
		w.turnViews = append(w.turnViews, tv)
		w.transcriptBox.Add(tv.box)
		if len(w.turnViews) > maxShownTurns {
			w.transcriptBox.Remove(w.turnViews[0].box)
			w.turnViews[0] = nil
			w.turnViews = w.turnViews[1:]
			w.firstView++
		}
	}
	tv := w.turnViews[i-w.firstView]
	head := lang.L(roleTitle(t.Role)) + " · " + isolate(t.At.Format("15:04:05"))
	if !t.Final {
		head += " …"
	}
	tv.header.SetText(bidiText(head))
	if t.Role == call.RoleModel {
		tv.header.Importance = widget.HighImportance
	}
	tv.body.SetText(t.Text)
	for ; tv.nNotes < len(t.Notes); tv.nNotes++ {
		n := widget.NewLabelWithStyle(bidiText("◎ "+t.Notes[tv.nNotes]), fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
		n.Importance = widget.WarningImportance
		n.Wrapping = fyne.TextWrapWord
		tv.links.Add(n)
	}
	for ; tv.nLinks < len(t.Links); tv.nLinks++ {
		l := t.Links[tv.nLinks]
		u, err := url.Parse(l.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			continue
		}
		title := l.Title
		if title == "" {
			title = u.Host
		}
		tv.links.Add(widget.NewHyperlink("↗ "+title, u))
	}
	w.transcriptScroll.ScrollToBottom()
}

func (w *Window) appendDiag(at time.Time, line string) {
	w.addDiag(at, line)
	w.refreshDiag()
}

func (w *Window) addDiag(at time.Time, line string) {
	w.diag = append(w.diag, at.Format("15:04:05.000")+" "+line)
	if len(w.diag) > maxDiagLines {
		w.diag = append(w.diag[:0], w.diag[len(w.diag)-maxDiagLines:]...)
	}
}

// ToggleDiagnostics shows or hides the diagnostics list.
func (w *Window) ToggleDiagnostics() {
	if w.diagList.Visible() {
		w.diagList.Hide()
		setButton(w.diagBtn, lang.L("Diagnostics"), theme.MenuExpandIcon(), widget.LowImportance)
		return
	}
	w.diagList.Show()
	setButton(w.diagBtn, lang.L("Diagnostics"), theme.MenuDropDownIcon(), widget.LowImportance)
	w.refreshDiag()
}

func (w *Window) refreshDiag() {
	if w.diagList != nil && w.diagList.Visible() {
		w.diagList.Refresh()
		w.diagList.ScrollToBottom()
	}
}

// costText is the status bar's cost estimate, with the shared screen's part once it costs
// something (frames are billed like audio: the user should see which one adds up).
func (w *Window) costText() string {
	t := fmt.Sprintf("≈ $%.4f %s", w.usage.CostUSD, lang.L("est."))
	if w.usage.VideoCostUSD > 0 {
		t += fmt.Sprintf(" (%s $%.4f)", lang.L("video"), w.usage.VideoCostUSD)
	}
	return t
}

// kilobytes says a size the way the preview note does.
func kilobytes(n int) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f KB", float64(n)/1000)
}

func (w *Window) stateText() string {
	switch w.state {
	case call.StateConnecting:
		return lang.L("Connecting…")
	case call.StateLive:
		return "● " + lang.L("Live")
	case call.StateReconnecting:
		if w.reason != "" {
			return lang.L("Reconnecting…") + " (" + w.reason + ")"
		}
		return lang.L("Reconnecting…")
	case call.StateFailed:
		return lang.L("Error") + ": " + w.reason
	default:
		if w.reason != "" {
			return lang.L("Not connected") + " — " + w.reason
		}
		return lang.L("Not connected")
	}
}

func deviceName(s string) string {
	if s == "" {
		return lang.L("default")
	}
	return s
}

// refresh brings every control in line with the window's state.
func (w *Window) refresh() {
	running := w.wantLive && w.state != call.StateIdle && w.state != call.StateFailed
	if w.wantLive {
		setButton(w.connectBtn, withKeys(lang.L("Disconnect"), "Ctrl+K"), theme.MediaStopIcon(), widget.MediumImportance)
	} else {
		setButton(w.connectBtn, withKeys(lang.L("Connect"), "Ctrl+K"), theme.MediaPlayIcon(), widget.HighImportance)
	}
	if w.muted {
		setButton(w.muteBtn, withKeys(lang.L("Unmute"), "Ctrl+M"), theme.VolumeMuteIcon(), widget.WarningImportance)
	} else {
		setButton(w.muteBtn, withKeys(lang.L("Mute"), "Ctrl+M"), theme.VolumeUpIcon(), widget.MediumImportance)
	}
	if w.share.Kind == call.ShareScreen {
		setButton(w.screenBtn, withKeys(lang.L("Stop sharing screen"), "Ctrl+Shift+S"), theme.ComputerIcon(), widget.DangerImportance)
	} else {
		setButton(w.screenBtn, withKeys(lang.L("Share screen"), "Ctrl+Shift+S"), theme.ComputerIcon(), widget.MediumImportance)
	}
	if w.share.Kind == call.ShareCamera {
		setButton(w.cameraBtn, withKeys(lang.L("Stop camera"), "Ctrl+Shift+C"), theme.MediaVideoIcon(), widget.DangerImportance)
	} else {
		setButton(w.cameraBtn, withKeys(lang.L("Share camera"), "Ctrl+Shift+C"), theme.MediaVideoIcon(), widget.MediumImportance)
	}
	// With no camera the row says so in the drop-down alone; a shared camera (picked in the
	// share picker) always has its stop button.
	if len(w.cameras) > 0 || w.share.Kind == call.ShareCamera {
		w.cameraBtn.Show()
	} else {
		w.cameraBtn.Hide()
	}

	wasHidden, oldText := w.indicator.Hidden, w.indicatorText.Text
	switch {
	case running && w.share.Kind == call.ShareScreen:
		w.indicatorText.Text = "● " + lang.L("Gemini can see your screen")
		w.indicator.Show()
	case running && w.share.Kind == call.ShareCamera:
		w.indicatorText.Text = "● " + lang.L("Gemini can see your camera")
		w.indicator.Show()
	default:
		w.indicator.Hide()
	}
	if oldText != w.indicatorText.Text {
		w.indicatorText.Refresh()
	}
	if wasHidden != w.indicator.Hidden {
		w.top.Refresh() // lay out again: the indicator changes the height of the top bar
	}
	switch {
	case !running || w.share.Kind == call.ShareNone:
		setLabel(w.previewNote, lang.L("Nothing is being sent"), widget.MediumImportance)
	case w.preview.Image == nil:
		setLabel(w.previewNote, lang.L("Waiting for the first frame…"), widget.MediumImportance)
	default:
		setLabel(w.previewNote, bidiText(fmt.Sprintf("%s %s", lang.L("Sent frame"), isolate(fmt.Sprintf("%d×%d, %s", w.sent.Width, w.sent.Height, kilobytes(w.sent.Bytes))))), widget.MediumImportance)
	}

	model := w.model
	if model == "" {
		model = w.cfg.Model
	}
	parts := []string{w.stateText(), model,
		fmt.Sprintf("%d %s", w.usage.TotalTokens, lang.L("tokens")),
		w.costText(),
		lang.L("Mic") + ": " + deviceName(w.cfg.MicDevice),
		lang.L("Speaker") + ": " + deviceName(w.cfg.SpeakerDevice),
	}
	if w.muted {
		parts = append(parts, lang.L("muted"))
	}
	if !w.cfg.AutoVAD {
		if w.pttDown {
			parts = append(parts, lang.L("talking"))
		} else {
			parts = append(parts, lang.L("Hold {{.Key}} to talk", map[string]any{"Key": w.cfg.PushToTalkKey}))
		}
	}
	if w.opts.Demo {
		parts = append(parts, lang.L("DEMO"))
	}
	imp := widget.MediumImportance
	switch w.state {
	case call.StateFailed:
		imp = widget.DangerImportance
	case call.StateLive:
		imp = widget.SuccessImportance
	}
	setLabel(w.status, joinParts(parts, "  ·  "), imp)
	tt, ti := w.talkerText()
	setLabel(w.talker, bidiText(tt), ti)
	w.updateTray()
}

// setButton changes a button only when something differs: refreshing re-renders its icon.
func setButton(b *widget.Button, text string, icon fyne.Resource, imp widget.Importance) {
	if b.Text == text && b.Icon == icon && b.Importance == imp {
		return
	}
	b.Text, b.Icon, b.Importance = text, icon, imp
	b.Refresh()
}

// setLabel changes a label only when something differs.
func setLabel(l *widget.Label, text string, imp widget.Importance) {
	if l.Text == text && l.Importance == imp {
		return
	}
	l.Text, l.Importance = text, imp
	l.Refresh()
}

// demoBanner says, in the window, that the conversation is with the built-in fake server.
func demoBanner() *widget.Label {
	demo := widget.NewLabel(lang.L("DEMO — connected to the built-in fake server, not to Gemini"))
	demo.Importance = widget.WarningImportance
	demo.TextStyle = fyne.TextStyle{Bold: true}
	demo.Alignment = fyne.TextAlignCenter
	return demo
}
