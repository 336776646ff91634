package live

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/livedesk/livedesk/catalog"
)

// testConfig is what the app sends by default (settings.Default through call.LiveConfig).
func testConfig() Config {
	return Config{Model: catalog.DefaultModel, Voice: catalog.DefaultVoice,
		InputTranscription: true, OutputTranscription: true, Compression: true}
}

func TestBuildSetupPerModel(t *testing.T) {
	everything := testConfig()
	everything.SystemInstruction = "You are a helpful desktop assistant."
	everything.LanguageCode = "en-US"
	everything.MediaResolution = "MEDIA_RESOLUTION_LOW"
	everything.ThinkingLevel = "LOW"
	everything.AffectiveDialog = true
	everything.ProactiveAudio = true
	everything.GoogleSearch = true
	everything.StartSensitivity = "START_SENSITIVITY_LOW"
	everything.EndSensitivity = "END_SENSITIVITY_HIGH"
	everything.PrefixPadding = 200 * time.Millisecond
	everything.SilenceDuration = 800 * time.Millisecond
	fns := []FunctionDeclaration{{Name: "get_current_time", Description: "Current local time.", Behavior: BehaviorNonBlocking}}

	tests := []struct {
		model     string
		handle    string
		wantNotes []string
	}{
		{"gemini-3.8-live", "", []string{"thinking", "affective dialog"}},
		{"gemini-3.1-flash-live-preview", "h1", []string{"proactive audio", "affective dialog", "blocking function calls"}},
		{"gemini-2.5-flash-native-audio-preview-12-2025", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			cfg := everything
			cfg.Model = tt.model
			s, notes := BuildSetup(cfg, SetupOptions{Handle: tt.handle, Functions: fns})
			b, err := json.Marshal(ClientMessage{Setup: &s})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "setup_"+tt.model+".json", b)
			if len(notes) != len(tt.wantNotes) {
				t.Errorf("notes = %q, want %d notes about %q", notes, len(tt.wantNotes), tt.wantNotes)
			}
			for _, w := range tt.wantNotes {
				if !strings.Contains(strings.Join(notes, "\n"), w) {
					t.Errorf("notes %q do not mention %q", notes, w)
				}
			}
		})
	}
}

// TestBuildSetupNeverSendsRejectedFields checks the capability rules as properties rather
// than bytes: whatever the user asks for, no model receives a field it rejects.
func TestBuildSetupNeverSendsRejectedFields(t *testing.T) {
	for _, model := range append(catalog.Models(), "gemini-unknown-live") {
		for _, on := range []bool{false, true} {
			cfg := testConfig()
			cfg.Model = model
			cfg.ThinkingLevel = map[bool]string{true: "HIGH"}[on]
			cfg.AffectiveDialog, cfg.ProactiveAudio, cfg.GoogleSearch = on, on, on
			s, _ := BuildSetup(cfg, SetupOptions{Functions: []FunctionDeclaration{{Name: "f", Behavior: BehaviorNonBlocking}}})
			c := catalog.Capabilities(model)
			if s.GenerationConfig.ThinkingConfig != nil && c.Thinking == catalog.ThinkingNone {
				t.Errorf("%s: thinkingConfig sent", model)
			}
			if s.GenerationConfig.EnableAffectiveDialog != nil && !c.AffectiveDialog {
				t.Errorf("%s: enableAffectiveDialog sent", model)
			}
			if s.Proactivity != nil && c.Proactive != catalog.ProactiveOptional {
				t.Errorf("%s: proactivity sent", model)
			}
			for _, tool := range s.Tools {
				for _, f := range tool.FunctionDeclarations {
					if f.Behavior == BehaviorNonBlocking && !c.NonBlocking {
						t.Errorf("%s: NON_BLOCKING sent", model)
					}
				}
			}
			if got := s.GenerationConfig.ResponseModalities; len(got) != 1 || got[0] != "AUDIO" {
				t.Errorf("%s: responseModalities = %v", model, got)
			}
			if s.SessionResumption == nil || s.SessionResumption.Handle != "" {
				t.Errorf("%s: sessionResumption = %+v, want {} for a new session", model, s.SessionResumption)
			}
			if s.ContextWindowCompression == nil {
				t.Errorf("%s: compression off by default", model)
			}
			b, _ := json.Marshal(s)
			if strings.Contains(string(b), "null") {
				t.Errorf("%s: setup contains null: %s", model, b)
			}
		}
	}
}
