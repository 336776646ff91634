package ui

import (
	"context"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/google/go-cmp/cmp"
	"github.com/zalando/go-keyring"

	"github.com/livedesk/livedesk/assets"
	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/catalog"
	"github.com/livedesk/livedesk/settings"
)

var testNow = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

// fakeRing is an in-memory OS keyring; err simulates a machine without one.
type fakeRing struct {
	mu  sync.Mutex
	m   map[string]string
	err error
}

func (f *fakeRing) Get(s, u string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	if v, ok := f.m[s+"/"+u]; ok {
		return v, nil
	}
	return "", keyring.ErrNotFound
}

func (f *fakeRing) Set(s, u, p string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.m[s+"/"+u] = p
	return nil
}

func (f *fakeRing) Delete(s, u string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	delete(f.m, s+"/"+u)
	return nil
}

func testKeys(key string) *settings.Keys {
	r := &fakeRing{m: map[string]string{}}
	if key != "" {
		r.m[settings.KeyringService+"/"+settings.KeyringUser] = key
	}
	return &settings.Keys{Keyring: r, Getenv: func(string) string { return "" }}
}

// fakeCall is a test double of the call core: each Start begins a numbered run and plays a
// scripted conversation, stamped with that run, into the bridge.
type fakeCall struct {
	br     func() *Bridge
	script []call.Event

	mu         sync.Mutex
	started    []settings.Config
	shares     []call.Share
	texts      []string
	muted      bool
	ptt        bool
	stops      int
	runs       uint64
	failReason string // a Start fails with this reason
}

func (f *fakeCall) Start(cfg settings.Config) uint64 {
	f.mu.Lock()
	f.started = append(f.started, cfg)
	f.runs++
	id, fail := f.runs, f.failReason
	f.mu.Unlock()
	f.br().Post(call.StateEvent{Run: id, State: call.StateConnecting, Model: cfg.Model})
	if fail != "" {
		f.br().Post(call.StateEvent{Run: id, State: call.StateFailed, Reason: fail, Model: cfg.Model})
		return id
	}
	for _, ev := range f.script {
		f.br().Post(stamp(ev, id))
	}
	return id
}

// stamp sets the run number of a run-bound event.
func stamp(ev call.Event, run uint64) call.Event {
	switch e := ev.(type) {
	case call.StateEvent:
		e.Run = run
		return e
	case call.TranscriptEvent:
		e.Run = run
		return e
	case call.GroundingEvent:
		e.Run = run
		return e
	case call.UsageEvent:
		e.Run = run
		return e
	case call.LevelEvent:
		e.Run = run
		return e
	case call.PreviewEvent:
		e.Run = run
		return e
	case call.ShareEvent:
		e.Run = run
		return e
	}
	return ev
}

func (f *fakeCall) Stop() {
	f.mu.Lock()
	f.stops++
	id := f.runs
	f.mu.Unlock()
	f.br().Post(call.StateEvent{Run: id, State: call.StateEnded})
}

func (f *fakeCall) SendText(text string) error {
	f.mu.Lock()
	f.texts = append(f.texts, text)
	id := f.runs
	f.mu.Unlock()
	f.br().Post(call.TranscriptEvent{Run: id, Role: call.RoleUser, Text: text, Final: true, At: testNow})
	f.br().Post(call.TranscriptEvent{Run: id, Role: call.RoleModel, Text: "ok: " + text, Final: true, At: testNow})
	return nil
}

func (f *fakeCall) SetMuted(m bool)      { f.mu.Lock(); f.muted = m; f.mu.Unlock() }
func (f *fakeCall) SetPushToTalk(d bool) { f.mu.Lock(); f.ptt = d; f.mu.Unlock() }
func (f *fakeCall) SetShare(s call.Share) {
	f.mu.Lock()
	f.shares = append(f.shares, s)
	f.mu.Unlock()
}

type fakeDevices struct{}

