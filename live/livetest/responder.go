package livetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/livedesk/livedesk/catalog"
)

// Turn is what a completed user turn contained when the fake decided to answer.
type Turn struct {
	// Index counts turns in the session from 0; it continues across resumption.
	Index int
	// Model is the setup model, e.g. "models/gemini-3.8-live".
	Model string
	// Text is the typed input (realtimeInput.text or the user parts of
	// clientContent), "" for an audio turn.
	Text string
	// AudioSamples is the length of the user's audio turn in 16 kHz samples.
	AudioSamples int
	// Speech reports whether the audio held sound above the VAD threshold.
	Speech bool
	// Frames is the number of video frames received since the previous turn.
	Frames int
	// ToolResponses is set when the turn answers the model's tool calls.
	ToolResponses []FunctionResponse
	// Tools lists the function names declared in setup (or a contextUpdate).
	Tools []string
}

// AudioSeconds is the length of the user's audio in seconds.
func (t Turn) AudioSeconds() float64 { return float64(t.AudioSamples) / InputRate }

// Reply is how the fake model answers a Turn.
type Reply struct {
	// Text is spoken (and sent as output transcription deltas).
	Text string
	// Audio is s16le mono 24 kHz; nil means Synthesize(Text).
	Audio []byte
	// Heard is the input transcription for an audio turn; "" gives a placeholder
	// such as "[2.3 s of speech]".
	Heard string
	// ToolCalls are sent as a toolCall message after Text is spoken.
	ToolCalls []ToolCall
	// Grounding, when set, is sent as serverContent.groundingMetadata.
	Grounding *Grounding
	// Thought is sent as a thought part when thinkingConfig.includeThoughts is set.
	Thought string
	// TurnCompleteReason, e.g. "NEED_MORE_INPUT" or "PROHIBITED_INPUT_CONTENT"
	// (reference §5.2), is sent on the reply's turnComplete: a reply that ends
	// for a reason other than having answered. "" sends none, as for any
	// ordinary turn.
	TurnCompleteReason string
}

// ToolCall is a function call the fake model makes.
type ToolCall struct {
	ID   string // "" = generated, like "fc_1000000000000001"
	Name string
	Args map[string]any
}

// FunctionResponse is one entry of a client's toolResponse.
type FunctionResponse struct {
	ID           string
	Name         string
	Response     json.RawMessage
	Scheduling   string
	WillContinue bool
	// Matched reports whether ID named a call the fake had made and not yet seen answered.
	Matched bool
}

// Grounding is search grounding metadata attached to a reply.
type Grounding struct {
	Queries []string
	Sources []Source
}

// Source is one web grounding chunk.
type Source struct {
	URI, Title string
}

// Responder decides how the fake model answers a completed user turn. It runs on
// the connection's goroutine: it must be quick, must not block, and should be
// deterministic.
type Responder func(t Turn) Reply

// DefaultResponder answers by describing what it received ("I heard about 2.3
// seconds of audio and saw 1 image."), echoes typed text ("You said: hi."),
// reports tool results, and calls a declared function when typed text mentions
// its name (with args {"query": text}). Typed text asking "where" is answered by
// pointing at the middle of the image with highlight_on_screen, when the client
// declared it. Audio is synthesised from the text.
func DefaultResponder(t Turn) Reply {
	if len(t.ToolResponses) > 0 {
		var parts []string
		for _, r := range t.ToolResponses {
			if r.Name == catalog.ToolHighlight && strings.Contains(string(r.Response), `"shown"`) {
				parts = append(parts, "I have outlined it for you.")
				continue
			}
			parts = append(parts, fmt.Sprintf("The %s tool returned %s.", r.Name, compactJSON(r.Response)))
		}
		return Reply{Text: strings.Join(parts, " ")}
	}
	if t.Text != "" {
		lower := strings.ToLower(t.Text)
		if slices.Contains(t.Tools, catalog.ToolHighlight) && strings.Contains(lower, "where") {
			return Reply{
				Text:      "Here, in the middle of what you share. ", // the answer to the call follows in the same turn
				ToolCalls: []ToolCall{PointAt(6, Pointed{Box: [4]float64{250, 250, 750, 750}, Label: "here"})},
			}
		}
		for _, name := range t.Tools {
			if strings.Contains(lower, strings.ToLower(name)) {
				return Reply{
					Text:      "Let me check.",
					ToolCalls: []ToolCall{{Name: name, Args: map[string]any{"query": t.Text}}},
				}
			}
		}
		text := "You said: " + strings.TrimRight(t.Text, ".!? ") + "."
		if t.Frames > 0 {
			text += " I saw " + images(t.Frames) + "."
		}
		return Reply{Text: text}
	}
	var b strings.Builder
	switch {
	case t.AudioSamples > 0 && t.Speech:
		fmt.Fprintf(&b, "I heard about %.1f seconds of audio", t.AudioSeconds())
	case t.AudioSamples > 0:
		fmt.Fprintf(&b, "I heard %.1f seconds of silence", t.AudioSeconds())
	}
	if t.Frames > 0 {
		if b.Len() > 0 {
			b.WriteString(" and saw ")
		} else {
			b.WriteString("I saw ")
		}
		b.WriteString(images(t.Frames))
	}
	if b.Len() == 0 {
		return Reply{Text: "I did not receive anything."}
	}
	b.WriteString(".")
	return Reply{Text: b.String()}
}

func images(n int) string {
	if n == 1 {
		return "1 image"
	}
	return fmt.Sprintf("%d images", n)
}

func compactJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return string(raw)
	}
	return string(b)
}
