package call

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/catalog"
	"github.com/livedesk/livedesk/live"
	"github.com/livedesk/livedesk/settings"
)

// LiveConfig maps saved settings onto what the protocol needs, in its words. It is the one
// place where preference words ("interrupt", "LOW") become wire values; the window, talk and
// ask all go through it.
func LiveConfig(s settings.Config) live.Config {
	c := live.Config{
		Model:               s.Model,
		Voice:               s.Voice,
		LanguageCode:        s.Language,
		SystemInstruction:   systemInstruction(s),
		InputTranscription:  s.InputTranscription,
		OutputTranscription: s.OutputTranscription,
		ManualActivity:      !s.AutoVAD,
		PrefixPadding:       time.Duration(s.PrefixPaddingMs) * time.Millisecond,
		SilenceDuration:     time.Duration(s.SilenceDurationMs) * time.Millisecond,
		NoInterruption:      s.ActivityHandling == settings.ActivityNoInterruption,
		ThinkingLevel:       strings.ToUpper(s.ThinkingLevel),
		AffectiveDialog:     s.AffectiveDialog,
		ProactiveAudio:      s.ProactiveAudio,
		Compression:         s.Compression,
		GoogleSearch:        s.GoogleSearch,
	}
	if v := startSensitivity(s); v != "" {
		c.StartSensitivity = "START_SENSITIVITY_" + v
	}
	if v := strings.ToUpper(s.EndSensitivity); v != "" {
		c.EndSensitivity = "END_SENSITIVITY_" + v
	}
	if v := strings.ToUpper(s.MediaResolution); v != "" {
		c.MediaResolution = "MEDIA_RESOLUTION_" + v
	}
	return c
}

// startSensitivity is the start-of-speech sensitivity to ask for ("" leaves it to the server).
// Left to it, the Gemini API detects speech with HIGH sensitivity, which takes the first
// syllables of an echo the canceller has not (re)learnt for the user, and the model interrupts
// itself: in 1 of 4 ten-answer runs here, after a barge-in that met a playback stall (issue 13).
// On speakers Google recommends LOW against echo, and Vertex AI defaults to it; a user who
// declared headphones has no echo and keeps the server's choice. A choice in Settings wins.
func startSensitivity(s settings.Config) string {
	if v := strings.ToUpper(s.StartSensitivity); v != "" || s.Headphones {
		return v
	}
	return "LOW"
}

// systemInstruction is the user's instruction, plus how to point at things while the
// highlight tool is on.
func systemInstruction(s settings.Config) string {
	si := strings.TrimSpace(s.SystemInstruction)
	if !slices.Contains(s.LocalTools, catalog.ToolHighlight) {
		return si
	}
	if si == "" {
		return live.HighlightInstruction
	}
	return si + "\n\n" + live.HighlightInstruction
}

// CaptureOptions maps the sharing settings onto the capture pipeline's options.
func CaptureOptions(s settings.Config) capture.Options {
	o := capture.DefaultOptions()
	if s.MaxSize > 0 {
		o.MaxSize = s.MaxSize
	}
	if s.JPEGQuality > 0 {
		o.Quality = s.JPEGQuality
	}
	if s.FPS > 0 {
		o.FPS = s.FPS
	}
	o.SkipUnchanged = s.SkipUnchanged
	o.HideOwnWindows = s.HideOwnWindows
	// While everyone is silent: a frame every IdleFrameSeconds ("while talking"), or none
	// at all until the user starts speaking ("when I ask"). "Always" never goes idle.
	o.IdleInterval = time.Duration(s.IdleFrameSeconds) * time.Second
	if s.FramePolicy == settings.FramesWhenAsked {
		o.IdleInterval = 0
	}
	return o
}

// localTools builds the enabled local tools. snapshot, clipboard and highlight may be nil when
// the mode has no shared view or no clipboard; those tools are then not offered.
func localTools(s settings.Config, snapshot func(context.Context) ([]byte, int, int, error), clipboard func(string) error,
	highlight func(context.Context, live.Highlight) (int, error),
) *live.Toolbox {
	var tools []live.LocalTool
	for _, name := range s.LocalTools {
		switch name {
		case catalog.ToolCurrentTime:
			tools = append(tools, live.TimeTool(time.Now))
		case catalog.ToolSnapshot:
			if snapshot != nil {
				tools = append(tools, live.SnapshotTool(snapshot))
			}
		case catalog.ToolClipboard:
			if clipboard != nil {
				tools = append(tools, live.ClipboardTool(clipboard))
			}
		case catalog.ToolHighlight:
			if highlight != nil {
				tools = append(tools, live.HighlightTool(highlight))
			}
		}
	}
	return live.NewToolbox(tools...)
}