func (fakeDevices) Displays() ([]capture.Display, error) {
	return []capture.Display{{Index: 0, Bounds: image.Rect(0, 0, 1920, 1080)}, {Index: 1, Bounds: image.Rect(1920, 0, 3200, 1024)}}, nil
}
func (fakeDevices) Cameras() ([]capture.Camera, error) {
	return []capture.Camera{{Path: "/dev/video0", Name: "Integrated Camera"}}, nil
}
func (fakeDevices) Mics() ([]audio.Device, error) {
	return []audio.Device{{ID: "1", Name: "VirtualMic"}}, nil
}
func (fakeDevices) Speakers() ([]audio.Device, error) {
	return []audio.Device{{ID: "2", Name: "Speaker"}}, nil
}

// mainLoop stands in for Fyne's event loop: the bridge queues closures and the test goroutine
// runs them, so widgets are only touched from one goroutine, as in the app.
type mainLoop chan func()

func (m mainLoop) do(f func()) { m <- f }

// drain runs the UI work queued so far.
func (m mainLoop) drain() {
	for {
		select {
		case f := <-m:
			f()
		default:
			return
		}
	}
}

// until runs queued UI work until cond holds or a generous deadline passes. cond is checked
// again every few milliseconds as well: what it waits for may be done by a goroutine that
// queues no UI work afterwards (the share picker's thumbnailer closing its sources).
func (m mainLoop) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	recheck := time.NewTicker(5 * time.Millisecond)
	defer recheck.Stop()
	for !cond() {
		select {
		case f := <-m:
			f()
		case <-recheck.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func newTestWindow(t *testing.T, o Options) (*Window, mainLoop) {
	t.Helper()
	app := test.NewTempApp(t)
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	if o.Keys == nil {
		o.Keys = testKeys("AIza-test-key")
	}
	w := New(app, o)
	loop := make(mainLoop, 64)
	w.bridge.do = loop.do
	w.win.Resize(fyne.NewSize(1100, 720))
	t.Cleanup(w.win.Close)
	return w, loop
}

// toolCheck is the settings form's switch for the local tool name.
func toolCheck(t *testing.T, f *settingsForm, name string) *widget.Check {
	t.Helper()
	i := slices.Index(f.toolNames, name)
	if i < 0 {
		t.Fatalf("no switch for the tool %s in %v", name, f.toolNames)
	}
	return f.tools[i]
}

func TestSettingsRoundTrip(t *testing.T) {
	keys := testKeys("")
	w, _ := newTestWindow(t, Options{Keys: keys, Devices: fakeDevices{}})
	if !w.NeedsAPIKey() {
		t.Fatal("NeedsAPIKey() = false with an empty keyring")
	}
	w.ShowSettings()
	f := w.settings
	test.Type(f.key, "AIza-new-key")
	f.model.set("gemini-2.5-flash-native-audio-preview-12-2025")
	f.voice.set("Puck")
	f.language.set("ja-JP")
	test.Type(f.instr, "短く答えて")
	f.outTr.SetChecked(false)
	f.autoVAD.SetChecked(false)
	f.pttKey.SetText("Space")
	f.fps.SetText("0.5")
	f.maxSize.SetText("768")
	f.jpegQ.SetText("60")
	f.mediaRes.set("LOW")
	f.framePolicy.set(settings.FramesWhenAsked)
	f.idleSec.SetText("50")
	f.mic.set("VirtualMic")
	f.speaker.set("Speaker")
	f.echo.set(settings.EchoOff)
	f.proactive.SetChecked(true)
	f.affective.SetChecked(true)
	f.googleSearch.SetChecked(true)
	toolCheck(t, f, catalog.ToolSnapshot).SetChecked(false)
	toolCheck(t, f, catalog.ToolHighlight).SetChecked(false)
	toolCheck(t, f, catalog.ToolClipboard).SetChecked(true) // the clipboard tool is opt-in
	test.Tap(f.saveBtn)
	if f.open {
		t.Fatalf("dialog still open after Save; summary: %q", f.summary.Text)
	}

	want := settings.Default()
	want.APIKey = "AIza-new-key"
	want.Model = "gemini-2.5-flash-native-audio-preview-12-2025"
	want.Voice = "Puck"
	want.Language = "ja-JP"
	want.SystemInstruction = "短く答えて"
	want.OutputTranscription = false
	want.AutoVAD = false
	want.PushToTalkKey = "Space"
	want.FPS = 0.5
	want.MaxSize = 768
	want.JPEGQuality = 60
	want.MediaResolution = "LOW"
	want.FramePolicy = settings.FramesWhenAsked
	want.IdleFrameSeconds = 50
	want.MicDevice = "VirtualMic"
	want.SpeakerDevice = "Speaker"
	want.EchoCancellation = settings.EchoOff
	want.ProactiveAudio = true
	want.AffectiveDialog = true
	want.GoogleSearch = true
	want.LocalTools = []string{"get_current_time", "copy_to_clipboard"}

	// Reload as the next start of the app would.
	w2 := New(w.app, Options{Keys: keys})
	t.Cleanup(w2.win.Close)
	if diff := cmp.Diff(want, w2.cfg); diff != "" {
		t.Errorf("reloaded settings (-want +got):\n%s", diff)
	}
	if w2.keySource != settings.KeyKeyring {
		t.Errorf("key source = %v, want keyring", w2.keySource)
	}
}

func TestSettingsValidationMessages(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(f *settingsForm)
		field string
		want  string
	}{
		{"fps range", func(f *settingsForm) { f.fps.SetText("5") }, "FPS", "between 0.2 and 2"},
		{"fps not a number", func(f *settingsForm) { f.fps.SetText("fast") }, "FPS", "enter a number"},
		{"jpeg", func(f *settingsForm) { f.jpegQ.SetText("0") }, "JPEGQuality", "between 1 and 100"},
		{"padding not a number", func(f *settingsForm) { f.prefixPad.SetText("1.5") }, "PrefixPaddingMs", "whole number"},
		{"silence", func(f *settingsForm) { f.silence.SetText("99999") }, "SilenceDurationMs", "between 0 and 10000 ms"},
		{"endpoint", func(f *settingsForm) { f.endpoint.SetText("ftp://example.com") }, "Endpoint", "ws://"},
		{"key with space", func(f *settingsForm) { f.key.SetText("AIza abc") }, "APIKey", "line breaks"},
		{"ptt key", func(f *settingsForm) { f.autoVAD.SetChecked(false); f.pttKey.SetText("") }, "PushToTalkKey", "push-to-talk key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := newTestWindow(t, Options{})
			w.ShowSettings()
			f := w.settings
			if !f.summary.Hidden {
				t.Fatalf("fresh form shows errors: %q", f.summary.Text)
			}
			tt.edit(f)
			l := f.errs[tt.field]
			if l.Hidden || !strings.Contains(l.Text, tt.want) {
				t.Errorf("%s error = %q (hidden=%v), want it shown containing %q", tt.field, l.Text, l.Hidden, tt.want)
			}
			if f.summary.Hidden || !strings.Contains(f.summary.Text, "1 settings need fixing") {
				t.Errorf("summary = %q, want one field to fix", f.summary.Text)
			}
			test.Tap(f.saveBtn)
			if !f.open {
				t.Error("Save closed the dialog with invalid settings")
			}
			if got := w.app.Preferences().String("media.fps"); got != "" {
				t.Errorf("invalid settings were saved (media.fps=%q)", got)
			}
		})
	}
}

