package sdktest

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/genai"

	"github.com/livedesk/livedesk/live/livetest"
)

// These tests drive the official Go SDK (a client nobody here wrote) against
// livetest: if the fake drifts from what the SDK expects, they fail.

const testTimeout = 30 * time.Second

func startFake(t *testing.T, opt livetest.Options) *livetest.Server {
	t.Helper()
	s, err := livetest.Start(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func connect(t *testing.T, s *livetest.Server, model string, cfg *genai.LiveConnectConfig) *genai.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:      "test-key",
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: s.URL()},
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	sess, err := client.Live.Connect(ctx, model, cfg)
	if err != nil {
		t.Fatalf("Live.Connect: %v", err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	// The SDK hands back the buffered setupComplete first.
	m := receive(t, sess)
	if m.SetupComplete == nil {
		t.Fatalf("first Receive = %+v, want setupComplete", m)
	}
	return sess
}

// receive fails the test instead of hanging when the fake goes quiet.
func receive(t *testing.T, sess *genai.Session) *genai.LiveServerMessage {
	t.Helper()
	type result struct {
		m   *genai.LiveServerMessage
		err error
	}
	ch := make(chan result, 1)
	go func() {
		m, err := sess.Receive()
		ch <- result{m, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Receive: %v", r.err)
		}
		return r.m
	case <-time.After(testTimeout):
		_ = sess.Close() // unblocks the goroutine above
		<-ch
		t.Fatal("Receive: timed out")
		return nil
	}
}

// untilClosed receives until the session ends and returns why; it fails the
// test instead of hanging when the fake never closes.
func untilClosed(t *testing.T, sess *genai.Session) error {
	t.Helper()
	ch := make(chan error, 1)
	go func() {
		for {
			if _, err := sess.Receive(); err != nil {
				ch <- err
				return
			}
		}
	}()
	select {
	case err := <-ch:
		return err
	case <-time.After(testTimeout):
		_ = sess.Close() // unblocks the goroutine above
		<-ch
		t.Fatal("the session did not end")
		return nil
	}
}

// turn collects a model turn up to turnComplete (or a toolCall when stopAtTool).
type turn struct {
	audio           []byte
	input, output   string
	generationDone  bool
	usage           *genai.UsageMetadata
	toolCall        *genai.LiveServerToolCall
	resumableHandle string
}

func collect(t *testing.T, sess *genai.Session, stopAtTool bool) turn {
	t.Helper()
	var tr turn
	for {
		m := receive(t, sess)
		if m.UsageMetadata != nil {
			tr.usage = m.UsageMetadata
		}
		if u := m.SessionResumptionUpdate; u != nil && u.Resumable {
			tr.resumableHandle = u.NewHandle
		}
		if m.ToolCall != nil {
			tr.toolCall = m.ToolCall
			if stopAtTool {
				return tr
			}
		}
		sc := m.ServerContent
		if sc == nil {
			continue
		}
		if sc.ModelTurn != nil {
			for _, p := range sc.ModelTurn.Parts {
				if p.InlineData != nil {
					if p.InlineData.MIMEType != "audio/pcm;rate=24000" {
						t.Errorf("audio MIME %q", p.InlineData.MIMEType)
					}
					tr.audio = append(tr.audio, p.InlineData.Data...)
				}
			}
		}
		if sc.InputTranscription != nil {
			tr.input += sc.InputTranscription.Text
		}
		if sc.OutputTranscription != nil {
			tr.output += sc.OutputTranscription.Text
		}
		tr.generationDone = tr.generationDone || sc.GenerationComplete
		if sc.TurnComplete {
			return tr
		}
	}
}

// speech16k is speech-like 16 kHz s16le audio: the fake's own synthesiser,
// decimated from 24 kHz, with its word gaps filled so it is one utterance.
func speech16k(seconds float64) []byte {
	b := livetest.Synthesize(strings.Repeat("testing one two three ", 10))
	n := int(seconds * 16000)
	out := make([]byte, 0, 2*n)
	for i := 0; len(out) < 2*n; i++ {
		j := (i * 3 / 2) % (len(b) / 2)
		v := int16(binary.LittleEndian.Uint16(b[2*j:]))
		if v == 0 {
			v = 900
			if i%2 == 0 {
				v = -900
			}
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(v))
	}
	return out
}

func sendAudio(t *testing.T, sess *genai.Session, pcm []byte) {
	t.Helper()
	for len(pcm) > 0 {
		n := min(len(pcm), 3200) // 100 ms
		if err := sess.SendRealtimeInput(genai.LiveRealtimeInput{
			Audio: &genai.Blob{MIMEType: "audio/pcm;rate=16000", Data: pcm[:n]},
		}); err != nil {
			t.Fatalf("SendRealtimeInput: %v", err)
		}
		pcm = pcm[n:]
	}
}

func TestGoSDKAudioTurn(t *testing.T) {
	s := startFake(t, livetest.Options{APIKey: "test-key"})
	sess := connect(t, s, "gemini-3.8-live", &genai.LiveConnectConfig{
		ResponseModalities:       []genai.Modality{genai.ModalityAudio},
		InputAudioTranscription:  &genai.AudioTranscriptionConfig{},
		OutputAudioTranscription: &genai.AudioTranscriptionConfig{},
		SpeechConfig: &genai.SpeechConfig{VoiceConfig: &genai.VoiceConfig{
			PrebuiltVoiceConfig: &genai.PrebuiltVoiceConfig{VoiceName: "Kore"}}},
		RealtimeInputConfig: &genai.RealtimeInputConfig{
			AutomaticActivityDetection: &genai.AutomaticActivityDetection{
				StartOfSpeechSensitivity: genai.StartSensitivityHigh,
				SilenceDurationMs:        genai.Ptr[int32](300),
			},
		},
		ContextWindowCompression: &genai.ContextWindowCompressionConfig{
			TriggerTokens: genai.Ptr[int64](2000),
			SlidingWindow: &genai.SlidingWindow{TargetTokens: genai.Ptr[int64](1000)},
		},
	})

	sendAudio(t, sess, append(speech16k(1.2), make([]byte, 16000)...))
	tr := collect(t, sess, false)

	want := "I heard about 1.2 seconds of audio."
	if tr.output != want {
		t.Errorf("output transcription %q, want %q", tr.output, want)
	}
	if tr.input == "" {
		t.Errorf("no input transcription")
	}
	if !tr.generationDone {
		t.Errorf("no generationComplete before turnComplete")
	}
	if len(tr.audio) == 0 || string(tr.audio) != string(livetest.Synthesize(want)) {
		t.Errorf("audio: %d bytes, want the synthesised reply", len(tr.audio))
	}
	if tr.usage == nil || tr.usage.ResponseTokenCount == 0 || tr.usage.PromptTokenCount == 0 {
		t.Errorf("usage %+v", tr.usage)
	}
	ci := s.Conns()[0]
	if ci.Credential != livetest.CredKeyHeader || ci.Version != "v1beta" {
		t.Errorf("the SDK connected as %s on %s", ci.Credential, ci.Version)
	}
	// The Go SDK writes int64 fields as strings; the fake must take them.
	if !strings.Contains(string(ci.Setup), `"triggerTokens":"2000"`) {
		t.Errorf("setup %s", ci.Setup)
	}
}

func TestGoSDKToolCall(t *testing.T) {
	s := startFake(t, livetest.Options{})
	sess := connect(t, s, "gemini-3.1-flash-live-preview", &genai.LiveConnectConfig{
		ResponseModalities:       []genai.Modality{genai.ModalityAudio},
		OutputAudioTranscription: &genai.AudioTranscriptionConfig{},
		Tools: []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{
			Name:        "get_weather",
			Description: "Current weather for a city.",
			Parameters: &genai.Schema{Type: genai.TypeObject, Properties: map[string]*genai.Schema{
				"query": {Type: genai.TypeString},
			}},
		}}}},
	})
	if err := sess.SendRealtimeInput(genai.LiveRealtimeInput{Text: "please get_weather in Paris"}); err != nil {
		t.Fatal(err)
	}
	tr := collect(t, sess, true)
	if tr.toolCall == nil || len(tr.toolCall.FunctionCalls) != 1 {
		t.Fatalf("toolCall %+v", tr.toolCall)
	}
	fc := tr.toolCall.FunctionCalls[0]
	if fc.Name != "get_weather" || !strings.HasPrefix(fc.ID, "fc_") || fc.Args["query"] != "please get_weather in Paris" {
		t.Errorf("function call %+v", fc)
	}
	if err := sess.SendToolResponse(genai.LiveToolResponseInput{FunctionResponses: []*genai.FunctionResponse{{
		ID: fc.ID, Name: fc.Name, Response: map[string]any{"output": "sunny"},
	}}}); err != nil {
		t.Fatal(err)
	}
	tr = collect(t, sess, false)
	if want := `The get_weather tool returned {"output":"sunny"}.`; tr.output != want {
		t.Errorf("after the tool response: %q, want %q", tr.output, want)
	}
	ci := s.Conns()[0]
	if len(ci.ToolResponses) != 1 || !ci.ToolResponses[0].Matched {
		t.Errorf("ToolResponses %+v", ci.ToolResponses)
	}
}

