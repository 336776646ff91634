// Command fynefloor opens the smallest Fyne window: one label. TestIdleCPU measures it beside the
// idle Live Desk window, at the same time and on the same X server, as the floor Live Desk cannot
// go below (Fyne polls GLFW at 60 Hz), so a busy shared machine inflates both alike. It takes the
// same timer slack as livedesk, which lowers that floor.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"

	_ "github.com/livedesk/livedesk/internal/timerslack"
)

func main() {
	a := app.NewWithID("io.github.livedesk.fynefloor")
	w := a.NewWindow("Fyne floor")
	w.SetContent(widget.NewLabel("idle"))
	w.Resize(fyne.NewSize(400, 200))
	w.ShowAndRun()
}
