package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/livedesk/livedesk/audio/pcm"
	"github.com/livedesk/livedesk/catalog"
)

// Mic is the user's microphone: 16 kHz s16le mono chunks (20–100 ms), owned by the caller.
type Mic interface {
	Read(ctx context.Context) ([]byte, error)
}

// Speaker plays the model's 24 kHz s16le mono audio. Chunks written with a generation older
// than the current one are dropped; Clear silences it at once and starts a new generation.
type Speaker interface {
	Write(gen uint64, pcm []byte)
	Clear() uint64
	Generation() uint64
}

// turnEnder is implemented by speakers that want to know a model turn ended, so the silence
// that follows is not counted as an underrun.
type turnEnder interface{ EndTurn() }

// FrameSource supplies JPEG frames of what the user shares.
type FrameSource interface {
	NextFrame(ctx context.Context) (VideoFrame, error)
	// RequestFresh asks for a new frame soon (the user started speaking).
	RequestFresh()
}

// VideoFrame is one JPEG of what the user shares.
type VideoFrame struct {
	JPEG          []byte
	Width, Height int
	// Seq is the source's number for the frame; EventFrame repeats it so the owner can match
	// the event to what it keeps of the frame (a thumbnail, its geometry).
	Seq uint64
}

// Backoff is the reconnect policy after a lost connection.
type Backoff struct {
	Initial  time.Duration // first wait (default 500 ms)
	Max      time.Duration // longest wait (default 15 s)
	Attempts int           // tries before giving up (default 8)
	Stable   time.Duration // a connection up this long resets the count (default 30 s)
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = 500 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 15 * time.Second
	}
	if b.Attempts <= 0 {
		b.Attempts = 8
	}
	if b.Stable <= 0 {
		b.Stable = 30 * time.Second
	}
	return b
}

// delay is the wait before attempt n (1-based): exponential, capped, with full jitter in
// [d/2, d] so that many clients do not retry in step.
func (b Backoff) delay(n int) time.Duration {
	d := float64(b.Initial) * math.Pow(2, float64(n-1))
	d = math.Min(d, float64(b.Max))
	return time.Duration(d/2 + rand.Float64()*d/2)
}

// ConversationOptions are the parts of a conversation that are not its Config.
type ConversationOptions struct {
	Dial    DialOptions // Endpoint and APIKey; the rest has defaults
	Mic     Mic         // nil: no microphone (typed text only)
	Speaker Speaker     // nil: model audio is discarded
	Tools   *Toolbox    // local tools offered to the model
	Backoff Backoff
	// Backlog bounds the microphone audio kept while no connection is up (default 10 s);
	// beyond it the oldest chunks are dropped and counted.
	Backlog time.Duration
	// SwapMargin is how long before a goAway deadline the connection is replaced if the model
	// is still speaking (default 2 s). When the model is idle it is replaced at once.
	SwapMargin time.Duration
	// FreshTextWait is how long typed text waits for the fresh frame it asked for (default
	// 150 ms: capturing, scaling and encoding take 30–50 ms; a screen that has not changed
	// sends nothing, and the text goes after this).
	FreshTextWait time.Duration
	// Muted and PushToTalk are the user's intents when the conversation starts: applied from
	// its first microphone chunk (SetMuted and SetPushToTalk change them later).
	Muted      bool
	PushToTalk bool
	Log        *slog.Logger
}

// ConversationStats are counters for tests, diagnostics and benchmarks.
type ConversationStats struct {
	MicChunks, MicSent, MicDroppedBacklog, MicDroppedTool, MicDroppedIdle int64
	MicSamplesSent                                                        int64
	FramesSent, FramesDroppedTool, ModelAudioChunks, ModelAudioBytes      int64
	Connections, Resumes, Swaps, Reconnects, Interruptions                int64
	LastSwapGap                                                           time.Duration
	EventsDropped                                                         int64
	// Resent counts messages resent on a new connection because the server had not yet
	// confirmed them when the old one was lost (transparent resumption, Vertex AI);
	// ResentAudio the microphone samples among them.
	Resent, ResentAudio int64
}

// Conversation joins the microphone, the shared screen or camera, and the speaker to a Live
// API session, and keeps it alive across goAways and dropped connections.
//
// Run owns every goroutine; the Set*/Send* methods may be called from any goroutine.
type Conversation struct {
	cfg    Config
	opt    ConversationOptions
	log    *slog.Logger
	model  string
	caps   catalog.Caps
	events chan Event
	texts  chan string   // typed messages, delivered in order on the current or next connection
	wake   chan struct{} // an intent (mute, push-to-talk) changed: the sender reconciles
	micCh  chan micChunk

	muted        atomic.Bool
	pttDown      atomic.Bool
	toolWait     atomic.Int32 // unanswered blocking calls
	toolsRunning atomic.Int32 // local tool calls running
	turn         atomic.Int64 // model turns ended so far, across connections

	shareMu sync.Mutex
	share   *shareBox
	shareCh chan struct{} // wakes a video loop waiting for something to share
	frameCh chan struct{} // a frame was sent (typed text waits briefly for a fresh one)
	// heldText is typed text a connection held for a fresh frame when it ended; the next
	// connection sends it before any later text.
	heldText atomic.Pointer[string]

	usageMu sync.Mutex
	usage   Usage

	stats struct {
		micChunks, micSent, micDropBacklog, micDropTool, micDropIdle, micSamples atomic.Int64
		frames, framesDropTool, audioChunks, audioBytes                          atomic.Int64
		resent, resentAudio                                                      atomic.Int64
		conns, resumes, swaps, reconnects, interruptions, eventsDropped          atomic.Int64
		lastGap                                                                  atomic.Int64
	}
	running atomic.Bool
}