func TestModelCapabilities(t *testing.T) {
	tests := []struct {
		model                         string
		proactiveOn, proactiveEnabled bool
		proactiveNote                 string
		affectiveEnabled              bool
		affectiveNote                 string
		thinkingEnabled               bool
		thinkingNote                  string
	}{
		{"gemini-3.8-live", true, false, "Always on for gemini-3.8-live", false, "Not supported by gemini-3.8-live", false, "does not accept a thinking setting"},
		{"gemini-3.1-flash-live-preview", false, false, "Not supported by gemini-3.1-flash-live-preview", false, "Not supported", true, ""},
		{"gemini-3.8-live-extended-thinking", true, false, "Always on", false, "Not supported", true, ""},
		{"gemini-2.5-flash-native-audio-preview-12-2025", true, true, "", true, "", false, "thinking budget"},
	}
	w, _ := newTestWindow(t, Options{})
	w.ShowSettings()
	f := w.settings
	f.model.set("gemini-2.5-flash-native-audio-preview-12-2025")
	f.proactive.SetChecked(true) // the user's choice survives a switch through other models
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			f.model.set(tt.model)
			if f.proactive.Checked != tt.proactiveOn || f.proactive.Disabled() == tt.proactiveEnabled {
				t.Errorf("proactive checked=%v disabled=%v, want checked=%v enabled=%v",
					f.proactive.Checked, f.proactive.Disabled(), tt.proactiveOn, tt.proactiveEnabled)
			}
			checkNote(t, "proactive", f.proactiveNote.Text, f.proactiveNote.Hidden, tt.proactiveNote)
			if f.affective.Disabled() == tt.affectiveEnabled {
				t.Errorf("affective disabled=%v, want enabled=%v", f.affective.Disabled(), tt.affectiveEnabled)
			}
			checkNote(t, "affective", f.affectiveNote.Text, f.affectiveNote.Hidden, tt.affectiveNote)
			if f.thinking.Disabled() == tt.thinkingEnabled {
				t.Errorf("thinking disabled=%v, want enabled=%v", f.thinking.Disabled(), tt.thinkingEnabled)
			}
			checkNote(t, "thinking", f.thinkingNote.Text, f.thinkingNote.Hidden, tt.thinkingNote)
			if caps := CapabilitiesFunc(tt.model); caps.ThinkingLevel {
				if diff := cmp.Diff(append([]string{""}, caps.ThinkingLevels...), f.thinking.values); diff != "" {
					t.Errorf("thinking levels offered (-want +got):\n%s", diff)
				}
			}
			c, ok := f.validate()
			if !ok {
				t.Fatalf("form invalid after model switch: %q", f.summary.Text)
			}
			caps := CapabilitiesFunc(tt.model)
			if caps.Affective == Unsupported && c.AffectiveDialog {
				t.Error("config enables affective dialog on a model that rejects it")
			}
			if !caps.ThinkingLevel && c.ThinkingLevel != "" {
				t.Errorf("config sets thinking level %q on a model without it", c.ThinkingLevel)
			}
		})
	}
}

