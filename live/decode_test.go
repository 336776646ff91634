package live

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeServerMessages(t *testing.T) {
	tests := []struct {
		file string
		want ServerMessage
	}{
		{"setup_complete.json", ServerMessage{SetupComplete: &SetupComplete{}}},
		{"setup_complete_session.json", ServerMessage{SetupComplete: &SetupComplete{SessionID: "test_session_id"}}},
		{"bundled.json", ServerMessage{
			ServerContent: &ServerContent{
				ModelTurn:           &Content{Role: "model", Parts: []Part{{InlineData: &Blob{MIMEType: "audio/pcm;rate=24000", Data: []byte{0, 0, 1, 0, 0xff, 0x7f, 0, 0x80}}}}},
				OutputTranscription: &Transcription{Text: " Hello"},
				TurnComplete:        true,
			},
			UsageMetadata: &UsageMetadata{
				PromptTokenCount: 3867, ResponseTokenCount: 116, TotalTokenCount: 3983, ThoughtsTokenCount: 197,
				PromptTokensDetails:   []ModalityTokenCount{{"TEXT", 3620}, {"AUDIO", 222}},
				ResponseTokensDetails: []ModalityTokenCount{{"AUDIO", 116}},
			},
		}},
		{"input_transcription.json", ServerMessage{ServerContent: &ServerContent{InputTranscription: &Transcription{Text: "what's on my screen", Finished: true, LanguageCode: "en-US"}}}},
		{"output_transcription.json", ServerMessage{ServerContent: &ServerContent{OutputTranscription: &Transcription{Text: " 你好，世界"}}}},
		{"interrupted.json", ServerMessage{ServerContent: &ServerContent{Interrupted: true}}},
		{"interim_transcription.json", ServerMessage{ServerContent: &ServerContent{InterimInputTranscription: &Transcription{Text: "hel", LanguageCode: "en"}}}},
		{"url_context.json", ServerMessage{ServerContent: &ServerContent{URLContextMetadata: json.RawMessage(`{"urlMetadata": [{"retrievedUrl": "https://example.com/", "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS"}]}`)}}},
		{"generation_complete.json", ServerMessage{ServerContent: &ServerContent{GenerationComplete: true}}},
		{"turn_complete_reason.json", ServerMessage{ServerContent: &ServerContent{TurnComplete: true, TurnCompleteReason: "NEED_MORE_INPUT", WaitingForInput: true, InteractionStatus: "IDLE"}}},
		{"thought_text.json", ServerMessage{ServerContent: &ServerContent{ModelTurn: &Content{Parts: []Part{{Text: "Considering the screen", Thought: true}, {Text: "It is a code editor."}}}}}},
		{"grounding.json", ServerMessage{ServerContent: &ServerContent{GroundingMetadata: &GroundingMetadata{
			WebSearchQueries: []string{"weather paris"},
			GroundingChunks:  []GroundingChunk{{Web: &WebSource{URI: "https://example.com/weather", Title: "Weather", Domain: "example.com"}}},
			SearchEntryPoint: json.RawMessage(`{"renderedContent":"<div></div>"}`),
		}}}},
		{"tool_call.json", ServerMessage{ToolCall: &ToolCall{FunctionCalls: []FunctionCall{{ID: "fc_4740069056133174", Name: "get_current_time", Args: map[string]any{"zone": "local"}}}}}},
		{"tool_call_cancellation.json", ServerMessage{ToolCallCancellation: &ToolCallCancellation{IDs: []string{"fc_1", "fc_2"}}}},
		{"go_away.json", ServerMessage{GoAway: &GoAway{TimeLeft: Duration(50 * time.Second)}}},
		{"resumption_update.json", ServerMessage{SessionResumptionUpdate: &SessionResumptionUpdate{NewHandle: "Cg4zbmd0ZXN0aGFuZGxl", Resumable: true}}},
		{"resumption_not_resumable.json", ServerMessage{SessionResumptionUpdate: &SessionResumptionUpdate{}}},
		{"resumption_transparent.json", ServerMessage{SessionResumptionUpdate: &SessionResumptionUpdate{NewHandle: "h2", Resumable: true, LastConsumedClientMessageIndex: 123}}},
		{"usage_only.json", ServerMessage{UsageMetadata: &UsageMetadata{PromptTokenCount: 10, TotalTokenCount: 12, ResponseTokenCount: 2}}},
		{"usage_vertex.json", ServerMessage{UsageMetadata: &UsageMetadata{PromptTokenCount: 10, CandidatesTokenCount: 5, TotalTokenCount: 15, CandidatesTokensDetails: []ModalityTokenCount{{"AUDIO", 5}}}}},
		{"voice_activity.json", ServerMessage{ServerContent: &ServerContent{}, VoiceActivity: &VoiceActivity{Type: "ACTIVITY_START", AudioOffset: Duration(8400 * time.Millisecond)}}},
		{"vad_signal.json", ServerMessage{VoiceActivityDetectionSignal: &VoiceActivityDetectionSignal{VADSignalType: "VAD_SIGNAL_TYPE_SOS"}}},
		{"error.json", ServerMessage{Error: &APIError{Code: 400, Message: "Request contains an invalid argument.", Status: "INVALID_ARGUMENT"}}},
		{"unknown_fields.json", ServerMessage{ServerContent: &ServerContent{OutputTranscription: &Transcription{Text: "hi"}}}},
	}
	for _, tt := range tests {
		raw, err := os.ReadFile(filepath.Join("testdata", "server", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			t.Fatal(err)
		}
		for form, data := range map[string][]byte{"as stored": raw, "compact": compact.Bytes(), "pretty+newline": pretty(t, raw)} {
			got, err := DecodeServerMessage(data)
			if err != nil {
				t.Errorf("%s (%s): %v", tt.file, form, err)
				continue
			}
			if diff := cmp.Diff(&tt.want, got, jsonRawEqual); diff != "" {
				t.Errorf("%s (%s) mismatch (-want +got):\n%s", tt.file, form, diff)
			}
		}
	}
}

// equateEmptyLists treats an empty slice or map and a missing one as equal (byte slices, which
// have comparers of their own, aside).
var equateEmptyLists = cmp.FilterValues(func(x, y any) bool {
	vx, vy := reflect.ValueOf(x), reflect.ValueOf(y)
	if !vx.IsValid() || !vy.IsValid() || vx.Type() != vy.Type() {
		return false
	}
	k := vx.Kind()
	if k == reflect.Slice && vx.Type().Elem().Kind() == reflect.Uint8 {
		return false // bytes have comparers of their own
	}
	return (k == reflect.Slice || k == reflect.Map) && vx.Len() == 0 && vy.Len() == 0
}, cmp.Comparer(func(_, _ any) bool { return true }))

var jsonRawEqual = cmp.Comparer(func(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
})

func pretty(t *testing.T, raw []byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

func TestDecodeMalformed(t *testing.T) {
	for _, in := range []string{"", "   ", "not json", "[1,2]", `"str"`, `{"serverContent":`, `{"goAway":{"timeLeft":"soon"}}`, `{"usageMetadata":{"totalTokenCount":"x"}}`, "\xff\xfe{"} {
		_, err := DecodeServerMessage([]byte(in))
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeServerMessage(%q) err = %v, want ErrMalformed", in, err)
		}
	}
}

func TestModelAudioDecodes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "server", "model_audio_pretty.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeServerMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(m.ServerContent.ModelTurn.Parts[0].InlineData.Data); got != 9600 {
		t.Errorf("audio bytes = %d, want 9600 (200 ms at 24 kHz)", got)
	}
}

// FuzzDecodeServerMessage checks the decoder never panics and that whatever it accepts
// re-encodes and decodes to the same value.
func FuzzDecodeServerMessage(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "server", "*.json"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeServerMessage(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		_ = Summarize(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := DecodeServerMessage(b)
		if err != nil {
			t.Fatalf("re-decode %s: %v", b, err)
		}
		// An empty list is not written back (omitempty), so [] and a missing list are one value.
		if diff := cmp.Diff(m, m2, jsonRawEqual, equateEmptyLists); diff != "" {
			t.Fatalf("round trip changed the message (-first +second):\n%s", diff)
		}
	})
}
