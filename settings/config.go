// Package settings holds the user's configuration as an immutable value, its defaults and
// validation, and its persistence. It never imports Fyne: the UI hands it a Store.
package settings

import (
	"log/slog"
	"strings"

	"github.com/livedesk/livedesk/catalog"
)

// Secret is a credential. Its String, GoString and LogValue never reveal it, so a Config can be
// printed or logged without leaking the key.
type Secret string

func (s Secret) String() string { return s.redacted() }

// GoString keeps %#v from printing the key.
func (s Secret) GoString() string { return s.redacted() }

// LogValue keeps slog from printing the key.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.redacted()) }

// Reveal returns the credential itself. Call it only where the key is put on the wire.
func (s Secret) Reveal() string { return string(s) }

// Scrub returns text with every occurrence of the credential replaced by "(key)": for error
// messages that might quote a request (a URL, a header) before they are shown or logged.
func (s Secret) Scrub(text string) string {
	if len(s) < 4 { // too short to be a real key; replacing it would mangle ordinary words
		return text
	}
	return strings.ReplaceAll(text, string(s), "(key)")
}

func (s Secret) redacted() string {
	if s == "" {
		return "(none)"
	}
	return "(redacted)"
}

// Activity handling values (what the user's speech does to a model reply).
const (
	ActivityInterrupts     = "interrupt"
	ActivityNoInterruption = "no-interruption"
)

// Echo cancellation modes.
const (
	EchoAuto = "auto" // on unless headphones are declared
	EchoOn   = "on"
	EchoOff  = "off"
)

// Config is everything a session needs. It is a value: a change makes a new Config and restarts
// the session (or swaps a device); nothing writes fields a running goroutine reads.
type Config struct {
	// Connection.
	Endpoint string // base URL; "" means Google's endpoint
	APIKey   Secret // API key or ephemeral token ("auth_tokens/…"); never persisted in preferences
	Model    string // e.g. "gemini-3.8-live" (no "models/" prefix)

	// Backend is catalog.BackendGemini ("" reads as it) or catalog.BackendVertex.
	Backend string
	// Vertex AI: the Google Cloud project ("" = express mode with APIKey), the location
	// ("global", "us", "eu" or a region), and a key file for the credentials ("" =
	// Application Default Credentials). The file holds a secret; only its path is kept.
	VertexProject  string
	VertexLocation string
	VertexKeyFile  string

	// Voice and language.
	Voice             string // prebuilt voice name, e.g. "Kore"
	Language          string // BCP-47 speech language; "" lets the model choose
	SystemInstruction string

	// Transcription.
	InputTranscription  bool
	OutputTranscription bool

	// Voice activity detection.
	AutoVAD           bool   // server-side automatic activity detection
	StartSensitivity  string // "", "HIGH" or "LOW"
	EndSensitivity    string // "", "HIGH" or "LOW"
	PrefixPaddingMs   int    // 0 = server default
	SilenceDurationMs int    // 0 = server default
	ActivityHandling  string // ActivityInterrupts or ActivityNoInterruption
	PushToTalkKey     string // Fyne key name used when AutoVAD is off

	// Shortcuts that work while another application has the focus (X11), written like
	// "Ctrl+Alt+Space" (hotkey.Parse); "" turns one off. Push-to-talk works when AutoVAD is off.
	GlobalPushToTalk string
	GlobalMute       string
	GlobalStopShare  string

	// Media sent while sharing.
	FPS             float64 // frames per second, 0.2..2
	MaxSize         int     // longest side of a sent frame in pixels
	JPEGQuality     int     // 1..100
	MediaResolution string  // "", "LOW", "MEDIUM", "HIGH"
	SkipUnchanged   bool
	// FramePolicy says when frames go out: FramesWhileTalking (full rate while someone
	// speaks, one frame per IdleFrameSeconds otherwise), FramesAlways, or FramesWhenAsked
	// (a fresh frame when the user starts speaking, and while talking).
	FramePolicy      string
	IdleFrameSeconds int // FramesWhileTalking: seconds between frames while everyone is silent
	// HideOwnWindows paints Live Desk's own windows gray in frames of a shared screen, so the
	// model never sees its own transcript and preview.
	HideOwnWindows bool

	// Audio devices and echo.
	MicDevice        string // device ID or name; "" = system default
	SpeakerDevice    string
	Headphones       bool   // declared by the user: no echo handling needed
	SpeakerMode      bool   // half-duplex gating while the model speaks (fallback echo handling)
	EchoCancellation string // EchoAuto, EchoOn or EchoOff
	Volume           float64

	// Session and model features.
	Compression     bool   // context-window compression (sessions with video die after 2 min without it)
	ProactiveAudio  bool   // where the model allows it
	AffectiveDialog bool   // where the model allows it
	ThinkingLevel   string // "", "MINIMAL", "LOW", "MEDIUM", "HIGH" where the model allows it

	// Tools.
	GoogleSearch bool
	LocalTools   []string // names of enabled local tools
}

// BackendOf returns the configured backend (the Gemini API when unset or unknown; Validate
// reports an unknown one).
func (c Config) BackendOf() catalog.Backend {
	b, err := catalog.ParseBackend(c.Backend)
	if err != nil {
		return catalog.BackendGemini
	}
	return b
}

// HasCredentials reports whether the configuration names a way to authenticate: an API key,
// or a Vertex AI project (whose credentials come from Google Cloud, found at connect time).
func (c Config) HasCredentials() bool {
	return c.APIKey != "" || (c.BackendOf() == catalog.BackendVertex && strings.TrimSpace(c.VertexProject) != "")
}