func checkNote(t *testing.T, name, text string, hidden bool, want string) {
	t.Helper()
	if want == "" {
		if !hidden {
			t.Errorf("%s note shown (%q), want none", name, text)
		}
		return
	}
	if hidden || !strings.Contains(text, want) {
		t.Errorf("%s note = %q (hidden=%v), want %q", name, text, hidden, want)
	}
}

func frame() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 64, 36))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	img.Set(1, 1, color.White)
	return img
}

func conversationScript() []call.Event {
	return []call.Event{
		call.StateEvent{State: call.StateLive, Model: "gemini-3.8-live"},
		call.DiagEvent{At: testNow, Line: "setupComplete"},
		call.TranscriptEvent{Role: call.RoleUser, Text: "这是什么", At: testNow},
		call.TranscriptEvent{Role: call.RoleUser, Text: "？", Final: true},
		call.TranscriptEvent{Role: call.RoleModel, Text: "هذه ", At: testNow.Add(time.Second)},
		call.TranscriptEvent{Role: call.RoleModel, Text: "شاشة.", Final: true},
		call.GroundingEvent{Links: []call.Link{{Title: "Example", URL: "https://example.com/a"}}},
		call.UsageEvent{PromptTokens: 1000, PromptAudioTokens: 400, ResponseTokens: 200, ResponseAudioTokens: 150, TotalTokens: 1200, CostUSD: 0.0034, PriceKnown: true},
		call.LevelEvent{Mic: 0.4, Speaker: 0.7},
		call.PreviewEvent{Image: frame(), Width: 1024, Height: 576, Bytes: 123456},
	}
}

