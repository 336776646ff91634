package ui

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestWelcome: with no credentials, connecting opens the welcome screen (not Settings); a
// pasted key is kept in the keyring and the call starts with it; "Try the demo" starts the
// built-in server and the call goes there, labelled as a demo; a failing demo says why and
// nothing starts.
func TestWelcome(t *testing.T) {
	t.Run("paste a key", func(t *testing.T) {
		var w *Window
		conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
		keys := testKeys("")
		w, _ = newTestWindow(t, Options{Call: conv, Keys: keys})
		w.Connect()
		if w.welcome == nil || w.settings != nil && w.settings.open {
			t.Fatal("connecting without a key did not open the welcome screen (or opened Settings)")
		}
		if len(conv.started) != 0 {
			t.Fatal("a call started without a key")
		}
		test.Type(w.welcome.key, "  AIza-pasted-key ")
		test.Tap(w.welcome.connect)
		if len(conv.started) != 1 || conv.started[0].APIKey != "AIza-pasted-key" {
			t.Fatalf("started %d calls; want one with the pasted key", len(conv.started))
		}
		if got, _, _ := keys.Load(); got != "AIza-pasted-key" {
			t.Errorf("the keyring holds %q", got)
		}
		if w.NeedsAPIKey() {
			t.Error("still asking for a key")
		}
	})
	t.Run("a key with a line break", func(t *testing.T) {
		var w *Window
		conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
		w, _ = newTestWindow(t, Options{Call: conv, Keys: testKeys("")})
		w.ShowWelcome()
		test.Type(w.welcome.key, "AIza-one two")
		test.Tap(w.welcome.connect)
		if len(conv.started) != 0 || w.welcome.status.Hidden {
			t.Errorf("a key with a space: %d calls started, status %q", len(conv.started), w.welcome.status.Text)
		}
	})
	t.Run("try the demo", func(t *testing.T) {
		var w *Window
		conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
		started := 0
		w, _ = newTestWindow(t, Options{Call: conv, Keys: testKeys(""), StartDemo: func() (string, error) {
			started++
			return "ws://127.0.0.1:9/demo", nil
		}})
		w.ShowWelcome()
		test.Tap(w.welcome.demo)
		if started != 1 || len(conv.started) != 1 {
			t.Fatalf("demo servers started %d, calls %d; want 1, 1", started, len(conv.started))
		}
		if c := conv.started[0]; c.Endpoint != "ws://127.0.0.1:9/demo" || c.APIKey != "demo" || c.Backend != "gemini" {
			t.Errorf("the demo call went to %q with key %q, backend %q", c.Endpoint, c.APIKey, c.Backend)
		}
		if !w.opts.Demo {
			t.Error("the window is not labelled as a demo")
		}
	})
	t.Run("the demo fails", func(t *testing.T) {
		var w *Window
		conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
		w, _ = newTestWindow(t, Options{Call: conv, Keys: testKeys(""), StartDemo: func() (string, error) {
			return "", errors.New("starting the demo server: address in use")
		}})
		w.ShowWelcome()
		test.Tap(w.welcome.demo)
		if len(conv.started) != 0 || w.welcome.status.Text == "" {
			t.Errorf("calls %d, status %q; want none and the reason shown", len(conv.started), w.welcome.status.Text)
		}
	})
	t.Run("no demo offered", func(t *testing.T) {
		w, _ := newTestWindow(t, Options{Keys: testKeys("")})
		w.ShowWelcome()
		if w.welcome.demo.Visible() {
			t.Error("Try the demo shown with nothing to start it")
		}
	})
}
