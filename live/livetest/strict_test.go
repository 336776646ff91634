package livetest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

// The strict rules of the fake (README "Strict by default"): what a client
// sends that the real server punishes.

func TestRealtimeInputDuringBlockingCall(t *testing.T) {
	const (
		m31 = "gemini-3.1-flash-live-preview"
		m38 = "gemini-3.8-live"
		m25 = "gemini-2.5-flash-native-audio-preview-12-2025"
	)
	audio := `{"realtimeInput":{"audio":{"mimeType":"audio/pcm;rate=16000","data":"` + base64.StdEncoding.EncodeToString(make([]byte, 640)) + `"}}}`
	video := `{"realtimeInput":{"video":{"mimeType":"image/jpeg","data":"` + base64.StdEncoding.EncodeToString(jpegFrame(t, 8, 8)) + `"}}}`
	tests := []struct {
		name       string
		model      string
		opt        Options
		answer     bool // answer the call before sending input
		inFlight   bool // send at once instead of ToolInputGrace after the call
		input      string
		wantCode   websocket.StatusCode
		wantReason string // "" = accepted
	}{
		{"audio", m31, Options{}, false, false, audio, 1008, ReasonAborted},
		{"audio in flight", m31, Options{}, false, true, audio, 0, ""},
		{"video", m31, Options{}, false, false, video, 1008, ReasonAborted},
		{"text", m31, Options{}, false, false, `{"realtimeInput":{"text":"are you there?"}}`, 1008, ReasonAborted},
		{"mediaChunks audio on 2.5", m25, Options{}, false, false,
			`{"realtimeInput":{"mediaChunks":[{"mimeType":"audio/pcm;rate=16000","data":"AAAA"}]}}`, 1008, ReasonAborted},
		{"empty text is no input", m31, Options{}, false, false, `{"realtimeInput":{"text":""}}`, 0, ""},
		{"audioStreamEnd is no media", m31, Options{}, false, false, `{"realtimeInput":{"audioStreamEnd":true}}`, 0, ""},
		{"audio after the answer", m31, Options{}, true, false, audio, 0, ""},
		{"video after the answer", m31, Options{}, true, false, video, 0, ""},
		{"audio while a NON_BLOCKING call is pending", m38, Options{}, false, false, audio, 0, ""},
		{"lenient audio", m31, Options{LenientToolInput: true}, false, false, audio, 0, ""},
		{"lenient text", m31, Options{LenientToolInput: true}, false, false, `{"realtimeInput":{"text":"are you there?"}}`, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// On synctest's clock "ToolInputGrace after the call" is exact.
			synctest.Test(t, func(t *testing.T) {
				_, c := connectBubble(t, tt.opt, setupJSON(tt.model, weatherTool))
				c.send(msg{"realtimeInput": msg{"text": "get_weather"}})
				id, name, _ := toolCallOf(t, c.recvUntil("toolCall"))
				if tt.answer {
					c.send(msg{"toolResponse": msg{"functionResponses": []msg{{"id": id, "name": name, "response": msg{}}}}})
				}
				if !tt.inFlight {
					time.Sleep(ToolInputGrace + time.Millisecond)
				}
				c.sendRaw(tt.input)
				c.expectClose(tt.wantCode, tt.wantReason)
			})
		})
	}
}

