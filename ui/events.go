package ui

import (
	"image"
	"time"
)

// State is the connection state shown in the status bar.
type State int

// Connection states.
const (
	StateIdle State = iota
	StateConnecting
	StateLive
	StateReconnecting
	StateError
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateLive:
		return "live"
	case StateReconnecting:
		return "reconnecting"
	case StateError:
		return "error"
	default:
		return "idle"
	}
}

// Role says who spoke a transcript turn.
type Role int

// Roles.
const (
	RoleUser Role = iota
	RoleModel
)

func (r Role) String() string {
	if r == RoleModel {
		return "gemini"
	}
	return "you"
}

// Event is what the conversation reports to the window through Bridge.Post. The concrete types
// are StateEvent, TranscriptEvent, GroundingEvent, UsageEvent, LevelEvent, PreviewEvent and
// DiagEvent.
type Event interface{ isEvent() }

// StateEvent is a connection state change. Reason says in words why (for StateError and
// StateReconnecting).
type StateEvent struct {
	State  State
	Reason string
	Model  string // the model of the session, if known
}

// TranscriptEvent is a piece of transcript. Text is appended to the open turn of the same role
// (partial transcripts are deltas); Final closes the turn. A final event may carry no text.
type TranscriptEvent struct {
	Role  Role
	Text  string
	Final bool
	At    time.Time // zero = when the window receives it
}

// Link is one grounding source.
type Link struct {
	Title string
	URL   string
}

// GroundingEvent attaches grounding sources to the current model turn.
type GroundingEvent struct{ Links []Link }

// UsageEvent is the session's token totals so far (a cumulative snapshot: the newest wins).
type UsageEvent struct {
	PromptTokens        int // all input tokens
	PromptAudioTokens   int // of which audio, image or video
	ResponseTokens      int // all output tokens
	ResponseAudioTokens int // of which audio
	ThoughtsTokens      int
	TotalTokens         int
	// CostUSD is the estimated cost so far; 0 lets the window estimate it from the tokens.
	CostUSD float64
}

// LevelEvent carries audio levels in 0..1 (RMS or peak, as the meter likes).
type LevelEvent struct {
	Mic     float64
	Speaker float64
}

// PreviewEvent is the frame exactly as last sent to the model (nil clears the preview).
type PreviewEvent struct {
	Image image.Image
}

// DiagEvent is one line of the diagnostics log. It must not contain the key or raw audio.
type DiagEvent struct {
	At   time.Time
	Line string
}

func (StateEvent) isEvent()      {}
func (TranscriptEvent) isEvent() {}
func (GroundingEvent) isEvent()  {}
func (UsageEvent) isEvent()      {}
func (LevelEvent) isEvent()      {}
func (PreviewEvent) isEvent()    {}
func (DiagEvent) isEvent()       {}
