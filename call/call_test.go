package call

import (
	"context"
	"errors"
	"image"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/capture/capturetest"
	"github.com/livedesk/livedesk/journal"
	"github.com/livedesk/livedesk/live"
	"github.com/livedesk/livedesk/live/livetest"
	"github.com/livedesk/livedesk/settings"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testKey = "call-test-key"

// recorder is a Sink that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []Event
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) Post(ev Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// wait waits until cond holds for the events so far.
func (r *recorder) wait(t *testing.T, what string, cond func([]Event) bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !cond(r.all()) {
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; events: %v", what, r.all())
		}
	}
}

// hasState reports whether run reached state.
func hasState(run uint64, s State) func([]Event) bool {
	return func(evs []Event) bool {
		for _, ev := range evs {
			if se, ok := ev.(StateEvent); ok && se.Run == run && se.State == s {
				return true
			}
		}
		return false
	}
}

// fakeSources shares a test pattern instead of a real screen or camera.
type fakeSources struct {
	size   image.Point
	mu     sync.Mutex
	open   []Share
	camera func() (capture.Source, error)      // opens ShareCamera when set
	screen func(Share) (capture.Source, error) // opens ShareScreen when set
}

func (f *fakeSources) Open(s Share) (capture.Source, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open = append(f.open, s)
	if s.Kind == ShareCamera && s.Camera == "/dev/missing" {
		return nil, capture.ErrNoCamera
	}
	if s.Kind == ShareCamera && f.camera != nil {
		return f.camera()
	}
	if s.Kind == ShareScreen && f.screen != nil {
		return f.screen(s)
	}
	return capturetest.NewPatternSource(f.size), nil
}

type harness struct {
	t   *testing.T
	c   *Call
	srv *livetest.Server
	rec *recorder
	src *fakeSources
	cfg settings.Config
}

// newHarness runs a real Call — malgo's null audio backend, a fake capture source, the
// default settings — against the fake Live server over a real socket.
func newHarness(t *testing.T, sopt livetest.Options, edit func(*settings.Config)) *harness {
	t.Helper()
	return newHarnessWith(t, sopt, edit, nil)
}

// newHarnessWith is newHarness with the call's Options edited (a Highlighter, say).
func newHarnessWith(t *testing.T, sopt livetest.Options, edit func(*settings.Config), opt func(*Options)) *harness {
	t.Helper()
	sopt.APIKey = testKey
	srv, err := livetest.Start(sopt)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, rec: newRecorder(), src: &fakeSources{size: image.Pt(1600, 1000)}}
	h.cfg = settings.Default()
	h.cfg.Endpoint, h.cfg.APIKey = srv.URL(), testKey
	if edit != nil {
		edit(&h.cfg)
	}
	o := Options{Sink: h.rec, Backend: audio.BackendNull, Sources: h.src,
		Conversation: live.ConversationOptions{Backoff: live.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Attempts: 5}}}
	if opt != nil {
		opt(&o)
	}
	h.c = New(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not return")
		}
		srv.Close()
	})
	return h
}

func (h *harness) waitServer(what string, cond func([]livetest.ConnInfo) bool) []livetest.ConnInfo {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.t.Context(), 20*time.Second)
	defer cancel()
	cs, err := h.srv.Wait(ctx, cond)
	if err != nil {
		h.t.Fatalf("waiting for %s: %v; conns %+v", what, err, h.srv.Conns())
	}
	return cs
}

// stopAndSummarize ends the run and returns what it did.
func (h *harness) stopAndSummarize(run uint64) Summary {
	h.t.Helper()
	h.c.Stop()
	h.rec.wait(h.t, "the run to end", hasState(run, StateEnded))
	return h.c.Summary()
}

// micChunks waits about as long as the microphone takes to deliver n chunks.
func (h *harness) micChunks(n int) {
	h.t.Helper()
	// The null device produces a chunk every 24 ms (the microphone's default chunk); this is a
	// wait, not an assertion.
	time.Sleep(time.Duration(n) * 24 * time.Millisecond)
}

