package ui

// Support says whether a model accepts an optional feature.
type Support int

// Support levels.
const (
	Unsupported Support = iota // the model rejects the field: disable the control
	Optional                   // the user chooses
	AlwaysOn                   // the model always does it: show checked and disabled
)

// Caps is what a model accepts, as far as the settings dialog cares.
type Caps struct {
	Proactive      Support
	Affective      Support
	ThinkingLevel  bool     // accepts thinkingConfig.thinkingLevel
	ThinkingLevels []string // the levels it accepts, when ThinkingLevel
	ThinkingBudget bool     // accepts thinkingConfig.thinkingBudget (older models)
	NonBlocking    bool     // accepts NON_BLOCKING function declarations
}

// Models lists the models offered in the settings dialog, default first.
var Models = []string{
	"gemini-3.8-live",
	"gemini-3.8-live-extended-thinking",
	"gemini-3.1-flash-live-preview",
	"gemini-2.5-flash-native-audio-preview-12-2025",
}

// CapabilitiesFunc returns a model's capabilities. It mirrors live.Capabilities (same table) and
// is the one place to swap it in once ui may import live.
var CapabilitiesFunc = capabilities

func capabilities(model string) Caps {
	switch model {
	case "gemini-3.8-live-extended-thinking":
		return Caps{Proactive: AlwaysOn, Affective: Unsupported, ThinkingLevel: true,
			ThinkingLevels: []string{"LOW", "MEDIUM", "HIGH"}, NonBlocking: true}
	case "gemini-3.1-flash-live-preview":
		return Caps{Proactive: Unsupported, Affective: Unsupported, ThinkingLevel: true,
			ThinkingLevels: []string{"MINIMAL", "LOW", "MEDIUM", "HIGH"}}
	case "gemini-2.5-flash-native-audio-preview-12-2025":
		return Caps{Proactive: Optional, Affective: Optional, ThinkingBudget: true, NonBlocking: true}
	default: // gemini-3.8-live and unknown models: the strictest known table
		return Caps{Proactive: AlwaysOn, Affective: Unsupported, NonBlocking: true}
	}
}
