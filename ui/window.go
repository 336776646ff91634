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
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/sync/errgroup"

	"github.com/livedesk/livedesk/settings"
)

// APIKeyURL is where users get a Gemini API key.
const APIKeyURL = "https://aistudio.google.com/apikey"

// Bounds of what the window shows (the export keeps the whole transcript).
const (
	maxDiagLines  = 500
	maxShownTurns = 100
)

// ErrNotWired is returned when the window has no Conversation to drive.
var ErrNotWired = errors.New("no conversation is wired into this build")

// Options configure a Window. Zero values are usable.
type Options struct {
	Conversation Conversation   // nil: connecting reports ErrNotWired
	Devices      Devices        // nil: pickers offer only defaults
	Keys         *settings.Keys // nil: the OS keyring, no file fallback
	Logger       *slog.Logger   // nil: discard
	Bridge       *Bridge        // nil: a new one; pass NewBridge() to hand it to the conversation first
	Demo         bool           // connected to the built-in fake server: label the window
	// Override adjusts the saved settings for this run only (e.g. --endpoint). It is applied when
	// connecting and never saved.
	Override func(settings.Config) settings.Config
	Now      func() time.Time // nil: time.Now
}

type cmdKind int

const (
	cmdStart cmdKind = iota
	cmdStop
	cmdText
	cmdShare
)

type command struct {
	kind  cmdKind
	cfg   settings.Config
	share Share
	text  string
}

// Window is the main window. Create it with New on the Fyne goroutine (or before the app runs),
// then call Run from one goroutine for as long as the window lives.
type Window struct {
	app    fyne.App
	win    fyne.Window
	opts   Options
	log    *slog.Logger
	bridge *Bridge
	cmds   chan command
	now    func() time.Time

	// Everything below is touched only on the Fyne goroutine.
	cfg       settings.Config // saved settings, with the API key
	keySource settings.KeySource
	keyErr    error
	state     State
	reason    string
	model     string
	wantLive  bool
	share     Share
	muted     bool
	pttDown   bool
	usage     UsageEvent
	tr        transcript
	turnViews []*turnView // views of turns firstView… (older ones are dropped from the window)
	firstView int
	diag      []string
	displays  []Display
	cameras   []Camera

	connectBtn       *widget.Button
	muteBtn          *widget.Button
	micMeter         *widget.ProgressBar
	speakerMeter     *widget.ProgressBar
	screenBtn        *widget.Button
	displaySel       *widget.Select
	regionEntry      *widget.Entry
	regionErr        *widget.Label
	cameraBtn        *widget.Button
	cameraSel        *widget.Select
	indicator        *fyne.Container
	indicatorText    *canvas.Text
	preview          *canvas.Image
	previewNote      *widget.Label
	transcriptBox    *fyne.Container
	transcriptScroll *container.Scroll
	input            *inputEntry
	sendBtn          *widget.Button
	status           *widget.Label
	diagList         *widget.List
	settings         *settingsForm // the open (or last) settings dialog
	top              *fyne.Container
	shortcuts        map[string]func() // by fyne.Shortcut name
}

type turnView struct {
	box    *fyne.Container
	header *widget.Label
	body   *widget.Label
	links  *fyne.Container
	nLinks int
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
	w := &Window{
		app:  app,
		opts: o,
		log:  o.Logger,
		cmds: make(chan command, 16),
		now:  o.Now,
	}
	w.bridge = o.Bridge
	if w.bridge == nil {
		w.bridge = NewBridge()
	}
	w.bridge.apply = w.applyBatch
	w.bridge.now = o.Now
	w.cfg = settings.Load(app.Preferences())
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
	w.refresh()
	return w
}

// Window returns the Fyne window.
func (w *Window) Window() fyne.Window { return w.win }

// Bridge returns the bridge the conversation reports through.
func (w *Window) Bridge() *Bridge { return w.bridge }

// NeedsAPIKey reports whether no API key is configured anywhere.
func (w *Window) NeedsAPIKey() bool { return w.cfg.APIKey == "" }

// Turns returns a copy of the transcript. Call on the Fyne goroutine.
func (w *Window) Turns() []Turn {
	out := make([]Turn, len(w.tr.turns))
	copy(out, w.tr.turns)
	return out
}