func TestGoSDKResumption(t *testing.T) {
	s := startFake(t, livetest.Options{})
	cfg := &genai.LiveConnectConfig{
		ResponseModalities: []genai.Modality{genai.ModalityAudio},
		SessionResumption:  &genai.SessionResumptionConfig{},
	}
	sess := connect(t, s, "gemini-3.8-live", cfg)
	if err := sess.SendRealtimeInput(genai.LiveRealtimeInput{Text: "remember this"}); err != nil {
		t.Fatal(err)
	}
	collect(t, sess, false)
	m := receive(t, sess) // the update after the turn
	if m.SessionResumptionUpdate == nil || !m.SessionResumptionUpdate.Resumable || m.SessionResumptionUpdate.NewHandle == "" {
		t.Fatalf("after the turn: %+v, want a resumable handle", m)
	}
	handle := m.SessionResumptionUpdate.NewHandle
	if err := sess.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ci, err := s.WaitClosed(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ci.CloseCode != 1006 { // the Go SDK drops TCP without a close frame
		t.Errorf("SDK close seen as %d", ci.CloseCode)
	}

	cfg.SessionResumption = &genai.SessionResumptionConfig{Handle: handle}
	sess2 := connect(t, s, "gemini-3.8-live", cfg)
	if err := sess2.SendRealtimeInput(genai.LiveRealtimeInput{Text: "and now"}); err != nil {
		t.Fatal(err)
	}
	tr := collect(t, sess2, false)
	if tr.output != "" { // no outputAudioTranscription requested
		t.Errorf("unrequested transcription %q", tr.output)
	}
	cs := s.Conns()
	if cs[1].ResumedHandle != handle || cs[1].Session != cs[0].Session {
		t.Errorf("second connection %+v did not resume session %d", cs[1], cs[0].Session)
	}
	if tr.usage == nil || tr.usage.PromptTokenCount <= 3 {
		t.Errorf("usage %+v: the resumed session lost its history", tr.usage)
	}
}

func TestGoSDKGoAwayAndClose(t *testing.T) {
	s := startFake(t, livetest.Options{})
	sess := connect(t, s, "gemini-3.8-live", &genai.LiveConnectConfig{ResponseModalities: []genai.Modality{genai.ModalityAudio}})
	s.GoAway(50 * time.Millisecond)
	m := receive(t, sess)
	if m.GoAway == nil || m.GoAway.TimeLeft != 50*time.Millisecond {
		t.Fatalf("got %+v, want goAway of 50ms", m)
	}
	_, err := sess.Receive()
	if err == nil || !strings.Contains(err.Error(), "1008") || !strings.Contains(err.Error(), livetest.ReasonAborted) {
		t.Errorf("after the deadline Receive = %v, want close 1008 %q", err, livetest.ReasonAborted)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timed out instead of closing")
	}
}

func TestGoSDKSetupRejected(t *testing.T) {
	s := startFake(t, livetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey: "k", Backend: genai.BackendGeminiAPI, HTTPOptions: genai.HTTPOptions{BaseURL: s.URL()},
	})
	if err != nil {
		t.Fatal(err)
	}
	// 3.8 rejects enableAffectiveDialog: Connect fails with the server's 1007.
	_, err = client.Live.Connect(ctx, "gemini-3.8-live", &genai.LiveConnectConfig{
		ResponseModalities:    []genai.Modality{genai.ModalityAudio},
		EnableAffectiveDialog: genai.Ptr(true),
	})
	if err == nil || !strings.Contains(err.Error(), "1007") {
		t.Errorf("Connect = %v, want a 1007 close", err)
	}
}

