package live

import "time"

// Config is what a conversation asks of the service, in the protocol's own words. The app
// maps its saved settings onto it in one place (package call); live reads nothing else. The
// zero value is a usable minimal conversation with the default model: audio answers, the
// server's voice activity detection and default voice, no transcripts, no compression.
type Config struct {
	Model             string // "" = catalog.DefaultModel; with or without "models/"
	Voice             string // prebuilt voice; "" = the server's default
	LanguageCode      string // BCP-47 speech language; "" lets the model choose
	SystemInstruction string

	InputTranscription  bool
	OutputTranscription bool

	// ManualActivity turns the server's voice activity detection off: the client frames the
	// user's speech with activityStart and activityEnd (push-to-talk).
	ManualActivity bool
	// StartSensitivity and EndSensitivity are the wire values, e.g. "START_SENSITIVITY_LOW";
	// "" is the server's default.
	StartSensitivity string
	EndSensitivity   string
	PrefixPadding    time.Duration // 0 = the server's default
	SilenceDuration  time.Duration // 0 = the server's default
	// NoInterruption keeps the model speaking when the user talks over it
	// (activityHandling NO_INTERRUPTION).
	NoInterruption bool

	MediaResolution string // e.g. "MEDIA_RESOLUTION_LOW"; "" = the server's default
	ThinkingLevel   string // "MINIMAL", "LOW", "MEDIUM", "HIGH"; "" = the model's default
	AffectiveDialog bool
	ProactiveAudio  bool
	// Compression turns on context-window compression (sessions with video end after about
	// two minutes without it).
	Compression  bool
	GoogleSearch bool
}
