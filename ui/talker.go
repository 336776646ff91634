package ui

import (
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/livedesk/livedesk/call"
)

// The "who is talking" indicator: Listening, You are speaking, Gemini is speaking,
// Interrupted (for a moment after the user cut an answer short) or Muted, while live; empty
// otherwise. It follows the level meters' events (the call sends them only when a level
// moves), so a silent call does not redraw it.

const (
	youLevel       = 0.35 // mic meter above this (−39 dBFS): the user is talking
	geminiLevel    = 0.2  // speaker meter above this (−48 dBFS): the model is talking
	interruptShown = time.Second
)

// talkerText says who is talking now, and how to show it.
func (w *Window) talkerText() (string, widget.Importance) {
	running := w.wantLive && w.state == call.StateLive
	switch {
	case !running:
		return "", widget.MediumImportance
	case !w.interruptedAt.IsZero() && w.now().Sub(w.interruptedAt) < interruptShown:
		return "⏹ " + lang.L("Interrupted"), widget.WarningImportance
	case w.muted:
		return "● " + lang.L("Muted: Gemini cannot hear you"), widget.DangerImportance
	case w.micLevel > youLevel && w.micLevel >= w.spkLevel:
		return "● " + lang.L("You are speaking"), widget.HighImportance
	case w.spkLevel > geminiLevel:
		return "● " + lang.L("Gemini is speaking"), widget.SuccessImportance
	case w.micLevel > youLevel:
		return "● " + lang.L("You are speaking"), widget.HighImportance
	}
	return "○ " + lang.L("Listening"), widget.MediumImportance
}

// noteInterrupted shows Interrupted for a moment; the refresh after it is posted through the
// bridge's UI runner, as events are.
func (w *Window) noteInterrupted() {
	w.interruptedAt = w.now()
	time.AfterFunc(interruptShown, func() { w.bridge.do(w.refresh) })
}