// micChunk is microphone audio with the push-to-talk state it was captured in, so a release
// ends the activity after the audio recorded while the key was held, not before it.
type micChunk struct {
	pcm []byte
	ptt bool
}

// NewConversation prepares a conversation; Run starts it.
func NewConversation(cfg Config, opt ConversationOptions) *Conversation {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Backlog <= 0 {
		opt.Backlog = 10 * time.Second
	}
	if opt.SwapMargin <= 0 {
		opt.SwapMargin = 2 * time.Second
	}
	if opt.FreshTextWait <= 0 {
		opt.FreshTextWait = 150 * time.Millisecond
	}
	opt.Backoff = opt.Backoff.withDefaults()
	// The backlog is counted in chunks of at least 20 ms.
	backlog := max(int(opt.Backlog/(20*time.Millisecond)), 8)
	c := &Conversation{
		cfg:     cfg,
		opt:     opt,
		log:     opt.Log,
		model:   ModelName(cfg.Model),
		events:  make(chan Event, 1024),
		texts:   make(chan string, 64),
		wake:    make(chan struct{}, 1),
		micCh:   make(chan micChunk, backlog),
		shareCh: make(chan struct{}, 1),
		frameCh: make(chan struct{}, 1),
	}
	c.caps = catalog.Capabilities(c.model)
	c.muted.Store(opt.Muted)
	c.pttDown.Store(opt.PushToTalk)
	return c
}

// Events delivers what happens. It is closed when Run returns. Consume it promptly: when its
// buffer is full, events are dropped (and counted) rather than stalling the audio.
func (c *Conversation) Events() <-chan Event { return c.events }

// SendText types to the model. It is delivered on the current or the next connection.
func (c *Conversation) SendText(text string) error {
	if text == "" {
		return nil
	}
	select {
	case c.texts <- text:
		return nil
	default:
		return errors.New("too many typed messages waiting: the connection is not keeping up")
	}
}

// SetMuted stops (or resumes) sending the microphone: nothing captured while muted is sent.
// Muting tells the server the audio stream ended, so it does not wait for more speech. It may
// be called before Run.
func (c *Conversation) SetMuted(muted bool) {
	if c.muted.Swap(muted) != muted {
		c.poke()
	}
}

// poke wakes the sender to act on a changed intent; one pending wake is enough.
func (c *Conversation) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Muted reports whether the microphone is muted.
func (c *Conversation) Muted() bool { return c.muted.Load() }

// SetPushToTalk presses (true) or releases (false) the push-to-talk key. It matters only when
// automatic voice activity detection is off: audio captured while pressed is sent, framed by
// activityStart and activityEnd. The state is kept, not queued, so a release is never lost:
// the sender ends the activity once the audio recorded before the release is out. It may be
// called before Run.
func (c *Conversation) SetPushToTalk(down bool) {
	if c.pttDown.Swap(down) != down {
		c.poke()
	}
}

// SetShare changes what is shared: a frame source, or nil to stop sharing.
func (c *Conversation) SetShare(src FrameSource) {
	c.shareMu.Lock()
	if c.share != nil {
		close(c.share.replaced)
	}
	c.share = &shareBox{src: src, replaced: make(chan struct{})}
	c.shareMu.Unlock()
	select {
	case c.shareCh <- struct{}{}:
	default:
	}
}

// shareBox is one share; replaced is closed when SetShare replaces it, which cancels a wait
// for its next frame.
type shareBox struct {
	src      FrameSource
	replaced chan struct{}
}

func (c *Conversation) currentShare() *shareBox {
	c.shareMu.Lock()
	defer c.shareMu.Unlock()
	return c.share
}

// Usage returns the token use so far.
func (c *Conversation) Usage() Usage {
	c.usageMu.Lock()
	u := c.usage.Clone()
	c.usageMu.Unlock()
	u.Turns = int(c.turn.Load())
	return u
}

// Stats returns the counters.
func (c *Conversation) Stats() ConversationStats {
	s := &c.stats
	return ConversationStats{
		MicChunks: s.micChunks.Load(), MicSent: s.micSent.Load(), MicDroppedBacklog: s.micDropBacklog.Load(),
		MicDroppedTool: s.micDropTool.Load(), MicDroppedIdle: s.micDropIdle.Load(), MicSamplesSent: s.micSamples.Load(),
		FramesSent: s.frames.Load(), FramesDroppedTool: s.framesDropTool.Load(), ModelAudioChunks: s.audioChunks.Load(), ModelAudioBytes: s.audioBytes.Load(),
		Connections: s.conns.Load(), Resumes: s.resumes.Load(), Swaps: s.swaps.Load(), Reconnects: s.reconnects.Load(),
		Interruptions: s.interruptions.Load(), LastSwapGap: time.Duration(s.lastGap.Load()), EventsDropped: s.eventsDropped.Load(),
		Resent: s.resent.Load(), ResentAudio: s.resentAudio.Load(),
	}
}

func (c *Conversation) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	select {
	case c.events <- e:
	default:
		c.stats.eventsDropped.Add(1)
	}
}

// Run holds the conversation until ctx ends (it then returns nil) or a permanent error
// stops it (a rejected setup or key, an unknown model, exhausted quota, or too many failed
// reconnects), which it returns. It closes Events when it returns.
func (c *Conversation) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("conversation: Run called twice")
	}
	defer close(c.events)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if c.opt.Mic != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.pumpMic(ctx)
		}()
	}
	err := c.supervise(ctx)
	cancel()
	wg.Wait()
	if parent.Err() != nil {
		err = nil // the owner ended the conversation: a normal stop
	}
	c.emit(Event{Kind: EventState, State: StateStopped, Err: err})
	return err
}

