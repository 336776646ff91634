package livetest

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

// recorder is a Responder that keeps the turns it saw.
type recorder struct {
	mu    sync.Mutex
	turns []Turn
	reply func(Turn) Reply
}

func (r *recorder) respond(t Turn) Reply {
	r.mu.Lock()
	r.turns = append(r.turns, t)
	r.mu.Unlock()
	if r.reply != nil {
		return r.reply(t)
	}
	return DefaultResponder(t)
}

func (r *recorder) got() []Turn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.turns)
}

func TestAudioTurn(t *testing.T) {
	rec := &recorder{}
	s := start(t, Options{Responder: rec.respond})
	c := connect(t, s, setupJSON("gemini-3.8-live", `"inputAudioTranscription":{},"outputAudioTranscription":{},"sessionResumption":{}`))
	if m := c.recv(); !has(m, "sessionResumptionUpdate.newHandle") {
		t.Fatalf("after setupComplete got %v, want a resumption handle", m)
	}

	c.sendAudioChunked(speech(1500*time.Millisecond, time.Second))
	ms := c.recvUntil("serverContent.turnComplete")
	ms = append(ms, c.recv()) // the resumption update after the turn

	turns := rec.got()
	if len(turns) != 1 {
		t.Fatalf("responder saw %d turns, want 1", len(turns))
	}
	tu := turns[0]
	if !tu.Speech || tu.AudioSamples < 1400*16 || tu.AudioSamples > 1520*16 {
		t.Errorf("turn audio = %d samples (speech %v), want about 1.5 s of speech", tu.AudioSamples, tu.Speech)
	}
	wantText := DefaultResponder(tu).Text
	if !strings.HasPrefix(wantText, "I heard about 1.5 seconds of audio") {
		t.Errorf("reply text = %q", wantText)
	}

	// Order: input transcription, not resumable, audio (+ transcripts, and "not
	// resumable" again every 2 s of it), generationComplete, turnComplete + usage,
	// resumable with a new handle.
	var busy []msg
	var rest []msg
	for i, m := range ms {
		if i > 1 && i < len(ms)-1 && has(m, "sessionResumptionUpdate") {
			busy = append(busy, m)
			continue
		}
		rest = append(rest, m)
	}
	audioSamples := len(Synthesize(wantText)) / 2
	if want := (audioSamples - 1) / (2 * OutputRate); len(busy) != want {
		t.Errorf("%d updates during %d samples of reply, want %d (one per 2 s)", len(busy), audioSamples, want)
	}
	for _, m := range busy {
		if v, _ := get(m, "sessionResumptionUpdate"); !cmp.Equal(v, map[string]any{"resumable": false}) {
			t.Errorf("update during generation %v, want resumable:false without a handle", m)
		}
	}
	p := slices.Compact(parts(rest))
	p = slices.DeleteFunc(p, func(s string) bool { return s == "serverContent.outputTranscription" })
	p = slices.Compact(p)
	want := []string{
		"serverContent.inputTranscription", "sessionResumptionUpdate", "serverContent.modelTurn",
		"serverContent.generationComplete", "serverContent.turnComplete", "usageMetadata", "sessionResumptionUpdate",
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("message order (-want +got):\n%s", diff)
	}
	if got := transcript(ms, "inputTranscription"); got != "[1.5 s of speech]" {
		t.Errorf("input transcription = %q", got)
	}
	if got := transcript(ms, "outputTranscription"); got != wantText {
		t.Errorf("output transcription = %q, want %q", got, wantText)
	}
	for _, m := range ms {
		if tx := str(m, "serverContent.outputTranscription.text"); tx != "" && m["serverContent"].(map[string]any)["modelTurn"] == nil {
			t.Errorf("transcription delta %q not bundled with audio", tx)
		}
	}
	audio := audioOf(t, ms)
	if !bytes.Equal(audio, Synthesize(wantText)) {
		t.Errorf("audio is %d bytes, want the %d of Synthesize(reply)", len(audio), len(Synthesize(wantText)))
	}
	if n, want := c.countAudioMsgs(ms), (len(audio)/2+2399)/2400; n != want {
		t.Errorf("%d audio chunks, want %d of 100 ms", n, want)
	}
	if v, _ := get(ms[1], "sessionResumptionUpdate.resumable"); v != false {
		t.Errorf("mid-generation update = %v, want resumable:false", ms[1])
	}
	last := ms[len(ms)-1]
	if v, _ := get(last, "sessionResumptionUpdate.resumable"); v != true || str(last, "sessionResumptionUpdate.newHandle") == "" {
		t.Errorf("final update = %v, want resumable:true with a handle", last)
	}

	// Usage: 25 tokens per second of audio both ways.
	var u struct {
		UsageMetadata struct {
			PromptTokenCount, ResponseTokenCount, TotalTokenCount int
			PromptTokensDetails, ResponseTokensDetails            []struct {
				Modality   string
				TokenCount int
			}
		}
	}
	raw, _ := json.Marshal(ms[len(ms)-2])
	if err := json.Unmarshal(raw, &u); err != nil {
		t.Fatal(err)
	}
	um := u.UsageMetadata
	wantResp := (len(audio)/2*25 + OutputRate - 1) / OutputRate
	wantPrompt := (tu.AudioSamples*25 + InputRate - 1) / InputRate
	if um.ResponseTokenCount != wantResp || um.PromptTokenCount != wantPrompt || um.TotalTokenCount != wantResp+wantPrompt {
		t.Errorf("usage = %+v, want prompt %d response %d", um, wantPrompt, wantResp)
	}

	ci := s.Conns()[0]
	if ci.AudioSamples != len(speech(1500*time.Millisecond, time.Second)) || ci.AudioMIME != "audio/pcm;rate=16000" {
		t.Errorf("ConnInfo audio = %d samples %q", ci.AudioSamples, ci.AudioMIME)
	}
	if ci.Turns != 1 || len(ci.Handles) != 2 {
		t.Errorf("ConnInfo turns %d handles %v", ci.Turns, ci.Handles)
	}
}