func TestConnectFlow(t *testing.T) {
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }, script: conversationScript()}
	w, loop := newTestWindow(t, Options{Call: conv, Devices: fakeDevices{}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	w.SetShare(call.Share{Kind: call.ShareScreen, Display: 1})
	test.Tap(w.connectBtn)
	if w.state != call.StateConnecting {
		t.Errorf("state after tapping Connect = %v, want connecting", w.state)
	}
	loop.until(t, "live with transcript", func() bool {
		return w.state == call.StateLive && len(w.tr.turns) == 2 && w.tr.turns[1].Final && w.preview.Image != nil
	})
	if got, want := w.turnViews[0].body.Text, "这是什么？"; got != want {
		t.Errorf("user turn = %q, want %q", got, want)
	}
	if got, want := w.turnViews[1].body.Text, "هذه شاشة."; got != want {
		t.Errorf("model turn = %q, want %q", got, want)
	}
	if w.turnViews[1].nLinks != 1 {
		t.Errorf("grounding links = %d, want 1", w.turnViews[1].nLinks)
	}
	for _, want := range []string{"Live", "gemini-3.8-live", "1200 tokens", "$0.0034", "Mic: default"} {
		if !strings.Contains(w.status.Text, want) {
			t.Errorf("status %q lacks %q", w.status.Text, want)
		}
	}
	if w.indicator.Hidden || !strings.Contains(w.indicatorText.Text, "Gemini can see your screen") {
		t.Errorf("sharing indicator hidden=%v text=%q", w.indicator.Hidden, w.indicatorText.Text)
	}
	if w.micMeter.Value != 0.4 || w.speakerMeter.Value != 0.7 {
		t.Errorf("meters = %v/%v, want 0.4/0.7", w.micMeter.Value, w.speakerMeter.Value)
	}
	conv.mu.Lock()
	if len(conv.shares) != 1 || conv.shares[0] != (call.Share{Kind: call.ShareScreen, Display: 1}) {
		t.Errorf("Start got share %+v, want screen 1", conv.shares)
	}
	conv.mu.Unlock()

	// Shortcut: Ctrl+M mutes.
	sc := w.win.Canvas().(interface{ TypedShortcut(fyne.Shortcut) })
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyM, Modifier: fyne.KeyModifierShortcutDefault})
	conv.mu.Lock()
	muted := conv.muted
	conv.mu.Unlock()
	if !muted || !strings.Contains(w.muteBtn.Text, "Unmute") || !strings.Contains(w.status.Text, "muted") {
		t.Errorf("after Ctrl+M: conversation muted=%v, button %q, status %q", muted, w.muteBtn.Text, w.status.Text)
	}

	// Typing to the model.
	test.Type(w.input, "مرحبا 你好")
	test.Tap(w.sendBtn)
	loop.until(t, "reply to typed text", func() bool { return len(w.tr.turns) == 4 })
	if got := w.tr.turns[2]; got.Role != call.RoleUser || got.Text != "مرحبا 你好" {
		t.Errorf("typed turn = %+v", got)
	}

	// Stop sharing: the indicator goes away and the conversation is told.
	test.Tap(w.screenBtn)
	if !w.indicator.Hidden {
		t.Error("indicator still shown after stopping the share")
	}

	test.Tap(w.connectBtn) // disconnect
	loop.until(t, "disconnected", func() bool {
		conv.mu.Lock()
		defer conv.mu.Unlock()
		return conv.stops == 1 && !w.state.Active()
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v", err)
	}
	conv.mu.Lock()
	defer conv.mu.Unlock()
	if diff := cmp.Diff([]string{"مرحبا 你好"}, conv.texts); diff != "" {
		t.Errorf("texts sent (-want +got):\n%s", diff)
	}
	if last := conv.shares[len(conv.shares)-1]; last.Kind != call.ShareNone {
		t.Errorf("last share = %+v, want none", last)
	}
}

