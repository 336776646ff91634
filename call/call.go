package call

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/journal"
	"github.com/livedesk/livedesk/live"
	"github.com/livedesk/livedesk/settings"
)

// ErrNotConnected is returned by SendText when no run is under way.
var ErrNotConnected = errors.New("not connected: connect first")

// DefaultMeterRate is how many level events a second a run sends while sound flows.
const DefaultMeterRate = 15

// Options configure a Call. The zero value uses the real devices and reports nothing.
type Options struct {
	Log  *slog.Logger
	Sink Sink // where events go; nil discards them
	// Backend is the audio system (audio.BackendDefault; audio.BackendNull in tests).
	Backend audio.Backend
	// Clipboard writes the system clipboard for the clipboard tool; nil: the tool is not offered.
	Clipboard func(text string) error
	// Sources opens what is shared; nil: the real displays and cameras (DeviceSources).
	Sources SourceOpener
	// EchoRecord, when set, saves the echo canceller's input, output and reference into this
	// directory when a run ends (talk --echo-record; it holds the user's voice).
	EchoRecord string
	// Conversation tunes each run's live conversation (reconnect backoff, audio backlog, swap
	// margin, dial timeouts). The call sets its Mic, Speaker, Tools, Muted, PushToTalk, Log and
	// credentials.
	Conversation live.ConversationOptions
	// MeterRate is the number of level events a second while sound flows (DefaultMeterRate).
	MeterRate int
	// JournalDir keeps each run's transcript on disk as it happens (package journal); "" keeps
	// nothing.
	JournalDir string
	// Highlighter outlines what the model points at (highlight_on_screen) on the desktop; nil:
	// the boxes are only drawn on the window's preview (HighlightEvent).
	Highlighter Highlighter
}

// Call is one running call: it opens the audio devices, the shared screen or camera and the
// live conversation for a configuration, and holds the user's intents — muted, push-to-talk
// held, what is shared — across restarts, reconnects and device changes, applying them from
// the first sample of every run.
//
// Run owns every goroutine and device; the other methods may be called from any goroutine,
// never block on devices or the network, and may be called before Run. Each Start begins a
// new run with a new number; events of a replaced run are never forwarded.
type Call struct {
	opt  Options
	log  *slog.Logger
	wake chan struct{}

	mu      sync.Mutex // guards the fields below; never held while opening devices or dialling
	muted   bool
	ptt     bool
	want    Share    // what the user wants shared
	req     *request // the newest Start or Stop not yet acted on
	seq     uint64   // run numbers handed out
	fwd     uint64   // the run whose events are forwarded; 0 while none or while one is torn down
	cur     *run     // written by Run only, under mu
	state   State
	summary Summary
	running bool
}

type request struct {
	start bool
	id    uint64 // the run a start begins
	cfg   settings.Config
}

// run is one configuration's devices, share and conversation.
type run struct {
	id     uint64
	cfg    settings.Config
	ctx    context.Context
	cancel context.CancelFunc
	aio    *audioIO // nil when the audio system could not be opened
	conv   *live.Conversation
	share  atomic.Pointer[share]
	wg     sync.WaitGroup
	done   chan error // the conversation's Run result

	// What the user and the model are doing, which paces the shared screen (activity.go).
	act activity
	// What the model points at now (highlight.go).
	point pointing

	// The journal's writer goroutine reads jch; deliver feeds it under Call.mu, and teardown
	// closes it (jclosed) under Call.mu, so nothing is sent on a closed channel.
	jch      chan journal.Entry
	jclosed  bool
	jdropped int
	jdone    chan struct{}
}

// journalQueue bounds the transcript pieces waiting for the disk: a turn's worth and more.
const journalQueue = 1024

// New returns a call that has started nothing.
func New(opt Options) *Call {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Sources == nil {
		opt.Sources = DeviceSources{}
	}
	if opt.MeterRate <= 0 {
		opt.MeterRate = DefaultMeterRate
	}
	return &Call{opt: opt, log: opt.Log, wake: make(chan struct{}, 1)}
}