func TestToolResponseValidation(t *testing.T) {
	// 3.8 with one function of each behaviour; DefaultResponder calls the one
	// named in typed text.
	const tools = `"tools":[{"functionDeclarations":[{"name":"get_weather","behavior":"BLOCKING"},{"name":"notify","behavior":"NON_BLOCKING"}]}]`
	tests := []struct {
		name       string
		call       string                // function the model is made to call
		interrupt  bool                  // cancel the call (Server.Interrupt) before answering
		responses  func(id string) []msg // the functionResponses sent
		wantReason string                // "" = accepted; otherwise close 1007 with it
	}{
		{"blocking, plain", "get_weather", false, func(id string) []msg {
			return []msg{{"id": id, "name": "get_weather", "response": msg{"output": "sunny"}}}
		}, ""},
		{"blocking with scheduling", "get_weather", false, func(id string) []msg {
			return []msg{{"id": id, "name": "get_weather", "response": msg{}, "scheduling": "WHEN_IDLE"}}
		}, ReasonInvalidArgument},
		{"blocking with scheduling unspecified", "get_weather", false, func(id string) []msg {
			return []msg{{"id": id, "name": "get_weather", "response": msg{}, "scheduling": "SCHEDULING_UNSPECIFIED"}}
		}, ""},
		{"non-blocking with scheduling", "notify", false, func(id string) []msg {
			return []msg{{"id": id, "name": "notify", "response": msg{}, "scheduling": "SILENT"}}
		}, ""},
		{"missing id", "get_weather", false, func(string) []msg {
			return []msg{{"name": "get_weather", "response": msg{}}}
		}, ReasonInvalidArgument},
		{"empty id", "get_weather", false, func(string) []msg {
			return []msg{{"id": "", "name": "get_weather", "response": msg{}}}
		}, ReasonInvalidArgument},
		{"id of no call", "get_weather", false, func(string) []msg {
			return []msg{{"id": "fc_1", "name": "get_weather", "response": msg{}}}
		}, ReasonInvalidArgument},
		{"response null", "get_weather", false, func(id string) []msg {
			return []msg{{"id": id, "name": "get_weather", "response": nil}}
		}, ReasonInvalidArgument},
		{"response missing", "get_weather", false, func(id string) []msg {
			return []msg{{"id": id, "name": "get_weather"}}
		}, ReasonInvalidArgument},
		{"response not an object", "get_weather", false, func(id string) []msg {
			return []msg{{"id": id, "name": "get_weather", "response": "sunny"}}
		}, `Invalid value at 'tool_response.function_responses[0].response' (type.googleapis.com/google.protobuf.Struct), "sunny"`},
		{"one good, one bad", "get_weather", false, func(id string) []msg {
			return []msg{{"id": id, "name": "get_weather", "response": msg{}}, {"id": "fc_2", "name": "get_weather", "response": msg{}}}
		}, ReasonInvalidArgument},
		// The answer crossed the toolCallCancellation: ignored, not fatal.
		{"answer to a cancelled call", "get_weather", true, func(id string) []msg {
			return []msg{{"id": id, "name": "get_weather", "response": msg{}}}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{})
			c := connect(t, s, setupJSON("gemini-3.8-live", tools))
			c.send(msg{"realtimeInput": msg{"text": tt.call}})
			id, _, _ := toolCallOf(t, c.recvUntil("toolCall"))
			if tt.interrupt {
				s.Interrupt()
				c.recvUntil("serverContent.turnComplete")
			}
			rs := tt.responses(id)
			c.send(msg{"toolResponse": msg{"functionResponses": rs}})
			if tt.wantReason == "" {
				c.expectClose(0, "")
			} else {
				c.expectClose(websocket.StatusInvalidFramePayloadData, tt.wantReason)
			}
			// Every response that parsed is on record, whether or not the model saw it.
			ci, err := s.WaitClosed(ctxT(t), 1)
			if err != nil {
				t.Fatal(err)
			}
			want := len(rs)
			if strings.HasPrefix(tt.wantReason, "Invalid value") {
				want = 0
			}
			if len(ci.ToolResponses) != want {
				t.Fatalf("ToolResponses %+v, want %d", ci.ToolResponses, want)
			}
			if want > 0 {
				// Matched: the id names a pending call (rejected or not).
				if got, wantMatched := ci.ToolResponses[0].Matched, rs[0]["id"] == id && !tt.interrupt; got != wantMatched {
					t.Errorf("Matched = %v, want %v", got, wantMatched)
				}
			}
		})
	}
}