func TestGoSDKBargeIn(t *testing.T) {
	long := func(t livetest.Turn) livetest.Reply {
		if t.Index == 0 {
			return livetest.Reply{Text: strings.Repeat("A long answer that goes on and on. ", 8)}
		}
		return livetest.DefaultResponder(t)
	}
	// Pace 4: the first reply plays for seconds, ample time to barge in.
	s := startFake(t, livetest.Options{Responder: long, Pace: 4})
	sess := connect(t, s, "gemini-3.1-flash-live-preview", &genai.LiveConnectConfig{ResponseModalities: []genai.Modality{genai.ModalityAudio}})
	if err := sess.SendRealtimeInput(genai.LiveRealtimeInput{Text: "talk"}); err != nil {
		t.Fatal(err)
	}
	for m := receive(t, sess); m.ServerContent == nil || m.ServerContent.ModelTurn == nil; m = receive(t, sess) {
	}
	sendAudio(t, sess, append(speech16k(0.5), make([]byte, 16000)...))
	var interrupted, generationComplete bool
	for {
		m := receive(t, sess)
		if sc := m.ServerContent; sc != nil {
			interrupted = interrupted || sc.Interrupted
			generationComplete = generationComplete || sc.GenerationComplete
			if sc.TurnComplete {
				break
			}
		}
	}
	if !interrupted || generationComplete {
		t.Errorf("interrupted %v, generationComplete %v; want a barge-in", interrupted, generationComplete)
	}
	if tr := collect(t, sess, false); tr.usage == nil || len(tr.audio) == 0 {
		t.Errorf("the speech after the barge-in was not answered: %+v", tr.usage)
	}
}

