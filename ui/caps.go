package ui

import "github.com/livedesk/livedesk/catalog"

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

// CapabilitiesFunc returns a model's capabilities; tests may swap it.
var CapabilitiesFunc = capabilities

// capabilities maps the protocol's per-model table (catalog.Capabilities, the one source of
// truth for what each model accepts) onto what the settings dialog shows.
func capabilities(model string) Caps {
	c := catalog.Capabilities(model)
	support := map[catalog.Proactive]Support{
		catalog.ProactiveUnsupported: Unsupported,
		catalog.ProactiveOptional:    Optional,
		catalog.ProactiveAlways:      AlwaysOn,
	}
	out := Caps{
		Proactive:      support[c.Proactive],
		Affective:      Unsupported,
		ThinkingLevel:  c.Thinking == catalog.ThinkingLevel,
		ThinkingBudget: c.Thinking == catalog.ThinkingBudget,
		NonBlocking:    c.NonBlocking,
	}
	if c.AffectiveDialog {
		out.Affective = Optional
	}
	if out.ThinkingLevel {
		out.ThinkingLevels = c.ThinkingLevels
	}
	return out
}