func TestConnectErrorShownInWords(t *testing.T) {
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() },
		failReason: "server closed the connection: 1007 API key not valid"}
	w, loop := newTestWindow(t, Options{Call: conv})
	go w.Run(t.Context())
	w.Connect()
	loop.until(t, "error state", func() bool { return w.state == call.StateFailed })
	if !strings.Contains(w.status.Text, "Error: server closed the connection: 1007 API key not valid") {
		t.Errorf("status = %q", w.status.Text)
	}
	if w.wantLive || !strings.HasPrefix(w.connectBtn.Text, "Connect") {
		t.Errorf("after a failed connect: wantLive=%v button=%q", w.wantLive, w.connectBtn.Text)
	}
}

func TestNoKeyOpensWelcome(t *testing.T) {
	w, _ := newTestWindow(t, Options{Keys: testKeys("")})
	w.Connect()
	if w.welcome == nil || w.welcome.dlg == nil {
		t.Fatal("Connect without a key did not open the welcome screen")
	}
	if !strings.Contains(w.status.Text, "No API key") {
		t.Errorf("status = %q, want it to ask for a key", w.status.Text)
	}
}

func TestNoKeyringExplained(t *testing.T) {
	tests := []struct {
		name      string
		allowFile bool
		want      settings.KeySource
	}{
		{"session only", false, settings.KeySession},
		{"file with consent", true, settings.KeyFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "livedesk", "api-key")
			keys := &settings.Keys{Keyring: &fakeRing{err: errors.New("dbus: no secret service")},
				FilePath: file, Getenv: func(string) string { return "" }}
			w, _ := newTestWindow(t, Options{Keys: keys})
			w.ShowSettings()
			if !strings.Contains(w.settings.keyStatus.Text, "No OS keyring") {
				t.Errorf("key status = %q, want the missing keyring explained", w.settings.keyStatus.Text)
			}
			test.Type(w.settings.key, "AIza-secret")
			w.settings.allowFile.SetChecked(tt.allowFile)
			test.Tap(w.settings.saveBtn)
			if w.keySource != tt.want || w.cfg.APIKey != "AIza-secret" {
				t.Errorf("key kept as %v, want %v", w.keySource, tt.want)
			}
			fi, err := os.Stat(file)
			switch {
			case tt.allowFile && err != nil:
				t.Errorf("no key file: %v", err)
			case tt.allowFile && fi.Mode().Perm() != 0o600:
				t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
			case !tt.allowFile && err == nil:
				t.Error("key written to a file without consent")
			}
		})
	}
}

func TestDemoLabelled(t *testing.T) {
	w, _ := newTestWindow(t, Options{Demo: true})
	if !strings.Contains(w.win.Title(), "Demo") || !strings.Contains(w.status.Text, "DEMO") {
		t.Errorf("title %q / status %q do not say demo", w.win.Title(), w.status.Text)
	}
}

