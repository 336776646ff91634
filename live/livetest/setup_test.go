package livetest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

func TestRouting(t *testing.T) {
	const (
		constrained = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained"
		token       = "auth_tokens/k"
	)
	tests := []struct {
		name       string
		apiKey     string // Options.APIKey
		path       string
		hdr        http.Header
		wantStatus int // 0 = upgrade succeeds
		wantCred   CredentialKind
		wantVer    string
	}{
		{"go sdk path, header key", "k", "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent",
			http.Header{"X-Goog-Api-Key": {"k"}}, 0, CredKeyHeader, "v1beta"},
		{"js sdk double slash v1, query key", "k", "//ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent?key=k",
			nil, 0, CredKeyQuery, "v1"},
		{"prefix and constrained, access_token", token, "/some/prefix/" + constrained + "?access_token=" + token,
			nil, 0, CredTokenQuery, "v1alpha"},
		{"constrained, Authorization Token", token, constrained, http.Header{"Authorization": {"Token " + token}}, 0, CredTokenHeader, "v1alpha"},
		{"Authorization Bearer", "k", livePath, http.Header{"Authorization": {"Bearer k"}}, 0, CredBearerHeader, "v1beta"},
		{"missing key", "k", livePath, nil, http.StatusUnauthorized, "", ""},
		{"wrong key", "k", livePath + "?key=nope", nil, http.StatusForbidden, "", ""},
		{"wrong token", token, constrained + "?access_token=auth_tokens/nope", nil, http.StatusForbidden, "", ""},
		// Credentials matched to the route (reference §1.1, §10): refused with 401
		// even when the value is the accepted one.
		{"query key on constrained", "k", constrained + "?key=k", nil, http.StatusUnauthorized, "", ""},
		{"header key on constrained", "k", constrained, http.Header{"X-Goog-Api-Key": {"k"}}, http.StatusUnauthorized, "", ""},
		{"bearer on constrained", "k", constrained, http.Header{"Authorization": {"Bearer k"}}, http.StatusUnauthorized, "", ""},
		{"access_token without auth_tokens/ on constrained", "k", constrained + "?access_token=k", nil, http.StatusUnauthorized, "", ""},
		{"access_token on the key route", token, livePath + "?access_token=" + token, nil, http.StatusUnauthorized, "", ""},
		{"Authorization Token on the key route", token, livePath, http.Header{"Authorization": {"Token " + token}}, http.StatusUnauthorized, "", ""},
		{"token as ?key= on the key route", token, livePath + "?key=" + token, nil, http.StatusUnauthorized, "", ""},
		{"token as x-goog-api-key on the key route", token, livePath, http.Header{"X-Goog-Api-Key": {token}}, http.StatusUnauthorized, "", ""},
		{"unknown version", "k", "/ws/google.ai.generativelanguage.v2.GenerativeService.BidiGenerateContent?key=k", nil, http.StatusNotFound, "", ""},
		{"other method", "k", "/ws/google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent?key=k", nil, http.StatusNotFound, "", ""},
		{"root", "k", "/?key=k", nil, http.StatusNotFound, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{APIKey: tt.apiKey})
			c, resp, err := dialPath(t, s, tt.path, tt.hdr)
			if tt.wantStatus != 0 {
				if err == nil {
					t.Fatalf("dial succeeded, want HTTP %d", tt.wantStatus)
				}
				if resp == nil || resp.StatusCode != tt.wantStatus {
					t.Fatalf("dial: %v (resp %v), want HTTP %d", err, resp, tt.wantStatus)
				}
				if n := len(s.Conns()); n != 0 {
					t.Errorf("%d connections recorded for a refused upgrade", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			c.sendRaw(setupJSON("gemini-3.8-live", ""))
			if m := c.recv(); !has(m, "setupComplete") {
				t.Fatalf("got %v, want setupComplete", m)
			}
			cs := s.Conns()
			got := cs[len(cs)-1]
			if got.Credential != tt.wantCred || got.Version != tt.wantVer {
				t.Errorf("credential, version = %q, %q; want %q, %q", got.Credential, got.Version, tt.wantCred, tt.wantVer)
			}
			if want, _, _ := strings.Cut(tt.path, "?"); got.Path != want {
				t.Errorf("Path = %q, want %q", got.Path, want)
			}
		})
	}
}

func TestQuotaExhaustedAtUpgrade(t *testing.T) {
	s := start(t, Options{QuotaExhausted: true})
	_, resp, err := dialPath(t, s, livePath+"?key=k", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("dial: %v, %v; want HTTP 429", err, resp)
	}
}

func TestSetupValidation(t *testing.T) {
	const (
		m38  = "gemini-3.8-live"
		m38x = "gemini-3.8-live-extended-thinking"
		m31  = "gemini-3.1-flash-live-preview"
		m25  = "gemini-2.5-flash-native-audio-preview-12-2025"
	)
	// thinking is a setup of model with thinkingConfig{tc}.
	thinking := func(model, tc string) string {
		return `{"setup":{"model":"models/` + model + `","generationConfig":{"responseModalities":["AUDIO"],"thinkingConfig":{` + tc + `}}}}`
	}
	tests := []struct {
		name       string
		first      string
		wantCode   websocket.StatusCode // 0 = setupComplete
		wantReason string
	}{
		{"config instead of setup", `{"config":{"model":"models/gemini-3.8-live"}}`, 1007,
			`Invalid JSON payload received. Unknown name "config": Cannot find field.`},
		{"field nested in generationConfig", `{"setup":{"model":"models/gemini-3.8-live","generationConfig":{"inputAudioTranscription":{}}}}`, 1007,
			`Invalid JSON payload received. Unknown name "inputAudioTranscription" at 'setup.generation_config': Cannot find field.`},
		{"unknown deep field, snake path", `{"setup":{"model":"models/gemini-3.8-live","realtimeInputConfig":{"automaticActivityDetection":{"bogus":1}}}}`, 1007,
			`Invalid JSON payload received. Unknown name "bogus" at 'setup.realtime_input_config.automatic_activity_detection': Cannot find field.`},
		{"unknown field in a list element", `{"setup":{"model":"models/gemini-3.8-live","tools":[{"functionDeclarations":[{"name":"f","bogus":true}]}]}}`, 1007,
			`Invalid JSON payload received. Unknown name "bogus" at 'setup.tools[0].function_declarations[0]': Cannot find field.`},
		{"snake_case accepted", `{"setup":{"model":"models/gemini-3.8-live","generation_config":{"response_modalities":["AUDIO"]},"input_audio_transcription":{},"realtime_input_config":{"activity_handling":"NO_INTERRUPTION"}}}`, 0, ""},
		{"int64 as strings (Go SDK)", setupJSON(m38, `"contextWindowCompression":{"slidingWindow":{"targetTokens":"1000"},"triggerTokens":"2000"}`), 0, ""},
		{"int64 as numbers (JS SDK)", setupJSON(m38, `"contextWindowCompression":{"slidingWindow":{"targetTokens":1000},"triggerTokens":2000}`), 0, ""},
		{"enum by number", setupJSON(m38, `"realtimeInputConfig":{"activityHandling":2}`), 0, ""},
		{"bad enum", setupJSON(m38, `"realtimeInputConfig":{"activityHandling":"LOUDLY"}`), 1007,
			`Invalid value at 'setup.realtime_input_config.activity_handling' (type.googleapis.com/google.ai.generativelanguage.v1beta.ActivityHandling), "LOUDLY"`},
		{"bad bool", setupJSON(m38, `"realtimeInputConfig":{"automaticActivityDetection":{"disabled":"yes"}}`), 1007,
			`Invalid value at 'setup.realtime_input_config.automatic_activity_detection.disabled' (TYPE_BOOL), "yes"`},
		{"scalar given a list", `{"setup":{"model":["a"]}}`, 1007,
			`Invalid JSON payload received. Unknown name "model" at 'setup': Proto field is not repeating, cannot start list.`},
		{"schema type in lower case", setupJSON(m38, `"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}]}]`), 0, ""},
		{"full Go SDK setup", `{"setup":{"contextWindowCompression":{"slidingWindow":{"targetTokens":"1000"},"triggerTokens":"2000"},"generationConfig":{"mediaResolution":"MEDIA_RESOLUTION_LOW","responseModalities":["AUDIO"],"speechConfig":{"languageCode":"en-US","voiceConfig":{"prebuiltVoiceConfig":{"voiceName":"Kore"}}},"thinkingConfig":{"thinkingBudget":0}},"inputAudioTranscription":{},"model":"models/gemini-2.5-flash-native-audio-preview-12-2025","proactivity":{"proactiveAudio":true},"realtimeInputConfig":{"activityHandling":"NO_INTERRUPTION","automaticActivityDetection":{"disabled":true,"prefixPaddingMs":20}},"sessionResumption":{},"systemInstruction":{"parts":[{"text":"be nice"}]},"tools":[{"functionDeclarations":[{"behavior":"NON_BLOCKING","name":"f"}]}]}}`, 0, ""},
		{"TEXT modality", `{"setup":{"model":"models/gemini-3.8-live","generationConfig":{"responseModalities":["TEXT"]}}}`, 1007, ReasonNoVoices},
		{"3.8 thinkingConfig", thinking(m38, `"thinkingLevel":"LOW"`), 1007, ReasonInvalidArgument},
		{"3.8 empty thinkingConfig", thinking(m38, ``), 1007, ReasonInvalidArgument},
		{"3.8 extended MINIMAL", thinking(m38x, `"thinkingLevel":"MINIMAL"`), 1007, ReasonInvalidArgument},
		{"3.8 extended LOW", thinking(m38x, `"thinkingLevel":"LOW"`), 0, ""},
		{"3.8 extended MEDIUM", thinking(m38x, `"thinkingLevel":"MEDIUM"`), 0, ""},
		{"3.8 extended includeThoughts only", thinking(m38x, `"includeThoughts":true`), 0, ""},
		{"3.8 extended thinkingBudget", thinking(m38x, `"thinkingBudget":1024`), 1007, ReasonInvalidArgument},
		{"3.1 MINIMAL", thinking(m31, `"thinkingLevel":"MINIMAL"`), 0, ""},
		{"3.1 HIGH", thinking(m31, `"thinkingLevel":"HIGH"`), 0, ""},
		{"3.1 level unspecified", thinking(m31, `"thinkingLevel":"THINKING_LEVEL_UNSPECIFIED"`), 0, ""},
		{"3.1 thinkingBudget 0", thinking(m31, `"thinkingBudget":0`), 1007, ReasonInvalidArgument},
		{"3.1 thinkingBudget null is unset", thinking(m31, `"thinkingBudget":null`), 0, ""},
		{"3.5 translate thinkingBudget", thinking("gemini-3.5-live-translate-preview", `"thinkingBudget":"512"`), 1007, ReasonInvalidArgument},
		{"2.5 thinkingBudget", thinking(m25, `"thinkingBudget":1024`), 0, ""},
		{"model without models/", `{"setup":{"model":"gemini-3.8-live"}}`, 1007, ReasonInvalidArgument},
		{"model with models/ twice", `{"setup":{"model":"models/models/gemini-3.8-live"}}`, 1008,
			"models/models/gemini-3.8-live is not found for API version v1beta, or is not supported for bidiGenerateContent. Call ListModels to see the list of available models and their supported methods."},
		{"empty model", `{"setup":{"model":""}}`, 1007, ReasonInvalidArgument},
		{"3.8 affective dialog", `{"setup":{"model":"models/gemini-3.8-live","generationConfig":{"enableAffectiveDialog":true}}}`, 1007,
			`Invalid JSON payload received. Unknown name "enableAffectiveDialog" at 'setup.generation_config': Cannot find field.`},
		{"3.8 proactiveAudio false", setupJSON(m38, `"proactivity":{"proactiveAudio":false}`), 1007, ReasonInvalidArgument},
		{"3.8 proactiveAudio true", setupJSON(m38, `"proactivity":{"proactiveAudio":true}`), 0, ""},
		{"3.8 extended thinking takes thinkingConfig", `{"setup":{"model":"models/gemini-3.8-live-extended-thinking","generationConfig":{"thinkingConfig":{"thinkingLevel":"HIGH"}}}}`, 0, ""},
		{"3.1 proactivity", setupJSON(m31, `"proactivity":{"proactiveAudio":true}`), 1007, ReasonInvalidArgument},
		{"3.1 affective dialog", `{"setup":{"model":"models/gemini-3.1-flash-live-preview","generationConfig":{"enableAffectiveDialog":true}}}`, 1007, ReasonInvalidArgument},
		{"3.1 NON_BLOCKING", setupJSON(m31, `"tools":[{"functionDeclarations":[{"name":"f","behavior":"NON_BLOCKING"}]}]`), 1007, ReasonInvalidArgument},
		{"3.1 handle null", setupJSON(m31, `"sessionResumption":{"handle":null}`), 1007, ReasonInvalidArgument},
		{"3.8 handle null tolerated", setupJSON(m38, `"sessionResumption":{"handle":null}`), 0, ""},
		{"unknown model", setupJSON("gemini-9-live", ""), 1008,
			"models/gemini-9-live is not found for API version v1beta, or is not supported for bidiGenerateContent. Call ListModels to see the list of available models and their supported methods."},
		{"realtimeInput first", `{"realtimeInput":{"text":"hi"}}`, 1007, ReasonInvalidArgument},
		{"not JSON", `hello`, 1007, "Invalid JSON payload received. Unexpected token."},
		{"two members", `{"setup":{"model":"models/gemini-3.8-live"},"realtimeInput":{}}`, 1007,
			"Invalid JSON payload received. Multiple oneof fields set for 'message_type'."},
	}
	s := start(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, s)
			c.sendRaw(tt.first)
			if tt.wantCode == 0 {
				if m := c.recv(); !has(m, "setupComplete") {
					t.Fatalf("got %v, want setupComplete", m)
				}
				return
			}
			code, reason := c.closed()
			// Google truncates close reasons to 123 bytes.
			if code != tt.wantCode || reason != closeReason(tt.wantReason) {
				t.Errorf("close = %d %q\nwant    %d %q", code, reason, tt.wantCode, tt.wantReason)
			}
			if len(reason) > 123 {
				t.Errorf("reason is %d bytes, want <= 123", len(reason))
			}
		})
	}
}

