package live

import (
	"fmt"
	"time"
)

// State is where a conversation is.
type State int

const (
	StateConnecting   State = iota // dialling for the first time
	StateLive                      // connected and streaming
	StateReconnecting              // replacing a connection (goAway) or recovering a lost one
	StateStopped                   // Run has returned
)

func (s State) String() string {
	return [...]string{"connecting", "live", "reconnecting", "stopped"}[s]
}

// Role says who spoke.
type Role int

const (
	RoleUser Role = iota
	RoleModel
)

func (r Role) String() string {
	if r == RoleUser {
		return "you"
	}
	return "gemini"
}

// EventKind says which fields of an Event are meaningful.
type EventKind int

const (
	EventState       EventKind = iota // State; Err when stopped by an error or while reconnecting; Text: detail
	EventTranscript                   // Role, Text (a delta to append), Turn
	EventTurnEnd                      // Turn finished: Interrupted, or complete
	EventInterrupted                  // the user barged in; the speaker was cleared
	EventTool                         // Tool
	EventSources                      // Sources, Queries (Google Search grounding)
	EventUsage                        // Usage (cumulative)
	EventGoAway                       // TimeLeft before the server closes the connection
	EventWarning                      // Err: something went wrong and the conversation goes on
	EventFrame                        // Bytes, Width, Height, Seq: a video frame was sent
	EventShareEnded                   // Err: the shared screen or camera failed; nothing is shared now
	EventSpeech                       // Speaking: the user started/stopped speaking (local detection)
	EventThought                      // Text: a thought summary
	EventMessage                      // Text: one-line summary of a server message (diagnostics)
	EventNote                         // Text: a setup option left out, and why
)

// ToolEvent describes a local tool call.
type ToolEvent struct {
	ID, Name string
	Status   string // "called", "answered", "failed", "cancelled", "unknown"
	Detail   string
	Blocking bool
}

// Event is something the user may want to see. Events are values; nothing in them is shared.
type Event struct {
	Kind        EventKind
	Time        time.Time
	State       State
	Err         error
	Text        string
	Role        Role
	Turn        int // model turn counter, for merging transcript deltas
	Interrupted bool
	Tool        *ToolEvent
	Sources     []WebSource
	Queries     []string
	Usage       *Usage
	TimeLeft    time.Duration
	Bytes       int
	Width       int
	Height      int
	Seq         uint64
	Speaking    bool
}

func (e Event) String() string {
	switch e.Kind {
	case EventState:
		s := "state " + e.State.String()
		if e.Text != "" {
			s += ": " + e.Text
		}
		if e.Err != nil {
			s += ": " + e.Err.Error()
		}
		return s
	case EventTranscript:
		return fmt.Sprintf("%s: %q", e.Role, e.Text)
	case EventTurnEnd:
		if e.Interrupted {
			return "turn interrupted"
		}
		return "turn complete"
	case EventInterrupted:
		return "interrupted"
	case EventTool:
		return fmt.Sprintf("tool %s(%s) %s %s", e.Tool.Name, e.Tool.ID, e.Tool.Status, e.Tool.Detail)
	case EventSources:
		return fmt.Sprintf("sources %d", len(e.Sources))
	case EventUsage:
		return fmt.Sprintf("usage %d tokens, ~$%.4f", e.Usage.Total, e.Usage.EstimatedUSD)
	case EventGoAway:
		return fmt.Sprintf("goAway in %s", e.TimeLeft)
	case EventWarning:
		return "warning: " + e.Err.Error()
	case EventFrame:
		return fmt.Sprintf("frame %dx%d %d B", e.Width, e.Height, e.Bytes)
	case EventShareEnded:
		return "share ended: " + e.Err.Error()
	case EventSpeech:
		return fmt.Sprintf("speaking %t", e.Speaking)
	case EventThought:
		return "thought: " + e.Text
	case EventMessage:
		return "recv " + e.Text
	case EventNote:
		return "note: " + e.Text
	}
	return "event"
}