// Start begins a run with cfg, replacing the current one if any (a settings change), and
// returns the run's number. It returns at once; progress arrives as StateEvents of that run.
// Of several Starts made before Run gets to them, only the last runs.
func (c *Call) Start(cfg settings.Config) uint64 {
	c.mu.Lock()
	c.seq++
	id := c.seq
	c.req = &request{start: true, id: id, cfg: cfg}
	c.mu.Unlock()
	c.poke()
	return id
}

// Stop ends the current run. It returns at once; a StateEvent with StateEnded follows.
func (c *Call) Stop() {
	c.mu.Lock()
	c.req = &request{}
	c.mu.Unlock()
	c.poke()
}

// SetMuted mutes or unmutes the microphone, for this run and every later one. A muted
// microphone sends nothing to the network.
func (c *Call) SetMuted(muted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.muted = muted
	c.applyIntentsLocked()
}

// SetPushToTalk presses (true) or releases (false) the push-to-talk key (used when the
// server's voice detection is off). A release is never lost, whatever the connection does.
func (c *Call) SetPushToTalk(down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ptt = down
	c.applyIntentsLocked()
	if r := c.cur; r != nil && down {
		c.noteActivity(r) // never blocks (the pipeline's SetActive only signals)
		if sh := r.share.Load(); sh != nil {
			sh.RequestFresh() // the question starts now: show the screen as it is
		}
	}
}

// SetShare changes what the model can see, now and in later runs; Share{} stops sharing. The
// source is opened by Run; a ShareEvent says what is shared then, or why not.
func (c *Call) SetShare(s Share) {
	c.mu.Lock()
	c.want = s
	c.mu.Unlock()
	c.poke()
}

// SendText types to the model on the current run. The typed text is reported as the user's
// turn (a TranscriptEvent), so the window, the terminal and the journal show it the same way.
func (c *Call) SendText(text string) error {
	c.mu.Lock()
	r := c.cur
	c.mu.Unlock()
	if r == nil {
		return ErrNotConnected
	}
	if err := r.conv.SendText(text); err != nil {
		return err
	}
	c.endHighlight(r, 0) // the user moved on
	c.noteActivity(r)
	c.deliver(r.id, TranscriptEvent{Run: r.id, Role: RoleUser, Text: text, Final: true, At: time.Now()})
	return nil
}

// State returns the state of the current (or last) run.
func (c *Call) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Muted reports the user's mute intent.
func (c *Call) Muted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.muted
}

// Share returns what the user wants shared.
func (c *Call) Share() Share {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.want
}

// applyIntentsLocked pushes the intents into the current run's devices and conversation; all
// of them take the value atomically, so this never blocks.
func (c *Call) applyIntentsLocked() {
	r := c.cur
	if r == nil {
		return
	}
	if r.aio != nil && r.aio.mic != nil {
		r.aio.mic.SetMuted(c.muted)
	}
	r.conv.SetMuted(c.muted)
	r.conv.SetPushToTalk(c.ptt)
}

func (c *Call) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run carries out Start, Stop and SetShare until ctx ends, then ends the current run and
// returns nil. Call it once.
func (c *Call) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return errors.New("call: Run called twice")
	}
	c.running = true
	c.mu.Unlock()
	for {
		var done <-chan error
		if r := c.current(); r != nil {
			done = r.done
		}
		select {
		case <-ctx.Done():
			c.stopRun()
			return nil
		case <-c.wake:
			c.mu.Lock()
			req := c.req
			c.req = nil
			c.mu.Unlock()
			switch {
			case req == nil:
			case req.start:
				c.startRun(ctx, req.id, req.cfg)
			default:
				c.stopRun()
			}
			c.applyShare()
		case err := <-done:
			// The conversation ended on its own (a permanent error, or it gave up); its final
			// state went out through the pump. Release the devices.
			c.finishRun(err)
		}
	}
}