// TestMutedBeforeConnectSendsNothing: muting before the call starts keeps every microphone
// sample off the network for the whole run; unmuting then lets audio through (so the test can
// tell the two apart).
func TestMutedBeforeConnectSendsNothing(t *testing.T) {
	h := newHarness(t, livetest.Options{}, nil)
	h.c.SetMuted(true)
	run := h.c.Start(h.cfg)
	h.rec.wait(t, "live", hasState(run, StateLive))
	h.micChunks(40)
	if c := h.srv.Conns()[0]; c.AudioChunks != 0 {
		t.Fatalf("muted before connecting, yet the server received %d audio messages", c.AudioChunks)
	}
	h.c.SetMuted(false)
	h.waitServer("audio after unmuting", func(cs []livetest.ConnInfo) bool { return cs[0].AudioChunks > 5 })
	sum := h.stopAndSummarize(run)
	if sum.Conversation.MicChunks < 30 { // of the 40 waited for: the device's start may take a few
		t.Errorf("the microphone delivered only %d chunks: the muted stretch proved nothing", sum.Conversation.MicChunks)
	}
}

// TestMuteSurvivesRestart: a settings change restarts the session; the new run starts muted
// and sends no audio at all.
func TestMuteSurvivesRestart(t *testing.T) {
	h := newHarness(t, livetest.Options{}, nil)
	run1 := h.c.Start(h.cfg)
	h.rec.wait(t, "live", hasState(run1, StateLive))
	h.waitServer("audio before muting", func(cs []livetest.ConnInfo) bool { return cs[0].AudioChunks > 5 })
	h.c.SetMuted(true)
	cfg := h.cfg
	cfg.Voice = "Puck" // a settings change: the window restarts the call with it
	run2 := h.c.Start(cfg)
	h.rec.wait(t, "the new run live", hasState(run2, StateLive))
	cs := h.waitServer("a second connection", func(cs []livetest.ConnInfo) bool { return len(cs) == 2 && cs[1].SetupDone })
	h.micChunks(40)
	if c := h.srv.Conns()[1]; c.AudioChunks != 0 || c.AudioStreamEnds != 0 {
		t.Errorf("new run after mute + restart: %d audio messages, %d audioStreamEnds; want none", c.AudioChunks, c.AudioStreamEnds)
	}
	if cs[0].Session == cs[1].Session && cs[1].ResumedHandle != "" {
		t.Errorf("a new run resumed the old session")
	}
	sum := h.stopAndSummarize(run2)
	if sum.Conversation.MicChunks < 30 { // of the 40 waited for: the device's start may take a few
		t.Errorf("the microphone delivered only %d chunks in the new run", sum.Conversation.MicChunks)
	}
}

// TestPushToTalkAcrossReconnect: a press held while the connection drops is restarted on the
// new connection, and its release sends exactly one activityEnd.
func TestPushToTalkAcrossReconnect(t *testing.T) {
	h := newHarness(t, livetest.Options{}, func(c *settings.Config) { c.AutoVAD = false })
	run := h.c.Start(h.cfg)
	h.rec.wait(t, "live", hasState(run, StateLive))
	h.c.SetPushToTalk(true)
	h.waitServer("audio while pressed", func(cs []livetest.ConnInfo) bool { return cs[0].ActivityStarts == 1 && cs[0].AudioChunks > 5 })
	h.srv.CloseAll(1011, livetest.ReasonInternal)
	cs := h.waitServer("the replacement connection streaming the held key",
		func(cs []livetest.ConnInfo) bool {
			return len(cs) == 2 && cs[1].ActivityStarts == 1 && cs[1].AudioChunks > 5
		})
	if cs[0].ActivityEnds != 0 {
		t.Errorf("the dropped connection got %d activityEnds while the key was still held", cs[0].ActivityEnds)
	}
	h.c.SetPushToTalk(false)
	h.waitServer("the release", func(cs []livetest.ConnInfo) bool { return cs[1].ActivityEnds >= 1 })
	h.micChunks(10)
	cs = h.srv.Conns()
	if ends := cs[0].ActivityEnds + cs[1].ActivityEnds; ends != 1 {
		t.Errorf("activityEnds = %d over both connections, want exactly 1", ends)
	}
	if got := cs[1].AudioChunks; got == 0 {
		t.Error("no audio on the replacement connection")
	}
}

// TestPushToTalkStorm: a burst of presses and releases (far more than any command queue)
// ends with every activity closed: a release is never dropped.
func TestPushToTalkStorm(t *testing.T) {
	h := newHarness(t, livetest.Options{}, func(c *settings.Config) { c.AutoVAD = false })
	run := h.c.Start(h.cfg)
	h.rec.wait(t, "live", hasState(run, StateLive))
	for i := range 400 {
		h.c.SetPushToTalk(i%2 == 0)
		if i%50 == 0 {
			time.Sleep(30 * time.Millisecond) // let some presses capture audio
		}
	}
	h.c.SetPushToTalk(false)
	h.micChunks(15)
	c := h.srv.Conns()[0]
	if c.ActivityStarts == 0 || c.ActivityStarts != c.ActivityEnds {
		t.Errorf("activityStart %d, activityEnd %d: want every started activity ended", c.ActivityStarts, c.ActivityEnds)
	}
}

