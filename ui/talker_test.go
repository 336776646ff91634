package ui

import (
	"sync"
	"testing"
	"time"

	"github.com/livedesk/livedesk/call"
)

// TestWhoIsTalking follows the indicator through a conversation driven by call events: the
// user's level, the model's, silence, an interruption (shown for a moment, then gone on the
// indicator's own timer), mute, and the end of the call.
func TestWhoIsTalking(t *testing.T) {
	var mu sync.Mutex
	now := testNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }, script: []call.Event{call.StateEvent{State: call.StateLive}}}
	w, loop := newTestWindow(t, Options{Call: conv, Now: clock})
	go w.Run(t.Context())
	if w.talker.Text != "" {
		t.Errorf("before connecting the indicator says %q", w.talker.Text)
	}
	w.Connect()
	is := func(want string) {
		t.Helper()
		loop.until(t, "the indicator to say "+want, func() bool { return w.talker.Text == want })
	}
	is("○ Listening")
	post := func(ev call.Event) { w.Bridge().Post(stamp(ev, w.run)) }
	post(call.LevelEvent{Mic: 0.6, Speaker: 0})
	is("● You are speaking")
	post(call.LevelEvent{Mic: 0.25, Speaker: 0.6}) // the model's voice, and its echo on the mic
	is("● Gemini is speaking")
	post(call.LevelEvent{Mic: 0.7, Speaker: 0.6}) // the user talks over it
	is("● You are speaking")
	post(call.TranscriptEvent{Role: call.RoleModel, Text: "Once", Final: true, Interrupted: true})
	is("⏹ Interrupted")
	post(call.LevelEvent{Mic: 0, Speaker: 0})
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	is("○ Listening") // the indicator's own timer, no event needed
	w.ToggleMute()
	is("● Muted: Gemini cannot hear you")
	w.ToggleMute()
	w.Disconnect()
	is("")
}

// TestDiagnosticsToggle: the diagnostics start hidden (the transcript and the preview are the
// window) and the toggle shows them, with what was logged meanwhile.
func TestDiagnosticsToggle(t *testing.T) {
	w, _ := newTestWindow(t, Options{})
	if w.diagList.Visible() {
		t.Fatal("diagnostics shown by default")
	}
	w.appendDiag(testNow, "setupComplete")
	w.ToggleDiagnostics()
	if !w.diagList.Visible() || w.diagList.Length() == 0 {
		t.Errorf("after the toggle: visible %v, %d lines", w.diagList.Visible(), w.diagList.Length())
	}
	w.ToggleDiagnostics()
	if w.diagList.Visible() {
		t.Error("the second toggle left the diagnostics shown")
	}
}
