package ui

import (
	"fmt"
	"math"

	"fyne.io/fyne/v2/lang"

	"github.com/livedesk/livedesk/catalog"
	"github.com/livedesk/livedesk/settings"
)

// Assumptions of the frame estimates shown in Settings (estimates, said as such).
const (
	talkingShare     = 0.2 // of an hour someone speaks, in a typical working session
	questionsPerHour = 60  // fresh frames when the user starts speaking
)

// framesPerHour estimates how many frames a policy sends in an hour at most (unchanged frames
// are not sent, so a quiet screen costs less).
func framesPerHour(policy string, fps float64, idleSec int) float64 {
	switch policy {
	case settings.FramesAlways:
		return fps * 3600
	case settings.FramesWhenAsked:
		return talkingShare*fps*3600 + questionsPerHour
	}
	idle := 0.0
	if idleSec > 0 {
		idle = (1 - talkingShare) * 3600 / float64(idleSec)
	}
	return talkingShare*fps*3600 + idle
}

// frameCostPerHour is the estimated cost in USD of an hour of frames.
func frameCostPerHour(policy string, fps float64, idleSec int, resolution, model string) float64 {
	p, _ := catalog.PriceFor(model)
	return framesPerHour(policy, fps, idleSec) * float64(catalog.FrameTokens(resolution)) * p.InputMedia / 1e6
}

// framePolicyLabel says a policy in words.
func framePolicyLabel(policy string) string {
	switch policy {
	case settings.FramesAlways:
		return lang.L("Always, at the frame rate")
	case settings.FramesWhenAsked:
		return lang.L("Only when I start speaking, and while we talk")
	}
	return lang.L("While someone talks; now and then otherwise")
}

// frameCostNote describes what the chosen policy and resolution cost.
func frameCostNote(policy string, fps float64, idleSec int, resolution, model string) string {
	if math.IsNaN(fps) || fps <= 0 {
		return ""
	}
	n := framesPerHour(policy, fps, idleSec)
	cost := func(p string) string {
		return fmt.Sprintf("$%.2f", frameCostPerHour(p, fps, idleSec, resolution, model))
	}
	chosen := lang.L("About {{.Frames}} frames an hour at most, {{.Tokens}} tokens each: about {{.Cost}} an hour (estimate; unchanged frames are not sent)",
		map[string]any{"Frames": fmt.Sprintf("%.0f", n), "Tokens": catalog.FrameTokens(resolution), "Cost": cost(policy)})
	each := lang.L("Per hour at most: while talking {{.Talking}}, always {{.Always}}, only when I ask {{.Asked}}",
		map[string]any{"Talking": cost(settings.FramesWhileTalking), "Always": cost(settings.FramesAlways), "Asked": cost(settings.FramesWhenAsked)})
	return chosen + "\n" + each
}
