package live_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/livedesk/livedesk/catalog"
	"github.com/livedesk/livedesk/live"
	"github.com/livedesk/livedesk/live/livetest"
)

// These tests hold the client to what the real server punishes, against livetest in its
// default (strict) mode. Each one failed before the fix it names.

// slowTool answers after d; its declaration leaves the behaviour to the model's default.
func slowTool(name string, d time.Duration, resp map[string]any) live.LocalTool {
	return live.LocalTool{
		Decl: live.FunctionDeclaration{Name: name, Description: "A slow lookup.", Parameters: json.RawMessage(`{"type":"object","properties":{}}`)},
		Run: func(ctx context.Context, _ map[string]any) (live.ToolResult, error) {
			select {
			case <-time.After(d):
				return live.ToolResult{Response: resp}, nil
			case <-ctx.Done():
				return live.ToolResult{}, ctx.Err()
			}
		},
	}
}

// TestBlockingDecidedFromTheSetup: on gemini-3.8-live a function declared without a behaviour
// goes out as BLOCKING; the conversation must treat its calls as blocking — no microphone audio
// or video while the call is pending (the server aborts with 1008), no scheduling on the
// response — and say so.
func TestBlockingDecidedFromTheSetup(t *testing.T) {
	cfg := defaultConfig() // gemini-3.8-live
	h := newHarness(t, livetest.Options{}, cfg, live.NewToolbox(slowTool("lookup", 400*time.Millisecond, map[string]any{"output": "ok"})))
	frames := &fakeFrames{pace: 20 * time.Millisecond, jpeg: tinyJPEG(t)}
	h.conv.SetShare(frames)
	h.waitEvent("live", isState(live.StateLive))
	if !strings.Contains(string(h.srv.Conns()[0].Setup), `"behavior":"BLOCKING"`) {
		t.Fatalf("setup did not declare the function BLOCKING: %s", h.srv.Conns()[0].Setup)
	}
	waitServer(t, h.srv, "audio and frames", func(cs []livetest.ConnInfo) bool { return cs[0].AudioChunks > 5 && cs[0].Frames > 2 })
	h.srv.SendToolCall("lookup", nil)
	ev := h.waitEvent("the call", func(e live.Event) bool { return e.Kind == live.EventTool && e.Tool.Status == "called" })
	if !ev.Tool.Blocking {
		t.Error("the call was reported as non-blocking")
	}
	// Typed while the call runs: held until it is answered (text is realtime input too).
	if err := h.conv.SendText("typed while waiting"); err != nil {
		t.Fatal(err)
	}
	cs := waitServer(t, h.srv, "the response and the text", func(cs []livetest.ConnInfo) bool {
		return len(cs[0].ToolResponses) == 1 && len(cs[0].Texts) == 1
	})
	if r := cs[0].ToolResponses[0]; r.Scheduling != "" {
		t.Errorf("response to a blocking call carries scheduling %q", r.Scheduling)
	}
	time.Sleep(200 * time.Millisecond)
	if c := h.srv.Conns()[0]; c.Closed {
		t.Fatalf("the server closed the session: %d %s", c.CloseCode, c.CloseReason)
	}
	st := h.conv.Stats()
	if st.MicDroppedTool == 0 || st.FramesDroppedTool == 0 {
		t.Errorf("audio dropped during the call %d, frames dropped %d: want both held back", st.MicDroppedTool, st.FramesDroppedTool)
	}
}