func TestGoSDKEphemeralToken(t *testing.T) {
	const token = "auth_tokens/test-token"
	s := startFake(t, livetest.Options{APIKey: token})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:      token,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: s.URL(), APIVersion: "v1alpha"},
	})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := client.Live.Connect(ctx, "gemini-3.1-flash-live-preview", &genai.LiveConnectConfig{ResponseModalities: []genai.Modality{genai.ModalityAudio}})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer sess.Close()
	if m := receive(t, sess); m.SetupComplete == nil {
		t.Fatalf("got %+v", m)
	}
	ci := s.Conns()[0]
	if ci.Method != "BidiGenerateContentConstrained" || ci.Version != "v1alpha" || ci.Credential != livetest.CredTokenHeader {
		t.Errorf("token connection: %s %s %s", ci.Method, ci.Version, ci.Credential)
	}
}

// TestGoSDKServerExtras: what the real server sends that clients rarely see
// decodes into the SDK's types: voiceActivity (its Duration offset), interim
// transcriptions, text parts beside the audio, turnCompleteReason and the bare
// sessionResumptionUpdate {} of a session that did not ask for resumption.
func TestGoSDKServerExtras(t *testing.T) {
	s := startFake(t, livetest.Options{TextParts: true, Responder: func(livetest.Turn) livetest.Reply {
		return livetest.Reply{Text: "Please go on.", TurnCompleteReason: "NEED_MORE_INPUT"}
	}})
	// gemini-3.5-transcribe-live sends voiceActivity and interim transcriptions.
	sess := connect(t, s, "gemini-3.5-transcribe-live", &genai.LiveConnectConfig{
		ResponseModalities:      []genai.Modality{genai.ModalityAudio},
		InputAudioTranscription: &genai.AudioTranscriptionConfig{},
	})
	// 0.5 s of silence, then 1.2 s of speech and 1 s of silence.
	sendAudio(t, sess, append(append(make([]byte, 16000), speech16k(1.2)...), make([]byte, 32000)...))

	var offsets []time.Duration
	var interim, text string
	var bare bool
	for {
		m := receive(t, sess)
		if va := m.VoiceActivity; va != nil {
			// The SDK does not map the wire's "type" for the Gemini API (reference §1.3).
			offsets = append(offsets, va.AudioOffset)
		}
		if u := m.SessionResumptionUpdate; u != nil && !u.Resumable && u.NewHandle == "" {
			bare = true
		}
		sc := m.ServerContent
		if sc == nil {
			continue
		}
		if sc.InterimInputTranscription != nil {
			interim = sc.InterimInputTranscription.Text
		}
		if sc.ModelTurn != nil {
			for _, p := range sc.ModelTurn.Parts {
				text += p.Text
			}
		}
		if sc.TurnComplete {
			if sc.TurnCompleteReason != genai.TurnCompleteReasonNeedMoreInput {
				t.Errorf("turnCompleteReason %q", sc.TurnCompleteReason)
			}
			break
		}
	}
	if len(offsets) != 2 || offsets[0] != 500*time.Millisecond || offsets[1] <= offsets[0] {
		t.Errorf("voiceActivity offsets %v, want a start at 500ms and an end after it", offsets)
	}
	if !strings.HasSuffix(interim, " s of speech]") {
		t.Errorf("last interim transcription %q", interim)
	}
	if text != "Please go on." {
		t.Errorf("text parts %q", text)
	}
	if !bare {
		t.Error("no bare sessionResumptionUpdate while generating")
	}
}

