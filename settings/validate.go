package settings

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/livedesk/livedesk/catalog"
	"github.com/livedesk/livedesk/hotkey"
)

// FieldError says what is wrong with one Config field, in words a user can act on.
type FieldError struct {
	Field string // the Config field name, e.g. "FPS"
	Msg   string // a readable sentence without the field name, e.g. "must be between 0.2 and 2"
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ValidationError collects every invalid field of a Config. It unwraps to its *FieldError values,
// so errors.As finds the first one; use Field to look one up by name.
type ValidationError struct {
	Fields []*FieldError
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		msgs[i] = f.Error()
	}
	return "invalid settings: " + strings.Join(msgs, "; ")
}

// Unwrap returns the field errors.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Fields))
	for i, f := range e.Fields {
		errs[i] = f
	}
	return errs
}

// Field returns the message for the named field, or "" if that field is valid.
func (e *ValidationError) Field(name string) string {
	for _, f := range e.Fields {
		if f.Field == name {
			return f.Msg
		}
	}
	return ""
}

// FieldMessage returns the message err holds for the named field, or "" if there is none.
func FieldMessage(err error, field string) string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Field(field)
	}
	return ""
}

// Validate checks every field and returns a *ValidationError naming all invalid ones, or nil.
// A missing API key is not an error here: the UI asks for one before connecting.
func (c Config) Validate() error {
	var fs []*FieldError
	add := func(field, format string, args ...any) {
		fs = append(fs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}

	if c.Endpoint != "" {
		if _, err := catalog.ParseEndpoint(c.Endpoint); err != nil {
			add("Endpoint", "%s", err.Error())
		}
	}
	if key := c.APIKey.Reveal(); key != "" && strings.IndexFunc(key, unicode.IsSpace) >= 0 {
		add("APIKey", "contains spaces or line breaks; paste the key alone")
	}
	backend, err := catalog.ParseBackend(c.Backend)
	if err != nil {
		add("Backend", "%s", err.Error())
	}
	if backend == catalog.BackendVertex {
		if err := catalog.CheckVertexLocation(strings.TrimSpace(c.VertexLocation)); err != nil {
			add("VertexLocation", "%s", err.Error())
		}
		if p := strings.TrimSpace(c.VertexProject); p != "" {
			if err := catalog.CheckProject(p); err != nil {
				add("VertexProject", "%s", err.Error())
			}
		} else if c.VertexKeyFile != "" {
			add("VertexProject", "type the project the key file belongs to (without a project, Vertex AI is used in express mode with an API key)")
		}
	}
	if b, known := catalog.ModelBackend(c.Model); known && err == nil && b != backend {
		add("Model", "%s is a %s model: on %s choose %s", c.Model, b.Title(), backend.Title(), strings.Join(catalog.ModelsFor(backend), " or "))
	}
	if strings.TrimSpace(c.Model) == "" {
		add("Model", "choose a model")
	} else if strings.HasPrefix(c.Model, "models/") {
		add("Model", "leave out the \"models/\" prefix")
	}
	if !contains(catalog.Voices, c.Voice) {
		add("Voice", "%q is not a prebuilt voice", c.Voice)
	}
	if c.Language != "" && !contains(catalog.Languages, c.Language) {
		add("Language", "%q is not a supported language code", c.Language)
	}
	if len(c.SystemInstruction) > MaxInstructionKB*1024 {
		add("SystemInstruction", "is longer than %d KB", MaxInstructionKB)
	}
	if !contains(Sensitivities, c.StartSensitivity) {
		add("StartSensitivity", "must be HIGH, LOW or empty")
	}
	if !contains(Sensitivities, c.EndSensitivity) {
		add("EndSensitivity", "must be HIGH, LOW or empty")
	}
	if c.PrefixPaddingMs < 0 || c.PrefixPaddingMs > MaxPaddingMs {
		add("PrefixPaddingMs", "must be between 0 and %d ms", MaxPaddingMs)
	}
	if c.SilenceDurationMs < 0 || c.SilenceDurationMs > MaxSilenceMs {
		add("SilenceDurationMs", "must be between 0 and %d ms", MaxSilenceMs)
	}
	if !contains(ActivityHandlings, c.ActivityHandling) {
		add("ActivityHandling", "must be %q or %q", ActivityInterrupts, ActivityNoInterruption)
	}
	if !c.AutoVAD && strings.TrimSpace(c.PushToTalkKey) == "" {
		add("PushToTalkKey", "choose a push-to-talk key when automatic voice detection is off")
	}
	for _, g := range []struct{ field, value string }{
		{"GlobalPushToTalk", c.GlobalPushToTalk}, {"GlobalMute", c.GlobalMute}, {"GlobalStopShare", c.GlobalStopShare},
	} {
		if _, err := hotkey.Parse(g.value); err != nil {
			add(g.field, "%v", err)
		}
	}
	// Written as "not inside" so that NaN, which compares false with everything, is caught.
	if !(c.FPS >= MinFPS && c.FPS <= MaxFPS) {
		add("FPS", "must be between %g and %g frames per second", MinFPS, MaxFPS)
	}
	if c.MaxSize < MinMaxSize || c.MaxSize > MaxMaxSize {
		add("MaxSize", "must be between %d and %d pixels", MinMaxSize, MaxMaxSize)
	}
	if c.JPEGQuality < MinJPEGQuality || c.JPEGQuality > MaxJPEGQuality {
		add("JPEGQuality", "must be between %d and %d", MinJPEGQuality, MaxJPEGQuality)
	}
	if !contains(FramePolicies, c.FramePolicy) {
		add("FramePolicy", "must be %q, %q or %q", FramesWhileTalking, FramesAlways, FramesWhenAsked)
	}
	if c.IdleFrameSeconds < 0 || c.IdleFrameSeconds > MaxIdleFrameSec {
		add("IdleFrameSeconds", "must be between 0 and %d seconds", MaxIdleFrameSec)
	}
	if !contains(MediaResolutions, c.MediaResolution) {
		add("MediaResolution", "must be LOW, MEDIUM, HIGH or empty")
	}
	if !contains(EchoModes, c.EchoCancellation) {
		add("EchoCancellation", "must be %q, %q or %q", EchoAuto, EchoOn, EchoOff)
	}
	if !(c.Volume >= 0 && c.Volume <= MaxVolume) {
		add("Volume", "must be between 0 and %g", MaxVolume)
	}
	if !contains(ThinkingLevels, c.ThinkingLevel) {
		add("ThinkingLevel", "must be MINIMAL, LOW, MEDIUM, HIGH or empty")
	} else if caps := catalog.Capabilities(c.Model); c.ThinkingLevel != "" && caps.Thinking == catalog.ThinkingLevel &&
		!contains(caps.ThinkingLevels, c.ThinkingLevel) {
		// A level saved for another model (3.1 takes MINIMAL, 3.8 extended thinking does not).
		add("ThinkingLevel", "%s is not a thinking level of %s: choose %s", c.ThinkingLevel, caps.Model, strings.Join(caps.ThinkingLevels, ", "))
	}
	seen := map[string]bool{}
	for _, t := range c.LocalTools {
		if strings.TrimSpace(t) == "" || seen[t] {
			add("LocalTools", "tool names must be unique and not empty")
			break
		}
		seen[t] = true
	}

	if len(fs) == 0 {
		return nil
	}
	return &ValidationError{Fields: fs}
}