func TestNotFoundAfterToolResponse(t *testing.T) {
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("after response %d", n), func(t *testing.T) {
			s := start(t, Options{NotFoundAfterToolResponse: n})
			c := connect(t, s, setupJSON("gemini-3.1-flash-live-preview", `"outputAudioTranscription":{},"sessionResumption":{},`+weatherTool))
			handle := str(c.recv(), "sessionResumptionUpdate.newHandle")
			for i := 1; i <= n; i++ {
				c.send(msg{"realtimeInput": msg{"text": "get_weather"}})
				id, name, _ := toolCallOf(t, c.recvUntil("toolCall"))
				c.send(msg{"toolResponse": msg{"functionResponses": []msg{{"id": id, "name": name, "response": msg{"n": i}}}}})
				if i < n {
					ms := c.recvUntil("serverContent.turnComplete")
					if got, want := transcript(ms, "outputTranscription"), fmt.Sprintf(`The get_weather tool returned {"n":%d}.`, i); got != want {
						t.Errorf("answer %d: %q", i, got)
					}
					handle = str(c.recv(), "sessionResumptionUpdate.newHandle")
				}
			}
			if code, reason := c.closed(); code != websocket.StatusPolicyViolation || reason != ReasonNotFound {
				t.Errorf("close = %d %q, want 1008 %q", code, reason, ReasonNotFound)
			}
			ci := s.Conns()[0]
			if len(ci.ToolResponses) != n || ci.Turns != n-1 {
				t.Errorf("%d responses recorded, %d turns; want %d, %d", len(ci.ToolResponses), ci.Turns, n, n-1)
			}
			// The session goes on: resuming works at once.
			c2 := connect(t, s, setupJSON("gemini-3.1-flash-live-preview", `"sessionResumption":{"handle":"`+handle+`"},`+weatherTool))
			c2.send(msg{"realtimeInput": msg{"text": "hello again"}})
			c2.recvUntil("serverContent.turnComplete")
		})
	}
}

func TestStrictClientMessages(t *testing.T) {
	const (
		m31     = "gemini-3.1-flash-live-preview"
		m38     = "gemini-3.8-live"
		manual  = `"realtimeInputConfig":{"automaticActivityDetection":{"disabled":true}}`
		history = `"historyConfig":{"initialHistoryInClientContent":true}`
		seed    = `{"clientContent":{"turns":[{"role":"user","parts":[{"text":"I am Ada."}]},{"role":"model","parts":[{"text":"Hello Ada."}]}],"turnComplete":false}}`
		ask     = `{"clientContent":{"turns":[{"role":"user","parts":[{"text":"hi"}]}],"turnComplete":true}}`
		text    = `{"realtimeInput":{"text":"hi"}}`
	)
	tests := []struct {
		name       string
		setup      string
		msgs       []string
		wantReason string // "" = accepted; otherwise close 1007 with it
	}{
		{"audioStreamEnd with manual VAD", setupJSON(m38, manual), []string{`{"realtimeInput":{"audioStreamEnd":true}}`}, ReasonInvalidArgument},
		{"audioStreamEnd false with manual VAD is unset", setupJSON(m38, manual), []string{`{"realtimeInput":{"audioStreamEnd":false}}`}, ""},
		{"audioStreamEnd with automatic VAD", setupJSON(m38, ""), []string{`{"realtimeInput":{"audioStreamEnd":true}}`}, ""},
		{"3.1 clientContent", setupJSON(m31, ""), []string{ask}, ReasonPrecondition},
		{"3.1 clientContent without turnComplete", setupJSON(m31, ""), []string{seed}, ReasonPrecondition},
		{"3.1 clientContent after realtime input", setupJSON(m31, ""), []string{text, ask}, ReasonPrecondition},
		{"3.1 historyConfig false", setupJSON(m31, `"historyConfig":{"initialHistoryInClientContent":false}`), []string{seed}, ReasonPrecondition},
		{"3.1 seeding history", setupJSON(m31, history), []string{seed, seed, ask, text}, ""},
		{"3.1 history after realtime input", setupJSON(m31, history), []string{seed, text, seed}, ReasonPrecondition},
		{"3.1 history after activity signals", setupJSON(m31, history+","+manual), []string{`{"realtimeInput":{"activityStart":{}}}`, seed}, ReasonPrecondition},
		{"3.8 clientContent mid-session", setupJSON(m38, ""), []string{text, ask, seed}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{})
			c := connect(t, s, tt.setup)
			for _, m := range tt.msgs {
				c.sendRaw(m)
			}
			if tt.wantReason == "" {
				c.expectClose(0, "")
			} else {
				c.expectClose(websocket.StatusInvalidFramePayloadData, tt.wantReason)
			}
		})
	}
}