func (c *Call) current() *run {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}

// deliver forwards ev if it belongs to the run whose events are forwarded. It posts under mu,
// so a replaced run's late events can never overtake the new run's.
func (c *Call) deliver(id uint64, ev Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id != c.fwd {
		return
	}
	if se, ok := ev.(StateEvent); ok {
		c.state = se.State
	}
	c.postLocked(ev)
	if r := c.cur; r != nil && r.id == id {
		r.journalLocked(ev)
	}
}

// journalLocked queues what the transcript shows for the journal; it never waits for the disk
// (a full queue drops and counts).
func (r *run) journalLocked(ev Event) {
	if r.jch == nil || r.jclosed {
		return
	}
	var e journal.Entry
	switch x := ev.(type) {
	case TranscriptEvent:
		role := journal.RoleUser
		if x.Role == RoleModel {
			role = journal.RoleModel
		}
		e = journal.Entry{At: x.At, Role: role, Text: x.Text, Final: x.Final, Interrupted: x.Interrupted}
	case GroundingEvent:
		e = journal.Entry{At: time.Now()}
		for _, l := range x.Links {
			e.Sources = append(e.Sources, journal.Source{Title: l.Title, URL: l.URL})
		}
	case HighlightEvent:
		if len(x.Boxes) == 0 {
			return
		}
		e = journal.Entry{At: x.At, Role: journal.RoleModel, Note: PointedNote(x.Boxes)}
	default:
		return
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	select {
	case r.jch <- e:
	default:
		r.jdropped++
	}
}

func (c *Call) postLocked(ev Event) {
	if c.opt.Sink != nil {
		c.opt.Sink.Post(ev)
	}
}

func (c *Call) diag(id uint64, kind DiagKind, format string, a ...any) {
	c.deliver(id, DiagEvent{At: time.Now(), Kind: kind, Line: fmt.Sprintf(format, a...)})
}

// startRun replaces the current run (quietly) with run id for cfg.
func (c *Call) startRun(ctx context.Context, id uint64, cfg settings.Config) {
	c.mu.Lock()
	c.fwd = 0 // the old run is torn down without a word
	c.mu.Unlock()
	c.teardown()

	c.mu.Lock()
	c.fwd = id
	muted := c.muted
	c.mu.Unlock()
	model := live.ModelName(cfg.Model)
	c.deliver(id, StateEvent{Run: id, State: StateConnecting, Model: model})

	r := &run{id: id, cfg: cfg, done: make(chan error, 1)}
	r.ctx, r.cancel = context.WithCancel(ctx)
	aio, warnings, err := openAudio(c.opt.Backend, cfg, muted, c.opt.EchoRecord != "", c.log)
	if err != nil {
		warnings = append(warnings, fmt.Errorf("%w: continuing without sound (typed text still works)", err))
	}
	for _, w := range warnings {
		c.deliver(id, NoticeEvent{Text: w.Error()})
		c.diag(id, DiagWarning, "%v", w)
	}
	r.aio = aio

	opts := c.opt.Conversation
	d := DialOptions(cfg) // where and how; the rest (keepalive, timeouts) is the owner's
	opts.Dial.Endpoint, opts.Dial.APIKey, opts.Dial.Vertex, opts.Dial.Token = d.Endpoint, d.APIKey, d.Vertex, d.Token
	opts.Mic, opts.Speaker = nil, nil
	if aio != nil && aio.mic != nil {
		opts.Mic = aio.mic
	}
	if aio != nil && aio.player != nil {
		opts.Speaker = aio.player
	}
	opts.Tools = localTools(cfg, r.snapshot, c.opt.Clipboard, func(_ context.Context, h live.Highlight) (int, error) { return c.highlight(r, h) })
	opts.Log = c.log
	c.mu.Lock()
	opts.Muted, opts.PushToTalk = c.muted, c.ptt
	c.mu.Unlock()
	r.conv = live.NewConversation(LiveConfig(cfg), opts)

	if c.opt.JournalDir != "" {
		jw, err := journal.Create(c.opt.JournalDir, journal.Header{Started: time.Now(), Model: live.ModelName(cfg.Model)})
		if err != nil {
			c.deliver(id, NoticeEvent{Text: fmt.Sprintf("This conversation is not being saved: %v", err)})
		} else {
			r.jch, r.jdone = make(chan journal.Entry, journalQueue), make(chan struct{})
			go c.writeJournal(r, jw) // ended by teardown (closes jch) and waited for there
		}
	}

	c.mu.Lock()
	c.cur = r
	c.applyIntentsLocked() // an intent changed while the devices were opening
	c.mu.Unlock()

	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		r.done <- r.conv.Run(r.ctx)
	}()
	go func() {
		defer r.wg.Done()
		c.pump(r)
	}()
	if aio != nil && (aio.mic != nil || aio.player != nil) {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			c.meter(r)
		}()
	}
}