// TestNotFoundAfterToolResponseResumes: the real server sometimes closes with 1008 "Requested
// entity was not found" after a toolResponse; that is not a wrong model, so the conversation
// resumes instead of giving up.
func TestNotFoundAfterToolResponseResumes(t *testing.T) {
	h := newHarness(t, livetest.Options{NotFoundAfterToolResponse: 1}, defaultConfig(),
		live.NewToolbox(live.TimeTool(time.Now)))
	h.waitEvent("live", isState(live.StateLive))
	waitServer(t, h.srv, "a resumable handle", func(cs []livetest.ConnInfo) bool { return len(cs[0].Handles) > 0 })
	h.srv.SendToolCall(catalog.ToolCurrentTime, nil)
	h.waitEvent("resumed", func(e live.Event) bool {
		return e.Kind == live.EventState && e.State == live.StateLive && strings.Contains(e.Text, "resumed")
	})
	cs := h.srv.Conns()
	if cs[0].CloseCode != 1008 || !strings.Contains(cs[0].CloseReason, "not found") {
		t.Fatalf("first connection closed with %d %q, want the 1008 not-found", cs[0].CloseCode, cs[0].CloseReason)
	}
	if cs[1].ResumedHandle == "" {
		t.Error("the new connection did not resume the session")
	}
	if st := h.conv.Stats(); st.Resumes != 1 {
		t.Errorf("resumes = %d, want 1", st.Resumes)
	}
}