// TestResumeWhileOpen: a resume while the session's previous connection is
// open and alive (its client reads, so it answers the fake's ping) is refused
// with 1011 at once — no time passes on synctest's clock — and leaves that
// connection working. Once the old connection has ended, whoever ended it, a
// resume succeeds at once, even before the fake has noticed the end; when the
// old connection is silent (a dead network), the fake drops it after
// resumeGrace and the resume succeeds.
func TestResumeWhileOpen(t *testing.T) {
	setup := setupJSON("gemini-3.8-live", `"sessionResumption":{}`)
	tests := []struct {
		name     string
		end      func(s *Server, old *client) // nil: the old connection stays open
		silent   bool                         // the old client stops reading (its network died)
		wantCode websocket.StatusCode         // 0 = the resume succeeds
		wantAt   time.Duration
	}{
		{"old open", nil, false, websocket.StatusInternalError, 0},
		{"old closed by the client", func(_ *Server, old *client) { _ = old.ws.Close(websocket.StatusNormalClosure, "") }, false, 0, 0},
		{"old dropped by the client", func(_ *Server, old *client) { _ = old.ws.CloseNow() }, false, 0, 0},
		{"old closed by the server", func(s *Server, old *client) {
			s.CloseAll(websocket.StatusInternalError, ReasonInternal)
			old.closed()
		}, false, 0, 0},
		{"old silent", nil, true, 0, resumeGrace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var s *Server
				var old *client
				var handle string
				if tt.silent {
					// A raw connection that stops reading after the handle.
					s = New(Options{})
					t.Cleanup(func() { _ = s.Close() })
					ws, _, err := websocket.Dial(t.Context(), PipeURL+livePath+"?key=k", &websocket.DialOptions{HTTPClient: s.PipeClient()})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = ws.CloseNow() })
					if err := ws.Write(t.Context(), websocket.MessageText, []byte(setup)); err != nil {
						t.Fatal(err)
					}
					for handle == "" {
						_, b, err := ws.Read(t.Context())
						if err != nil {
							t.Fatal(err)
						}
						var m msg
						_ = jsonUnmarshal(b, &m)
						handle = str(m, "sessionResumptionUpdate.newHandle")
					}
				} else {
					s, old = connectBubble(t, Options{}, setup)
					handle = str(old.recv(), "sessionResumptionUpdate.newHandle")
				}
				if tt.end != nil {
					tt.end(s, old)
				}
				t0 := time.Now()
				c := dialBubble(t, s)
				c.sendRaw(setupJSON("gemini-3.8-live", `"sessionResumption":{"handle":"`+handle+`"}`))
				if tt.wantCode == 0 {
					if m := c.recv(); !has(m, "setupComplete") {
						t.Fatalf("resume got %v, want setupComplete", m)
					}
				} else if code, reason := c.closed(); code != tt.wantCode || reason != ReasonInternal {
					t.Errorf("close = %d %q, want %d %q", code, reason, tt.wantCode, ReasonInternal)
				}
				if d := time.Since(t0); d != tt.wantAt {
					t.Errorf("answered after %v, want %v", d, tt.wantAt)
				}
				switch {
				case tt.silent:
					ci, err := s.WaitClosed(t.Context(), 1)
					if err != nil {
						t.Fatal(err)
					}
					if ci.ClosedBy != "server" || ci.CloseCode != websocket.StatusAbnormalClosure {
						t.Errorf("silent connection closed by %q with %d, want dropped by the server", ci.ClosedBy, ci.CloseCode)
					}
				case tt.end == nil:
					// The old connection goes on.
					old.send(msg{"realtimeInput": msg{"text": "still there?"}})
					old.recvUntil("serverContent.turnComplete")
				}
			})
		})
	}
}

// The messages the real server sends that clients rarely see.

