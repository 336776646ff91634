// Package catalog is what Live Desk knows about the Gemini Live service, each fact written
// once: the models and what each accepts in its setup, the prebuilt voices, the speech
// languages, the names of the local tools, and the prices. live, settings and ui read it; it
// imports nothing of the project.
package catalog

import (
	"slices"
	"strings"
)

// Thinking says how a model takes its thinking configuration.
type Thinking int

const (
	ThinkingNone   Thinking = iota // thinkingConfig is rejected
	ThinkingLevel                  // thinkingConfig.thinkingLevel
	ThinkingBudget                 // thinkingConfig.thinkingBudget
)

// Proactive says what a model does with proactivity.proactiveAudio.
type Proactive int

const (
	ProactiveUnsupported Proactive = iota // the field is rejected: omit it
	ProactiveOptional                     // true or false are accepted
	ProactiveAlways                       // always on; false is rejected, so omit it
)

// Caps is what one model accepts in its setup. The zero value is the conservative choice for an
// unknown model: nothing optional is sent.
type Caps struct {
	Model           string
	Known           bool
	Stable          bool
	Deprecated      bool
	Thinking        Thinking
	ThinkingLevels  []string
	Proactive       Proactive
	AffectiveDialog bool
	// NonBlocking reports whether functions may be NON_BLOCKING; NonBlockingDefault whether
	// they are NON_BLOCKING unless declared BLOCKING.
	NonBlocking        bool
	NonBlockingDefault bool
	TextResponses      bool // TEXT response modality accepted (native-audio models reject it)
	GoogleSearch       bool
	Voices             []string
	Note               string
}

// Reason explains in words why an option is unavailable for the model, or "" when it is.
func (c Caps) Reason(option string) string {
	name := c.Model
	switch option {
	case "thinking":
		if c.Thinking == ThinkingNone {
			return name + " does not accept a thinking configuration"
		}
	case "proactive":
		switch c.Proactive {
		case ProactiveUnsupported:
			return name + " does not support proactive audio"
		case ProactiveAlways:
			return name + " always uses proactive audio"
		}
	case "affective":
		if !c.AffectiveDialog {
			return name + " does not support affective dialog"
		}
	case "nonblocking":
		if !c.NonBlocking {
			return name + " only supports blocking function calls"
		}
	case "text":
		if !c.TextResponses {
			return name + " only answers with audio (use output transcription for text)"
		}
	case "search":
		if !c.GoogleSearch {
			return name + " does not support Google Search grounding"
		}
	}
	return ""
}

// DefaultModel is the stable Live model (Nov 2026), what a new user gets.
const DefaultModel = "gemini-3.8-live"

// Models lists the known Live models of the Gemini API, the default first (ModelsFor has
// Vertex AI's).
func Models() []string {
	return []string{
		DefaultModel,
		"gemini-3.8-live-extended-thinking",
		"gemini-3.1-flash-live-preview",
		"gemini-2.5-flash-native-audio-preview-12-2025",
	}
}

// Capabilities returns the setup rules of a model (with or without the "models/" prefix).
// Sources: shared/reference/live-api.md §4.1 "Model-specific setup rules" and §8.
func Capabilities(model string) Caps {
	m := strings.TrimPrefix(model, "models/")
	c := Caps{Model: m}
	switch {
	case m == DefaultModel:
		c = Caps{Model: m, Known: true, Stable: true, Proactive: ProactiveAlways,
			NonBlocking: true, NonBlockingDefault: true, GoogleSearch: true,
			Note: "stable default; proactive audio always on; no thinking or affective dialog settings"}
	case m == "gemini-3.8-live-extended-thinking":
		c = Caps{Model: m, Known: true, Thinking: ThinkingLevel, ThinkingLevels: []string{"LOW", "MEDIUM", "HIGH"},
			Proactive: ProactiveAlways, NonBlocking: true, NonBlockingDefault: true, GoogleSearch: true,
			Note: "3.8 Live with adjustable thinking"}
	case m == "gemini-3.1-flash-live-preview":
		c = Caps{Model: m, Known: true, Thinking: ThinkingLevel, ThinkingLevels: []string{"MINIMAL", "LOW", "MEDIUM", "HIGH"},
			GoogleSearch: true, Note: "legacy preview; blocking function calls only"}
	case m == DefaultVertexModel:
		// Vertex AI's GA native-audio model: the 2.5 native-audio family's rules.
		c = Caps{Model: m, Known: true, Stable: true, Thinking: ThinkingBudget, Proactive: ProactiveOptional,
			AffectiveDialog: true, NonBlocking: true, GoogleSearch: true,
			Note: "Vertex AI: generally available native-audio model"}
	case m == "gemini-live-2.5-flash":
		// Half-cascade: speech is recognised, answered in text and spoken by a separate voice.
		c = Caps{Model: m, Known: true, TextResponses: true, NonBlocking: true, GoogleSearch: true,
			Note: "Vertex AI: half-cascade model (private GA); answers can also be text"}
	case strings.HasPrefix(m, "gemini-2.5-flash-native-audio"):
		c = Caps{Model: m, Known: true, Deprecated: true, Thinking: ThinkingBudget, Proactive: ProactiveOptional,
			AffectiveDialog: true, NonBlocking: true, GoogleSearch: true,
			Note: "deprecated: migrate to gemini-3.8-live"}
	}
	c.Voices = slices.Clone(Voices)
	return c
}