// TestRestartWhileSharing: the new run shares what the user chose; nothing of the replaced
// run reaches the sink after the new run began, and a stale event offered late is dropped.
func TestRestartWhileSharing(t *testing.T) {
	h := newHarness(t, livetest.Options{}, nil)
	h.c.SetShare(Share{Kind: ShareScreen})
	run1 := h.c.Start(h.cfg)
	h.rec.wait(t, "live", hasState(run1, StateLive))
	h.waitServer("a frame", func(cs []livetest.ConnInfo) bool { return cs[0].Frames >= 1 })
	run2 := h.c.Start(h.cfg)
	h.rec.wait(t, "the new run live", hasState(run2, StateLive))
	h.waitServer("a frame on the new connection", func(cs []livetest.ConnInfo) bool { return len(cs) == 2 && cs[1].Frames >= 1 })
	// The old run's last word, late: the call must not forward it.
	h.c.deliver(run1, StateEvent{Run: run1, State: StateEnded})
	h.c.deliver(run1, ShareEvent{Run: run1})

	evs := h.rec.all()
	first2 := -1
	var lastState StateEvent
	var lastShare ShareEvent
	for i, ev := range evs {
		run := runOf(ev)
		if run == run2 && first2 < 0 {
			first2 = i
		}
		if first2 >= 0 && run == run1 {
			t.Errorf("event %d %#v of the replaced run came after the new run began", i, ev)
		}
		if se, ok := ev.(StateEvent); ok {
			lastState = se
		}
		if se, ok := ev.(ShareEvent); ok {
			lastShare = se
		}
	}
	if lastState.Run != run2 || lastState.State != StateLive {
		t.Errorf("last state = %+v, want run %d live", lastState, run2)
	}
	if lastShare.Run != run2 || lastShare.Share.Kind != ShareScreen || lastShare.Err != nil {
		t.Errorf("last share = %+v, want run %d sharing the screen", lastShare, run2)
	}
	if got := h.c.State(); got != StateLive {
		t.Errorf("State() = %v, want live", got)
	}
}

func runOf(ev Event) uint64 {
	switch e := ev.(type) {
	case StateEvent:
		return e.Run
	case TranscriptEvent:
		return e.Run
	case GroundingEvent:
		return e.Run
	case UsageEvent:
		return e.Run
	case LevelEvent:
		return e.Run
	case PreviewEvent:
		return e.Run
	case ShareEvent:
		return e.Run
	}
	return 0
}

// TestPreviewDescribesTheFrameSent: the preview event carries the size and bytes of the JPEG
// that reached the server, not of its thumbnail.
func TestPreviewDescribesTheFrameSent(t *testing.T) {
	h := newHarness(t, livetest.Options{}, nil)
	h.c.SetShare(Share{Kind: ShareScreen})
	run := h.c.Start(h.cfg)
	h.rec.wait(t, "a preview", func(evs []Event) bool {
		for _, ev := range evs {
			if pe, ok := ev.(PreviewEvent); ok && pe.Image != nil && pe.Run == run {
				return true
			}
		}
		return false
	})
	c := h.waitServer("the frame", func(cs []livetest.ConnInfo) bool { return cs[0].Frames >= 1 })[0]
	var pe PreviewEvent
	for _, ev := range h.rec.all() {
		if p, ok := ev.(PreviewEvent); ok && p.Image != nil {
			pe = p
			break
		}
	}
	// A static pattern is sent once: the first preview is the server's last frame.
	if c.Frames != 1 {
		t.Fatalf("server received %d frames of a static screen, want 1", c.Frames)
	}
	if pe.Width != c.LastFrame.Width || pe.Height != c.LastFrame.Height || pe.Bytes != c.LastFrame.Bytes {
		t.Errorf("preview says %dx%d, %d B; the server received %dx%d, %d B", pe.Width, pe.Height, pe.Bytes, c.LastFrame.Width, c.LastFrame.Height, c.LastFrame.Bytes)
	}
	if b := pe.Image.Bounds(); b.Dx() >= pe.Width {
		t.Errorf("preview image %v is not a thumbnail of a %d px frame", b, pe.Width)
	}
}