// stopRun ends the current run at the user's or owner's request.
func (c *Call) stopRun() {
	c.mu.Lock()
	c.fwd = 0
	c.mu.Unlock()
	if r := c.teardown(); r != nil {
		c.mu.Lock()
		c.state = StateEnded
		c.postLocked(StateEvent{Run: r.id, State: StateEnded, Model: live.ModelName(r.cfg.Model)})
		c.mu.Unlock()
	}
}

// finishRun releases a run whose conversation has ended by itself.
func (c *Call) finishRun(err error) {
	r := c.current()
	if r == nil {
		return
	}
	c.log.Debug("conversation ended", "run", r.id, "err", err)
	c.teardown()
	c.mu.Lock()
	if c.fwd == r.id {
		c.fwd = 0
	}
	c.mu.Unlock()
}

// teardown stops the current run's goroutines, share and devices, and keeps its summary. It
// returns the run, or nil when there was none.
func (c *Call) teardown() *run {
	c.mu.Lock()
	r := c.cur
	c.cur = nil
	c.mu.Unlock()
	if r == nil {
		return nil
	}
	r.cancel()
	r.wg.Wait()
	r.act.stop()
	c.endHighlight(r, 0)
	if sh := r.share.Swap(nil); sh != nil {
		if err := sh.stop(); err != nil {
			c.log.Warn("share ended", "err", err)
		}
	}
	if c.opt.EchoRecord != "" && r.aio != nil && r.aio.rec != nil {
		if err := r.aio.saveEchoRecording(c.opt.EchoRecord); err != nil {
			c.diag(r.id, DiagWarning, "%v", err)
		} else {
			c.diag(r.id, DiagInfo, "echo recording saved in %s: LIVEDESK_AEC_REPLAY=%s go test -run TestReplay -v ./audio/aec/", c.opt.EchoRecord, c.opt.EchoRecord)
		}
	}
	sum := summarize(r)
	r.aio.close()
	if r.jch != nil {
		c.mu.Lock()
		r.jclosed = true
		close(r.jch)
		c.mu.Unlock()
		<-r.jdone
	}
	c.mu.Lock()
	c.summary = sum
	c.mu.Unlock()
	return r
}

// writeJournal appends the run's transcript to its journal file until the run ends; a turn is on
// disk when it completes. A disk that fails is reported once and the call goes on.
func (c *Call) writeJournal(r *run, w *journal.Writer) {
	defer close(r.jdone)
	var failed bool
	for e := range r.jch {
		if err := w.Add(e); err != nil && !failed {
			failed = true
			c.diag(r.id, DiagWarning, "conversation history: %v (the rest of this conversation is not saved)", err)
		}
	}
	if err := w.Close(); err != nil && !failed {
		c.log.Warn("conversation history", "err", err)
	}
	c.mu.Lock()
	dropped := r.jdropped
	c.mu.Unlock()
	if dropped > 0 {
		c.log.Warn("conversation history fell behind", "pieces_not_saved", dropped)
	}
}