func TestRegionParsing(t *testing.T) {
	tests := []struct {
		in      string
		want    image.Rectangle
		wantErr bool
	}{
		{"", image.Rectangle{}, false},
		{"10, 20, 300, 200", image.Rect(10, 20, 310, 220), false},
		{"1,2,3", image.Rectangle{}, true},
		{"0,0,8,8", image.Rectangle{}, true},
		{"a,b,c,d", image.Rectangle{}, true},
		{"-1,0,100,100", image.Rectangle{}, true},
	}
	for _, tt := range tests {
		got, err := parseRegion(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseRegion(%q) = %v, %v; want %v, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestGoldenMarkup(t *testing.T) {
	goldenFontsPresent(t)
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }, script: conversationScript()}
	w, loop := newTestWindow(t, Options{Call: conv, Devices: fakeDevices{}})
	go w.Run(t.Context())
	w.SetShare(call.Share{Kind: call.ShareScreen})
	w.Connect()
	loop.until(t, "transcript", func() bool { return len(w.tr.turns) == 2 && w.tr.turns[1].Final && w.preview.Image != nil })
	test.AssertRendersToMarkup(t, "main_window.xml", w.win.Canvas())

	w.ShowSettings()
	test.AssertRendersToMarkup(t, "settings_dialog.xml", w.win.Canvas())
}

// TestTranslationsCoverUI checks that every literal passed to lang.L has an English entry, so
// the translation files cannot silently fall behind the code.
func TestTranslationsCoverUI(t *testing.T) {
	en, err := assets.Translations.ReadFile(assets.TranslationsDir + "/en.json")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`lang\.L\("((?:[^"\\]|\\.)*)"`)
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fi := range files {
		if !strings.HasSuffix(fi.Name(), ".go") || strings.HasSuffix(fi.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile(fi.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if m[1] == "echo-" {
				continue // prefix of echo-auto/on/off
			}
			n++
			if !strings.Contains(string(en), `"`+m[1]+`":`) {
				t.Errorf("%s: %q has no translation entry", fi.Name(), m[1])
			}
		}
	}
	if n < 50 {
		t.Errorf("found only %d translated strings; is the pattern right?", n)
	}
}

func TestTranslationsLoad(t *testing.T) {
	if err := LoadTranslations(); err != nil {
		t.Fatal(err)
	}
}

func TestPushToTalk(t *testing.T) {
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
	w, _ = newTestWindow(t, Options{Call: conv})
	w.cfg.AutoVAD = false
	w.cfg.PushToTalkKey = "F8"
	w.refresh()
	if !strings.Contains(w.status.Text, "Hold F8 to talk") {
		t.Errorf("status = %q, want the push-to-talk hint", w.status.Text)
	}
	w.SetPushToTalk(true)
	conv.mu.Lock()
	down := conv.ptt
	conv.mu.Unlock()
	if !down || !strings.Contains(w.status.Text, "talking") {
		t.Errorf("after key down: conversation ptt=%v, status %q", down, w.status.Text)
	}
	w.SetPushToTalk(false)
	conv.mu.Lock()
	down = conv.ptt
	conv.mu.Unlock()
	if down {
		t.Error("push-to-talk still down after key up")
	}
}

func TestWriteTranscript(t *testing.T) {
	w, _ := newTestWindow(t, Options{})
	w.applyTranscript(call.TranscriptEvent{Role: call.RoleUser, Text: "こんにちは", Final: true, At: testNow})
	tests := []struct {
		format string
		want   string
	}{
		{FormatMarkdown, "**You** · 2026-11-22 09:30:00\n\nこんにちは\n"},
		{FormatJSON, `"text": "こんにちは"`},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := w.WriteTranscript(&b, tt.format); err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("%s export:\n%s\nwant it to contain %q", tt.format, b.String(), tt.want)
		}
	}
	if err := w.WriteTranscript(&strings.Builder{}, "pdf"); err == nil {
		t.Error("unknown format accepted")
	}
}

// BenchmarkApplyBatch is the widget side of the bridge: one coalesced flush carrying a
// transcript delta, levels and usage, as arrives up to 30 times a second.
func BenchmarkApplyBatch(b *testing.B) {
	app := test.NewTempApp(b)
	w := New(app, Options{Keys: testKeys("k"), Now: func() time.Time { return testNow }})
	b.Cleanup(w.win.Close)
	usage := call.UsageEvent{TotalTokens: 100}
	lvl := call.LevelEvent{Mic: 0.3, Speaker: 0.6}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		final := i%50 == 49 // a turn of 50 deltas
		w.applyBatch(&batch{
			transcript: []call.TranscriptEvent{{Role: call.RoleModel, Text: "word ", Final: final, At: testNow}},
			level:      lvl,
			hasLevel:   true,
			usage:      &usage,
		})
		i++
	}
}

