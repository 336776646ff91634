package ui

import (
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/livedesk/livedesk/call"
)

// trayApp is Fyne's test app with a system tray that keeps every menu it is given.
type trayApp struct {
	fyne.App
	menus []*fyne.Menu
	icon  fyne.Resource
	quit  int
}

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)    { a.menus = append(a.menus, m) }
func (a *trayApp) SetSystemTrayIcon(r fyne.Resource) { a.icon = r }
func (a *trayApp) SetSystemTrayWindow(fyne.Window)   {}
func (a *trayApp) Quit()                             { a.quit++ }
func (a *trayApp) menu() *fyne.Menu                  { return a.menus[len(a.menus)-1] }
func (a *trayApp) item(t *testing.T, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range a.menu().Items {
		if it.Label == label {
			return it
		}
	}
	t.Fatalf("tray menu has no %q: %v", label, a.labels())
	return nil
}

func (a *trayApp) labels() []string {
	var l []string
	for _, it := range a.menu().Items {
		switch {
		case it.IsSeparator:
			l = append(l, "---")
		case it.Disabled:
			l = append(l, "("+it.Label+")")
		case it.Checked:
			l = append(l, "✓"+it.Label)
		default:
			l = append(l, it.Label)
		}
	}
	return l
}

// buttonsIn lists the buttons inside o, dialogs and containers included.
func buttonsIn(o fyne.CanvasObject) []*widget.Button {
	var out []*widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Button:
			out = append(out, v)
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

func buttonTexts(bs []*widget.Button) []string {
	var s []string
	for _, b := range bs {
		s = append(s, b.Text)
	}
	return s
}

// TestTrayMenu drives the tray menu and the close button: each item acts on the call (what the
// fake call core was told), the menu follows the window's state, it is rebuilt only when what
// it shows changed, and closing the window during a conversation asks first — keep it going
// in the tray (only when a tray shows the icon), end it and quit, or cancel.
func TestTrayMenu(t *testing.T) {
	app := &trayApp{App: test.NewTempApp(t)}
	hostUp := true
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
	w = New(app, Options{Call: conv, Keys: testKeys("AIza-test-key"), Now: func() time.Time { return testNow },
		Tray: true, TrayHost: func() bool { return hostUp }})
	loop := make(mainLoop, 64)
	w.bridge.do = loop.do
	closed := false
	w.win.SetOnClosed(func() { closed = true })
	t.Cleanup(func() {
		if !closed {
			w.win.Close()
		}
	})

	if app.icon != Icon {
		t.Errorf("tray icon %v, want the app icon", app.icon)
	}
	want := []string{"Hide Live Desk", "---", "Connect", "Mute microphone", "(Stop sharing)", "---", "Quit"}
	if got := app.labels(); !slices.Equal(got, want) {
		t.Fatalf("tray menu %q, want %q", got, want)
	}
	if q := app.item(t, "Quit"); !q.IsQuit {
		t.Error("Quit is not marked IsQuit: Fyne would add a second one")
	}

	muted := func() bool { conv.mu.Lock(); defer conv.mu.Unlock(); return conv.muted }
	app.item(t, "Mute microphone").Action()
	if !muted() || w.muteBtn.Text != withKeys("Unmute", "Ctrl+M") {
		t.Errorf("tray Mute: call muted %v, window button %q", muted(), w.muteBtn.Text)
	}
	if it := app.item(t, "Unmute microphone"); !it.Checked {
		t.Error("muted: the tray item is not checked")
	}
	app.item(t, "Unmute microphone").Action()
	if muted() {
		t.Error("tray Unmute left the call muted")
	}

	w.SetShare(call.Share{Kind: call.ShareScreen})
	if it := app.item(t, "Stop sharing"); it.Disabled {
		t.Fatal("sharing, yet Stop sharing is disabled")
	}
	app.item(t, "Stop sharing").Action()
	conv.mu.Lock()
	last := conv.shares[len(conv.shares)-1]
	conv.mu.Unlock()
	if last.Kind != call.ShareNone || w.share.Kind != call.ShareNone {
		t.Errorf("tray Stop sharing: the call was last told %+v, the window shares %+v", last, w.share)
	}

	app.item(t, "Connect").Action()
	loop.until(t, "the call to start", func() bool { conv.mu.Lock(); defer conv.mu.Unlock(); return len(conv.started) == 1 })
	app.item(t, "Disconnect") // the menu follows

	rebuilds := len(app.menus)
	for range 5 {
		w.refresh()
	}
	if len(app.menus) != rebuilds {
		t.Errorf("refresh with nothing changed rebuilt the tray menu %d times", len(app.menus)-rebuilds)
	}

	// Closing during the conversation, with a tray: three choices.
	press := func(label string) {
		t.Helper()
		top := w.win.Canvas().Overlays().Top()
		if top == nil {
			t.Fatalf("no dialog open to press %q in", label)
		}
		bs := buttonsIn(top)
		for _, b := range bs {
			if b.Text == label {
				test.Tap(b)
				return
			}
		}
		t.Fatalf("the dialog has no %q: %q", label, buttonTexts(bs))
	}
	w.onCloseRequest()
	if got := buttonTexts(buttonsIn(w.win.Canvas().Overlays().Top())); !slices.Equal(got, []string{"Cancel", "End and quit", "Keep running in the tray"}) {
		t.Errorf("close during a conversation offers %q", got)
	}
	press("Keep running in the tray")
	if !w.hidden || closed || app.quit != 0 {
		t.Errorf("keep running: hidden %v, closed %v, quit %d", w.hidden, closed, app.quit)
	}
	conv.mu.Lock()
	stops := conv.stops
	conv.mu.Unlock()
	if stops != 0 {
		t.Errorf("keep running in the tray stopped the call %d times", stops)
	}
	// Hidden in the tray, a failure comes as a desktop notification.
	test.AssertNotificationSent(t, fyne.NewNotification("Live Desk: the conversation ended", "connection lost"), func() {
		w.setState(call.StateFailed, "connection lost", "")
	})
	w.setState(call.StateLive, "", "")
	app.item(t, "Show Live Desk").Action()
	if w.hidden {
		t.Error("Show Live Desk left the window hidden")
	}

	// No tray to go to: only cancel or quit.
	hostUp = false
	w.onCloseRequest()
	if got := buttonTexts(buttonsIn(w.win.Canvas().Overlays().Top())); !slices.Equal(got, []string{"Cancel", "End and quit"}) {
		t.Errorf("close during a conversation with no tray offers %q", got)
	}
	press("Cancel")
	if w.hidden || closed || !w.wantLive {
		t.Errorf("cancel: hidden %v, closed %v, live %v", w.hidden, closed, w.wantLive)
	}

	// End and quit: the call stops and the app quits.
	w.onCloseRequest()
	press("End and quit")
	conv.mu.Lock()
	stops = conv.stops
	conv.mu.Unlock()
	if stops != 1 || app.quit != 1 {
		t.Errorf("end and quit: call stopped %d times, app quit %d times", stops, app.quit)
	}

	// Idle, the window just closes.
	w.onCloseRequest()
	if !closed {
		t.Error("closing while idle did not close the window")
	}
}