// TestGoSDKStrictRejections: what the fake punishes, reached through the SDK.
func TestGoSDKStrictRejections(t *testing.T) {
	weather := []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{Name: "get_weather", Description: "Weather."}}}}
	answer := func(fc *genai.FunctionCall) *genai.FunctionResponse {
		return &genai.FunctionResponse{ID: fc.ID, Name: fc.Name, Response: map[string]any{"output": "sunny"}}
	}
	tests := []struct {
		name       string
		opt        livetest.Options
		act        func(sess *genai.Session, fc *genai.FunctionCall) error
		wantCode   string
		wantReason string
	}{
		{"audio during the blocking call", livetest.Options{}, func(sess *genai.Session, _ *genai.FunctionCall) error {
			// Input within ToolInputGrace of the call counts as in flight; this
			// comes later for sure (the call was sent before the SDK got it).
			time.Sleep(livetest.ToolInputGrace)
			return sess.SendRealtimeInput(genai.LiveRealtimeInput{Audio: &genai.Blob{MIMEType: "audio/pcm;rate=16000", Data: make([]byte, 640)}})
		}, "1008", livetest.ReasonAborted},
		{"scheduling on a blocking call's response", livetest.Options{}, func(sess *genai.Session, fc *genai.FunctionCall) error {
			r := answer(fc)
			r.Scheduling = genai.FunctionResponseSchedulingWhenIdle
			return sess.SendToolResponse(genai.LiveToolResponseInput{FunctionResponses: []*genai.FunctionResponse{r}})
		}, "1007", livetest.ReasonInvalidArgument},
		{"nil Response (omitted by the SDK)", livetest.Options{}, func(sess *genai.Session, fc *genai.FunctionCall) error {
			r := answer(fc)
			r.Response = nil
			return sess.SendToolResponse(genai.LiveToolResponseInput{FunctionResponses: []*genai.FunctionResponse{r}})
		}, "1007", livetest.ReasonInvalidArgument},
		{"not found after the toolResponse", livetest.Options{NotFoundAfterToolResponse: 1}, func(sess *genai.Session, fc *genai.FunctionCall) error {
			return sess.SendToolResponse(genai.LiveToolResponseInput{FunctionResponses: []*genai.FunctionResponse{answer(fc)}})
		}, "1008", livetest.ReasonNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startFake(t, tt.opt)
			sess := connect(t, s, "gemini-3.1-flash-live-preview", &genai.LiveConnectConfig{
				ResponseModalities: []genai.Modality{genai.ModalityAudio},
				Tools:              weather,
			})
			if err := sess.SendRealtimeInput(genai.LiveRealtimeInput{Text: "get_weather please"}); err != nil {
				t.Fatal(err)
			}
			tr := collect(t, sess, true)
			if tr.toolCall == nil {
				t.Fatal("no toolCall")
			}
			if err := tt.act(sess, tr.toolCall.FunctionCalls[0]); err != nil {
				t.Fatal(err)
			}
			err := untilClosed(t, sess)
			if !strings.Contains(err.Error(), tt.wantCode) || !strings.Contains(err.Error(), tt.wantReason) {
				t.Errorf("Receive = %v, want close %s %q", err, tt.wantCode, tt.wantReason)
			}
		})
	}
}
