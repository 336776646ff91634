package ui

import (
	"errors"
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/livedesk/livedesk/settings"
)

// welcome is the first-run screen: what the app does, where to get a key, a field to paste it,
// and the demo for those who want to look first. It lives on the Fyne goroutine.
type welcome struct {
	dlg     *dialog.CustomDialog
	key     *widget.Entry
	status  *widget.Label
	connect *widget.Button
	demo    *widget.Button
}

// ShowWelcome shows the first-run screen (with no credentials the app opens on it instead of
// on Settings).
func (w *Window) ShowWelcome() {
	if w.welcome != nil {
		w.welcome.dlg.Show()
		return
	}
	wl := &welcome{}
	w.welcome = wl
	wl.key = widget.NewPasswordEntry()
	wl.key.SetPlaceHolder(lang.L("Paste your Gemini API key"))
	wl.status = widget.NewLabel("")
	wl.status.Wrapping = fyne.TextWrapWord
	wl.status.Hide()
	wl.connect = widget.NewButton(lang.L("Save and connect"), w.welcomeConnect)
	wl.connect.Importance = widget.HighImportance
	wl.connect.Disable()
	wl.key.OnChanged = func(s string) {
		if strings.TrimSpace(s) == "" {
			wl.connect.Disable()
		} else {
			wl.connect.Enable()
		}
	}
	wl.key.OnSubmitted = func(string) { w.welcomeConnect() }
	getKey, _ := url.Parse(APIKeyURL)
	wl.demo = widget.NewButton(lang.L("Try the demo (no key needed)"), w.welcomeDemo)
	if w.opts.StartDemo == nil {
		wl.demo.Hide()
	}
	intro := widget.NewLabel(lang.L("Talk with Gemini while it sees your screen or your camera. To start, paste an API key from Google AI Studio (free to try), or try the demo first."))
	intro.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(
		intro,
		widget.NewHyperlink(lang.L("Get an API key")+" ↗", getKey),
		wl.key,
		wl.status,
		container.NewHBox(wl.connect, wl.demo),
		widget.NewSeparator(),
		container.NewHBox(
			widget.NewButton(lang.L("Use Vertex AI (Google Cloud)…"), func() {
				wl.dlg.Hide()
				w.ShowSettings()
			}),
			widget.NewButton(lang.L("Not now"), func() { wl.dlg.Hide() }),
		),
	)
	wl.dlg = dialog.NewCustomWithoutButtons(lang.L("Welcome to Live Desk"), content, w.win)
	wl.dlg.Resize(fyne.NewSize(560, 0))
	wl.dlg.Show()
	w.win.Canvas().Focus(wl.key)
	w.log.Info("welcome shown")
}

// welcomeConnect keeps the pasted key like Settings does (OS keyring, else this session only)
// and connects.
func (w *Window) welcomeConnect() {
	wl := w.welcome
	key := settings.Secret(strings.TrimSpace(wl.key.Text))
	if key == "" {
		return
	}
	c := w.cfg
	c.APIKey = key
	if msg := settings.FieldMessage(c.Validate(), "APIKey"); msg != "" {
		wl.status.SetText(lang.L(msg))
		wl.status.Show()
		return
	}
	src, err := w.opts.Keys.Save(key, false)
	w.keySource, w.keyErr = src, err
	switch {
	case errors.Is(err, settings.ErrNoKeyring):
		// Kept for this session: say so, and connect anyway.
		w.log.Warn("no OS keyring", "err", err, "kept", src.String())
		w.showNotice(w.keyStatusText())
	case err != nil:
		wl.status.SetText(lang.L("The key could not be saved") + ": " + err.Error())
		wl.status.Show()
		return
	}
	w.cfg.APIKey = key
	wl.key.SetText("")
	wl.dlg.Hide()
	w.Connect()
}

// welcomeDemo starts the built-in fake server and connects to it for this run.
func (w *Window) welcomeDemo() {
	wl := w.welcome
	endpoint, err := w.opts.StartDemo()
	if err != nil {
		wl.status.SetText(err.Error())
		wl.status.Show()
		return
	}
	w.demoEndpoint = endpoint
	if !w.opts.Demo {
		w.opts.Demo = true
		w.top.Add(demoBanner())
		w.top.Refresh()
	}
	wl.dlg.Hide()
	w.Connect()
}