// Run applies posted events and carries out connect, disconnect, text and share requests (off
// the Fyne goroutine, since they may block on the network) until ctx ends; then it stops the
// conversation.
func (w *Window) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return w.bridge.Run(ctx) })
	g.Go(func() error {
		started := false
		defer func() {
			if started {
				w.conv().Stop()
			}
		}()
		for {
			select {
			case <-ctx.Done():
				return nil
			case c := <-w.cmds:
				switch c.kind {
				case cmdStart:
					if started {
						w.conv().Stop()
					}
					started = true
					if err := w.conv().Start(ctx, c.cfg, c.share); err != nil {
						w.log.Error("connect failed", "err", err)
						w.bridge.Post(StateEvent{State: StateError, Reason: err.Error(), Model: c.cfg.Model})
						w.bridge.Post(DiagEvent{Line: "connect: " + err.Error()})
					}
				case cmdStop:
					if started {
						w.conv().Stop()
						started = false
					}
					w.bridge.Post(StateEvent{State: StateIdle})
				case cmdText:
					if err := w.conv().SendText(c.text); err != nil {
						w.bridge.Post(DiagEvent{Line: "send text: " + err.Error()})
					}
				case cmdShare:
					if err := w.conv().SetShare(c.share); err != nil {
						w.bridge.Post(DiagEvent{Line: "share: " + err.Error()})
					}
				}
			}
		}
	})
	return g.Wait()
}

func (w *Window) conv() Conversation {
	if w.opts.Conversation == nil {
		return notWired{}
	}
	return w.opts.Conversation
}

type notWired struct{}

func (notWired) Start(context.Context, settings.Config, Share) error { return ErrNotWired }
func (notWired) Stop()                                               {}
func (notWired) SendText(string) error                               { return ErrNotWired }
func (notWired) SetMicMuted(bool)                                    {}
func (notWired) SetPushToTalk(bool)                                  {}
func (notWired) SetShare(Share) error                                { return nil }

func (w *Window) send(c command) bool {
	select {
	case w.cmds <- c:
		return true
	default:
		w.appendDiag(w.now(), "busy: request dropped")
		return false
	}
}

