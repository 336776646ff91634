package live

import (
	"encoding/json"
	"testing"

	"github.com/livedesk/livedesk/catalog"
)

// FuzzDuration: any JSON value is parsed as a duration or refused — never a panic — and what
// it parses re-encodes to a value that parses to the same duration.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{`"50s"`, `"1.500s"`, `{"seconds":"3","nanos":5}`, `12.5`, `null`, `"-0.1s"`, `"9999999999s"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Duration
		if err := json.Unmarshal(b, &d); err != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("re-encode %v: %v", d, err)
		}
		var d2 Duration
		if err := json.Unmarshal(out, &d2); err != nil || d2 != d {
			t.Fatalf("%s → %v → %s → %v, %v", b, d, out, d2, err)
		}
	})
}

// FuzzBuildSetup: whatever the configuration, the setup is valid JSON without nulls, names the
// model with its prefix, and never carries a field the model's capabilities reject.
func FuzzBuildSetup(f *testing.F) {
	f.Add("gemini-3.8-live", "HIGH", "START_SENSITIVITY_LOW", true, true, true)
	f.Add("gemini-3.1-flash-live-preview", "MINIMAL", "", false, true, false)
	f.Add("gemini-2.5-flash-native-audio-preview-12-2025", "LOW", "END_SENSITIVITY_HIGH", true, false, true)
	f.Add("", "", "", false, false, false)
	f.Fuzz(func(t *testing.T, model, thinking, sens string, affective, proactive, search bool) {
		cfg := Config{Model: model, ThinkingLevel: thinking, StartSensitivity: sens, AffectiveDialog: affective,
			ProactiveAudio: proactive, GoogleSearch: search, Compression: true}
		s, _ := BuildSetup(cfg, SetupOptions{Functions: []FunctionDeclaration{{Name: "f", Behavior: BehaviorNonBlocking}}})
		b, err := json.Marshal(ClientMessage{Setup: &s})
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) || containsNull(b) {
			t.Fatalf("setup %s", b)
		}
		caps := catalog.Capabilities(ModelName(model))
		if s.GenerationConfig.ThinkingConfig != nil && caps.Thinking == 0 {
			t.Fatalf("thinkingConfig for %q", model)
		}
		if s.GenerationConfig.EnableAffectiveDialog != nil && !caps.AffectiveDialog {
			t.Fatalf("affective dialog for %q", model)
		}
	})
}

func containsNull(b []byte) bool {
	var v any
	json.Unmarshal(b, &v)
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case nil:
			return true
		case map[string]any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
