package livetest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// A conn is one WebSocket connection. It runs three goroutines: a reader that
// validates client frames, a writer that owns all writes (so ordering and
// backpressure live in one place), and the engine (the handler's goroutine),
// which owns every piece of session state below and needs no locks for it.
// ConnInfo is the exception: it is guarded by Server.mu for observers.
type conn struct {
	s      *Server
	ws     *websocket.Conn
	cancel context.CancelFunc
	log    *slog.Logger
	info   ConnInfo // guarded by s.mu
	out    chan outItem
	ctrl   chan func()
	doneCh chan struct{}
	quit   <-chan struct{}
	schema *schema // the backend's parser (used by the reader)

	// Engine state.
	setup        *setupMsg
	rules        modelRules
	sess         *session
	vad          *vad
	manual       bool // automatic activity detection disabled
	interrupts   bool // START_OF_ACTIVITY_INTERRUPTS
	inputTx      bool
	outputTx     bool
	resumable    bool
	transparent  bool  // sessionResumption.transparent (Vertex AI)
	msgIndex     int64 // index of the latest client message handled: setup = 0
	textOut      bool  // responseModalities TEXT (half-cascade models)
	vadSignals   bool  // explicitVadSignal (Vertex AI)
	thoughts     bool
	compressed   bool
	behaviors    map[string]string // declared function → behavior
	voiceAct     bool              // send voiceActivity from the server VAD
	interim      bool              // send interimInputTranscription while the user speaks
	interimN     int               // interim transcriptions sent in the current utterance
	toolResps    int               // toolResponse messages received
	realtimeSeen bool              // session.realtime set by this connection
	toolNames    []string
	imageTok     int
	sysTok       int

	activity    bool // manual: between activityStart and activityEnd
	actSamples  int
	actSpeech   bool
	framesSince int
	queue       []Turn

	state       int
	steps       []step
	next        int
	t0          time.Time
	sentSamples int       // model audio samples (24 kHz) sent in the current turn
	sentTextTok int       // model text tokens sent in the current turn (TEXT modality)
	turnReason  string    // turnCompleteReason of the current reply
	calledAt    time.Time // when the latest blocking toolCall was sent
	readAt      time.Time // when the message being handled came off the socket
	thoughtTok  int
	blocking    map[string]ToolCall // unanswered blocking calls
	collected   []FunctionResponse  // answers to them so far
	nonBlocking map[string]ToolCall // unanswered NON_BLOCKING calls
	closing     bool

	paceTimer, goAwayTimer, deadlineTimer, capTimer, quotaTimer *time.Timer
	paceC, goAwayC, deadlineC, capC, quotaC                     <-chan time.Time
	resumeTicker                                                *time.Ticker // transparent resumption's periodic updates
	resumeC                                                     <-chan time.Time
}

const (
	stIdle = iota
	stGenerating
	stAwaitingTool
)

type outItem struct {
	data  []byte
	text  bool
	close *websocket.CloseError
}

type inEvent struct {
	at   time.Time // when the reader got it off the socket
	data []byte
	p    *parsed
	perr *payloadError
	err  error
}

type step struct {
	at      time.Duration
	msg     *serverMsg
	mk      func() *serverMsg // built when sent (usage counts)
	samples int               // model audio samples in msg
	textTok int               // model text tokens in msg (TEXT modality)
	then    func()
}

// A handleRef is what a resumption handle names: its session as it was when
// the handle was issued (of that state the fake keeps the length of the
// recorded microphone audio).
type handleRef struct {
	sess     *session
	audioLen int
}

type session struct {
	conn       *conn // the attached connection
	id         int
	backend    string
	model      string
	started    time.Time
	attached   bool
	ended      bool
	lastDetach time.Time
	turns      int
	tokText    int
	tokAudio   int
	tokImage   int
	hadVideo   bool
	calls      map[string]string // id → "BLOCKING" or "NON_BLOCKING" of every call the model made
	realtime   bool              // realtimeInput seen: the initial history is over
	audio      []byte            // microphone audio the state holds, with Options.RecordAudio
}

// closedCh is always ready: it schedules the next step at once.
var closedCh = func() chan time.Time { c := make(chan time.Time); close(c); return c }()

