package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/livedesk/livedesk/call"
)

// The system tray keeps Live Desk within reach while its window is hidden: show or hide the
// window, connect, mute, stop sharing and quit. Closing the window during a conversation asks
// whether to keep it going in the tray; with no tray to go to (no status notifier host on the
// session bus, as on GNOME without the AppIndicator extension) it only asks before ending it.

// setupTray installs the tray menu when the options ask for it and the app can show one.
// On the Fyne goroutine, from New.
func (w *Window) setupTray() {
	da, ok := w.app.(desktop.App)
	if !ok || !w.opts.Tray {
		return
	}
	w.tray = da
	da.SetSystemTrayIcon(Icon)
	w.updateTray()
}

// trayHost reports whether a tray shows our icon now (so that hiding the window leaves the
// user a way back).
func (w *Window) trayHost() bool {
	if w.tray == nil {
		return false
	}
	return w.opts.TrayHost == nil || w.opts.TrayHost()
}

// trayState is what the tray menu shows; the menu is rebuilt only when it changes (each
// rebuild goes over D-Bus on Linux).
type trayState struct {
	hidden, live, muted, sharing bool
}

// updateTray brings the tray menu up to date with the window. Called from refresh.
func (w *Window) updateTray() {
	if w.tray == nil {
		return
	}
	s := trayState{hidden: w.hidden, live: w.wantLive, muted: w.muted, sharing: w.share.Kind != call.ShareNone}
	if w.trayShown != nil && *w.trayShown == s {
		return
	}
	w.trayShown = &s
	w.tray.SetSystemTrayMenu(w.trayMenu(s))
}

func (w *Window) trayMenu(s trayState) *fyne.Menu {
	show := fyne.NewMenuItem(lang.L("Hide Live Desk"), w.HideToTray)
	if s.hidden {
		show = fyne.NewMenuItem(lang.L("Show Live Desk"), w.ShowFromTray)
	}
	connect := fyne.NewMenuItem(lang.L("Connect"), w.ToggleConnect)
	if s.live {
		connect.Label = lang.L("Disconnect")
	}
	mute := fyne.NewMenuItem(lang.L("Mute microphone"), w.ToggleMute)
	if s.muted {
		mute.Label, mute.Checked = lang.L("Unmute microphone"), true
	}
	stop := fyne.NewMenuItem(lang.L("Stop sharing"), func() { w.SetShare(call.Share{}) })
	stop.Disabled = !s.sharing
	quit := fyne.NewMenuItem(lang.L("Quit"), w.Quit)
	quit.IsQuit = true
	return fyne.NewMenu("Live Desk", show, fyne.NewMenuItemSeparator(), connect, mute, stop, fyne.NewMenuItemSeparator(), quit)
}

// HideToTray hides the window; the tray brings it back.
func (w *Window) HideToTray() {
	w.hidden = true
	w.win.Hide()
	w.updateTray()
}

// ShowFromTray shows the window again and raises it.
func (w *Window) ShowFromTray() {
	w.hidden = false
	w.win.Show()
	w.win.RequestFocus()
	w.updateTray()
}

// Quit ends the conversation and the app.
func (w *Window) Quit() {
	if w.wantLive {
		w.Disconnect()
	}
	w.app.Quit()
}

// onCloseRequest is the window's close intercept. Idle, the window closes (and the app ends:
// it is the master window). During a conversation it asks first: keep it going in the tray
// (when there is one), or end it and quit.
func (w *Window) onCloseRequest() {
	if !w.wantLive {
		w.win.Close()
		return
	}
	if w.closeAsk != nil {
		return // already asking
	}
	tray := w.trayHost()
	msg := lang.L("You are still in a conversation. Quitting ends it.")
	if tray {
		msg = lang.L("You are still in a conversation. It can go on from the system tray, or end now.")
	}
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	done := func() { w.closeAsk = nil; d.Hide() }
	cancel := widget.NewButton(lang.L("Cancel"), done)
	quit := widget.NewButton(lang.L("End and quit"), func() { done(); w.Quit() })
	quit.Importance = widget.DangerImportance
	buttons := []fyne.CanvasObject{cancel, quit}
	if tray {
		keep := widget.NewButton(lang.L("Keep running in the tray"), func() { done(); w.HideToTray() })
		keep.Importance = widget.HighImportance
		buttons = append(buttons, keep)
	}
	d = dialog.NewCustomWithoutButtons(lang.L("Close Live Desk?"), text, w.win)
	d.SetButtons(buttons)
	d.SetOnClosed(func() { w.closeAsk = nil })
	d.Resize(fyne.NewSize(460, 0))
	w.closeAsk = d
	d.Show()
}
