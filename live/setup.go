package live

import (
	"fmt"
	"strings"

	"github.com/livedesk/livedesk/settings"
)

// Compression defaults: small enough that a long screen-sharing session stays fast and cheap,
// large enough to keep several minutes of conversation (audio is 25 tokens/s, a LOW-resolution
// frame 64 tokens).
const (
	DefaultTriggerTokens = 32000
	DefaultTargetTokens  = 16000
)

// SetupOptions are the per-connection parts of a setup that do not come from settings.
type SetupOptions struct {
	Handle    string                // resumption handle; "" starts a new session
	Functions []FunctionDeclaration // local tools offered to the model
}

// BuildSetup turns the user's configuration into a setup message the model accepts. Options
// the model would reject are left out; each omission is described in the returned notes so the
// UI can say why.
func BuildSetup(cfg settings.Config, opt SetupOptions) (Setup, []string) {
	model := strings.TrimPrefix(strings.TrimSpace(cfg.Model), "models/")
	if model == "" {
		model = settings.DefaultModel
	}
	caps := Capabilities(model)
	var notes []string
	drop := func(option string) {
		if r := caps.Reason(option); r != "" {
			notes = append(notes, r+": option left out")
		} else {
			notes = append(notes, fmt.Sprintf("%s: %s left out (model not known to support it)", model, option))
		}
	}

	s := Setup{Model: "models/" + model}
	gc := &GenerationConfig{ResponseModalities: []string{"AUDIO"}}
	if cfg.Voice != "" || cfg.Language != "" {
		sc := &SpeechConfig{LanguageCode: cfg.Language}
		if cfg.Voice != "" {
			sc.VoiceConfig = &VoiceConfig{PrebuiltVoiceConfig: &PrebuiltVoiceConfig{VoiceName: cfg.Voice}}
		}
		gc.SpeechConfig = sc
	}
	if r := cfg.MediaResolution; r != "" {
		gc.MediaResolution = "MEDIA_RESOLUTION_" + strings.ToUpper(strings.TrimPrefix(r, "MEDIA_RESOLUTION_"))
	}
	if lvl := strings.ToUpper(cfg.ThinkingLevel); lvl != "" {
		switch caps.Thinking {
		case ThinkingLevel:
			gc.ThinkingConfig = &ThinkingConfig{ThinkingLevel: lvl}
		case ThinkingBudget:
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

	if caps.Proactive == ProactiveOptional {
		s.Proactivity = &ProactivityConfig{ProactiveAudio: ptr(cfg.ProactiveAudio)}
	} else if cfg.ProactiveAudio && caps.Proactive == ProactiveUnsupported {
		drop("proactive")
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
	aad := &AutomaticActivityDetection{Disabled: !cfg.AutoVAD}
	if cfg.AutoVAD {
		if v := strings.ToUpper(cfg.StartSensitivity); v != "" {
			aad.StartOfSpeechSensitivity = "START_SENSITIVITY_" + strings.TrimPrefix(v, "START_SENSITIVITY_")
		}
		if v := strings.ToUpper(cfg.EndSensitivity); v != "" {
			aad.EndOfSpeechSensitivity = "END_SENSITIVITY_" + strings.TrimPrefix(v, "END_SENSITIVITY_")
		}
		if cfg.PrefixPaddingMs > 0 {
			aad.PrefixPaddingMs = ptr(int32(cfg.PrefixPaddingMs))
		}
		if cfg.SilenceDurationMs > 0 {
			aad.SilenceDurationMs = ptr(int32(cfg.SilenceDurationMs))
		}
	}
	if *aad != (AutomaticActivityDetection{}) {
		ric.AutomaticActivityDetection = aad
	}
	if cfg.ActivityHandling == settings.ActivityNoInterruption {
		ric.ActivityHandling = "NO_INTERRUPTION"
	}
	if ric.AutomaticActivityDetection != nil || ric.ActivityHandling != "" || ric.TurnCoverage != "" {
		s.RealtimeInputConfig = ric
	}

	// Resumption is always on: it is what lets a connection be replaced without losing the
	// conversation. The handle is omitted (never null) when there is none.
	s.SessionResumption = &SessionResumptionConfig{Handle: opt.Handle}
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