func TestClientMessageValidation(t *testing.T) {
	tests := []struct {
		name       string
		model      string
		msg        string
		wantReason string // "" = accepted (the fake answers the text that follows)
	}{
		{"unknown realtimeInput field", "gemini-3.8-live", `{"realtimeInput":{"audioo":{}}}`,
			`Invalid JSON payload received. Unknown name "audioo" at 'realtime_input': Cannot find field.`},
		{"bad base64", "gemini-3.8-live", `{"realtimeInput":{"audio":{"mimeType":"audio/pcm;rate=16000","data":"!!!"}}}`,
			`Invalid value at 'realtime_input.audio.data' (TYPE_BYTES), Base64 decoding failed for "!!!"`},
		{"snake_case realtime_input", "gemini-3.8-live", `{"realtime_input":{"audio_stream_end":true}}`, ""},
		{"snake_case client_content", "gemini-3.8-live", `{"client_content":{"turns":[{"role":"user","parts":[{"text":"x"}]}],"turn_complete":false}}`, ""},
		{"mediaChunks on 3.x", "gemini-3.1-flash-live-preview", `{"realtimeInput":{"mediaChunks":[{"mimeType":"audio/pcm;rate=16000","data":"AAAA"}]}}`, ReasonInvalidArgument},
		{"mediaChunks on 2.5", "gemini-2.5-flash-native-audio-preview-12-2025", `{"realtimeInput":{"mediaChunks":[{"mimeType":"audio/pcm;rate=16000","data":"AAAA"}]}}`, ""},
		{"activityStart with automatic VAD", "gemini-3.8-live", `{"realtimeInput":{"activityStart":{}}}`, ReasonInvalidArgument},
		{"second setup", "gemini-3.8-live", setupJSON("gemini-3.8-live", ""), ReasonInvalidArgument},
		{"unknown toolResponse field", "gemini-3.8-live", `{"toolResponse":{"functionResponses":[{"id":"x","name":"f","response":{},"extra":1}]}}`,
			`Invalid JSON payload received. Unknown name "extra" at 'tool_response.function_responses[0]': Cannot find field.`},
	}
	s := start(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connect(t, s, setupJSON(tt.model, ""))
			c.sendRaw(tt.msg)
			if tt.wantReason != "" {
				code, reason := c.closed()
				if code != websocket.StatusInvalidFramePayloadData || reason != closeReason(tt.wantReason) {
					t.Errorf("close = %d %q\nwant    1007 %q", code, reason, tt.wantReason)
				}
				return
			}
			c.send(msg{"realtimeInput": msg{"text": "ping"}})
			c.recvUntil("serverContent.turnComplete")
		})
	}
}