func (c *client) countAudioMsgs(ms []msg) int {
	n := 0
	for _, m := range ms {
		if has(m, "serverContent.modelTurn") {
			n++
		}
	}
	return n
}

func TestTextTurns(t *testing.T) {
	tests := []struct {
		name string
		msg  string
	}{
		{"realtimeInput.text", `{"realtimeInput":{"text":"hello"}}`},
		{"realtime_input snake", `{"realtime_input":{"text":"hello"}}`},
		{"clientContent turnComplete", `{"clientContent":{"turns":[{"role":"user","parts":[{"text":"hello"}]}],"turnComplete":true}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{})
			c := connect(t, s, setupJSON("gemini-3.8-live", `"outputAudioTranscription":{}`))
			c.sendRaw(tt.msg)
			ms := c.recvUntil("serverContent.turnComplete")
			if got := transcript(ms, "outputTranscription"); got != "You said: hello." {
				t.Errorf("transcript = %q", got)
			}
			if has(ms[0], "serverContent.inputTranscription") {
				t.Errorf("typed turn got an input transcription")
			}
			if got := s.Conns()[0].Texts; !slices.Equal(got, []string{"hello"}) {
				t.Errorf("Texts = %q", got)
			}
		})
	}
}

func TestClientContentWithoutTurnCompleteWaits(t *testing.T) {
	rec := &recorder{}
	s := start(t, Options{Responder: rec.respond})
	c := connect(t, s, setupJSON("gemini-3.8-live", ""))
	c.sendRaw(`{"clientContent":{"turns":[{"role":"user","parts":[{"text":"context"}]}]}}`)
	c.sendRaw(`{"realtimeInput":{"text":"now"}}`)
	c.recvUntil("serverContent.turnComplete")
	if got := rec.got(); len(got) != 1 || got[0].Text != "now" {
		t.Errorf("turns = %+v, want only the realtime text", got)
	}
}

// longReply makes the first reply long so a test can barge in while it plays.
func longReply(t Turn) Reply {
	if t.Index == 0 {
		return Reply{Text: strings.Repeat("This is a long answer that keeps going. ", 8)}
	}
	return DefaultResponder(t)
}

func TestBargeIn(t *testing.T) {
	tests := []struct {
		name            string
		handling        string
		wantInterrupted bool
	}{
		{"default interrupts", "", true},
		{"START_OF_ACTIVITY_INTERRUPTS", "START_OF_ACTIVITY_INTERRUPTS", true},
		{"NO_INTERRUPTION", "NO_INTERRUPTION", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// On synctest's clock the reply is paced in real time but the test
			// runs instantly, and the barge-in lands after exactly one chunk.
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{reply: longReply}
				extra := ""
				if tt.handling != "" {
					extra = `"realtimeInputConfig":{"activityHandling":"` + tt.handling + `"}`
				}
				s, c := connectBubble(t, Options{Responder: rec.respond, Pace: RealTime}, setupJSON("gemini-3.8-live", extra))
				c.send(msg{"realtimeInput": msg{"text": "talk"}})
				first := c.recvUntil("serverContent.modelTurn")
				c.sendAudioChunked(speech(600*time.Millisecond, time.Second))

				ms := c.recvUntil("serverContent.turnComplete")
				p := parts(ms)
				if tt.wantInterrupted {
					want := []string{"serverContent.interrupted", "serverContent.turnComplete", "usageMetadata"}
					if diff := cmp.Diff(want, p); diff != "" {
						t.Errorf("parts after the barge-in (-want +got):\n%s", diff)
					}
					if n := len(audioOf(t, first)); n != 2*2400 {
						t.Errorf("%d bytes of audio before the barge-in, want exactly one 100 ms chunk", n)
					}
				} else if slices.Contains(p, "serverContent.interrupted") || !slices.Contains(p, "serverContent.generationComplete") ||
					len(audioOf(t, append(first, ms...))) != len(Synthesize(longReply(Turn{}).Text)) {
					t.Errorf("NO_INTERRUPTION: the reply was cut: %v", slices.Compact(p))
				}
				// Either way the user's speech is answered next.
				ms = c.recvUntil("serverContent.turnComplete")
				if p := parts(ms); slices.Contains(p, "serverContent.interrupted") {
					t.Errorf("second turn interrupted: %v", p)
				}
				turns := rec.got()
				if len(turns) != 2 || !turns[1].Speech {
					t.Fatalf("turns = %+v, want text then speech", turns)
				}
				if ci := s.Conns()[0]; (ci.Interruptions == 1) != tt.wantInterrupted {
					t.Errorf("Interruptions = %d", ci.Interruptions)
				}
			})
		})
	}
}

func TestManualActivity(t *testing.T) {
	tests := []struct {
		name       string
		audio      []int16
		wantSpeech bool
	}{
		{"speech", speech(500*time.Millisecond, 0), true},
		{"silence", make([]int16, 8000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			s := start(t, Options{Responder: rec.respond})
			c := connect(t, s, setupJSON("gemini-3.8-live", `"realtimeInputConfig":{"automaticActivityDetection":{"disabled":true}}`))
			c.sendAudio(tt.audio) // outside activity: not part of a turn
			c.send(msg{"realtimeInput": msg{"activityStart": msg{}}})
			c.sendAudioChunked(tt.audio)
			c.send(msg{"realtimeInput": msg{"activityEnd": msg{}}})
			c.recvUntil("serverContent.turnComplete")
			got := rec.got()
			if len(got) != 1 || got[0].AudioSamples != len(tt.audio) || got[0].Speech != tt.wantSpeech {
				t.Errorf("turns = %+v, want one of %d samples, speech %v", got, len(tt.audio), tt.wantSpeech)
			}
			ci := s.Conns()[0]
			if ci.ActivityStarts != 1 || ci.ActivityEnds != 1 {
				t.Errorf("activity counts %d/%d", ci.ActivityStarts, ci.ActivityEnds)
			}
		})
	}
}

func TestManualActivityStartInterrupts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, c := connectBubble(t, Options{Responder: longReply, Pace: RealTime},
			setupJSON("gemini-3.8-live", `"realtimeInputConfig":{"automaticActivityDetection":{"disabled":true}}`))
		c.send(msg{"realtimeInput": msg{"text": "talk"}})
		c.recvUntil("serverContent.modelTurn")
		c.send(msg{"realtimeInput": msg{"activityStart": msg{}}})
		ms := c.recvUntil("serverContent.turnComplete")
		if p := parts(ms); !slices.Equal(p, []string{"serverContent.interrupted", "serverContent.turnComplete", "usageMetadata"}) {
			t.Errorf("parts %v, want interrupted, turnComplete", p)
		}
	})
}

func TestAudioStreamEndEndsTurn(t *testing.T) {
	rec := &recorder{}
	s := start(t, Options{Responder: rec.respond})
	// A long silence duration: only audioStreamEnd can end this turn.
	c := connect(t, s, setupJSON("gemini-3.8-live", `"realtimeInputConfig":{"automaticActivityDetection":{"silenceDurationMs":60000}}`))
	c.sendAudioChunked(speech(time.Second, 500*time.Millisecond))
	c.send(msg{"realtimeInput": msg{"audioStreamEnd": true}})
	c.recvUntil("serverContent.turnComplete")
	if got := rec.got(); len(got) != 1 || !got[0].Speech {
		t.Errorf("turns = %+v", got)
	}
	if n := s.Conns()[0].AudioStreamEnds; n != 1 {
		t.Errorf("AudioStreamEnds = %d", n)
	}
}

var callID = regexp.MustCompile(`^fc_[0-9]+$`)

const weatherTool = `"tools":[{"functionDeclarations":[{"name":"get_weather","description":"weather","parameters":{"type":"OBJECT","properties":{"query":{"type":"STRING"}}}}]}]`

func toolCallOf(t *testing.T, ms []msg) (id, name string, args map[string]any) {
	t.Helper()
	v, ok := get(ms[len(ms)-1], "toolCall.functionCalls")
	if !ok {
		t.Fatalf("no toolCall in %v", ms[len(ms)-1])
	}
	fc := v.([]any)[0].(map[string]any)
	id, name = fc["id"].(string), fc["name"].(string)
	args, _ = fc["args"].(map[string]any)
	if !callID.MatchString(id) {
		t.Errorf("call id %q does not look like fc_<digits>", id)
	}
	return id, name, args
}

func TestBlockingToolCall(t *testing.T) {
	s := start(t, Options{})
	c := connect(t, s, setupJSON("gemini-3.1-flash-live-preview", `"outputAudioTranscription":{},`+weatherTool))
	c.send(msg{"realtimeInput": msg{"text": "please call get_weather for Paris"}})
	ms := c.recvUntil("toolCall")
	if p := parts(ms); slices.Contains(p, "serverContent.turnComplete") || slices.Contains(p, "serverContent.generationComplete") {
		t.Errorf("blocking call: turn ended before the response: %v", p)
	}
	id, name, args := toolCallOf(t, ms)
	if name != "get_weather" || args["query"] != "please call get_weather for Paris" {
		t.Errorf("call %s(%v)", name, args)
	}
	c.send(msg{"toolResponse": msg{"functionResponses": []msg{{"id": id, "name": name, "response": msg{"temp": 20}}}}})
	ms = c.recvUntil("serverContent.turnComplete")
	if got := transcript(ms, "outputTranscription"); got != `The get_weather tool returned {"temp":20}.` {
		t.Errorf("after the response the model said %q", got)
	}
	ci := s.Conns()[0]
	if len(ci.ToolResponses) != 1 || !ci.ToolResponses[0].Matched || ci.ToolResponses[0].ID != id {
		t.Errorf("ToolResponses = %+v", ci.ToolResponses)
	}
	if !slices.Equal(ci.ToolCalls, []string{id}) {
		t.Errorf("ToolCalls = %v", ci.ToolCalls)
	}
}

func TestBargeInCancelsToolCall(t *testing.T) {
	// By default speech during a blocking call aborts the session (see
	// TestRealtimeInputDuringBlockingCall); leniently it barges in.
	s := start(t, Options{LenientToolInput: true})
	c := connect(t, s, setupJSON("gemini-3.1-flash-live-preview", weatherTool))
	c.send(msg{"realtimeInput": msg{"text": "get_weather"}})
	id, _, _ := toolCallOf(t, c.recvUntil("toolCall"))
	c.sendAudioChunked(speech(300*time.Millisecond, 0))
	ms := c.recvUntil("serverContent.turnComplete")
	want := []string{"serverContent.interrupted", "toolCallCancellation", "serverContent.turnComplete", "usageMetadata"}
	if diff := cmp.Diff(want, parts(ms)); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
	if v, _ := get(ms[1], "toolCallCancellation.ids"); !cmp.Equal(v, []any{id}) {
		t.Errorf("cancelled %v, want [%s]", v, id)
	}
}

func TestNonBlockingToolCall(t *testing.T) {
	tests := []struct {
		scheduling string
		wantReply  bool
	}{
		{"WHEN_IDLE", true},
		{"INTERRUPT", true},
		{"", true},
		{"SILENT", false},
	}
	for _, tt := range tests {
		t.Run("scheduling "+tt.scheduling, func(t *testing.T) {
			s := start(t, Options{})
			// 3.8: NON_BLOCKING is the default behaviour.
			c := connect(t, s, setupJSON("gemini-3.8-live", `"outputAudioTranscription":{},`+weatherTool))
			c.send(msg{"realtimeInput": msg{"text": "get_weather"}})
			ms := c.recvUntil("toolCall")
			id, name, _ := toolCallOf(t, ms)
			// The model keeps talking and ends its turn without waiting.
			ms = c.recvUntil("serverContent.turnComplete")
			if got := transcript(ms, "outputTranscription"); got != "Let me check." {
				t.Errorf("model said %q", got)
			}
			fr := msg{"id": id, "name": name, "response": msg{"temp": 21}}
			if tt.scheduling != "" {
				fr["scheduling"] = tt.scheduling
			}
			c.send(msg{"toolResponse": msg{"functionResponses": []msg{fr}}})
			c.send(msg{"realtimeInput": msg{"text": "next"}})
			ms = c.recvUntil("serverContent.turnComplete")
			got := transcript(ms, "outputTranscription")
			if want := `The get_weather tool returned {"temp":21}.`; (got == want) != tt.wantReply {
				t.Errorf("after the response the model said %q (want the result spoken: %v)", got, tt.wantReply)
			}
		})
	}
}

func TestSendToolCallAndInterruptControls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, c := connectBubble(t, Options{Responder: longReply, Pace: RealTime}, setupJSON("gemini-3.1-flash-live-preview", ""))
		s.SendToolCall("lookup", map[string]any{"x": 1.0})
		id, name, args := toolCallOf(t, c.recvUntil("toolCall"))
		if name != "lookup" || args["x"] != 1.0 {
			t.Errorf("call %s %s(%v)", id, name, args)
		}
		s.Interrupt()
		ms := c.recvUntil("serverContent.turnComplete")
		if p := parts(ms); !slices.Contains(p, "toolCallCancellation") || !slices.Contains(p, "serverContent.interrupted") {
			t.Errorf("parts %v", p)
		}
	})
}

func TestResumption(t *testing.T) {
	rec := &recorder{}
	s := start(t, Options{Responder: rec.respond})
	setup := setupJSON("gemini-3.8-live", `"sessionResumption":{}`)
	c := connect(t, s, setup)
	c.recv() // first handle
	c.send(msg{"realtimeInput": msg{"text": "one"}})
	c.recvUntil("serverContent.turnComplete")
	m := c.recv()
	handle := str(m, "sessionResumptionUpdate.newHandle")
	if handle == "" {
		t.Fatalf("no handle after the turn: %v", m)
	}

	// Resuming while the old socket is open is refused.
	c2 := dial(t, s)
	c2.sendRaw(setupJSON("gemini-3.8-live", `"sessionResumption":{"handle":"`+handle+`"}`))
	if code, _ := c2.closed(); code != websocket.StatusInternalError {
		t.Errorf("resume while open: close %d, want 1011", code)
	}

	if err := c.ws.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	ci, err := s.WaitClosed(ctxT(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if ci.ClosedBy != "client" || ci.CloseCode != websocket.StatusNormalClosure {
		t.Errorf("close seen as %s %d", ci.ClosedBy, ci.CloseCode)
	}

	c3 := connect(t, s, setupJSON("gemini-3.8-live", `"sessionResumption":{"handle":"`+handle+`"}`))
	c3.recv() // new handle
	c3.send(msg{"realtimeInput": msg{"text": "two"}})
	ms := c3.recvUntil("serverContent.turnComplete")
	turns := rec.got()
	if len(turns) != 2 || turns[1].Index != 1 {
		t.Errorf("turns %+v: want the resumed session to continue at index 1", turns)
	}
	cs := s.Conns()
	if got := cs[len(cs)-1]; got.ResumedHandle != handle || got.Session != cs[0].Session {
		t.Errorf("resumed conn %+v", got)
	}
	if v, _ := get(ms[len(ms)-1], "usageMetadata.promptTokenCount"); v.(float64) < 3 {
		t.Errorf("prompt tokens %v: history lost", v)
	}

	tests := []struct {
		name   string
		handle string
		clock  time.Duration
	}{
		{"unknown handle", "nope", 0},
		{"expired handle", handle, 3 * time.Hour},
	}
	if err := c3.ws.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitClosed(ctxT(t), cs[len(cs)-1].ID); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.mu.Lock()
			s.now = func() time.Time { return time.Now().Add(tt.clock) }
			s.mu.Unlock()
			c := dial(t, s)
			c.sendRaw(setupJSON("gemini-3.8-live", `"sessionResumption":{"handle":"`+tt.handle+`"}`))
			if code, reason := c.closed(); code != websocket.StatusPolicyViolation || reason != ReasonSessionNotFound {
				t.Errorf("close = %d %q, want 1008 %q", code, reason, ReasonSessionNotFound)
			}
		})
	}
}

func TestGoAwayAndDeadline(t *testing.T) {
	tests := []struct {
		name       string
		opt        Options
		control    time.Duration // >0: call Server.GoAway with it
		wantLeft   string
		wantCode   websocket.StatusCode
		wantReason string
	}{
		{"control, default code", Options{}, 30 * time.Millisecond, "0.030s", 1008, ReasonAborted},
		{"lifetime, 1011", Options{GoAwayAfter: 20 * time.Millisecond, ConnLifetime: 70 * time.Millisecond, DeadlineCode: 1011}, 0, "0.050s", 1011, ReasonDeadline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, tt.opt)
			c := connect(t, s, setupJSON("gemini-3.8-live", ""))
			if tt.control > 0 {
				s.GoAway(tt.control)
			}
			m := c.recv()
			if got := str(m, "goAway.timeLeft"); got != tt.wantLeft {
				t.Errorf("got %v, want goAway timeLeft %q", m, tt.wantLeft)
			}
			if code, reason := c.closed(); code != tt.wantCode || reason != tt.wantReason {
				t.Errorf("close = %d %q, want %d %q", code, reason, tt.wantCode, tt.wantReason)
			}
		})
	}
}

func jpegFrame(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestVideoFramesAndImageTokens(t *testing.T) {
	tests := []struct {
		resolution string
		wantTok    int
	}{
		{"", 258},
		{"MEDIA_RESOLUTION_LOW", 64},
		{"MEDIA_RESOLUTION_MEDIUM", 256},
	}
	for _, tt := range tests {
		t.Run("resolution "+tt.resolution, func(t *testing.T) {
			rec := &recorder{}
			s := start(t, Options{Responder: rec.respond})
			gc := `"responseModalities":["AUDIO"]`
			if tt.resolution != "" {
				gc += `,"mediaResolution":"` + tt.resolution + `"`
			}
			c := connect(t, s, `{"setup":{"model":"models/gemini-3.8-live","generationConfig":{`+gc+`}}}`)
			frame := jpegFrame(t, 64, 48)
			for range 2 {
				c.send(msg{"realtimeInput": msg{"video": msg{"mimeType": "image/jpeg", "data": frame}}})
			}
			c.send(msg{"realtimeInput": msg{"video": msg{"mimeType": "image/jpeg", "data": []byte("not a jpeg")}}})
			c.send(msg{"realtimeInput": msg{"text": "what do you see"}})
			ms := c.recvUntil("serverContent.turnComplete")
			if got := rec.got(); len(got) != 1 || got[0].Frames != 2 {
				t.Fatalf("turns %+v, want 2 frames", got)
			}
			ci := s.Conns()[0]
			last := ci.LastFrame
			if last.At.IsZero() {
				t.Errorf("LastFrame.At not stamped")
			}
			last.At = time.Time{}
			if ci.Frames != 2 || ci.FrameErrors != 1 || last != (Frame{MIME: "image/jpeg", Width: 64, Height: 48, Bytes: len(frame)}) {
				t.Errorf("ConnInfo frames %d errors %d last %+v", ci.Frames, ci.FrameErrors, ci.LastFrame)
			}
			v, _ := get(ms[len(ms)-1], "usageMetadata.promptTokensDetails")
			var img float64
			for _, d := range v.([]any) {
				if d.(map[string]any)["modality"] == "IMAGE" {
					img = d.(map[string]any)["tokenCount"].(float64)
				}
			}
			if int(img) != 2*tt.wantTok {
				t.Errorf("IMAGE tokens %v, want %d", img, 2*tt.wantTok)
			}
		})
	}
}

func TestSessionCaps(t *testing.T) {
	s := start(t, Options{VideoSessionCap: 30 * time.Millisecond})
	c := connect(t, s, setupJSON("gemini-3.8-live", `"sessionResumption":{}`))
	handle := str(c.recv(), "sessionResumptionUpdate.newHandle")
	c.send(msg{"realtimeInput": msg{"video": msg{"mimeType": "image/jpeg", "data": jpegFrame(t, 8, 8)}}})
	if code, reason := c.closed(); code != websocket.StatusPolicyViolation || reason != ReasonAborted {
		t.Errorf("close = %d %q, want 1008 %q", code, reason, ReasonAborted)
	}
	// The session is over: its handles are gone.
	c2 := dial(t, s)
	c2.sendRaw(setupJSON("gemini-3.8-live", `"sessionResumption":{"handle":"`+handle+`"}`))
	if code, reason := c2.closed(); code != websocket.StatusPolicyViolation || reason != ReasonSessionNotFound {
		t.Errorf("resume after cap: %d %q", code, reason)
	}
}

func TestQuotaClose(t *testing.T) {
	s := start(t, Options{QuotaCloseAfter: time.Millisecond})
	c := connect(t, s, setupJSON("gemini-3.8-live", ""))
	code, reason := c.closed()
	if code != websocket.StatusInternalError || !strings.HasSuffix(reason, "head to: h") || len(reason) != 123 {
		t.Errorf("close = %d %q", code, reason)
	}
}

func TestSendRawAndCloseAll(t *testing.T) {
	s := start(t, Options{})
	c := connect(t, s, setupJSON("gemini-3.8-live", ""))
	s.SendRaw([]byte("not json"), false)
	typ, b, err := c.read()
	if err != nil || typ != websocket.MessageBinary || string(b) != "not json" {
		t.Fatalf("got %v %q %v", typ, b, err)
	}
	long := strings.Repeat("x", 200)
	s.CloseAll(websocket.StatusInternalError, long)
	if code, reason := c.closed(); code != websocket.StatusInternalError || reason != long[:123] {
		t.Errorf("close = %d %q", code, reason)
	}
	ci, err := s.WaitClosed(ctxT(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if ci.ClosedBy != "server" || ci.CloseCode != websocket.StatusInternalError || ci.Sent[len(ci.Sent)-1] != "raw" {
		t.Errorf("ConnInfo %+v", ci)
	}
}

func TestCloseDropsConnections(t *testing.T) {
	s, err := Start(Options{Responder: longReply, Pace: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, s, setupJSON("gemini-3.8-live", ""))
	c.send(msg{"realtimeInput": msg{"text": "talk"}})
	c.recvUntil("serverContent.modelTurn")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if code, _ := c.closed(); code == websocket.StatusNormalClosure {
		t.Errorf("connection survived Close")
	}
	if _, _, err := dialPath(t, s, livePath+"?key=k", nil); err == nil {
		t.Errorf("dial after Close succeeded")
	}
}

func TestThoughtAndGrounding(t *testing.T) {
	reply := func(Turn) Reply {
		return Reply{
			Text:      "Paris.",
			Thought:   "The user asks about France.",
			Grounding: &Grounding{Queries: []string{"capital of france"}, Sources: []Source{{URI: "https://example.com/fr", Title: "France"}}},
			Heard:     "what is the capital of France",
		}
	}
	tests := []struct {
		name        string
		setup       string
		wantThought bool
	}{
		{"thoughts requested", `{"setup":{"model":"models/gemini-3.8-live-extended-thinking","generationConfig":{"thinkingConfig":{"includeThoughts":true}},"inputAudioTranscription":{}}}`, true},
		{"thoughts not requested", `{"setup":{"model":"models/gemini-3.8-live","inputAudioTranscription":{}}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{Responder: reply})
			c := connect(t, s, tt.setup)
			c.sendAudioChunked(speech(500*time.Millisecond, time.Second))
			ms := c.recvUntil("serverContent.turnComplete")
			var thought string
			for _, m := range ms {
				v, _ := get(m, "serverContent.modelTurn.parts")
				for _, p := range asList(v) {
					if pm := p.(map[string]any); pm["thought"] == true {
						thought = pm["text"].(string)
					}
				}
			}
			if (thought == "The user asks about France.") != tt.wantThought {
				t.Errorf("thought part %q, want present: %v", thought, tt.wantThought)
			}
			if got := transcript(ms, "inputTranscription"); got != "what is the capital of France" {
				t.Errorf("input transcription %q", got)
			}
			i := slices.IndexFunc(ms, func(m msg) bool { return has(m, "serverContent.groundingMetadata") })
			if i < 0 {
				t.Fatalf("no groundingMetadata")
			}
			if uri := str(msg(asList(ms[i]["serverContent"].(map[string]any)["groundingMetadata"].(map[string]any)["groundingChunks"])[0].(map[string]any)), "web.uri"); uri != "https://example.com/fr" {
				t.Errorf("grounding uri %q", uri)
			}
			v, _ := get(ms[len(ms)-1], "usageMetadata.thoughtsTokenCount")
			if (v != nil) != tt.wantThought {
				t.Errorf("thoughtsTokenCount %v", v)
			}
		})
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestContextUpdateTools(t *testing.T) {
	s := start(t, Options{})
	c := connect(t, s, setupJSON("gemini-3.1-flash-live-preview", ""))
	c.send(msg{"contextUpdate": msg{
		"systemInstruction": msg{"parts": []msg{{"text": "You can look things up."}}},
		"tools":             msg{"tools": []msg{{"functionDeclarations": []msg{{"name": "lookup"}}}}},
	}})
	c.send(msg{"realtimeInput": msg{"text": "lookup the answer"}})
	if _, name, _ := toolCallOf(t, c.recvUntil("toolCall")); name != "lookup" {
		t.Errorf("called %q", name)
	}
}

func TestTurnEndVariants(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
		want []string
	}{
		{"default", Options{}, []string{"serverContent.generationComplete", "serverContent.turnComplete", "usageMetadata"}},
		{"separate usage", Options{SeparateUsage: true}, []string{"serverContent.generationComplete", "serverContent.turnComplete", "usageMetadata"}},
		{"no turnComplete", Options{OmitTurnComplete: true}, []string{"serverContent.generationComplete", "usageMetadata"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, tt.opt)
			c := connect(t, s, setupJSON("gemini-3.8-live", ""))
			c.send(msg{"realtimeInput": msg{"text": "hi"}})
			ms := c.recvUntil("usageMetadata")
			p := slices.DeleteFunc(parts(ms), func(s string) bool {
				return s == "serverContent.modelTurn" || s == "sessionResumptionUpdate"
			})
			if diff := cmp.Diff(tt.want, p); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
			last := ms[len(ms)-1]
			if tt.opt.SeparateUsage && has(last, "serverContent") {
				t.Errorf("usage not separate: %v", last)
			}
			// The fake is idle again either way: the next turn is answered.
			c.send(msg{"realtimeInput": msg{"text": "again"}})
			c.recvUntil("usageMetadata")
		})
	}
}
