package live

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestInt64(t *testing.T) {
	tests := []struct {
		in      string
		want    Int64
		wantErr bool
	}{
		{`"1000"`, 1000, false},
		{`1000`, 1000, false},
		{`" 42 "`, 42, false},
		{`-7`, -7, false},
		{`3.0`, 3, false},
		{`"9223372036854775807"`, 9223372036854775807, false},
		{`null`, 0, false},
		{`3.5`, 0, true},
		{`"abc"`, 0, true},
		{`true`, 0, true},
	}
	for _, tt := range tests {
		var got Int64
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Errorf("Unmarshal(%s) err = %v, wantErr %t", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("Unmarshal(%s) = %d, want %d", tt.in, got, tt.want)
		}
	}
	b, _ := json.Marshal(Int64(25000))
	if string(b) != `"25000"` {
		t.Errorf("Marshal = %s, want \"25000\"", b)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{`"50s"`, 50 * time.Second, false},
		{`"9.5s"`, 9500 * time.Millisecond, false},
		{`"8.400s"`, 8400 * time.Millisecond, false},
		{`"0.000000001s"`, 1, false},
		{`"-1.5s"`, -1500 * time.Millisecond, false},
		{`"1m30s"`, 90 * time.Second, false},
		{`12`, 12 * time.Second, false},
		{`{"seconds":"3","nanos":500000000}`, 3500 * time.Millisecond, false},
		{`"soon"`, 0, true},
		{`"1e400s"`, 0, true},
		{`[]`, 0, true},
	}
	for _, tt := range tests {
		var got Duration
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Errorf("Unmarshal(%s) err = %v, wantErr %t", tt.in, err, tt.wantErr)
			continue
		}
		if got.Std() != tt.want {
			t.Errorf("Unmarshal(%s) = %v, want %v", tt.in, got.Std(), tt.want)
		}
	}
	for d, want := range map[time.Duration]string{
		50 * time.Second:        `"50s"`,
		1500 * time.Millisecond: `"1.500s"`,
		1500 * time.Microsecond: `"0.001500s"`,
		-2 * time.Nanosecond:    `"-0.000000002s"`,
	} {
		b, _ := json.Marshal(Duration(d))
		if string(b) != want {
			t.Errorf("Marshal(%v) = %s, want %s", d, b, want)
		}
	}
}