func TestTranscriptViewBounded(t *testing.T) {
	w, _ := newTestWindow(t, Options{})
	n := maxShownTurns + 30
	for i := range n {
		w.applyTranscript(call.TranscriptEvent{Role: call.Role(i % 2), Text: strconv.Itoa(i), Final: true, At: testNow})
	}
	if got := len(w.transcriptBox.Objects); got != maxShownTurns {
		t.Errorf("turns shown = %d, want %d", got, maxShownTurns)
	}
	if got, want := w.turnViews[len(w.turnViews)-1].body.Text, strconv.Itoa(n-1); got != want {
		t.Errorf("last shown turn = %q, want %q", got, want)
	}
	if got := len(w.Turns()); got != n {
		t.Errorf("transcript keeps %d turns, want all %d for export", got, n)
	}
}

func TestInputKeys(t *testing.T) {
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
	w, loop := newTestWindow(t, Options{Call: conv})
	go w.Run(t.Context())
	w.Connect()
	w.win.Canvas().Focus(w.input)
	test.Type(w.input, "first")
	w.input.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	w.input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Shift+Enter: new line
	w.input.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	test.Type(w.input, "second")
	if got, want := w.input.Text, "first\nsecond"; got != want {
		t.Fatalf("text = %q, want %q", got, want)
	}
	w.input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter: send
	loop.until(t, "reply", func() bool { return len(w.tr.turns) == 2 })
	if w.input.Text != "" || w.tr.turns[0].Text != "first\nsecond" {
		t.Errorf("after Enter: box %q, turn %q", w.input.Text, w.tr.turns[0].Text)
	}
	// The window's shortcuts work while the text box has the focus.
	w.input.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyM, Modifier: fyne.KeyModifierShortcutDefault})
	if !w.muted {
		t.Error("Ctrl+M in the text box did not mute")
	}
}

// noCameraDevices is fakeDevices on a machine without a camera.
type noCameraDevices struct{ fakeDevices }

func (noCameraDevices) Cameras() ([]capture.Camera, error) { return nil, nil }

// TestShareRowWithoutCamera: without a camera the share row says so in the drop-down alone (no
// disabled button beside it, so the row fits the default window), and a camera shared anyway
// (from the share picker) gets its stop button.
func TestShareRowWithoutCamera(t *testing.T) {
	w, _ := newTestWindow(t, Options{Devices: noCameraDevices{}})
	w.refresh()
	if w.cameraBtn.Visible() {
		t.Error("the camera button is shown with no camera found")
	}
	if w.cameraSel.PlaceHolder == "" || !w.cameraSel.Disabled() {
		t.Errorf("camera drop-down: placeholder %q, disabled %v; want it to say why", w.cameraSel.PlaceHolder, w.cameraSel.Disabled())
	}
	w.SetShare(call.Share{Kind: call.ShareCamera, Camera: "/dev/video4"})
	w.refresh()
	if !w.cameraBtn.Visible() || w.cameraBtn.Text != "Stop camera (Ctrl+Shift+C)" {
		t.Errorf("camera shared: button visible %v, %q; want Stop camera", w.cameraBtn.Visible(), w.cameraBtn.Text)
	}

	// The display's name and the region's hint are whole, and the primary control is the
	// tallest button on the bar.
	if got, want := w.displaySel.Size().Width, fyne.MeasureText(w.displaySel.Selected, theme.TextSize(), fyne.TextStyle{}).Width; got < want {
		t.Errorf("display drop-down %v wide for a %v-wide name", got, want)
	}
	if w.connectBtn.Size().Height <= w.muteBtn.Size().Height {
		t.Errorf("Connect is %v tall, Mute %v: want the primary control larger", w.connectBtn.Size().Height, w.muteBtn.Size().Height)
	}
}