func (c *conn) done() <-chan struct{} { return c.doneCh }

func (c *conn) serve(ctx context.Context) {
	defer close(c.doneCh)
	c.quit = ctx.Done()
	in := make(chan inEvent, 32)
	writerDone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { c.readLoop(ctx, in) })
	wg.Go(func() {
		defer close(writerDone)
		c.writeLoop(ctx)
	})
	c.run(in, writerDone)
	c.cancel()
	_ = c.ws.CloseNow()
	wg.Wait()
	for _, t := range []*time.Timer{c.paceTimer, c.goAwayTimer, c.deadlineTimer, c.capTimer, c.quotaTimer} {
		if t != nil {
			t.Stop()
		}
	}
	if c.resumeTicker != nil {
		c.resumeTicker.Stop()
	}
	c.markClosed("client", websocket.StatusAbnormalClosure, "")
}

// detachLocked frees the connection's session for a resume; s.mu must be held.
// It runs as soon as the connection is known to be ending — the server queued
// a close, or the reader saw the client's close frame or a drop — so that a
// client that saw the end can resume at once, while a resume that races a
// connection still open is refused (reference §9.2).
func (c *conn) detachLocked() {
	if c.sess != nil && c.sess.attached && c.sess.conn == c {
		c.sess.attached = false
		c.sess.conn = nil
		c.sess.lastDetach = c.s.now()
	}
}

// markClosed records the end of the connection (unless already recorded) and
// detaches its session in the same step.
func (c *conn) markClosed(by string, code websocket.StatusCode, reason string) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.detachLocked()
	if !c.info.Closed {
		c.info.Closed = true
		if c.info.ClosedBy == "" {
			c.info.ClosedBy, c.info.CloseCode, c.info.CloseReason = by, code, reason
		}
	}
	c.s.notifyLocked()
}