// TestClientMessagesGolden pins the exact bytes of every client message kind.
func TestClientMessagesGolden(t *testing.T) {
	full := Setup{
		Model: "models/gemini-2.5-flash-native-audio-preview-12-2025",
		GenerationConfig: &GenerationConfig{
			ResponseModalities: []string{"AUDIO"},
			SpeechConfig: &SpeechConfig{
				VoiceConfig:  &VoiceConfig{PrebuiltVoiceConfig: &PrebuiltVoiceConfig{VoiceName: "Kore"}},
				LanguageCode: "en-US",
			},
			MediaResolution:       "MEDIA_RESOLUTION_LOW",
			ThinkingConfig:        &ThinkingConfig{ThinkingBudget: ptr(int32(0)), IncludeThoughts: ptr(true)},
			EnableAffectiveDialog: ptr(true),
			Temperature:           ptr(0.7),
			TopP:                  ptr(0.95),
			TopK:                  ptr(int32(40)),
			MaxOutputTokens:       ptr(int32(1024)),
			Seed:                  ptr(int32(1)),
		},
		SystemInstruction: &Content{Parts: []Part{{Text: "be nice"}}},
		Tools: []Tool{
			{FunctionDeclarations: []FunctionDeclaration{{
				Name: "get_current_time", Description: "Current local time.",
				Parameters: json.RawMessage(`{"type":"object","properties":{}}`),
				Behavior:   BehaviorNonBlocking,
			}}},
			{GoogleSearch: &struct{}{}},
		},
		RealtimeInputConfig: &RealtimeInputConfig{
			AutomaticActivityDetection: &AutomaticActivityDetection{
				StartOfSpeechSensitivity: "START_SENSITIVITY_LOW",
				EndOfSpeechSensitivity:   "END_SENSITIVITY_HIGH",
				PrefixPaddingMs:          ptr(int32(20)),
				SilenceDurationMs:        ptr(int32(100)),
			},
			ActivityHandling: "NO_INTERRUPTION",
			TurnCoverage:     "TURN_INCLUDES_ONLY_ACTIVITY",
		},
		SessionResumption: &SessionResumptionConfig{Handle: "abc"},
		ContextWindowCompression: &ContextWindowCompression{
			TriggerTokens: ptr(Int64(2000)),
			SlidingWindow: &SlidingWindow{TargetTokens: ptr(Int64(1000))},
		},
		InputAudioTranscription:  &AudioTranscriptionConfig{},
		OutputAudioTranscription: &AudioTranscriptionConfig{},
		Proactivity:              &ProactivityConfig{ProactiveAudio: ptr(true)},
	}
	tests := []struct {
		name string
		msg  ClientMessage
	}{
		{"setup_minimal", ClientMessage{Setup: &Setup{Model: "models/gemini-3.8-live"}}},
		{"setup_full", ClientMessage{Setup: &full}},
		{"realtime_audio", ClientMessage{RealtimeInput: &RealtimeInput{Audio: &Blob{MIMEType: AudioInMIME, Data: []byte{0, 0, 1, 0, 0xff, 0x7f}}}}},
		{"realtime_video", ClientMessage{RealtimeInput: &RealtimeInput{Video: &Blob{MIMEType: JPEGMIME, Data: []byte{0xff, 0xd8, 0xff, 0xd9}}}}},
		{"realtime_text", ClientMessage{RealtimeInput: &RealtimeInput{Text: "hello, 你好"}}},
		{"realtime_audio_stream_end", ClientMessage{RealtimeInput: &RealtimeInput{AudioStreamEnd: true}}},
		{"realtime_activity_start", ClientMessage{RealtimeInput: &RealtimeInput{ActivityStart: &struct{}{}}}},
		{"realtime_activity_end", ClientMessage{RealtimeInput: &RealtimeInput{ActivityEnd: &struct{}{}}}},
		{"client_content", ClientMessage{ClientContent: &ClientContent{
			Turns:        []Content{{Role: "user", Parts: []Part{{Text: "What is on my screen?"}}}},
			TurnComplete: true,
		}}},
		{"tool_response", ClientMessage{ToolResponse: &ToolResponse{FunctionResponses: []FunctionResponse{{
			ID: "fc_4740069056133174", Name: "get_current_time",
			Response:   map[string]any{"output": map[string]any{"time": "2026-11-22T10:00:00+01:00", "zone": "Europe/Paris"}},
			Scheduling: SchedulingWhenIdle,
		}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := encode(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".json", b)
		})
	}
}

// TestEncodeBlobMatchesJSON checks the hand-built media encoder against encoding/json.
func TestEncodeBlobMatchesJSON(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 640, 1281} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i * 7)
		}
		got := encodeBlob(`{"realtimeInput":{"audio":`, AudioInMIME, data)
		want, _ := encode(ClientMessage{RealtimeInput: &RealtimeInput{Audio: &Blob{MIMEType: AudioInMIME, Data: data}}})
		if string(got) != string(want) {
			t.Errorf("n=%d:\n got %s\nwant %s", n, got, want)
		}
	}
}

func BenchmarkEncodeAudio20ms(b *testing.B) {
	pcm := make([]byte, 640)
	b.ReportAllocs()
	for b.Loop() {
		_ = encodeBlob(`{"realtimeInput":{"audio":`, AudioInMIME, pcm)
	}
}

func BenchmarkDecodeAudioChunk(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "server", "model_audio_pretty.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeServerMessage(data); err != nil {
			b.Fatal(err)
		}
	}
}