// applyShare makes the current run share what the user wants.
func (c *Call) applyShare() {
	r := c.current()
	if r == nil {
		return
	}
	c.mu.Lock()
	want := c.want
	c.mu.Unlock()
	old := r.share.Load()
	have := Share{}
	if old != nil {
		have = old.spec
	}
	if want == have {
		return
	}
	if old != nil {
		c.endHighlight(r, 0) // the boxes were relative to what is no longer shared
		r.conv.SetShare(nil)
		r.share.Store(nil)
		if err := old.stop(); err != nil {
			c.log.Warn("share ended", "err", err)
		}
		c.deliver(r.id, PreviewEvent{Run: r.id})
	}
	if want.Kind == ShareNone {
		c.deliver(r.id, ShareEvent{Run: r.id})
		return
	}
	onPause := func(err error) {
		if err != nil {
			err = fmt.Errorf("sharing %s is paused: it is minimised or off the screen; it resumes when the window is back: %w", want, err)
		}
		c.deliver(r.id, ShareEvent{Run: r.id, Share: want, Paused: err})
	}
	opt := CaptureOptions(r.cfg)
	if c.opt.Highlighter != nil {
		opt.Covered = c.opt.Highlighter.Covered // the model never sees its own pointing
	}
	sh, err := startShare(r.ctx, c.opt.Sources, want, opt, onPause, c.log)
	if err != nil {
		err = fmt.Errorf("share %s: %w", want, err)
		c.mu.Lock()
		if c.want == want {
			c.want = Share{}
		}
		c.mu.Unlock()
		c.diag(r.id, DiagWarning, "%v", err)
		c.deliver(r.id, ShareEvent{Run: r.id, Err: err})
		return
	}
	r.share.Store(sh)
	sh.pipe.SetActive(r.act.active(r.cfg))
	r.conv.SetShare(sh)
	c.deliver(r.id, ShareEvent{Run: r.id, Share: want})
}

// snapshot is the snapshot tool's view of what the run shares.
func (r *run) snapshot(ctx context.Context) ([]byte, int, int, error) {
	sh := r.share.Load()
	if sh == nil {
		return nil, 0, 0, errors.New("nothing is being shared: ask the user to share a screen or camera")
	}
	return sh.Snapshot(ctx)
}

// pump turns the run's conversation events into call events.
func (c *Call) pump(r *run) {
	id := r.id
	model := live.ModelName(r.cfg.Model)
	for ev := range r.conv.Events() {
		switch ev.Kind {
		case live.EventState:
			se := StateEvent{Run: id, Model: model, Reason: ev.Text}
			switch ev.State {
			case live.StateConnecting:
				se.State = StateConnecting
			case live.StateLive:
				se.State = StateLive
			case live.StateReconnecting:
				se.State = StateReconnecting
				if ev.Err != nil {
					se.Reason = joinNonEmpty("; ", ev.Err.Error(), ev.Text)
				}
			case live.StateStopped:
				se.State = StateEnded
				if ev.Err != nil {
					se.State, se.Reason = StateFailed, ev.Err.Error()
				}
			}
			c.deliver(id, se)
		case live.EventTranscript:
			c.noteActivity(r)
			c.deliver(id, TranscriptEvent{Run: id, Role: ev.Role, Text: ev.Text, At: ev.Time})
		case live.EventTurnEnd:
			c.deliver(id, TranscriptEvent{Run: id, Role: RoleUser, Final: true, At: ev.Time})
			c.deliver(id, TranscriptEvent{Run: id, Role: RoleModel, Final: true, Interrupted: ev.Interrupted, At: ev.Time})
		case live.EventSources:
			links := make([]Link, 0, len(ev.Sources))
			for _, s := range ev.Sources {
				links = append(links, Link{Title: s.Title, URL: s.URI})
			}
			c.deliver(id, GroundingEvent{Run: id, Links: links})
		case live.EventUsage:
			u := ev.Usage
			c.deliver(id, UsageEvent{Run: id,
				PromptTokens: int(u.Prompt), PromptAudioTokens: int(u.Prompt - u.PromptByMod["TEXT"]),
				ResponseTokens: int(u.Response), ResponseAudioTokens: int(u.ResponseByMod["AUDIO"]),
				ThoughtsTokens: int(u.Thoughts), TotalTokens: int(u.Total),
				CostUSD: u.EstimatedUSD, VideoCostUSD: u.VideoUSD, PriceKnown: u.PriceKnown})
		case live.EventFrame:
			pe := PreviewEvent{Run: id, Width: ev.Width, Height: ev.Height, Bytes: ev.Bytes}
			if sh := r.share.Load(); sh != nil {
				pe.Image = sh.preview(ev.Seq)
			}
			if pe.Image != nil {
				c.deliver(id, pe)
			}
		case live.EventShareEnded:
			c.shareFailed(r, ev.Err)
		case live.EventSpeech:
			if ev.Speaking {
				c.endHighlight(r, 0) // the user speaks again: the pointing has done its job
			}
			c.noteSpeech(r, ev.Speaking)
			c.deliver(id, SpeechEvent{Run: id, Speaking: ev.Speaking, At: ev.Time})
		case live.EventMessage:
			c.diag(id, DiagMessage, "recv %s", ev.Text)
		case live.EventInterrupted, live.EventThought:
			if ev.Kind == live.EventInterrupted {
				c.endHighlight(r, 0)
			}
			c.diag(id, DiagMessage, "%s", ev.String())
		case live.EventWarning:
			c.diag(id, DiagWarning, "%v", ev.Err)
		default:
			c.diag(id, DiagInfo, "%s", ev.String())
		}
	}
}