func TestResumptionUpdatesWhileGenerating(t *testing.T) {
	// 5 s of reply audio: updates at its start and at 2 s and 4 s.
	reply := func(Turn) Reply { return Reply{Text: "Five seconds.", Audio: make([]byte, 2*5*OutputRate)} }
	tests := []struct {
		name      string
		extra     string
		wantBusy  any  // every update during generation
		wantAfter bool // a resumable handle after turnComplete
	}{
		{"without sessionResumption: {}", "", map[string]any{}, false},
		{"with sessionResumption: resumable false", `"sessionResumption":{}`, map[string]any{"resumable": false}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{Responder: reply})
			c := connect(t, s, setupJSON("gemini-3.8-live", tt.extra))
			if tt.wantAfter {
				c.recv() // the first handle
			}
			c.send(msg{"realtimeInput": msg{"text": "talk"}})
			ms := c.recvUntil("serverContent.generationComplete")
			var busy []any
			for _, m := range ms {
				if v, ok := get(m, "sessionResumptionUpdate"); ok {
					busy = append(busy, v)
				}
			}
			if want := []any{tt.wantBusy, tt.wantBusy, tt.wantBusy}; !cmp.Equal(busy, want) {
				t.Errorf("updates during generation %v, want %v", busy, want)
			}
			c.recvUntil("serverContent.turnComplete")
			if tt.wantAfter {
				if m := c.recv(); str(m, "sessionResumptionUpdate.newHandle") == "" {
					t.Errorf("after the turn %v, want a handle", m)
				}
			}
			wantHandles := 0
			if tt.wantAfter {
				wantHandles = 2 // after setup and after the turn
			}
			if ci := s.Conns()[0]; len(ci.Handles) != wantHandles {
				t.Errorf("Handles %v, want %d", ci.Handles, wantHandles)
			}
		})
	}
}

func TestTurnCompleteReason(t *testing.T) {
	reply := func(tu Turn) Reply {
		if tu.Text == "something forbidden" {
			return Reply{TurnCompleteReason: "PROHIBITED_INPUT_CONTENT"}
		}
		return DefaultResponder(tu)
	}
	tests := []struct {
		name string
		opt  Options
		text string
		want any // turnCompleteReason on the turnComplete message; nil = absent
	}{
		{"ordinary turn", Options{}, "hello", nil},
		{"refused turn", Options{}, "something forbidden", "PROHIBITED_INPUT_CONTENT"},
		{"refused turn, separate usage", Options{SeparateUsage: true}, "something forbidden", "PROHIBITED_INPUT_CONTENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Responder = reply
			s := start(t, tt.opt)
			c := connect(t, s, setupJSON("gemini-3.8-live", ""))
			c.send(msg{"realtimeInput": msg{"text": tt.text}})
			ms := c.recvUntil("serverContent.turnComplete")
			for _, m := range ms[:len(ms)-1] {
				if has(m, "serverContent.turnCompleteReason") {
					t.Errorf("reason before turnComplete: %v", m)
				}
			}
			if got, _ := get(ms[len(ms)-1], "serverContent.turnCompleteReason"); got != tt.want {
				t.Errorf("turnCompleteReason %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("interrupted turn has none", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			long := func(Turn) Reply {
				return Reply{Text: "A long answer that is cut.", Audio: make([]byte, 2*5*OutputRate), TurnCompleteReason: "NEED_MORE_INPUT"}
			}
			s, c := connectBubble(t, Options{Responder: long, Pace: RealTime}, setupJSON("gemini-3.8-live", ""))
			c.send(msg{"realtimeInput": msg{"text": "talk"}})
			c.recvUntil("serverContent.modelTurn")
			s.Interrupt()
			ms := c.recvUntil("serverContent.turnComplete")
			if last := ms[len(ms)-1]; has(last, "serverContent.turnCompleteReason") {
				t.Errorf("interrupted turn ended with %v", last)
			}
		})
	})
}

