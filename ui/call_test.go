package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/catalog"
)

// TestStaleRunCannotChangeTheWindow: after a restart (Connect while live, as saving settings
// does), the replaced run's last events — whatever order they arrive in — do not change what
// the window shows: live, Disconnect, the sharing banner.
func TestStaleRunCannotChangeTheWindow(t *testing.T) {
	orders := []struct {
		name  string
		posts func(br *Bridge, old, cur uint64)
	}{
		{"old run ends after the new one is live", func(br *Bridge, old, cur uint64) {
			br.Post(call.StateEvent{Run: cur, State: call.StateLive})
			br.Post(call.ShareEvent{Run: cur, Share: call.Share{Kind: call.ShareScreen}})
			br.Post(call.StateEvent{Run: old, State: call.StateEnded})
			br.Post(call.ShareEvent{Run: old})
			br.Post(call.PreviewEvent{Run: old})
		}},
		{"old run ends first", func(br *Bridge, old, cur uint64) {
			br.Post(call.StateEvent{Run: old, State: call.StateEnded})
			br.Post(call.StateEvent{Run: cur, State: call.StateLive})
		}},
		{"old run fails in a later batch", func(br *Bridge, old, cur uint64) {
			br.Post(call.StateEvent{Run: cur, State: call.StateLive})
			br.flush()
			br.Post(call.StateEvent{Run: old, State: call.StateFailed, Reason: "1011 internal error"})
		}},
	}
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			var w *Window
			conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
			w, loop := newTestWindow(t, Options{Call: conv, Devices: fakeDevices{}})
			w.SetShare(call.Share{Kind: call.ShareScreen})
			w.Connect()
			old := w.run
			w.Bridge().flush()
			loop.drain()
			w.Connect() // a settings change restarts the call
			cur := w.run
			if cur <= old {
				t.Fatalf("restart kept run %d (was %d)", cur, old)
			}
			o.posts(w.Bridge(), old, cur)
			w.Bridge().flush()
			loop.drain()
			if w.state != call.StateLive || !w.wantLive {
				t.Errorf("state %v, wantLive %v; want live", w.state, w.wantLive)
			}
			if !strings.HasPrefix(w.connectBtn.Text, "Disconnect") {
				t.Errorf("button %q, want Disconnect", w.connectBtn.Text)
			}
			if w.indicator.Hidden || !strings.Contains(w.indicatorText.Text, "screen") {
				t.Errorf("sharing banner hidden=%v %q", w.indicator.Hidden, w.indicatorText.Text)
			}
			if w.share.Kind != call.ShareScreen {
				t.Errorf("share = %+v, want the screen", w.share)
			}
		})
	}
}

// TestPreviewNoteSaysTheFrameSent: the note under the preview gives the size and bytes of the
// frame that went to the server, not of the thumbnail shown.
func TestPreviewNoteSaysTheFrameSent(t *testing.T) {
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
	w, loop := newTestWindow(t, Options{Call: conv, Devices: fakeDevices{}})
	w.SetShare(call.Share{Kind: call.ShareScreen})
	w.Connect()
	w.Bridge().Post(call.StateEvent{Run: w.run, State: call.StateLive})
	w.Bridge().Post(call.PreviewEvent{Run: w.run, Image: frame(), Width: 1024, Height: 640, Bytes: 98765})
	w.Bridge().flush()
	loop.drain()
	if got, want := w.previewNote.Text, "Sent frame 1024×640, 98.8 KB"; got != want {
		t.Errorf("preview note = %q, want %q", got, want)
	}
	w.SetShare(call.Share{})
	if w.preview.Image != nil || !strings.Contains(w.previewNote.Text, "Nothing is being sent") {
		t.Errorf("after stopping: image %v, note %q", w.preview.Image != nil, w.previewNote.Text)
	}
}

// TestShareFailureResetsTheChoice: when the call cannot share what was picked, the window
// says why and stops claiming to share it.
func TestShareFailureResetsTheChoice(t *testing.T) {
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
	w, loop := newTestWindow(t, Options{Call: conv, Devices: fakeDevices{}})
	w.Connect()
	w.Bridge().Post(call.StateEvent{Run: w.run, State: call.StateLive})
	w.ToggleCamera()
	w.Bridge().Post(call.ShareEvent{Run: w.run, Err: errorString("share camera /dev/video0: no camera: is it plugged in?")})
	w.Bridge().flush()
	loop.drain()
	if w.share.Kind != call.ShareNone || !w.indicator.Hidden {
		t.Errorf("share %+v, banner hidden=%v; want nothing shared", w.share, w.indicator.Hidden)
	}
	if w.noticeBar.Hidden || !strings.Contains(w.noticeText.Text, "no camera") {
		t.Errorf("notice hidden=%v %q", w.noticeBar.Hidden, w.noticeText.Text)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// TestListsComeFromTheCatalog: the settings dialog offers the catalog's models and voices, and
// the status bar shows the call's cost estimate (the window has no price table of its own).
func TestListsComeFromTheCatalog(t *testing.T) {
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
	w, loop := newTestWindow(t, Options{Call: conv})
	w.ShowSettings()
	if !slices.Equal(w.settings.voice.values, catalog.Voices) {
		t.Errorf("voices = %v, want the catalog's", w.settings.voice.values)
	}
	if !slices.Equal(w.settings.model.values, catalog.Models()) {
		t.Errorf("models = %v, want the catalog's", w.settings.model.values)
	}
	w.Connect()
	w.Bridge().Post(call.UsageEvent{Run: w.run, TotalTokens: 5000, CostUSD: 0.0123})
	w.Bridge().flush()
	loop.drain()
	if !strings.Contains(w.status.Text, "$0.0123") {
		t.Errorf("status %q does not show the call's estimate", w.status.Text)
	}
}

// TestSettingsBackend: choosing Vertex AI offers Vertex's models (moving off a Gemini-only
// model), shows the project, location and credentials fields with the server defaults of
// that backend, and the form reads them back; back on the Gemini API they hide again.
func TestSettingsBackend(t *testing.T) {
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
	w, _ = newTestWindow(t, Options{Call: conv})
	w.ShowSettings()
	f := w.settings
	if f.vertex.Visible() {
		t.Error("the Vertex AI fields show for the Gemini API")
	}
	f.backend.set(string(catalog.BackendVertex))
	if !slices.Equal(f.model.values, catalog.ModelsFor(catalog.BackendVertex)) || f.model.value() != catalog.DefaultVertexModel {
		t.Errorf("on Vertex: models %v, chosen %q", f.model.values, f.model.value())
	}
	if !f.vertex.Visible() {
		t.Error("the Vertex AI fields are hidden for Vertex AI")
	}
	if got := f.startSens.Options[0]; !strings.Contains(got, "LOW") {
		t.Errorf("start sensitivity default shown as %q; Vertex's server default is LOW", got)
	}
	f.project.SetText("acme-live")
	f.location.SetText("us-central1")
	c, bad := f.config()
	if len(bad) > 0 || c.Backend != "vertex" || c.VertexProject != "acme-live" || c.VertexLocation != "us-central1" || c.Model != catalog.DefaultVertexModel {
		t.Errorf("form reads %+v (bad %v)", c, bad)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("a Vertex configuration without an API key is invalid: %v", err)
	}
	f.backend.set(string(catalog.BackendGemini))
	if f.vertex.Visible() || f.model.value() != catalog.DefaultModel {
		t.Errorf("back on the Gemini API: Vertex fields visible %v, model %q", f.vertex.Visible(), f.model.value())
	}
}