// shareFailed drops a share whose source failed mid-call: the user's intent becomes "nothing"
// (so nothing stale is sent) and the window hears why.
func (c *Call) shareFailed(r *run, err error) {
	sh := r.share.Load()
	c.mu.Lock()
	if sh != nil && c.want == sh.spec {
		c.want = Share{}
	}
	c.mu.Unlock()
	c.diag(r.id, DiagWarning, "%v", err)
	c.deliver(r.id, ShareEvent{Run: r.id, Err: err})
	c.poke() // Run stops the dead pipeline
}

// meter posts the microphone and speaker levels while sound flows, and the echo canceller's
// measured reduction every few seconds when it changes.
func (c *Call) meter(r *run) {
	rate := c.opt.MeterRate
	t := time.NewTicker(time.Second / time.Duration(rate))
	defer t.Stop()
	var lastMic, lastSpk float64
	lastEcho := ""
	for n := 1; ; n++ {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		var mic, spk float64
		if r.aio.mic != nil {
			mic = dbfsToMeter(r.aio.mic.Level().RMS)
		}
		if r.aio.player != nil {
			spk = dbfsToMeter(r.aio.player.Level().RMS)
		}
		// Nothing is sent while both meters rest at zero: a silent call redraws nothing.
		if math.Abs(mic-lastMic) >= meterStep || math.Abs(spk-lastSpk) >= meterStep || (mic == 0) != (lastMic == 0) || (spk == 0) != (lastSpk == 0) {
			c.deliver(r.id, LevelEvent{Run: r.id, Mic: mic, Speaker: spk})
			lastMic, lastSpk = mic, spk
		}
		if n%(5*rate) == 0 {
			if er := r.aio.echoReduction(); er != "" && er != lastEcho {
				lastEcho = er
				c.diag(r.id, DiagStatus, "%s", er)
			}
		}
	}
}

// meterStep is the smallest level change worth a redraw (a pixel of a 90-pixel meter).
const meterStep = 0.01

// dbfsToMeter maps -60..0 dBFS onto 0..1.
func dbfsToMeter(db float64) float64 {
	if math.IsInf(db, -1) || math.IsNaN(db) {
		return 0
	}
	return math.Max(0, math.Min(1, (db+60)/60))
}

func joinNonEmpty(sep string, parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += p
	}
	return out
}