func TestVoiceActivityAndInterimTranscription(t *testing.T) {
	// 0.5 s of silence, 1 s of tone, 1 s of silence: speech from 0.5 s to 1.5 s.
	audio := concat(make([]int16, 8000), tone(16000, 0.3), make([]int16, 16000))
	start0 := map[string]any{"type": "ACTIVITY_START", "audioOffset": "0.500s"}
	end0 := map[string]any{"type": "ACTIVITY_END", "audioOffset": "1.500s"}
	tests := []struct {
		name        string
		opt         Options
		setup       string
		streamEnd   bool  // end the utterance with audioStreamEnd instead of silence
		wantVA      []any // voiceActivity payloads in order
		wantInterim []string
	}{
		{"default: none", Options{}, setupJSON("gemini-3.8-live", `"inputAudioTranscription":{}`), false, nil, nil},
		{"VoiceActivity", Options{VoiceActivity: true}, setupJSON("gemini-3.8-live", ""), false, []any{start0, end0}, nil},
		{"InterimTranscription", Options{InterimTranscription: true}, setupJSON("gemini-3.8-live", `"inputAudioTranscription":{}`), false,
			nil, []string{"[0.5 s of speech]", "[1.0 s of speech]"}},
		{"InterimTranscription needs inputAudioTranscription", Options{InterimTranscription: true}, setupJSON("gemini-3.8-live", ""), false, nil, nil},
		{"transcribe model: both", Options{}, setupJSON("gemini-3.5-transcribe-live", `"inputAudioTranscription":{}`), false,
			[]any{start0, end0}, []string{"[0.5 s of speech]", "[1.0 s of speech]"}},
		{"transcribe model without input transcription", Options{}, setupJSON("gemini-3.5-transcribe-live", ""), false, []any{start0, end0}, nil},
		{"audioStreamEnd ends the activity", Options{VoiceActivity: true},
			setupJSON("gemini-3.8-live", `"realtimeInputConfig":{"automaticActivityDetection":{"silenceDurationMs":60000}}`), true,
			[]any{start0, map[string]any{"type": "ACTIVITY_END", "audioOffset": "1.500s"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, tt.opt)
			c := connect(t, s, tt.setup)
			c.sendAudioChunked(audio)
			if tt.streamEnd {
				c.send(msg{"realtimeInput": msg{"audioStreamEnd": true}})
			}
			ms := c.recvUntil("serverContent.turnComplete")
			var va []any
			var interim []string
			var order []string
			for _, m := range ms {
				if v, ok := get(m, "voiceActivity"); ok {
					va = append(va, v)
					order = append(order, "voiceActivity")
					if sc, _ := get(m, "serverContent"); !cmp.Equal(sc, map[string]any{}) {
						t.Errorf("voiceActivity beside serverContent %v, want {}", sc)
					}
				}
				if v := str(m, "serverContent.interimInputTranscription.text"); v != "" {
					interim = append(interim, v)
					order = append(order, "interim")
				}
				if has(m, "serverContent.inputTranscription") || has(m, "serverContent.modelTurn") {
					order = append(order, "reply")
				}
			}
			if diff := cmp.Diff(tt.wantVA, va); diff != "" {
				t.Errorf("voiceActivity (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantInterim, interim); diff != "" {
				t.Errorf("interim transcriptions (-want +got):\n%s", diff)
			}
			// Start, interims, end, then the reply.
			want := slices.Repeat([]string{"interim"}, len(tt.wantInterim))
			if tt.wantVA != nil {
				want = slices.Concat([]string{"voiceActivity"}, want, []string{"voiceActivity"})
			}
			if i := slices.Index(order, "reply"); i < 0 || !slices.Equal(order[:i], want) {
				t.Errorf("order %v, want %v then the reply", order, want)
			}
		})
	}
}

func TestTextParts(t *testing.T) {
	const answer = "Hello there, my friend, how are you today?"
	reply := func(Turn) Reply { return Reply{Text: answer} }
	tests := []struct {
		name      string
		opt       Options
		extra     string
		wantParts bool
		wantTx    bool
	}{
		{"default: none", Options{}, `"outputAudioTranscription":{}`, false, true},
		{"TextParts with transcription", Options{TextParts: true}, `"outputAudioTranscription":{}`, true, true},
		{"TextParts alone", Options{TextParts: true}, "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Responder = reply
			s := start(t, tt.opt)
			c := connect(t, s, setupJSON("gemini-3.8-live", tt.extra))
			c.send(msg{"realtimeInput": msg{"text": "hi"}})
			ms := c.recvUntil("serverContent.turnComplete")
			var text string
			n := 0
			for _, m := range ms {
				v, _ := get(m, "serverContent.modelTurn.parts")
				for _, p := range asList(v) {
					pm := msg(p.(map[string]any))
					if tx := str(pm, "text"); tx != "" {
						n++
						text += tx
						if sc := m["serverContent"].(map[string]any); len(sc) != 1 || len(asList(v)) != 1 || len(m) != 1 {
							t.Errorf("text part not in a message of its own: %v", m)
						}
					}
				}
			}
			if (text == answer) != tt.wantParts || (n > 1) != tt.wantParts {
				t.Errorf("%d text parts saying %q; want them: %v", n, text, tt.wantParts)
			}
			if got := transcript(ms, "outputTranscription"); (got == answer) != tt.wantTx {
				t.Errorf("transcription %q", got)
			}
			if !bytes.Equal(audioOf(t, ms), Synthesize(answer)) {
				t.Errorf("audio changed")
			}
		})
	}
}
