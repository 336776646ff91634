package live

import (
	"fmt"
	"slices"
	"strings"

	"github.com/livedesk/livedesk/catalog"
)

// Compression defaults: small enough that a long screen-sharing session stays fast and cheap,
// large enough to keep several minutes of conversation (audio is 25 tokens/s, a LOW-resolution
// frame 64 tokens).
const (
	DefaultTriggerTokens = 32000
	DefaultTargetTokens  = 16000
)

// SetupOptions are the per-connection parts of a setup that do not come from the Config.
type SetupOptions struct {
	Handle    string                // resumption handle; "" starts a new session
	Functions []FunctionDeclaration // local tools offered to the model
	// Vertex is the Vertex AI target (nil: the Gemini API): it names the model differently
	// and asks for transparent resumption, so a dropped connection loses no input.
	Vertex *Vertex
}

// BuildSetup turns a configuration into a setup message the model accepts. Options the model
// would reject are left out; each omission is described in the returned notes so the UI can
// say why.
func BuildSetup(cfg Config, opt SetupOptions) (Setup, []string) {
	model := ModelName(cfg.Model)
	if opt.Vertex != nil && strings.TrimSpace(cfg.Model) == "" {
		model = catalog.DefaultVertexModel
	}
	caps := catalog.Capabilities(model)
	var notes []string
	drop := func(option string) {
		if r := caps.Reason(option); r != "" {
			notes = append(notes, r+": option left out")
		} else {
			notes = append(notes, fmt.Sprintf("%s: %s left out (model not known to support it)", model, option))
		}
	}

	s := Setup{Model: ModelResource(opt.Vertex, model)}
	gc := &GenerationConfig{ResponseModalities: []string{"AUDIO"}}
	if cfg.Voice != "" || cfg.LanguageCode != "" {
		sc := &SpeechConfig{LanguageCode: cfg.LanguageCode}
		if cfg.Voice != "" {
			sc.VoiceConfig = &VoiceConfig{PrebuiltVoiceConfig: &PrebuiltVoiceConfig{VoiceName: cfg.Voice}}
		}
		gc.SpeechConfig = sc
	}
	gc.MediaResolution = cfg.MediaResolution
	if lvl := cfg.ThinkingLevel; lvl != "" {
		switch caps.Thinking {
		case catalog.ThinkingLevel:
			if !slices.Contains(caps.ThinkingLevels, lvl) {
				notes = append(notes, fmt.Sprintf("%s accepts the thinking levels %s, not %s: option left out", model, strings.Join(caps.ThinkingLevels, ", "), lvl))
				break
			}
			gc.ThinkingConfig = &ThinkingConfig{ThinkingLevel: lvl}
		case catalog.ThinkingBudget:
			// Older models take a token budget; map the level onto one.
			b := map[string]int32{"MINIMAL": 0, "LOW": 1024, "MEDIUM": 4096, "HIGH": 8192}[lvl]
			gc.ThinkingConfig = &ThinkingConfig{ThinkingBudget: &b}
		default:
			drop("thinking")
		}
	}
	if cfg.AffectiveDialog {
		if caps.AffectiveDialog {
			gc.EnableAffectiveDialog = ptr(true)
		} else {
			drop("affective")
		}
	}
	s.GenerationConfig = gc

	if si := strings.TrimSpace(cfg.SystemInstruction); si != "" {
		s.SystemInstruction = &Content{Parts: []Part{{Text: si}}}
	}

	// Sent only when asked for: the field is optional, and models differ on what they accept.
	if cfg.ProactiveAudio {
		switch caps.Proactive {
		case catalog.ProactiveOptional:
			s.Proactivity = &ProactivityConfig{ProactiveAudio: ptr(true)}
		case catalog.ProactiveUnsupported:
			drop("proactive")
		}
	}

	if len(opt.Functions) > 0 {
		fns := make([]FunctionDeclaration, len(opt.Functions))
		copy(fns, opt.Functions)
		for i := range fns {
			if fns[i].Behavior == BehaviorNonBlocking && !caps.NonBlocking {
				fns[i].Behavior = ""
				notes = append(notes, caps.Reason("nonblocking")+": "+fns[i].Name+" made blocking")
			}
			if fns[i].Behavior == "" && caps.NonBlockingDefault {
				// 3.8 defaults to NON_BLOCKING; say BLOCKING explicitly so a function
				// declared without a behaviour keeps its blocking meaning everywhere.
				fns[i].Behavior = BehaviorBlocking
			}
		}
		s.Tools = append(s.Tools, Tool{FunctionDeclarations: fns})
	}
	if cfg.GoogleSearch {
		if caps.GoogleSearch {
			s.Tools = append(s.Tools, Tool{GoogleSearch: &struct{}{}})
		} else {
			drop("search")
		}
	}

	ric := &RealtimeInputConfig{}
	aad := &AutomaticActivityDetection{Disabled: cfg.ManualActivity}
	if !cfg.ManualActivity {
		aad.StartOfSpeechSensitivity = cfg.StartSensitivity
		aad.EndOfSpeechSensitivity = cfg.EndSensitivity
		if cfg.PrefixPadding > 0 {
			aad.PrefixPaddingMs = ptr(int32(cfg.PrefixPadding.Milliseconds()))
		}
		if cfg.SilenceDuration > 0 {
			aad.SilenceDurationMs = ptr(int32(cfg.SilenceDuration.Milliseconds()))
		}
	}
	if *aad != (AutomaticActivityDetection{}) {
		ric.AutomaticActivityDetection = aad
	}
	if cfg.NoInterruption {
		ric.ActivityHandling = "NO_INTERRUPTION"
	}
	if ric.AutomaticActivityDetection != nil || ric.ActivityHandling != "" || ric.TurnCoverage != "" {
		s.RealtimeInputConfig = ric
	}

	// Resumption is always on: it is what lets a connection be replaced without losing the
	// conversation. The handle is omitted (never null) when there is none.
	s.SessionResumption = &SessionResumptionConfig{Handle: opt.Handle}
	if opt.Vertex != nil && catalog.RulesFor(catalog.BackendVertex).TransparentResumption {
		s.SessionResumption.Transparent = true
	}
	if cfg.Compression {
		s.ContextWindowCompression = &ContextWindowCompression{
			TriggerTokens: ptr(Int64(DefaultTriggerTokens)),
			SlidingWindow: &SlidingWindow{TargetTokens: ptr(Int64(DefaultTargetTokens))},
		}
	}
	if cfg.InputTranscription {
		s.InputAudioTranscription = &AudioTranscriptionConfig{}
	}
	if cfg.OutputTranscription {
		s.OutputAudioTranscription = &AudioTranscriptionConfig{}
	}
	return s, notes
}

func ptr[T any](v T) *T { return &v }

// ModelName is the model a Config's Model names: without "models/", "" being the default.
func ModelName(m string) string {
	m = strings.TrimPrefix(strings.TrimSpace(m), "models/")
	if m == "" {
		return catalog.DefaultModel
	}
	return m
}