func TestFraming(t *testing.T) {
	tests := []struct {
		name     string
		opt      Options
		wantType websocket.MessageType
		want     string
	}{
		{"default binary pretty", Options{}, websocket.MessageBinary, "{\n  \"setupComplete\": {}\n}\n"},
		{"text compact", Options{TextFrames: true, Compact: true}, websocket.MessageText, `{"setupComplete":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, tt.opt)
			c := dial(t, s)
			c.sendRaw(setupJSON("gemini-3.8-live", ""))
			typ, b, err := c.read()
			if err != nil {
				t.Fatal(err)
			}
			if typ != tt.wantType || string(b) != tt.want {
				t.Errorf("got %v %q, want %v %q", typ, b, tt.wantType, tt.want)
			}
		})
	}
}

func TestSchemaTable(t *testing.T) {
	if len(schemaErrs) > 0 {
		t.Fatalf("bad field specs: %v", schemaErrs)
	}
	for name, m := range messages {
		for _, f := range m.fields {
			if f.kind == kMsg || f.kind == kMapMsg {
				if messages[f.ref] == nil {
					t.Errorf("%s.%s refers to unknown message %s", name, f.camel, f.ref)
				}
			}
			if f.kind == kEnum && enums[f.ref] == nil {
				t.Errorf("%s.%s refers to unknown enum %s", name, f.camel, f.ref)
			}
		}
	}
}

func TestCloseReasonTruncation(t *testing.T) {
	got := closeReason(ReasonQuota)
	want := "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: h"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("closeReason (-want +got):\n%s", diff)
	}
	if got := closeReason(strings.Repeat("é", 100)); len(got) > 123 || !strings.HasPrefix(strings.Repeat("é", 100), got) {
		t.Errorf("closeReason cut UTF-8 badly: %d bytes", len(got))
	}
}