// pumpMic reads the microphone into the bounded backlog that the current connection drains.
// While no connection is up the backlog fills; when full the oldest audio goes. Audio
// captured while muted, or (push-to-talk) while the key is up, never enters it.
func (c *Conversation) pumpMic(ctx context.Context) {
	var det speechDetector
	manual := c.cfg.ManualActivity
	for {
		pcm, err := c.opt.Mic.Read(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.emit(Event{Kind: EventWarning, Err: fmt.Errorf("microphone stopped: %w (typed text still works; reopen the microphone in Settings)", err)})
			}
			return
		}
		c.stats.micChunks.Add(1)
		if c.muted.Load() {
			c.stats.micDropIdle.Add(1)
			continue
		}
		ptt := c.pttDown.Load()
		if changed, on := det.update(pcm); changed {
			at := time.Now() // when the detector fired, for onset-to-frame latency
			if on {          // first: the frame should show the screen as it is when speech starts
				if box := c.currentShare(); box != nil && box.src != nil {
					box.src.RequestFresh()
				}
			}
			c.emit(Event{Kind: EventSpeech, Speaking: on, Time: at})
		}
		if manual && !ptt {
			c.stats.micDropIdle.Add(1)
			continue
		}
		chunk := micChunk{pcm: pcm, ptt: ptt}
		for {
			select {
			case c.micCh <- chunk:
			default:
				select {
				case <-c.micCh:
					c.stats.micDropBacklog.Add(1)
				default:
				}
				continue
			}
			break
		}
	}
}

// supervise dials, serves and replaces connections until the conversation ends.
func (c *Conversation) supervise(ctx context.Context) error {
	b := c.opt.Backoff
	handle, attempt := "", 0
	state := StateConnecting
	var swapStart time.Time
	var carry [][]byte    // microphone audio a dead connection never wrote: sent first on the next
	var pending []Pending // what a transparent session wrote that its state did not yet hold
	var lost time.Time    // when the last connection was lost (zero: none is lost)
	var dropsAtLoss int64 // backlog drops counted before the loss
	for {
		c.emit(Event{Kind: EventState, State: state})
		setup, notes := BuildSetup(c.cfg, SetupOptions{Handle: handle, Functions: c.opt.Tools.Declarations(), Vertex: c.opt.Dial.Vertex})
		if c.stats.conns.Load() == 0 {
			for _, n := range notes {
				c.emit(Event{Kind: EventNote, Text: n})
			}
		}
		sess, err := Dial(ctx, c.opt.Dial, setup)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, ErrSessionNotFound) && handle != "" {
				c.emit(Event{Kind: EventWarning, Err: fmt.Errorf("the previous session expired, starting a new one (earlier context is lost): %w", err)})
				handle = ""
				continue
			}

			if IsPermanent(err) {
				return err
			}
			attempt++
			if attempt > b.Attempts {
				return fmt.Errorf("gave up after %d attempts to reconnect: %w", b.Attempts, err)
			}
			d := b.delay(attempt)
			c.emit(Event{Kind: EventState, State: StateReconnecting, Err: err, Text: fmt.Sprintf("retrying in %s (attempt %d of %d)", roundDelay(d), attempt, b.Attempts)})
			if err := sleep(ctx, d); err != nil {
				return err
			}
			state = StateReconnecting
			continue
		}
		c.stats.conns.Add(1)
		if handle != "" {
			c.stats.resumes.Add(1)
		}
		if !swapStart.IsZero() {
			c.stats.lastGap.Store(int64(time.Since(swapStart)))
			swapStart = time.Time{}
		}
		detail := ""
		if state == StateReconnecting {
			detail = "reconnected"
			if handle != "" {
				detail = "reconnected, conversation resumed"
			}
			if samples := pendingAudio(pending); samples > 0 && handle != "" {
				detail += fmt.Sprintf("; %.1f s of your speech the server had not received is sent again", float64(samples)/16000)
			}
		}
		c.emit(Event{Kind: EventState, State: StateLive, Text: detail})
		if !lost.IsZero() {
			if n := c.stats.micDropBacklog.Load() - dropsAtLoss; n > 0 {
				c.emit(Event{Kind: EventWarning, Err: fmt.Errorf("the connection was down for %s: the microphone audio of the last %s was kept and sent, %.1f s before that was lost",
					time.Since(lost).Round(100*time.Millisecond), c.opt.Backlog, float64(n)*0.02)})
			}
			lost = time.Time{}
		}

		up := time.Now()
		res := c.serve(ctx, sess, declaredBehaviors(setup), pending, carry)
		carry, pending = res.unsent, res.pending
		if n := res.replayLost; n > 0 {
			c.emit(Event{Kind: EventWarning, Err: fmt.Errorf("the server stopped confirming what it received: %d earlier messages could not be kept for resending", n)})
		}
		if res.handle != "" {
			handle = res.handle
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if res.swap {
			c.stats.swaps.Add(1)
			swapStart = res.swapAt
			attempt = 0
			state = StateReconnecting
			continue
		}
		err = res.err
		if lost.IsZero() {
			lost, dropsAtLoss = time.Now(), c.stats.micDropBacklog.Load()
		}
		if errors.Is(err, ErrSessionNotFound) {
			handle = ""
		}
		if IsPermanent(err) {
			return err
		}
		if time.Since(up) >= b.Stable {
			attempt = 0
		}
		attempt++
		c.stats.reconnects.Add(1)
		if attempt > b.Attempts {
			return fmt.Errorf("gave up after %d attempts to reconnect: %w", b.Attempts, err)
		}
		d := b.delay(attempt)
		c.emit(Event{Kind: EventState, State: StateReconnecting, Err: err, Text: fmt.Sprintf("connection lost, reconnecting in %s", roundDelay(d))})
		if err := sleep(ctx, d); err != nil {
			return err
		}
		state = StateReconnecting
	}
}

