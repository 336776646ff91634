package livetest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func tone(n int, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * 32767 * math.Sin(2*math.Pi*200*float64(i)/InputRate))
	}
	return s
}

func concat(parts ...[]int16) []int16 {
	var out []int16
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func intp(v int) *int { return &v }

func TestVAD(t *testing.T) {
	loud, quiet := 0.3, 0.01 // -10 dBFS and -40 dBFS
	tests := []struct {
		name  string
		cfg   *aadConfig
		audio []int16
		want  []vadEvent
	}{
		{"silence", nil, make([]int16, 16000), nil},
		{"one utterance", nil, concat(tone(16000, loud), make([]int16, 16000)),
			[]vadEvent{{kind: vadStart, at: 0}, {kind: vadEnd, speech: 16000, at: 16000}}},
		{"short gap stays one turn", nil, concat(tone(8000, loud), make([]int16, 4800), tone(8000, loud), make([]int16, 16000)),
			[]vadEvent{{kind: vadStart, at: 0}, {kind: vadEnd, speech: 20800, at: 20800}}},
		{"long gap splits", nil, concat(tone(8000, loud), make([]int16, 12160), tone(8000, loud), make([]int16, 16000)), // frame-aligned gap
			[]vadEvent{{kind: vadStart, at: 0}, {kind: vadEnd, speech: 8000, at: 8000}, {kind: vadStart, at: 20160}, {kind: vadEnd, speech: 8000, at: 28160}}},
		{"silenceDurationMs 100 splits a 300 ms gap", &aadConfig{SilenceDurationMs: intp(100)},
			concat(tone(8000, loud), make([]int16, 4800), tone(8000, loud), make([]int16, 4800)),
			[]vadEvent{{kind: vadStart, at: 0}, {kind: vadEnd, speech: 8000, at: 8000}, {kind: vadStart, at: 12800}, {kind: vadEnd, speech: 8000, at: 20800}}},
		{"quiet speech with high start sensitivity", nil, concat(tone(8000, quiet), make([]int16, 16000)),
			[]vadEvent{{kind: vadStart, at: 0}, {kind: vadEnd, speech: 8000, at: 8000}}},
		{"quiet speech ignored with low start sensitivity", &aadConfig{StartOfSpeechSensitivity: "START_SENSITIVITY_LOW"},
			concat(tone(8000, quiet), make([]int16, 16000)), nil},
		{"a click shorter than the prefix is ignored", &aadConfig{PrefixPaddingMs: intp(200)},
			concat(tone(1600, loud), make([]int16, 16000)), nil},
		{"low end sensitivity waits longer", &aadConfig{EndOfSpeechSensitivity: "END_SENSITIVITY_LOW"},
			concat(tone(8000, loud), make([]int16, 12800), tone(8000, loud), make([]int16, 20000)),
			[]vadEvent{{kind: vadStart, at: 0}, {kind: vadEnd, speech: 28800, at: 28800}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Odd chunk sizes: frames must be carried across pushes.
			v := newVAD(tt.cfg)
			var got []vadEvent
			for a := tt.audio; len(a) > 0; {
				n := min(len(a), 777)
				got = v.push(a[:n], got)
				a = a[n:]
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(vadEvent{})); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVADFlush(t *testing.T) {
	v := newVAD(nil)
	if evs := v.push(concat(make([]int16, 4800), tone(8000, 0.3)), nil); len(evs) != 1 || evs[0] != (vadEvent{kind: vadStart, at: 4800}) {
		t.Fatalf("events %v, want a start at 4800", evs)
	}
	ev, ok := v.flush()
	if want := (vadEvent{kind: vadEnd, speech: 8000, at: 12800}); !ok || ev != want {
		t.Errorf("flush = %+v %v, want %+v", ev, ok, want)
	}
	if _, ok := v.flush(); ok {
		t.Errorf("second flush found an utterance")
	}
	// Stream positions go on after a flush, partial frames included.
	v.push(make([]int16, 100), nil)
	v.flush()
	if evs := v.push(tone(8000, 0.3), nil); len(evs) != 1 || evs[0].at != 12900 {
		t.Errorf("after a flush: events %+v, want a start at 12900", evs)
	}
}

func pcm(b []byte) []int16 {
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s
}

func TestSynthesize(t *testing.T) {
	if Synthesize("") != nil || Synthesize(" ... ") != nil {
		t.Errorf("empty text gave audio")
	}
	short := Synthesize("Hello there.")
	long := Synthesize(strings.Repeat("Hello there. ", 4))
	if !bytes.Equal(short, Synthesize("Hello there.")) {
		t.Errorf("not deterministic")
	}
	// Length grows with the text: ratio, not absolute time.
	if r := float64(len(long)) / float64(len(short)); r < 3 || r > 5 {
		t.Errorf("4x the text gave %.2fx the audio", r)
	}
	secs := float64(len(short)/2) / OutputRate
	if secs < 0.5 || secs > 1.5 {
		t.Errorf("%q lasts %.2f s", "Hello there.", secs)
	}
	// Clearly non-silent, not clipped, with pauses (some near-silent frames).
	s := pcm(long)
	if r := rms(s); r < 0.05 || r > 0.5 {
		t.Errorf("RMS %.3f", r)
	}
	quietFrames, loudFrames := 0, 0
	for i := 0; i+480 <= len(s); i += 480 {
		switch r := rms(s[i : i+480]); {
		case r < 0.001:
			quietFrames++
		case r > 0.05:
			loudFrames++
		}
	}
	if quietFrames == 0 || loudFrames <= quietFrames {
		t.Errorf("%d quiet and %d loud 20 ms frames: want speech with pauses", quietFrames, loudFrames)
	}
	// The fake's own VAD hears it as speech once resampled to 16 kHz.
	v := newVAD(nil)
	evs := v.push(resample(pcm(short), OutputRate, InputRate), nil)
	if len(evs) == 0 || evs[0].kind != vadStart {
		t.Errorf("VAD did not hear the synthesised speech: %v", evs)
	}
}

func TestDefaultResponder(t *testing.T) {
	tests := []struct {
		name string
		turn Turn
		want Reply
	}{
		{"audio and image", Turn{AudioSamples: 36800, Speech: true, Frames: 1}, Reply{Text: "I heard about 2.3 seconds of audio and saw 1 image."}},
		{"audio only", Turn{AudioSamples: 16000, Speech: true}, Reply{Text: "I heard about 1.0 seconds of audio."}},
		{"silence", Turn{AudioSamples: 8000}, Reply{Text: "I heard 0.5 seconds of silence."}},
		{"images only", Turn{Frames: 3}, Reply{Text: "I saw 3 images."}},
		{"nothing", Turn{}, Reply{Text: "I did not receive anything."}},
		{"typed", Turn{Text: "Hello!"}, Reply{Text: "You said: Hello."}},
		{"typed while sharing", Turn{Text: "what is this?", Frames: 2}, Reply{Text: "You said: what is this. I saw 2 images."}},
		{"typed mentions a tool", Turn{Text: "use Get_Weather", Tools: []string{"get_weather"}},
			Reply{Text: "Let me check.", ToolCalls: []ToolCall{{Name: "get_weather", Args: map[string]any{"query": "use Get_Weather"}}}}},
		{"tool result", Turn{ToolResponses: []FunctionResponse{{Name: "f", Response: json.RawMessage(`{ "a" : 1 }`)}}},
			Reply{Text: `The f tool returned {"a":1}.`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, DefaultResponder(tt.turn)); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProtoDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{50 * time.Second, "50s"},
		{1500 * time.Millisecond, "1.500s"},
		{30 * time.Millisecond, "0.030s"},
		{time.Microsecond, "0.000001s"},
		{time.Nanosecond, "0.000000001s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		if got := protoDuration(tt.d); got != tt.want {
			t.Errorf("protoDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestParseClientNormalises(t *testing.T) {
	p, perr := parseClient([]byte(`{"setup":{"model":"models/m","context_window_compression":{"trigger_tokens":"2000"},"realtime_input_config":{"activity_handling":2,"automatic_activity_detection":{"prefix_padding_ms":"20","silence_duration_ms":1e2}}}}`))
	if perr != nil {
		t.Fatal(perr)
	}
	st := p.msg.Setup
	aad := st.RealtimeInputConfig.AutomaticActivityDetection
	if st.ContextWindowCompression.TriggerTokens != 2000 || st.RealtimeInputConfig.ActivityHandling != "NO_INTERRUPTION" ||
		*aad.PrefixPaddingMs != 20 || *aad.SilenceDurationMs != 100 {
		t.Errorf("normalised setup %+v %+v", st.ContextWindowCompression, aad)
	}
	if _, perr := parseClient([]byte(`{"setup":{"realtimeInputConfig":{"automaticActivityDetection":{"prefixPaddingMs":1.5}}}}`)); perr == nil ||
		!strings.Contains(perr.reason, "(TYPE_INT32), 1.5") {
		t.Errorf("fractional int32: %v", perr)
	}
}

func TestResample(t *testing.T) {
	in := tone(2400, 0.5)
	out := resample(in, 24000, 16000)
	if len(out) != 1600 {
		t.Fatalf("len %d", len(out))
	}
	if r1, r2 := rms(in), rms(out); math.Abs(r1-r2) > 0.02 {
		t.Errorf("RMS %.3f -> %.3f", r1, r2)
	}
}

// The realtimeInput fast path must decode exactly like the generic path.
func TestRealtimeFastPath(t *testing.T) {
	msgs := []string{
		`{"realtimeInput":{"audio":{"data":"AAAA","mimeType":"audio/pcm;rate=16000"}}}`,
		`{"realtime_input":{"video":{"mime_type":"image/jpeg","data":"AAAA"},"text":""}}`,
		`{"realtimeInput":{"activityStart":{},"activityEnd":{},"audioStreamEnd":true,"text":"hi"}}`,
		`{"realtimeInput":{"mediaChunks":[{"mimeType":"audio/pcm","data":"AAAA"},{"data":"AA=="}]}}`,
		`{"realtimeInput":{"audio":null,"audioStreamEnd":false}}`,
	}
	for _, m := range msgs {
		p, perr := parseClient([]byte(m))
		if perr != nil {
			t.Fatalf("%s: %v", m, perr)
		}
		var raw any
		dec := json.NewDecoder(strings.NewReader(m))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		norm, perr := validate(messages["ClientMessage"], raw, "")
		if perr != nil {
			t.Fatal(perr)
		}
		b, _ := json.Marshal(norm)
		var want clientMsg
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.RealtimeInput, p.msg.RealtimeInput); diff != "" {
			t.Errorf("%s (-generic +fast):\n%s", m, diff)
		}
	}
}