func (c *conn) readLoop(ctx context.Context, in chan<- inEvent) {
	for {
		_, data, err := c.ws.Read(ctx)
		ev := inEvent{at: time.Now(), data: data, err: err}
		if err == nil {
			ev.p, ev.perr = c.schema.parse(data)
		} else {
			// The client closed or dropped the socket: it may resume right away.
			c.s.mu.Lock()
			c.detachLocked()
			c.s.mu.Unlock()
		}
		select {
		case in <- ev:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

func (c *conn) writeLoop(ctx context.Context) {
	for {
		select {
		case it := <-c.out:
			if it.close != nil {
				if err := c.ws.Close(it.close.Code, it.close.Reason); err != nil {
					c.log.Debug("livetest: close", "err", err)
				}
				return
			}
			typ := websocket.MessageBinary
			if it.text {
				typ = websocket.MessageText
			}
			if err := c.ws.Write(ctx, typ, it.data); err != nil {
				c.log.Debug("livetest: write", "err", err)
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

func (c *conn) run(in <-chan inEvent, writerDone <-chan struct{}) {
	for {
		select {
		case <-c.quit:
			return
		case <-writerDone:
			return
		case ev := <-in:
			if ev.err != nil {
				c.clientGone(ev.err)
				return
			}
			if !c.closing {
				c.handle(ev)
			}
		case fn := <-c.ctrl:
			if !c.closing {
				fn()
			}
		case <-c.paceC:
			c.advance()
		case <-c.goAwayC:
			c.goAwayC = nil
			c.goAway(c.s.opt.ConnLifetime - c.s.opt.GoAwayAfter)
		case <-c.deadlineC:
			c.deadlineC = nil
			c.closeWith(c.s.opt.DeadlineCode, c.deadlineReason())
		case <-c.capC:
			c.capC = nil
			c.s.mu.Lock()
			c.sess.ended = true
			c.s.mu.Unlock()
			c.closeWith(c.s.opt.DeadlineCode, c.deadlineReason())
		case <-c.quotaC:
			c.quotaC = nil
			c.closeWith(websocket.StatusInternalError, ReasonQuota)
		case <-c.resumeC:
			// Transparent resumption: a handle every few seconds while the
			// model is idle (reference §5.5).
			if c.state == stIdle {
				c.send(c.resumptionUpdate())
			}
		}
	}
}

func (c *conn) deadlineReason() string {
	if c.s.opt.DeadlineCode == websocket.StatusInternalError {
		return ReasonDeadline
	}
	return ReasonAborted
}

func (c *conn) clientGone(err error) {
	code := websocket.CloseStatus(err)
	var ce websocket.CloseError
	reason := ""
	if errors.As(err, &ce) {
		reason = ce.Reason
	}
	if code == -1 {
		code = websocket.StatusAbnormalClosure
	}
	c.markClosed("client", code, reason)
}

// push queues one item for the writer, waiting if the queue is full.
func (c *conn) push(it outItem) {
	select {
	case c.out <- it:
	case <-c.quit:
	}
}

func (c *conn) send(m *serverMsg) {
	b, err := encode(m, c.s.opt.Compact)
	if err != nil {
		c.log.Error("livetest: encode", "err", err)
		return
	}
	kinds := m.kinds()
	c.s.update(c, func(ci *ConnInfo) {
		if len(ci.Sent)+len(kinds) <= 20000 {
			ci.Sent = append(ci.Sent, kinds...)
		}
		if m.SetupComplete != nil {
			ci.SetupDone = true
		}
		if u := m.SessionResumptionUpdate; u != nil && u.NewHandle != "" {
			ci.Handles = append(ci.Handles, u.NewHandle)
		}
		if m.ServerContent != nil && m.ServerContent.TurnComplete {
			ci.Turns++
		}
		if m.ServerContent != nil && m.ServerContent.Interrupted {
			ci.Interruptions++
			ci.InterruptedAt = append(ci.InterruptedAt, time.Now())
		}
		if m.ToolCall != nil {
			for _, fc := range m.ToolCall.FunctionCalls {
				ci.ToolCalls = append(ci.ToolCalls, fc.ID)
			}
		}
		if m.ToolCallCancellation != nil {
			ci.Cancelled = append(ci.Cancelled, m.ToolCallCancellation.IDs...)
		}
	})
	c.push(outItem{data: b, text: c.s.opt.TextFrames})
}

func (c *conn) sendRaw(b []byte, text bool) {
	c.s.update(c, func(ci *ConnInfo) { ci.Sent = append(ci.Sent, "raw") })
	c.push(outItem{data: b, text: text})
}

// closeWith queues a close frame after everything already queued and stops
// the engine from doing anything else.
func (c *conn) closeWith(code websocket.StatusCode, reason string) {
	if c.closing {
		return
	}
	c.closing = true
	c.paceC, c.goAwayC, c.deadlineC, c.capC, c.quotaC, c.resumeC = nil, nil, nil, nil, nil, nil
	reason = closeReason(reason)
	c.log.Debug("livetest: closing", "code", code, "reason", reason)
	c.s.update(c, func(ci *ConnInfo) {
		ci.ClosedBy, ci.CloseCode, ci.CloseReason = "server", code, reason
		c.detachLocked()
	})
	c.push(outItem{close: &websocket.CloseError{Code: code, Reason: reason}})
}

func (c *conn) fail(perr *payloadError) {
	c.closeWith(websocket.StatusInvalidFramePayloadData, perr.reason)
}

func (c *conn) handle(ev inEvent) {
	c.msgIndex++ // setup = 0; every later message, of any kind, the next
	c.readAt = ev.at
	c.s.update(c, func(ci *ConnInfo) {
		ci.ClientMessages++
		if ci.ClientMessages == 1 {
			ci.Setup = ev.data
		}
	})
	if ev.perr != nil {
		c.fail(ev.perr)
		return
	}
	p := ev.p
	if c.setup == nil {
		if p.kind != "setup" {
			c.fail(&payloadError{ReasonInvalidArgument})
			return
		}
		c.handleSetup(p)
		return
	}
	switch p.kind {
	case "setup":
		c.fail(&payloadError{ReasonInvalidArgument})
	case "realtimeInput":
		c.handleRealtime(p.msg.RealtimeInput)
	case "clientContent":
		c.handleClientContent(p.msg.ClientContent)
	case "toolResponse":
		c.handleToolResponse(p.msg.ToolResponse)
	case "contextUpdate":
		c.handleContextUpdate(p.msg.ContextUpdate)
	}
}