func TestNotFoundPermanence(t *testing.T) {
	tests := []struct {
		err  *live.CloseError
		want bool
	}{
		{&live.CloseError{Code: 1008, Reason: "Requested entity was not found."}, false},
		{&live.CloseError{Code: 1008, Reason: "Requested entity was not found.", DuringSetup: true}, true},
		{&live.CloseError{Code: 1008, Reason: "models/gemini-0 is not found for API version v1beta"}, true},
		{&live.CloseError{Code: 1008, Reason: "BidiGenerateContent session not found"}, false},
		{&live.CloseError{Code: 1007, Reason: "Request contains an invalid argument."}, true},
	}
	for _, tt := range tests {
		if got := live.IsPermanent(tt.err); got != tt.want {
			t.Errorf("IsPermanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestThinkingLevelPerModel: a level the model does not take is left out with a note, so the
// strict server accepts the setup.
func TestThinkingLevelPerModel(t *testing.T) {
	cfg := defaultConfig()
	cfg.Model, cfg.ThinkingLevel = "gemini-3.8-live-extended-thinking", "MINIMAL"
	s, notes := live.BuildSetup(cfg, live.SetupOptions{})
	if s.GenerationConfig.ThinkingConfig != nil || !strings.Contains(strings.Join(notes, "\n"), "LOW, MEDIUM, HIGH") {
		t.Errorf("thinkingConfig %+v, notes %q", s.GenerationConfig.ThinkingConfig, notes)
	}
	h := newHarness(t, livetest.Options{}, cfg, nil)
	h.waitEvent("live", isState(live.StateLive))
	cfg.ThinkingLevel = "HIGH"
	if s, _ := live.BuildSetup(cfg, live.SetupOptions{}); s.GenerationConfig.ThinkingConfig == nil || s.GenerationConfig.ThinkingConfig.ThinkingLevel != "HIGH" {
		t.Errorf("a level the model takes was dropped: %+v", s.GenerationConfig.ThinkingConfig)
	}
}

// TestProactivityOnlyWhenAsked: the default setup of a model with optional proactive audio
// carries no proactivity field.
func TestProactivityOnlyWhenAsked(t *testing.T) {
	cfg := defaultConfig()
	cfg.Model = "gemini-2.5-flash-native-audio-preview-12-2025"
	if s, _ := live.BuildSetup(cfg, live.SetupOptions{}); s.Proactivity != nil {
		t.Errorf("proactivity sent unasked: %+v", s.Proactivity)
	}
	cfg.ProactiveAudio = true
	if s, _ := live.BuildSetup(cfg, live.SetupOptions{}); s.Proactivity == nil || s.Proactivity.ProactiveAudio == nil || !*s.Proactivity.ProactiveAudio {
		t.Errorf("proactivity asked for but not sent: %+v", s.Proactivity)
	}
}

func countTurnEnds(h *harness) (ends, interrupted int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if e.Kind == live.EventTurnEnd {
			ends++
			if e.Interrupted {
				interrupted++
			}
		}
	}
	return ends, interrupted
}

// TestOneTurnOneEnd: a barge-in (interrupted, then turnComplete) ends one turn, not two, and a
// reply that ends with generationComplete alone still ends its turn.
func TestOneTurnOneEnd(t *testing.T) {
	t.Run("barge-in", func(t *testing.T) {
		h := newHarness(t, livetest.Options{Pace: 4}, defaultConfig(), nil)
		h.waitEvent("live", isState(live.StateLive))
		if err := h.conv.SendText("tell me a long story"); err != nil {
			t.Fatal(err)
		}
		h.waitEvent("the answer", func(e live.Event) bool { return e.Kind == live.EventTranscript && e.Role == live.RoleModel })
		h.srv.Interrupt()
		waitServer(t, h.srv, "the barge-in", func(cs []livetest.ConnInfo) bool {
			return cs[0].Interruptions == 1 && cs[0].Count("serverContent.turnComplete") >= 1
		})
		h.waitEvent("the end", func(e live.Event) bool { return e.Kind == live.EventTurnEnd })
		time.Sleep(100 * time.Millisecond) // the turnComplete after interrupted, if counted, arrives by now
		if ends, intr := countTurnEnds(h); ends != 1 || intr != 1 {
			t.Errorf("turn ends %d (interrupted %d), want 1 (1)", ends, intr)
		}
	})
	t.Run("generationComplete alone", func(t *testing.T) {
		h := newHarness(t, livetest.Options{OmitTurnComplete: true}, defaultConfig(), nil)
		h.waitEvent("live", isState(live.StateLive))
		if err := h.conv.SendText("hello"); err != nil {
			t.Fatal(err)
		}
		h.waitEvent("the turn's end", func(e live.Event) bool { return e.Kind == live.EventTurnEnd && !e.Interrupted })
		if _, _, _, turnEnds := h.spk.snapshot(); turnEnds != 1 {
			t.Errorf("speaker told of %d turn ends, want 1", turnEnds)
		}
	})
}

// TestModelAudioAtItsOwnRate: audio whose MIME type names another rate is resampled to 24 kHz
// (1.5 times the samples for 16 kHz); an absurd rate is refused with a warning, not played.
func TestModelAudioAtItsOwnRate(t *testing.T) {
	h := newHarness(t, livetest.Options{}, defaultConfig(), nil)
	h.waitEvent("live", isState(live.StateLive))
	send := func(mime string, samples int, final bool) {
		msg := map[string]any{"serverContent": map[string]any{
			"modelTurn":    map[string]any{"parts": []any{map[string]any{"inlineData": map[string]any{"mimeType": mime, "data": base64.StdEncoding.EncodeToString(make([]byte, 2*samples))}}}},
			"turnComplete": final,
		}}
		b, _ := json.Marshal(msg)
		h.srv.SendRaw(b, false)
	}
	before, _, _, _ := h.spk.snapshot()
	send("audio/pcm;rate=16000", 1600, false)
	send("audio/pcm;rate=16000", 1600, true)
	h.waitEvent("the turn", func(e live.Event) bool { return e.Kind == live.EventTurnEnd })
	played, _, _, _ := h.spk.snapshot()
	if got, want := (played-before)/2, 4800; got != want {
		t.Errorf("played %d samples of 3200 at 16 kHz, want %d at 24 kHz", got, want)
	}
	send("audio/pcm;rate=1", 16000, true)
	h.waitEvent("a warning", func(e live.Event) bool {
		return e.Kind == live.EventWarning && strings.Contains(e.Err.Error(), "sample rate must be")
	})
	if now, _, _, _ := h.spk.snapshot(); now != played {
		t.Errorf("audio at rate=1 was played (%d bytes)", now-played)
	}
}

// TestTextPartsAndTranscriptionMerge: an audio session that also sends the answer as text
// parts, in other messages than its transcription, shows the answer once.
func TestTextPartsAndTranscriptionMerge(t *testing.T) {
	const answer = "The capital of Peru is Lima."
	h := newHarness(t, livetest.Options{TextParts: true, Responder: func(livetest.Turn) livetest.Reply { return livetest.Reply{Text: answer} }}, defaultConfig(), nil)
	h.waitEvent("live", isState(live.StateLive))
	if err := h.conv.SendText("capital of Peru?"); err != nil {
		t.Fatal(err)
	}
	h.waitEvent("the turn", func(e live.Event) bool { return e.Kind == live.EventTurnEnd })
	if got := strings.TrimSpace(h.transcript(live.RoleModel)); got != answer {
		t.Errorf("model transcript = %q, want %q once", got, answer)
	}
	if n := h.srv.Conns()[0].Count("serverContent.modelTurn"); n == 0 {
		t.Fatal("the fake sent no text parts: the test proves nothing")
	}
}

// TestToolResponseNeverNull: a tool that returns no response map answers with {}.
func TestToolResponseNeverNull(t *testing.T) {
	h := newHarness(t, livetest.Options{}, defaultConfig(), live.NewToolbox(slowTool("noop", time.Millisecond, nil)))
	h.waitEvent("live", isState(live.StateLive))
	h.srv.SendToolCall("noop", nil)
	cs := waitServer(t, h.srv, "the response", func(cs []livetest.ConnInfo) bool { return len(cs[0].ToolResponses) == 1 })
	if r := cs[0].ToolResponses[0]; string(r.Response) != "{}" {
		t.Errorf("response = %s, want {}", r.Response)
	}
	if cs[0].Closed {
		t.Errorf("server closed: %d %s", cs[0].CloseCode, cs[0].CloseReason)
	}
}

// TestSnapshotAfterItsResponse: the snapshot tool's frame goes out after the function response
// (a frame while the blocking call is pending aborts the session).
func TestSnapshotAfterItsResponse(t *testing.T) {
	snap := live.SnapshotTool(func(context.Context) ([]byte, int, int, error) { return tinyJPEGBytes(), 8, 8, nil })
	h := newHarness(t, livetest.Options{}, defaultConfig(), live.NewToolbox(snap))
	h.waitEvent("live", isState(live.StateLive))
	h.srv.SendToolCall(catalog.ToolSnapshot, nil)
	waitServer(t, h.srv, "the frame after the response", func(cs []livetest.ConnInfo) bool {
		return len(cs[0].ToolResponses) == 1 && cs[0].Frames == 1
	})
	time.Sleep(100 * time.Millisecond)
	if c := h.srv.Conns()[0]; c.Closed {
		t.Fatalf("server closed: %d %s", c.CloseCode, c.CloseReason)
	}
}

// TestInBandErrorEndsTheSession: like the official SDKs, an in-band error message ends the
// session with the server's words, without reconnecting.
func TestInBandErrorEndsTheSession(t *testing.T) {
	h := newHarness(t, livetest.Options{}, defaultConfig(), nil)
	h.waitEvent("live", isState(live.StateLive))
	h.srv.SendRaw([]byte(`{"error":{"code":400,"message":"Invalid value at 'setup.tools'","status":"INVALID_ARGUMENT"}}`), false)
	var err error
	select {
	case err = <-h.done:
		h.done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("the conversation went on after an in-band error")
	}
	var ae *live.APIError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "setup.tools") {
		t.Errorf("Run = %v, want the server's error", err)
	}
	if n := len(h.srv.Conns()); n != 1 {
		t.Errorf("%d connections: it reconnected", n)
	}
}

func tinyJPEGBytes() []byte {
	b, _ := base64.StdEncoding.DecodeString(tinyJPEGBase64)
	return b
}

// tinyJPEGBase64 is an 8x8 grey JPEG.
var tinyJPEGBase64 = func() string {
	var t testing.T
	return base64.StdEncoding.EncodeToString(tinyJPEG(&t))
}()

// TestUsageIsSummedPerResponse: each usageMetadata is one response's count, its prompt the whole
// context of that turn (the fake reports the way the real server does: growing prompts); the
// conversation sums them, and counts turns by turn ends, not by reports.
func TestUsageIsSummedPerResponse(t *testing.T) {
	h := newHarness(t, livetest.Options{}, defaultConfig(), nil)
	h.waitEvent("live", isState(live.StateLive))
	var snaps []live.Usage
	for i, q := range []string{"first question", "second question"} {
		if err := h.conv.SendText(q); err != nil {
			t.Fatal(err)
		}
		ev := h.waitEvent("usage", func(e live.Event) bool { return e.Kind == live.EventUsage && e.Usage.Reports == i+1 })
		snaps = append(snaps, *ev.Usage)
	}
	first, second := snaps[0].Prompt, snaps[1].Prompt-snaps[0].Prompt
	if second <= first {
		t.Errorf("second turn's prompt %d not above the first's %d: the fake does not report per turn with the context", second, first)
	}
	// A report outside any turn (as the real server sometimes sends) is billed but is no turn.
	h.srv.SendRaw([]byte(`{"usageMetadata":{"promptTokenCount":10,"totalTokenCount":10}}`), false)
	ev := h.waitEvent("the third report", func(e live.Event) bool { return e.Kind == live.EventUsage && e.Usage.Reports == 3 })
	if u := ev.Usage; u.Turns != 2 || u.Prompt != snaps[1].Prompt+10 {
		t.Errorf("turns %d, prompt %d; want 2 turns and %d", u.Turns, u.Prompt, snaps[1].Prompt+10)
	}
}

// TestToolCallFloodBounded: one toolCall message with a thousand calls runs at most
// MaxCallsPerMessage of them and refuses the rest with a reason — not a thousand goroutines.
func TestToolCallFloodBounded(t *testing.T) {
	started := make(chan struct{}, 2000)
	block := make(chan struct{})
	tool := live.LocalTool{
		Decl: live.FunctionDeclaration{Name: "work", Parameters: json.RawMessage(`{"type":"object","properties":{}}`), Behavior: live.BehaviorNonBlocking},
		Run: func(ctx context.Context, _ map[string]any) (live.ToolResult, error) {
			started <- struct{}{}
			select {
			case <-block:
			case <-ctx.Done():
			}
			return live.ToolResult{Response: map[string]any{"output": "done"}}, nil
		},
	}
	h := newHarness(t, livetest.Options{}, defaultConfig(), live.NewToolbox(tool))
	h.waitEvent("live", isState(live.StateLive))
	var calls []map[string]any
	for i := range 1000 {
		calls = append(calls, map[string]any{"id": fmt.Sprintf("flood-%d", i), "name": "work"})
	}
	b, _ := json.Marshal(map[string]any{"toolCall": map[string]any{"functionCalls": calls}})
	h.srv.SendRaw(b, false)
	h.waitEvent("the last refusal", func(e live.Event) bool {
		return e.Kind == live.EventTool && e.Tool.ID == "flood-999" && e.Tool.Status == "failed"
	})
	close(block)
	if n := len(started); n > live.MaxCallsPerMessage {
		t.Errorf("%d calls ran, want at most %d", n, live.MaxCallsPerMessage)
	}
	refused := 0
	h.mu.Lock()
	for _, e := range h.events {
		if e.Kind == live.EventTool && e.Tool.Status == "failed" && strings.Contains(e.Tool.Detail, "too many calls") {
			refused++
		}
	}
	h.mu.Unlock()
	if refused != 1000-live.MaxCallsPerMessage {
		t.Errorf("%d calls refused, want %d", refused, 1000-live.MaxCallsPerMessage)
	}
}
