package call

import (
	"image"
	"time"

	"github.com/livedesk/livedesk/live"
)

// State is where the call is. Idle → Connecting → Live ⇄ Reconnecting → Ended or Failed; a new
// Start begins a new run at Connecting.
type State int

// States of a call.
const (
	StateIdle         State = iota // nothing started yet
	StateConnecting                // a run is opening its devices and dialling
	StateLive                      // connected and streaming
	StateReconnecting              // replacing a connection (goAway) or recovering a lost one
	StateEnded                     // the run was stopped (by the user or the owner)
	StateFailed                    // the run ended by an error: the event's Reason says why
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateLive:
		return "live"
	case StateReconnecting:
		return "reconnecting"
	case StateEnded:
		return "ended"
	case StateFailed:
		return "failed"
	}
	return "idle"
}

// Active reports whether a run is under way (connecting, live or reconnecting).
func (s State) Active() bool {
	return s == StateConnecting || s == StateLive || s == StateReconnecting
}

// Role says who spoke (the protocol's own type: one definition).
type Role = live.Role

// Roles.
const (
	RoleUser  = live.RoleUser
	RoleModel = live.RoleModel
)

// Event is what a call reports through its Sink. The concrete types are the *Event structs of
// this package. Events that belong to a run carry its number (Run); a call never forwards an
// event of a run it has replaced, and a receiver may ignore any with a Run older than the
// newest it has seen.
type Event interface{ event() }

// StateEvent is a state change of run Run. Reason says in words why (Failed, Reconnecting,
// or a detail such as "reconnected, conversation resumed").
type StateEvent struct {
	Run    uint64
	State  State
	Reason string
	Model  string
}

// TranscriptEvent is a piece of transcript. Text is appended to the open turn of the same role
// (partial transcripts are deltas); Final closes the turn. A final event may carry no text.
type TranscriptEvent struct {
	Run         uint64
	Role        Role
	Text        string
	Final       bool
	Interrupted bool      // a final model event: the user cut the answer short
	At          time.Time // zero = when received
}

// Link is one grounding source.
type Link struct {
	Title string
	URL   string
}

// GroundingEvent attaches grounding sources to the current model turn.
type GroundingEvent struct {
	Run   uint64
	Links []Link
}

// UsageEvent is the run's token totals so far (a cumulative snapshot: the newest wins), with
// the estimated cost from the catalog's prices.
type UsageEvent struct {
	Run                 uint64
	PromptTokens        int // all input tokens
	PromptAudioTokens   int // of which audio, image or video
	ResponseTokens      int // all output tokens
	ResponseAudioTokens int // of which audio
	ThoughtsTokens      int
	TotalTokens         int
	CostUSD             float64 // an estimate
	VideoCostUSD        float64 // of CostUSD: the shared screen or camera
	PriceKnown          bool    // false: the model has no price of its own in the catalog
}

// LevelEvent carries the microphone and speaker levels in 0..1 (-60..0 dBFS). It is sent at
// most MeterRate times a second, and only while either meter shows sound or just fell silent.
type LevelEvent struct {
	Run     uint64
	Mic     float64
	Speaker float64
}

// PreviewEvent is the frame exactly as last sent to the model: a small copy for showing, and
// the size and bytes of the JPEG that went out. A nil Image clears the preview.
type PreviewEvent struct {
	Run           uint64
	Image         image.Image
	Width, Height int
	Bytes         int
}

// ShareEvent says what run Run actually shares now. Err says why it is not what was asked
// (the camera is missing, the screen could not be opened, the source failed mid-call).
type ShareEvent struct {
	Run   uint64
	Share Share
	Err   error
	// Paused, with Share set, says why the share sends nothing for now (the shared window is
	// minimised); nil again when it resumes.
	Paused error
}

// SpeechEvent says the user started or stopped speaking, by the local voice detector (the
// server's detection decides turns): the moment a fresh frame of the shared screen is taken.
type SpeechEvent struct {
	Run      uint64
	Speaking bool
	At       time.Time
}

// HighlightEvent says the model pointed at things in the frame it saw last (the
// highlight_on_screen tool), or, with no Boxes, that the pointing ended (its time ran out, the
// user spoke, the share changed). Boxes are fractions 0..1 of that frame, so the window can draw
// them on its preview of it; OnScreen says they are outlined on the desktop as well.
type HighlightEvent struct {
	Run      uint64
	Boxes    []PointedBox
	OnScreen bool
	At       time.Time
}

// PointedBox is one thing the model pointed at: a rectangle in fractions 0..1 of the frame
// (X0 < X1 from the left, Y0 < Y1 from the top) and the model's short label for it.
type PointedBox struct {
	X0, Y0, X1, Y1 float64
	Label          string
}

// DiagEvent is one line of the diagnostics log. It never contains the key or raw audio.
type DiagEvent struct {
	At   time.Time
	Kind DiagKind
	Line string
}

// DiagKind says how much a diagnostics line matters.
type DiagKind int

// Diagnostics kinds.
const (
	DiagInfo    DiagKind = iota // something happened: a tool call, a goAway, a setup note
	DiagWarning                 // something went wrong and the call goes on
	DiagStatus                  // a periodic measurement (echo reduction)
	DiagMessage                 // a one-line summary of a server message (chatty)
)

// NoticeEvent is something the person should know and can act on (a missing device or font):
// shown prominently, once.
type NoticeEvent struct{ Text string }

func (StateEvent) event()      {}
func (TranscriptEvent) event() {}
func (GroundingEvent) event()  {}
func (UsageEvent) event()      {}
func (LevelEvent) event()      {}
func (PreviewEvent) event()    {}
func (ShareEvent) event()      {}
func (SpeechEvent) event()     {}
func (DiagEvent) event()       {}
func (HighlightEvent) event()  {}
func (NoticeEvent) event()     {}

// Sink receives a call's events, in order. Post must not block: the ui's bridge coalesces, a
// terminal printer buffers.
type Sink interface{ Post(Event) }

// SinkFunc adapts a function to a Sink.
type SinkFunc func(Event)

// Post calls f.
func (f SinkFunc) Post(ev Event) { f(ev) }