func (w *Window) build() fyne.CanvasObject {
	w.connectBtn = widget.NewButtonWithIcon(withKeys(lang.L("Connect"), "Ctrl+K"), theme.MediaPlayIcon(), w.ToggleConnect)
	w.connectBtn.Importance = widget.HighImportance
	w.muteBtn = widget.NewButtonWithIcon(withKeys(lang.L("Mute"), "Ctrl+M"), theme.VolumeUpIcon(), w.ToggleMute)
	w.micMeter = newMeter()
	w.speakerMeter = newMeter()

	w.displays = w.listDisplays()
	w.displaySel = widget.NewSelect(displayNames(w.displays), func(string) { w.onShareTargetChanged() })
	w.displaySel.SetSelectedIndex(0)
	w.regionEntry = widget.NewEntry()
	w.regionEntry.SetPlaceHolder(lang.L("Region x,y,w,h (optional)"))
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
		w.cameraSel.Disable()
	}
	w.cameraBtn = widget.NewButtonWithIcon(withKeys(lang.L("Share camera"), "Ctrl+Shift+C"), theme.MediaVideoIcon(), w.ToggleCamera)
	if len(w.cameras) == 0 {
		w.cameraBtn.Disable()
	}

	settingsBtn := widget.NewButtonWithIcon(lang.L("Settings"), theme.SettingsIcon(), w.ShowSettings)
	exportBtn := widget.NewButtonWithIcon(lang.L("Export"), theme.DocumentSaveIcon(), w.showExport)

	toolbar := container.NewVBox(
		container.NewHBox(w.connectBtn, w.muteBtn, widget.NewLabel(lang.L("Mic")),
			container.NewGridWrap(fyne.NewSize(90, w.micMeter.MinSize().Height), w.micMeter),
			widget.NewLabel(lang.L("Speaker")),
			container.NewGridWrap(fyne.NewSize(90, w.speakerMeter.MinSize().Height), w.speakerMeter),
			layout.NewSpacer(), exportBtn, settingsBtn),
		container.NewHBox(w.screenBtn,
			container.NewGridWrap(fyne.NewSize(195, w.displaySel.MinSize().Height), w.displaySel),
			container.NewGridWrap(fyne.NewSize(170, w.regionEntry.MinSize().Height), w.regionEntry),
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

	top := container.NewVBox(toolbar, w.indicator)
	w.top = top
	if w.opts.Demo {
		demo := widget.NewLabel(lang.L("DEMO — connected to the built-in fake server, not to Gemini"))
		demo.Importance = widget.WarningImportance
		demo.TextStyle = fyne.TextStyle{Bold: true}
		demo.Alignment = fyne.TextAlignCenter
		top.Add(demo)
	}

	w.transcriptBox = container.NewVBox()
	w.transcriptScroll = container.NewVScroll(w.transcriptBox)
	w.input = newInputEntry(w.SendInput, w.runShortcut)
	w.input.SetMinRowsVisible(2)
	w.input.SetPlaceHolder(lang.L("Type to Gemini… (Enter sends, Shift+Enter adds a line)"))
	w.sendBtn = widget.NewButtonWithIcon(lang.L("Send"), theme.MailSendIcon(), w.SendInput)
	inputRow := container.NewBorder(nil, nil, nil, w.sendBtn, w.input)
	transcriptPane := container.NewBorder(widget.NewLabelWithStyle(lang.L("Transcript"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		inputRow, nil, nil, w.transcriptScroll)

	w.preview = canvas.NewImageFromImage(nil)
	w.preview.FillMode = canvas.ImageFillContain
	w.preview.SetMinSize(fyne.NewSize(320, 180))
	w.previewNote = widget.NewLabel(lang.L("Nothing is being sent"))
	w.previewNote.Alignment = fyne.TextAlignCenter
	previewBox := container.NewStack(canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)), w.preview)

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
	side := container.NewBorder(
		container.NewVBox(widget.NewLabelWithStyle(lang.L("Preview of what is sent"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			previewBox, w.previewNote,
			widget.NewLabelWithStyle(lang.L("Diagnostics"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})),
		nil, nil, nil, w.diagList)

	split := container.NewHSplit(transcriptPane, side)
	split.Offset = 0.62

	w.status = widget.NewLabel("")
	w.status.Truncation = fyne.TextTruncateEllipsis
	return container.NewBorder(top, container.NewVBox(widget.NewSeparator(), w.status), nil, nil, split)
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
	if rtl() {
		return label + " \u2066(" + keys + ")\u2069"
	}
	return label + " (" + keys + ")"
}

func newMeter() *widget.ProgressBar {
	p := widget.NewProgressBar()
	p.TextFormatter = func() string { return "" }
	return p
}

func (w *Window) listDisplays() []Display {
	if w.opts.Devices != nil {
		ds, err := w.opts.Devices.Displays()
		if err != nil {
			w.appendDiag(w.now(), "listing displays: "+err.Error())
		}
		if len(ds) > 0 {
			return ds
		}
	}
	return []Display{{Index: 0}}
}

func (w *Window) listCameras() []Camera {
	if w.opts.Devices == nil {
		return nil
	}
	cs, err := w.opts.Devices.Cameras()
	if err != nil {
		w.appendDiag(w.now(), "listing cameras: "+err.Error())
	}
	return cs
}

func displayNames(ds []Display) []string {
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = lang.L("Screen {{.N}}", map[string]any{"N": d.Index + 1})
		if !d.Bounds.Empty() {
			names[i] += fmt.Sprintf(" (%d×%d)", d.Bounds.Dx(), d.Bounds.Dy())
		}
	}
	return names
}

func cameraNames(cs []Camera) []string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
		if names[i] == "" {
			names[i] = c.ID
		}
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
	if cfg.APIKey == "" && cfg.Endpoint == "" {
		w.setState(StateError, lang.L("No API key: add one in Settings"), cfg.Model)
		w.ShowSettings()
		return
	}
	if err := cfg.Validate(); err != nil {
		w.setState(StateError, lang.L("Settings are invalid")+": "+err.Error(), cfg.Model)
		w.ShowSettings()
		return
	}
	if !w.send(command{kind: cmdStart, cfg: cfg, share: w.share}) {
		return
	}
	w.wantLive = true
	w.usage = UsageEvent{}
	w.conv().SetMicMuted(w.muted)
	w.setState(StateConnecting, "", cfg.Model)
}

// Disconnect ends the session.
func (w *Window) Disconnect() {
	if !w.send(command{kind: cmdStop}) {
		return
	}
	w.wantLive = false
	w.setState(StateIdle, "", w.model)
}

// ToggleMute mutes or unmutes the microphone.
func (w *Window) ToggleMute() {
	w.muted = !w.muted
	w.log.Info("microphone", "muted", w.muted)
	w.conv().SetMicMuted(w.muted)
	w.refresh()
}

// ToggleScreen starts or stops sharing the selected display.
func (w *Window) ToggleScreen() {
	if w.share.Kind == ShareScreen {
		w.SetShare(Share{})
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
	if w.share.Kind == ShareCamera {
		w.SetShare(Share{})
		return
	}
	if i := w.cameraSel.SelectedIndex(); i >= 0 && i < len(w.cameras) {
		w.SetShare(Share{Kind: ShareCamera, Camera: w.cameras[i].ID})
	}
}

// SetShare changes what the model can see; while connected it applies at once.
func (w *Window) SetShare(s Share) {
	if s.Kind == ShareScreen {
		for i, d := range w.displays {
			if d.Index == s.Display {
				w.displaySel.SetSelectedIndex(i)
			}
		}
	}
	w.share = s
	w.log.Info("share", "kind", s.Kind, "display", s.Display, "region", s.Region, "camera", s.Camera)
	if w.wantLive {
		w.send(command{kind: cmdShare, share: s})
	}
	if s.Kind == ShareNone {
		w.preview.Image = nil
		w.preview.Refresh()
	}
	w.refresh()
}

func (w *Window) screenShare() (Share, error) {
	r, err := parseRegion(w.regionEntry.Text)
	if err != nil {
		w.regionErr.SetText(err.Error())
		w.regionErr.Show()
		return Share{}, err
	}
	w.regionErr.Hide()
	idx := 0
	if i := w.displaySel.SelectedIndex(); i >= 0 && i < len(w.displays) {
		idx = w.displays[i].Index
	}
	return Share{Kind: ShareScreen, Display: idx, Region: r}, nil
}

// onShareTargetChanged re-targets a running share when the picker changes.
func (w *Window) onShareTargetChanged() {
	if w.share.Kind == ShareScreen && w.displaySel != nil && w.regionEntry != nil {
		if s, err := w.screenShare(); err == nil && s != w.share {
			w.share = s
			if w.wantLive {
				w.send(command{kind: cmdShare, share: s})
			}
		}
	}
	if w.share.Kind == ShareCamera && w.cameraSel != nil {
		if i := w.cameraSel.SelectedIndex(); i >= 0 && i < len(w.cameras) && w.cameras[i].ID != w.share.Camera {
			w.share.Camera = w.cameras[i].ID
			if w.wantLive {
				w.send(command{kind: cmdShare, share: w.share})
			}
		}
	}
}

// SendInput sends the text box to the model and shows it as the user's turn.
func (w *Window) SendInput() {
	text := strings.TrimSpace(w.input.Text)
	if text == "" {
		return
	}
	if !w.wantLive {
		w.setState(w.state, lang.L("Connect first to send text"), w.model)
		return
	}
	if !w.send(command{kind: cmdText, text: text}) {
		return
	}
	w.input.SetText("")
	w.applyTranscript(TranscriptEvent{Role: RoleUser, Text: text, Final: true, At: w.now()})
}

// SetPushToTalk reports the push-to-talk key going down or up.
func (w *Window) SetPushToTalk(down bool) {
	if w.pttDown == down {
		return
	}
	w.pttDown = down
	w.conv().SetPushToTalk(down)
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

func (w *Window) setState(s State, reason, model string) {
	if s != w.state || reason != w.reason {
		w.log.Info("state", "state", s.String(), "reason", reason)
	}
	w.state, w.reason = s, reason
	if model != "" {
		w.model = model
	}
	if s == StateError {
		w.appendDiag(w.now(), "error: "+reason)
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
	if b.state != nil {
		if b.state.State == StateIdle || b.state.State == StateError {
			w.wantLive = false // the session ended (by request or fatally)
		}
		w.setState(b.state.State, b.state.Reason, b.state.Model)
	}
	for _, ev := range b.transcript {
		w.applyTranscript(ev)
	}
	if len(b.grounding) > 0 {
		i := w.tr.ground(b.grounding, w.now())
		w.renderTurn(i)
	}
	if b.usage != nil {
		w.usage = *b.usage
	}
	if b.hasLevel {
		w.micMeter.SetValue(clamp01(b.level.Mic))
		w.speakerMeter.SetValue(clamp01(b.level.Speaker))
	}
	if b.preview != nil {
		w.preview.Image = b.preview.Image
		w.preview.Refresh()
	}
	if b.dropped > 0 {
		w.appendDiag(w.now(), fmt.Sprintf("(%d updates dropped under load)", b.dropped))
	}
	w.refresh()
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }

func (w *Window) applyTranscript(ev TranscriptEvent) {
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
	head := lang.L(roleTitle(t.Role)) + " · " + t.At.Format("15:04:05")
	if !t.Final {
		head += " …"
	}
	tv.header.SetText(head)
	if t.Role == RoleModel {
		tv.header.Importance = widget.HighImportance
	}
	tv.body.SetText(t.Text)
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

func (w *Window) refreshDiag() {
	if w.diagList != nil {
		w.diagList.Refresh()
		w.diagList.ScrollToBottom()
	}
}

// Prices in USD per million tokens used for the cost estimate (Gemini native-audio list prices;
// an estimate, labelled as such).
const (
	priceTextIn   = 0.50
	priceAudioIn  = 3.00
	priceTextOut  = 2.00
	priceAudioOut = 12.00
)

func (w *Window) cost() float64 {
	if w.usage.CostUSD > 0 {
		return w.usage.CostUSD
	}
	return EstimatedCost(w.usage)
}

// EstimatedCost returns the estimated cost in USD of the given usage.
func EstimatedCost(u UsageEvent) float64 {
	textIn := max(u.PromptTokens-u.PromptAudioTokens, 0)
	textOut := max(u.ResponseTokens-u.ResponseAudioTokens, 0) + u.ThoughtsTokens
	return (float64(textIn)*priceTextIn + float64(u.PromptAudioTokens)*priceAudioIn +
		float64(textOut)*priceTextOut + float64(u.ResponseAudioTokens)*priceAudioOut) / 1e6
}

func (w *Window) stateText() string {
	switch w.state {
	case StateConnecting:
		return lang.L("Connecting…")
	case StateLive:
		return "● " + lang.L("Live")
	case StateReconnecting:
		if w.reason != "" {
			return lang.L("Reconnecting…") + " (" + w.reason + ")"
		}
		return lang.L("Reconnecting…")
	case StateError:
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
	running := w.wantLive && w.state != StateIdle && w.state != StateError
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
	if w.share.Kind == ShareScreen {
		setButton(w.screenBtn, withKeys(lang.L("Stop sharing screen"), "Ctrl+Shift+S"), theme.ComputerIcon(), widget.DangerImportance)
	} else {
		setButton(w.screenBtn, withKeys(lang.L("Share screen"), "Ctrl+Shift+S"), theme.ComputerIcon(), widget.MediumImportance)
	}
	if w.share.Kind == ShareCamera {
		setButton(w.cameraBtn, withKeys(lang.L("Stop camera"), "Ctrl+Shift+C"), theme.MediaVideoIcon(), widget.DangerImportance)
	} else {
		setButton(w.cameraBtn, withKeys(lang.L("Share camera"), "Ctrl+Shift+C"), theme.MediaVideoIcon(), widget.MediumImportance)
	}

	wasHidden, oldText := w.indicator.Hidden, w.indicatorText.Text
	switch {
	case running && w.share.Kind == ShareScreen:
		w.indicatorText.Text = "● " + lang.L("Gemini can see your screen")
		w.indicator.Show()
	case running && w.share.Kind == ShareCamera:
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
	case !running || w.share.Kind == ShareNone:
		setLabel(w.previewNote, lang.L("Nothing is being sent"), widget.MediumImportance)
	case w.preview.Image == nil:
		setLabel(w.previewNote, lang.L("Waiting for the first frame…"), widget.MediumImportance)
	default:
		b := w.preview.Image.Bounds()
		setLabel(w.previewNote, fmt.Sprintf("%s %d×%d", lang.L("Sent frame"), b.Dx(), b.Dy()), widget.MediumImportance)
	}

	model := w.model
	if model == "" {
		model = w.cfg.Model
	}
	parts := []string{w.stateText(), model,
		fmt.Sprintf("%d %s", w.usage.TotalTokens, lang.L("tokens")),
		fmt.Sprintf("≈ $%.4f %s", w.cost(), lang.L("est.")),
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
	case StateError:
		imp = widget.DangerImportance
	case StateLive:
		imp = widget.SuccessImportance
	}
	setLabel(w.status, strings.Join(parts, "  ·  "), imp)
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