// TestShareFailureSaysWhy: a camera that cannot be opened leaves nothing shared, says why,
// and the call goes on.
func TestShareFailureSaysWhy(t *testing.T) {
	h := newHarness(t, livetest.Options{}, nil)
	run := h.c.Start(h.cfg)
	h.rec.wait(t, "live", hasState(run, StateLive))
	h.c.SetShare(Share{Kind: ShareCamera, Camera: "/dev/missing"})
	h.rec.wait(t, "the share error", func(evs []Event) bool {
		for _, ev := range evs {
			if se, ok := ev.(ShareEvent); ok && se.Err != nil {
				return errors.Is(se.Err, capture.ErrNoCamera) && se.Share.Kind == ShareNone
			}
		}
		return false
	})
	if got := h.c.Share(); got.Kind != ShareNone {
		t.Errorf("Share() = %+v after the failure, want nothing", got)
	}
	if err := h.c.SendText("still there?"); err != nil {
		t.Fatal(err)
	}
	h.waitServer("the typed text", func(cs []livetest.ConnInfo) bool { return len(cs[0].Texts) == 1 })
}

// TestSpeakerMeterMoves: while the model's answer plays, level events show the speaker.
func TestSpeakerMeterMoves(t *testing.T) {
	h := newHarness(t, livetest.Options{Pace: livetest.RealTime}, nil)
	run := h.c.Start(h.cfg)
	h.rec.wait(t, "live", hasState(run, StateLive))
	if err := h.c.SendText("say something"); err != nil {
		t.Fatal(err)
	}
	h.rec.wait(t, "the speaker meter", func(evs []Event) bool {
		for _, ev := range evs {
			if le, ok := ev.(LevelEvent); ok && le.Run == run && le.Speaker > 0.3 {
				return true
			}
		}
		return false
	})
}

func TestParseShare(t *testing.T) {
	tests := []struct {
		in      string
		want    Share
		wantErr bool
	}{
		{"", Share{}, false},
		{"none", Share{}, false},
		{"screen", Share{Kind: ShareScreen}, false},
		{"screen:2", Share{Kind: ShareScreen, Display: 2}, false},
		{"screen:all", Share{Kind: ShareScreen, Display: AllDisplays}, false},
		{"camera", Share{Kind: ShareCamera}, false},
		{"camera:/dev/video1", Share{Kind: ShareCamera, Camera: "/dev/video1"}, false},
		{"screen:-1", Share{}, true},
		{"screen:x", Share{}, true},
		{"window", Share{}, true},
		{"none:1", Share{}, true},
	}
	for _, tt := range tests {
		got, err := ParseShare(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseShare(%q) = %+v, %v; want %+v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestJournalKeepsTheTranscript: a run's transcript — typed text and the answer — is on disk
// as it happens, and reads back as it was said.
func TestJournalKeepsTheTranscript(t *testing.T) {
	dir := t.TempDir()
	srv, err := livetest.Start(livetest.Options{APIKey: testKey, Responder: func(livetest.Turn) livetest.Reply { return livetest.Reply{Text: "Lima."} }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rec := newRecorder()
	c := New(Options{Sink: rec, Backend: audio.BackendNull, JournalDir: dir})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	cfg := settings.Default()
	cfg.Endpoint, cfg.APIKey = srv.URL(), testKey
	run := c.Start(cfg)
	rec.wait(t, "live", hasState(run, StateLive))
	if err := c.SendText("capital of Peru?"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "the answer's end", func(evs []Event) bool {
		for _, ev := range evs {
			if te, ok := ev.(TranscriptEvent); ok && te.Role == RoleModel && te.Final {
				return true
			}
		}
		return false
	})
	// The completed turn is on disk while the call still runs. The journal's writer goroutine
	// gets the turn's end after the window does, so give it a moment (it never waits on the call).
	var user, model string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		list, err := journal.List(dir)
		if err != nil || len(list) != 1 {
			t.Fatalf("journal: %d conversations, %v", len(list), err)
		}
		user, model = "", ""
		for _, e := range list[0].Entries {
			switch e.Role {
			case journal.RoleUser:
				user += e.Text
			case journal.RoleModel:
				model += e.Text
			}
		}
		if (user == "capital of Peru?" && strings.Contains(model, "Lima.")) || time.Now().After(deadline) {
			break
		}
	}
	if user != "capital of Peru?" || !strings.Contains(model, "Lima.") {
		t.Errorf("journal holds user %q, model %q", user, model)
	}
	cancel()
	<-done
}