// pendingAudio counts the microphone samples among messages to resend.
func pendingAudio(p []Pending) int {
	n := 0
	for _, x := range p {
		n += len(x.pcm) / 2
	}
	return n
}

func roundDelay(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type serveResult struct {
	// pending: what a session with transparent resumption wrote after the state its newest
	// handle names (resent first on the next connection); replayLost: messages that fell
	// off its bounded log.
	pending    []Pending
	replayLost int64
	handle     string
	swap       bool
	swapAt     time.Time
	err        error
	unsent     [][]byte // microphone audio queued on the connection but never written
}

// connState is what the goroutines of one connection share.
type connState struct {
	sess       *Session
	stopSend   chan struct{} // closed to stop the senders before a swap
	swapNow    chan struct{} // signalled to replace the connection
	swapOnce   sync.Once
	modelBusy  atomic.Bool // the model is generating a turn
	swapWanted atomic.Bool // a goAway arrived: swap when the model is idle
	// handleFresh: a resumable handle arrived since the model last spoke, so resuming with
	// it keeps the whole conversation.
	handleFresh atomic.Bool
	handle      atomic.Pointer[string]
	calls       sync.Map          // id -> context.CancelFunc
	behaviors   map[string]string // function name -> behaviour as the setup declared it
	carry       [][]byte          // audio a previous connection never wrote, sent first
	pending     []Pending         // what a previous connection wrote but its server had not consumed
}

// declaredBehaviors maps each function of a setup to the behaviour it was declared with. The
// conversation decides blocking or not from this, never from the tool's own wish: BuildSetup
// may have changed it for the model (3.8 makes an undeclared behaviour NON_BLOCKING, so it is
// declared BLOCKING; 3.1 has no NON_BLOCKING).
func declaredBehaviors(s Setup) map[string]string {
	m := map[string]string{}
	for _, t := range s.Tools {
		for _, f := range t.FunctionDeclarations {
			m[f.Name] = f.Behavior
		}
	}
	return m
}

// blocking reports whether a call of the named function holds the model until answered: the
// setup declared it so, or did not declare it NON_BLOCKING on a model where that is the default.
func (cs *connState) blocking(name string, caps catalog.Caps) bool {
	b, ok := cs.behaviors[name]
	switch {
	case !ok:
		return true // not declared: the safest reading
	case b == BehaviorNonBlocking:
		return false
	case b == "":
		return !caps.NonBlockingDefault
	}
	return true
}

func (cs *connState) requestSwap() {
	cs.swapOnce.Do(func() { close(cs.swapNow) })
}

// serve runs one connection until it ends or is replaced. behaviors are the function
// behaviours the connection's setup declared.
func (c *Conversation) serve(ctx context.Context, sess *Session, behaviors map[string]string, pending []Pending, carry [][]byte) serveResult {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cs := &connState{sess: sess, stopSend: make(chan struct{}), swapNow: make(chan struct{}), behaviors: behaviors, carry: carry, pending: pending}

	var wg sync.WaitGroup
	runErr := make(chan error, 1)
	// The socket outlives ctx by a moment so that leaving (Stop, or the owner's ctx ending)
	// sends a normal close frame instead of dropping the connection.
	runCtx, runCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer runCancel()
	go func() { runErr <- sess.Run(runCtx) }()

	var sendWG sync.WaitGroup
	sendWG.Add(2)
	go func() { defer sendWG.Done(); c.sendLoop(ctx, cs) }()
	go func() { defer sendWG.Done(); c.videoLoop(ctx, cs) }()

	recvErr := make(chan error, 1)
	wg.Add(1)
	go func() { defer wg.Done(); recvErr <- c.recvLoop(ctx, cs, &wg) }()

	var res serveResult
	runDone, recvDone := false, false
	select {
	case <-cs.swapNow:
		// Replace the connection without losing microphone audio: stop taking chunks from the
		// backlog, let everything already queued reach the socket, then close. Audio captured
		// meanwhile waits in the backlog for the next connection.
		res.swap, res.swapAt = true, time.Now()
		close(cs.stopSend)
		if !waitFor(&sendWG, swapWait) {
			// A sender stuck on a socket that takes nothing: stop waiting for it.
			c.log.Warn("senders did not stop before the swap; closing the connection anyway")
			cancel()
			sendWG.Wait()
		}
		fctx, fcancel := context.WithTimeout(ctx, swapWait)
		if err := sess.Flush(fctx); err != nil {
			c.log.Warn("flush before swap", "err", err)
		}
		fcancel()
		sess.Close()
	case res.err = <-runErr:
		runDone = true
		// Let the receiver deliver what arrived before the end; it then returns too.
		<-recvErr
		recvDone = true
	case res.err = <-recvErr:
		recvDone = true
	}
	cancel()
	sess.Close()
	runCancel()
	if !runDone {
		<-runErr
	}
	if !recvDone {
		<-recvErr
	}
	select {
	case <-cs.stopSend:
	default:
		close(cs.stopSend)
	}
	sendWG.Wait()
	wg.Wait()
	if res.swap {
		res.err = nil
	}
	if h := cs.handle.Load(); h != nil {
		res.handle = *h
	}
	if r, ok := sess.Resumption(); ok {
		// The session's log and its newest handle go together: resuming with that handle
		// and resending the log loses nothing and repeats nothing. Messages a previous
		// connection left that this one died before resending come after those it did.
		res.handle = r.Handle
		res.pending = append(r.Pending, cs.pending...)
		res.replayLost = r.Dropped
	}
	res.unsent = append(cs.carry, sess.UnsentAudio()...)
	c.toolWait.Store(0)
	return res
}

// swapWait bounds each wait of a connection swap (the senders stopping, the flush).
const swapWait = 5 * time.Second

// waitFor waits for wg up to d and reports whether it finished.
func waitFor(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// sendLoop moves microphone audio and typed text to the socket, and turns the user's intents
// (muted, push-to-talk) into the protocol's signals for this connection.
func (c *Conversation) sendLoop(ctx context.Context, cs *connState) {
	s := cs.sess
	manual := c.cfg.ManualActivity
	open := false      // activityStart sent on this connection, activityEnd not yet
	sentAudio := false // audio sent since the last audioStreamEnd (automatic detection)

	sendChunk := func(ch micChunk) error {
		switch {
		case c.toolWait.Load() > 0:
			// The server aborts the session when speech arrives while a blocking call
			// is unanswered; local tools answer in milliseconds.
			c.stats.micDropTool.Add(1)
			return nil
		case c.muted.Load():
			// Muted after it was captured: the user's mute covers what is still queued.
			c.stats.micDropIdle.Add(1)
			return nil
		}
		if manual && !open {
			if err := s.SendActivityStart(ctx); err != nil {
				return err
			}
			open = true
		}
		if err := s.SendAudio(ctx, ch.pcm); err != nil {
			return err
		}
		sentAudio = true
		c.stats.micSent.Add(1)
		c.stats.micSamples.Add(int64(len(ch.pcm) / 2))
		return nil
	}
	// reconcile brings the connection in line with the intents.
	reconcile := func() error {
		if manual {
			if !open || c.pttDown.Load() {
				return nil
			}
			// Released: send what was recorded while the key was held, then end.
			for {
				select {
				case ch := <-c.micCh:
					if err := sendChunk(ch); err != nil {
						return err
					}
					continue
				default:
				}
				break
			}
			if err := s.SendActivityEnd(ctx); err != nil {
				return err
			}
			open = false
			return nil
		}
		if c.muted.Load() && sentAudio {
			if err := s.SendAudioStreamEnd(ctx); err != nil {
				return err
			}
			sentAudio = false
		}
		return nil
	}

	// What a previous connection of a transparent session wrote but its server had not
	// consumed goes first, as it was: activity signals included, so their state carries over.
	for len(cs.pending) > 0 {
		select {
		case <-cs.stopSend:
			return
		default:
		}
		p := cs.pending[0]
		if s.Resend(ctx, p) != nil {
			return
		}
		c.stats.resent.Add(1)
		c.stats.resentAudio.Add(int64(len(p.pcm) / 2))
		switch p.kind {
		case kindActivityStart:
			open = true
		case kindActivityEnd:
			open = false
		case kindAudio:
			sentAudio = true
		case kindAudioStreamEnd:
			sentAudio = false
		}
		cs.pending = cs.pending[1:]
	}
	if reconcile() != nil {
		return
	}
	// Audio a dead connection never wrote goes first, in order.
	for len(cs.carry) > 0 {
		select {
		case <-cs.stopSend:
			return
		default:
		}
		if sendChunk(micChunk{pcm: cs.carry[0], ptt: true}) != nil {
			return
		}
		cs.carry = cs.carry[1:]
	}
	// A typed question about the screen should come with the screen as it is now, and while
	// everyone is silent the last frame may be seconds old: the text asks for a fresh frame
	// and waits for it (at most Options.FreshTextWait, the screen may not have changed) while audio
	// keeps flowing.
	var (
		held     *string
		heldDone <-chan time.Time
	)
	sendText := func(text string) error {
		err := s.SendText(ctx, text)
		if err != nil {
			// Keep it for the next connection: a typed message must not be lost.
			select {
			case c.texts <- text:
			default:
			}
		}
		return err
	}
	// release sends the held text, unless a blocking call is now unanswered: then it waits
	// for the wake that the tool's answer sends.
	release := func() error {
		heldDone = nil
		if c.toolWait.Load() > 0 {
			return nil
		}
		text := *held
		held = nil
		return sendText(text)
	}
	defer func() {
		if held != nil { // the connection ended while it waited: it goes first on the next one
			c.heldText.Store(held)
		}
	}()
	if t := c.heldText.Swap(nil); t != nil {
		held = t
		if err := release(); err != nil {
			return
		}
	}
	for {
		var err error
		// Typed text is realtime input too: it waits while a blocking call is unanswered (the
		// tool's answer pokes this loop).
		texts := c.texts
		if c.toolWait.Load() > 0 || held != nil {
			texts = nil
		}
		frameSent := c.frameCh
		if held == nil || heldDone == nil {
			frameSent = nil
		}
		select {
		case <-cs.stopSend:
			return
		case <-ctx.Done():
			return
		case text := <-texts:
			box := c.currentShare()
			if box == nil || box.src == nil {
				err = sendText(text)
				break
			}
			select { // only a frame sent from now on counts
			case <-c.frameCh:
			default:
			}
			box.src.RequestFresh()
			held, heldDone = &text, time.After(c.opt.FreshTextWait)
		case <-frameSent:
			err = release()
		case <-heldDone:
			err = release()
		case <-c.wake:
			if err = reconcile(); err == nil && held != nil && heldDone == nil {
				err = release() // a blocking call held it and has been answered
			}
		case ch := <-c.micCh:
			if err = sendChunk(ch); err == nil {
				err = reconcile()
			}
		}
		if err != nil {
			return
		}
	}
}

// videoLoop sends frames of the current share (newest wins when the socket is slow).
func (c *Conversation) videoLoop(ctx context.Context, cs *connState) {
	for {
		box := c.currentShare()
		if box == nil || box.src == nil {
			select {
			case <-c.shareCh:
				continue
			case <-cs.stopSend:
				return
			case <-ctx.Done():
				return
			}
		}
		// Stop waiting for a frame when the share is replaced or the connection is.
		fctx, fcancel := context.WithCancel(ctx)
		waited := make(chan struct{})
		go func() {
			select {
			case <-box.replaced:
			case <-cs.stopSend:
			case <-waited:
			}
			fcancel()
		}()
		frame, err := box.src.NextFrame(fctx)
		close(waited)
		fcancel()
		select {
		case <-cs.stopSend:
			return
		case <-ctx.Done():
			return
		default:
		}
		if err != nil {
			select {
			case <-box.replaced:
				continue
			default:
			}
			c.emit(Event{Kind: EventShareEnded, Err: fmt.Errorf("sharing stopped: %w", err)})
			c.SetShare(nil)
			continue
		}
		if c.toolWait.Load() > 0 {
			// Realtime input while a blocking call is unanswered makes the server abort the
			// session (1008); a newer frame follows within a second.
			c.stats.framesDropTool.Add(1)
			continue
		}
		if err := cs.sess.SendVideo(frame.JPEG); err != nil {
			return
		}
		c.stats.frames.Add(1)
		select {
		case c.frameCh <- struct{}{}:
		default:
		}
		c.emit(Event{Kind: EventFrame, Bytes: len(frame.JPEG), Width: frame.Width, Height: frame.Height, Seq: frame.Seq})
	}
}

// recvLoop handles every field of every server message.
func (c *Conversation) recvLoop(ctx context.Context, cs *connState, wg *sync.WaitGroup) error {
	var gen uint64
	if c.opt.Speaker != nil {
		gen = c.opt.Speaker.Generation()
	}
	var swapTimer *time.Timer
	defer func() {
		if swapTimer != nil {
			swapTimer.Stop()
		}
	}()
	rates := pcm.NewConverter(ModelAudioRate)
	var tr turnState
	tr.ended = true // nothing open until the first content
	speak := func(b []byte) {
		if c.opt.Speaker != nil && len(b) > 0 {
			c.opt.Speaker.Write(gen, b)
		}
	}
	// endTurn reports the end of the turn once, whichever signal comes first: interrupted,
	// generationComplete (some models never send turnComplete) or turnComplete.
	endTurn := func(interrupted bool) {
		if tr.ended {
			return
		}
		turn := int(c.turn.Load())
		if !interrupted {
			speak(rates.Flush())
			if te, ok := c.opt.Speaker.(turnEnder); ok {
				te.EndTurn()
			}
		}
		if t := tr.text.String(); t != "" && !tr.spoken {
			// The model wrote but no transcription of its speech came: the text is the answer.
			c.emit(Event{Kind: EventTranscript, Role: RoleModel, Text: t, Turn: turn})
		}
		c.emit(Event{Kind: EventTurnEnd, Turn: turn, Interrupted: interrupted})
		c.turn.Add(1)
		tr = turnState{ended: true}
	}
	for {
		m, err := cs.sess.Recv(ctx)
		if err != nil {
			if errors.Is(err, ErrMalformed) {
				c.emit(Event{Kind: EventWarning, Err: err})
				continue
			}
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				// The official SDKs end the session on an in-band error: so does this client,
				// with the server's words.
				return fmt.Errorf("the server reported an error: %w", err)
			}
			return err
		}
		c.emit(Event{Kind: EventMessage, Text: Summarize(m)})
		if sc := m.ServerContent; sc != nil {
			if t := sc.InputTranscription; t != nil && t.Text != "" {
				tr.ended = false
				c.emit(Event{Kind: EventTranscript, Role: RoleUser, Text: t.Text, Turn: int(c.turn.Load())})
			}
			if sc.ModelTurn != nil && len(sc.ModelTurn.Parts) > 0 {
				cs.modelBusy.Store(true)
				cs.handleFresh.Store(false)
				tr.ended = false
				parts := sc.ModelTurn.Parts
				if len(parts) > MaxPartsPerMessage {
					c.emit(Event{Kind: EventWarning, Err: fmt.Errorf("a server message had %d parts: only the first %d were used", len(parts), MaxPartsPerMessage)})
					parts = parts[:MaxPartsPerMessage]
				}
				for _, p := range parts {
					switch {
					case p.InlineData != nil && len(p.InlineData.Data) > 0 && isAudio(p.InlineData.MIMEType):
						c.stats.audioChunks.Add(1)
						c.stats.audioBytes.Add(int64(len(p.InlineData.Data)))
						b, err := rates.Convert(p.InlineData.MIMEType, p.InlineData.Data)
						if err != nil {
							if !tr.badAudio {
								tr.badAudio = true
								c.emit(Event{Kind: EventWarning, Err: fmt.Errorf("model audio dropped: %w", err)})
							}
							continue
						}
						speak(b)
					case p.Thought && p.Text != "":
						c.emit(Event{Kind: EventThought, Text: p.Text})
					case p.Text != "" && c.cfg.OutputTranscription:
						// Audio sessions may also send the answer as text parts, in other
						// messages than its transcription: keep one of the two (see endTurn).
						if !tr.spoken {
							tr.text.WriteString(p.Text)
						}
					case p.Text != "":
						c.emit(Event{Kind: EventTranscript, Role: RoleModel, Text: p.Text, Turn: int(c.turn.Load())})
					}
				}
			}
			if t := sc.OutputTranscription; t != nil && t.Text != "" {
				cs.modelBusy.Store(true)
				cs.handleFresh.Store(false)
				tr.ended, tr.spoken = false, true
				tr.text.Reset()
				text := spaceDelta(tr.lastSpoken, t.Text)
				tr.lastSpoken, _ = utf8.DecodeLastRuneInString(text)
				c.emit(Event{Kind: EventTranscript, Role: RoleModel, Text: text, Turn: int(c.turn.Load())})
			}
			if g := sc.GroundingMetadata; g != nil {
				var src []WebSource
				for _, ch := range g.GroundingChunks {
					if ch.Web != nil {
						src = append(src, *ch.Web)
					}
				}
				c.emit(Event{Kind: EventSources, Sources: src, Queries: g.WebSearchQueries})
			}
			if sc.Interrupted {
				// Barge-in: silence the speaker now. Audio of the old turn still in flight is
				// tagged with the old generation and dropped by the speaker.
				if c.opt.Speaker != nil {
					gen = c.opt.Speaker.Clear()
				}
				rates.Reset()
				c.stats.interruptions.Add(1)
				c.emit(Event{Kind: EventInterrupted})
			}
			if r := sc.TurnCompleteReason; r != "" && r != "TURN_COMPLETE_REASON_UNSPECIFIED" {
				if r == "NEED_MORE_INPUT" {
					c.emit(Event{Kind: EventNote, Text: "the model is waiting for you to go on"})
				} else {
					c.emit(Event{Kind: EventWarning, Err: fmt.Errorf("the model ended its answer early: %s", turnReasonWords(r))})
				}
			}
			if sc.TurnComplete || sc.Interrupted || sc.GenerationComplete {
				endTurn(sc.Interrupted)
				cs.modelBusy.Store(false)
				c.maybeSwap(cs)
			}
		}
		if tc := m.ToolCall; tc != nil {
			for i, call := range tc.FunctionCalls {
				// Bounded: a hostile or broken message must not start thousands of goroutines.
				switch {
				case i >= MaxCallsPerMessage:
					c.refuseTool(ctx, cs, call, fmt.Sprintf("too many calls in one message: at most %d are run", MaxCallsPerMessage))
				case c.toolsRunning.Load() >= MaxConcurrentCalls:
					c.refuseTool(ctx, cs, call, fmt.Sprintf("too many calls at once: at most %d run together; try again when some have answered", MaxConcurrentCalls))
				default:
					c.startTool(ctx, cs, wg, call)
				}
			}
		}
		if cc := m.ToolCallCancellation; cc != nil {
			for _, id := range cc.IDs {
				if cancel, ok := cs.calls.LoadAndDelete(id); ok {
					cancel.(context.CancelFunc)()
					c.emit(Event{Kind: EventTool, Tool: &ToolEvent{ID: id, Status: "cancelled"}})
				}
			}
		}
		if g := m.GoAway; g != nil {
			left := g.TimeLeft.Std()
			c.emit(Event{Kind: EventGoAway, TimeLeft: left})
			cs.swapWanted.Store(true)
			if swapTimer == nil {
				// The deadline is acted on with a timer: after a goAway the server may go quiet.
				swapTimer = time.AfterFunc(max(left-c.opt.SwapMargin, 0), cs.requestSwap)
			}
			c.maybeSwap(cs)
		}
		if r := m.SessionResumptionUpdate; r != nil && r.Resumable && r.NewHandle != "" {
			h := r.NewHandle
			cs.handle.Store(&h)
			if !cs.modelBusy.Load() {
				cs.handleFresh.Store(true)
			}
			c.maybeSwap(cs)
		}
		if u := m.UsageMetadata; u != nil {
			c.usageMu.Lock()
			c.usage.Add(c.model, u)
			snap := c.usage.Clone()
			c.usageMu.Unlock()
			snap.Turns = int(c.turn.Load())
			c.emit(Event{Kind: EventUsage, Usage: &snap})
		}
	}
}

// maybeSwap replaces the connection early, once a goAway asked for it and the moment is
// right: the model is not speaking, no blocking call is pending, and the newest handle covers
// the last turn. Otherwise the goAway timer does it just before the deadline.
func (c *Conversation) maybeSwap(cs *connState) {
	if cs.swapWanted.Load() && !cs.modelBusy.Load() && cs.handleFresh.Load() && c.toolWait.Load() == 0 {
		cs.requestSwap()
	}
}

func isAudio(mime string) bool { return strings.HasPrefix(mime, "audio") }

// turnReasonWords says a turnCompleteReason in words.
func turnReasonWords(r string) string {
	switch {
	case r == "MALFORMED_FUNCTION_CALL":
		return "it produced a malformed function call"
	case r == "RESPONSE_REJECTED":
		return "the answer was rejected"
	case strings.HasPrefix(r, "INPUT_") || strings.HasSuffix(r, "_PROHIBITED_INPUT_CONTENT") || r == "PROHIBITED_INPUT_CONTENT":
		return "what it was given is not allowed (" + r + ")"
	case strings.HasPrefix(r, "GENERATED_") || r == "BLOCKLIST":
		return "its answer was blocked by a safety filter (" + r + ")"
	}
	return strings.ToLower(strings.ReplaceAll(r, "_", " "))
}

// ModelAudioRate is the rate of the audio a Speaker plays; model audio at another rate (its
// MIME type says so) is resampled to it.
const ModelAudioRate = 24000

// turnState is what the receiver knows about the model turn in progress.
type turnState struct {
	ended      bool            // the turn's end was reported: the next content starts a new one
	spoken     bool            // a transcription of the model's speech arrived in this turn
	lastSpoken rune            // the last character of that transcription so far
	text       strings.Builder // text parts held back in case no transcription comes
	badAudio   bool            // a warning about unplayable audio was given in this turn
}

// spaceDelta returns a transcription delta to append after one that ended with prev. A delta
// that starts a new stretch of speech in the same turn (the model's words after it called a
// tool) can come without the space that separates it from the sentence before: "share." then
// "I have…". A space goes between a sentence's end and a capital letter; lower case after a
// dot ("Node." then "js") is one word split in two, and scripts written without spaces end
// sentences with their own punctuation.
func spaceDelta(prev rune, delta string) string {
	first, _ := utf8.DecodeRuneInString(delta)
	if (prev == '.' || prev == '!' || prev == '?') && unicode.IsUpper(first) {
		return " " + delta
	}
	return delta
}

// Bounds on what one server message can make the client do.
const (
	MaxCallsPerMessage = 16  // function calls run from one toolCall; the rest are refused
	MaxConcurrentCalls = 32  // local tool calls running at once
	MaxPartsPerMessage = 512 // modelTurn parts looked at in one message
)

// refuseTool answers a call it will not run with an error the model can read, at once (an
// unanswered blocking call would hold the conversation).
func (c *Conversation) refuseTool(ctx context.Context, cs *connState, call FunctionCall, why string) {
	c.emit(Event{Kind: EventTool, Tool: &ToolEvent{ID: call.ID, Name: call.Name, Status: "failed", Detail: why, Blocking: cs.blocking(call.Name, c.caps)}})
	if call.ID == "" {
		return
	}
	if err := cs.sess.SendToolResponse(ctx, FunctionResponse{ID: call.ID, Name: call.Name, Response: map[string]any{"error": why}}); err != nil {
		c.log.Debug("refuse tool call", "err", err)
	}
}

// startTool runs a local tool call in its own goroutine (owned by serve's WaitGroup) and
// answers it with the call's id.
func (c *Conversation) startTool(ctx context.Context, cs *connState, wg *sync.WaitGroup, call FunctionCall) {
	tool, ok := c.opt.Tools.Lookup(call.Name)
	blocking := cs.blocking(call.Name, c.caps)
	ev := ToolEvent{ID: call.ID, Name: call.Name, Status: "called", Blocking: blocking}
	c.emit(Event{Kind: EventTool, Tool: &ev})
	if blocking {
		c.toolWait.Add(1)
	}
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	cs.calls.Store(call.ID, context.CancelFunc(cancel))
	c.toolsRunning.Add(1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer c.toolsRunning.Add(-1)
		defer cancel()
		waiting := blocking
		defer func() {
			if waiting {
				c.toolWait.Add(-1)
				c.poke()
			}
		}()
		var res ToolResult
		var err error
		if !ok {
			err = fmt.Errorf("no such tool %q", call.Name)
		} else {
			res, err = tool.Run(tctx, call.Args)
		}
		if _, live := cs.calls.LoadAndDelete(call.ID); !live {
			return // cancelled by the server: do not answer
		}
		resp := FunctionResponse{ID: call.ID, Name: call.Name, Response: res.Response}
		ev := ToolEvent{ID: call.ID, Name: call.Name, Status: "answered", Blocking: blocking}
		if err != nil {
			// An informative error lets the model recover instead of looping on the call.
			resp.Response = map[string]any{"error": err.Error()}
			ev.Status, ev.Detail = "failed", err.Error()
		}
		if !blocking {
			// scheduling is only valid on the response to a NON_BLOCKING call.
			resp.Scheduling = tool.Scheduling
			if resp.Scheduling == "" {
				resp.Scheduling = SchedulingWhenIdle
			}
		}
		if err := cs.sess.SendToolResponse(ctx, resp); err != nil {
			return
		}
		if waiting {
			c.toolWait.Add(-1) // answered: realtime input may flow again
			waiting = false
			c.poke()
		}
		if res.Image != nil && err == nil {
			// After the response, not before: realtime input while a blocking call is pending
			// aborts the session.
			if err := cs.sess.Send(ctx, ClientMessage{RealtimeInput: &RealtimeInput{Video: &Blob{MIMEType: JPEGMIME, Data: res.Image}}}); err != nil {
				return
			}
		}
		c.emit(Event{Kind: EventTool, Tool: &ev})
	}()
}

// speechDetector is a small energy detector on the microphone: it tells when the user starts
// speaking (to send a fresh frame, and to pace the shared screen) — the server's own voice
// activity detection decides turns.
type speechDetector struct {
	on        bool
	loudRun   int
	quietTime time.Duration
}

const (
	speechDBFS   = -40.0 // louder than this counts as speech
	speechStart  = 2     // consecutive loud chunks to start
	speechHangMs = 700   // quiet time to end
)

func (d *speechDetector) update(chunk []byte) (changed, on bool) {
	n := len(chunk) / 2
	if n == 0 {
		return false, d.on
	}
	var sum float64
	for i := 0; i+1 < len(chunk); i += 2 {
		v := float64(int16(uint16(chunk[i]) | uint16(chunk[i+1])<<8))
		sum += v * v
	}
	db := 10 * math.Log10(sum/float64(n)/(32768*32768)+1e-12)
	dur := time.Duration(n) * time.Second / 16000
	if db > speechDBFS {
		d.loudRun++
		d.quietTime = 0
		if !d.on && d.loudRun >= speechStart {
			d.on = true
			return true, true
		}
		return false, d.on
	}
	d.loudRun = 0
	if d.on {
		d.quietTime += dur
		if d.quietTime >= speechHangMs*time.Millisecond {
			d.on = false
			return true, false
		}
	}
	return false, d.on
}
