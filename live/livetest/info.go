package livetest

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/coder/websocket"
)

// ConnInfo is what the fake observed on one connection. Values returned by the
// Server are copies.
type ConnInfo struct {
	ID         int
	Path       string         // request path as received, e.g. "//ws/google.ai…"
	Backend    string         // BackendGemini or BackendVertex
	Version    string         // "v1", "v1alpha" or "v1beta"; Vertex AI: "v1" or "v1beta1"
	Method     string         // "BidiGenerateContent" or "BidiGenerateContentConstrained"
	Credential CredentialKind // how the credential came (never the credential)

	Setup         json.RawMessage // the first client frame, verbatim
	SetupDone     bool            // setupComplete was sent
	Model         string          // setup.model as sent
	ResumedHandle string          // setup.sessionResumption.handle, if any
	Session       int             // session number (shared by resumed connections)

	ClientMessages  int // frames received, incl. setup
	AudioChunks     int
	AudioSamples    int // at 16 kHz
	AudioMIME       string
	Frames          int // video frames received
	LastFrame       Frame
	FrameErrors     int // frames that did not decode as images
	Texts           []string
	ActivityStarts  int
	ActivityEnds    int
	AudioStreamEnds int
	ToolResponses   []FunctionResponse
	ToolCalls       []string // ids of the calls the fake made
	Cancelled       []string // ids sent in toolCallCancellation
	Turns           int      // model turns completed (turnComplete sent)
	Interruptions   int
	InterruptedAt   []time.Time // when each interrupted was handed to the socket
	Handles         []string    // newHandle values sent

	// Sent lists the parts of every server message in order, e.g.
	// "setupComplete", "serverContent.modelTurn", "usageMetadata"; a message
	// with several parts adds several entries. Capped at 20000 entries.
	Sent []string

	Closed      bool
	ClosedBy    string               // "server" or "client" ("" while open)
	CloseCode   websocket.StatusCode // -1 until closed; 1006 for a drop without a close frame
	CloseReason string
}

// Frame describes a decoded video frame.
type Frame struct {
	MIME          string
	Width, Height int
	Bytes         int
	At            time.Time // when the fake received it (for latency measurements)
}

func (ci ConnInfo) clone() ConnInfo {
	ci.Setup = slices.Clone(ci.Setup)
	ci.Texts = slices.Clone(ci.Texts)
	ci.ToolResponses = slices.Clone(ci.ToolResponses)
	ci.ToolCalls = slices.Clone(ci.ToolCalls)
	ci.Cancelled = slices.Clone(ci.Cancelled)
	ci.Handles = slices.Clone(ci.Handles)
	ci.Sent = slices.Clone(ci.Sent)
	ci.InterruptedAt = slices.Clone(ci.InterruptedAt)
	return ci
}

// Count returns how many times part (e.g. "serverContent.turnComplete") was sent.
func (ci ConnInfo) Count(part string) int {
	n := 0
	for _, s := range ci.Sent {
		if s == part {
			n++
		}
	}
	return n
}
