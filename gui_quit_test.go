package main

import (
	"io"
	"log/slog"
	"testing"

	"fyne.io/fyne/v2/test"
)

// The hang this guards against is a race (see takeStopHook); what can be checked without racing
// is that the pinned Fyne still lets the hook be taken, so the driver has nothing to queue on
// quit, and that the hook still runs.
func TestTakeStopHook(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	lc, ok := a.Lifecycle().(interface {
		OnStopped() func()
		SetOnStoppedHookExecuted(func())
	})
	if !ok {
		t.Fatalf("Fyne's lifecycle (%T) no longer has the methods takeStopHook uses", a.Lifecycle())
	}
	saved := 0
	lc.SetOnStoppedHookExecuted(func() { saved++ }) // as app.NewWithID does, to save preferences

	run := takeStopHook(a, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if f := a.Lifecycle().(interface{ OnStopped() func() }).OnStopped(); f != nil {
		t.Error("the driver still has a stopped hook to queue when it quits")
	}
	run()
	if saved != 1 {
		t.Errorf("the taken hook ran %d times, want 1", saved)
	}
}
