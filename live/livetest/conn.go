package livetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // video frames
	_ "image/png"
	"log/slog"
	"mime"
	"slices"
	"strconv"
	"strings"
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

	// Engine state.
	setup      *setupMsg
	rules      modelRules
	sess       *session
	vad        *vad
	manual     bool // automatic activity detection disabled
	interrupts bool // START_OF_ACTIVITY_INTERRUPTS
	inputTx    bool
	outputTx   bool
	resumable  bool
	thoughts   bool
	compressed bool
	behaviors  map[string]string // declared function → behavior
	toolNames  []string
	imageTok   int
	sysTok     int

	activity    bool // manual: between activityStart and activityEnd
	actSamples  int
	actSpeech   bool
	framesSince int
	queue       []Turn

	state       int
	steps       []step
	next        int
	t0          time.Time
	sentSamples int // model audio samples (24 kHz) sent in the current turn
	thoughtTok  int
	blocking    map[string]ToolCall // unanswered blocking calls
	collected   []FunctionResponse  // answers to them so far
	nonBlocking map[string]ToolCall // unanswered NON_BLOCKING calls
	closing     bool

	paceTimer, goAwayTimer, deadlineTimer, capTimer, quotaTimer *time.Timer
	paceC, goAwayC, deadlineC, capC, quotaC                     <-chan time.Time
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
	then    func()
}

type session struct {
	conn       *conn // the attached connection
	id         int
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
	c.markClosed("client", websocket.StatusAbnormalClosure, "")
}

// markClosed records the end of the connection (unless already recorded) and
// detaches its session in the same step, so a client that saw the close can
// resume at once.
func (c *conn) markClosed(by string, code websocket.StatusCode, reason string) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.sess != nil && c.sess.attached && c.sess.conn == c {
		c.sess.attached = false
		c.sess.conn = nil
		c.sess.lastDetach = c.s.now()
	}
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
		ev := inEvent{data: data, err: err}
		if err == nil {
			ev.p, ev.perr = parseClient(data)
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
	c.paceC, c.goAwayC, c.deadlineC, c.capC, c.quotaC = nil, nil, nil, nil, nil
	reason = closeReason(reason)
	c.log.Debug("livetest: closing", "code", code, "reason", reason)
	c.s.update(c, func(ci *ConnInfo) {
		ci.ClosedBy, ci.CloseCode, ci.CloseReason = "server", code, reason
	})
	c.push(outItem{close: &websocket.CloseError{Code: code, Reason: reason}})
}

func (c *conn) fail(perr *payloadError) {
	c.closeWith(websocket.StatusInvalidFramePayloadData, perr.reason)
}

func (c *conn) handle(ev inEvent) {
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

// Setup.

type modelRules struct {
	name string // without "models/"
	is38 bool   // gemini-3.8-live*
	is31 bool   // gemini-3.1-flash-live-preview
	is3x bool
}

func (s *Server) lookupModel(model string) (modelRules, bool) {
	name := strings.TrimPrefix(model, "models/")
	known := false
	for _, m := range builtinModels {
		known = known || m == name
	}
	for _, m := range s.opt.Models {
		known = known || m == name
	}
	return modelRules{
		name: name,
		is38: strings.HasPrefix(name, "gemini-3.8-live"),
		is31: name == "gemini-3.1-flash-live-preview",
		is3x: strings.HasPrefix(name, "gemini-3."),
	}, known
}

func rawField(m map[string]any, camel string) (any, bool) {
	if v, ok := m[camel]; ok {
		return v, true
	}
	v, ok := m[snakeCase(camel)]
	return v, ok
}

// checkSetup applies the per-model rules of reference §4.1. Texts Google is
// known to send are used verbatim; otherwise its generic 1007 text.
func checkSetup(st *setupMsg, raw map[string]any, r modelRules) string {
	gc := st.GenerationConfig
	if gc == nil {
		gc = &genConfig{}
	}
	for _, m := range gc.ResponseModalities {
		if m == "TEXT" {
			return ReasonNoVoices
		}
	}
	if r.is38 {
		if gc.EnableAffectiveDialog != nil {
			return `Invalid JSON payload received. Unknown name "enableAffectiveDialog" at 'setup.generation_config': Cannot find field.`
		}
		if gc.ThinkingConfig != nil && r.name == "gemini-3.8-live" {
			return ReasonInvalidArgument
		}
		if st.Proactivity != nil && st.Proactivity.ProactiveAudio != nil && !*st.Proactivity.ProactiveAudio {
			return ReasonInvalidArgument
		}
	}
	if r.is31 {
		if st.Proactivity != nil || gc.EnableAffectiveDialog != nil {
			return ReasonInvalidArgument
		}
		for _, t := range st.Tools {
			for _, fd := range t.FunctionDeclarations {
				if fd.Behavior == "NON_BLOCKING" {
					return ReasonInvalidArgument
				}
			}
		}
		setup, _ := rawField(raw, "setup")
		sm, _ := setup.(map[string]any)
		sr, _ := rawField(sm, "sessionResumption")
		srm, _ := sr.(map[string]any)
		if h, ok := srm["handle"]; ok && h == nil {
			return ReasonInvalidArgument
		}
	}
	return ""
}

func (c *conn) handleSetup(p *parsed) {
	st := p.msg.Setup
	if st.Model == "" {
		c.fail(&payloadError{ReasonInvalidArgument})
		return
	}
	rules, known := c.s.lookupModel(st.Model)
	c.s.update(c, func(ci *ConnInfo) { ci.Model = st.Model })
	if !known {
		c.closeWith(websocket.StatusPolicyViolation, fmt.Sprintf(
			"models/%s is not found for API version %s, or is not supported for bidiGenerateContent. Call ListModels to see the list of available models and their supported methods.",
			rules.name, c.info.Version))
		return
	}
	if reason := checkSetup(st, p.raw, rules); reason != "" {
		c.fail(&payloadError{reason})
		return
	}

	// Session: new, or resumed from a handle.
	handle := ""
	if st.SessionResumption != nil {
		handle = st.SessionResumption.Handle
	}
	c.s.mu.Lock()
	now := c.s.now()
	if handle != "" {
		sess, ok := c.s.sessions[handle]
		switch {
		case !ok || sess.ended || (!sess.attached && now.Sub(sess.lastDetach) > c.s.opt.HandleTTL):
			c.s.mu.Unlock()
			c.closeWith(websocket.StatusPolicyViolation, ReasonSessionNotFound)
			return
		case sess.attached && !c.waitDetachedLocked(sess):
			c.s.mu.Unlock()
			c.closeWith(websocket.StatusInternalError, ReasonInternal)
			return
		}
		c.sess = sess
	} else {
		c.s.nextSess++
		c.sess = &session{id: c.s.nextSess, model: st.Model, started: time.Now()}
	}
	c.sess.attached = true
	c.sess.conn = c
	c.info.ResumedHandle = handle
	c.info.Session = c.sess.id
	c.s.notifyLocked()
	c.s.mu.Unlock()

	c.setup = st
	c.rules = rules
	c.configure(st)
	c.send(&serverMsg{SetupComplete: &struct{}{}})
	if c.resumable {
		c.send(&serverMsg{SessionResumptionUpdate: &resumptionUpdate{NewHandle: c.newHandle(), Resumable: true}})
	}

	o := c.s.opt
	if o.GoAwayAfter > 0 && (o.ConnLifetime <= 0 || o.GoAwayAfter < o.ConnLifetime) {
		c.goAwayTimer = time.NewTimer(o.GoAwayAfter)
		c.goAwayC = c.goAwayTimer.C
	}
	if o.ConnLifetime > 0 {
		c.armDeadline(o.ConnLifetime)
	}
	c.armCap()
	if o.QuotaCloseAfter > 0 {
		c.quotaTimer = time.NewTimer(o.QuotaCloseAfter)
		c.quotaC = c.quotaTimer.C
	}
}

// resumeGrace is how long a resume waits for the session's previous socket to
// finish closing (the client may have closed it a moment ago) before refusing
// it with 1011 as the real server does for concurrent connections.
const resumeGrace = 500 * time.Millisecond

// waitDetachedLocked waits, with s.mu held (it is released while waiting),
// until sess is detached; false after resumeGrace.
func (c *conn) waitDetachedLocked(sess *session) bool {
	t := time.NewTimer(resumeGrace)
	defer t.Stop()
	for sess.attached {
		ch := c.s.changed
		c.s.mu.Unlock()
		select {
		case <-ch:
		case <-t.C:
			c.s.mu.Lock()
			return !sess.attached
		case <-c.quit:
			c.s.mu.Lock()
			return false
		}
		c.s.mu.Lock()
	}
	return true
}

func (c *conn) configure(st *setupMsg) {
	c.interrupts = true
	var aad *aadConfig
	if rc := st.RealtimeInputConfig; rc != nil {
		aad = rc.AutomaticActivityDetection
		c.interrupts = rc.ActivityHandling != "NO_INTERRUPTION"
	}
	c.manual = aad != nil && aad.Disabled
	c.vad = newVAD(aad)
	c.inputTx = st.InputAudioTranscription != nil
	c.outputTx = st.OutputAudioTranscription != nil
	c.resumable = st.SessionResumption != nil
	c.compressed = st.ContextWindowCompression != nil
	c.imageTok = 258
	if gc := st.GenerationConfig; gc != nil {
		switch gc.MediaResolution {
		case "MEDIA_RESOLUTION_LOW":
			c.imageTok = 64
		case "MEDIA_RESOLUTION_MEDIUM", "MEDIA_RESOLUTION_HIGH":
			c.imageTok = 256
		}
		c.thoughts = gc.ThinkingConfig != nil && gc.ThinkingConfig.IncludeThoughts
	}
	c.setTools(st.Tools)
	c.sysTok = 0
	if st.SystemInstruction != nil {
		c.sysTok = textTokens(contentText(*st.SystemInstruction))
	}
	c.blocking = map[string]ToolCall{}
	c.nonBlocking = map[string]ToolCall{}
}

func (c *conn) setTools(tools []tool) {
	c.behaviors = map[string]string{}
	c.toolNames = nil
	for _, t := range tools {
		for _, fd := range t.FunctionDeclarations {
			c.behaviors[fd.Name] = fd.Behavior
			c.toolNames = append(c.toolNames, fd.Name)
		}
	}
}

func (c *conn) armDeadline(d time.Duration) {
	if c.deadlineTimer != nil {
		c.deadlineTimer.Stop()
	}
	c.deadlineTimer = time.NewTimer(d)
	c.deadlineC = c.deadlineTimer.C
}

// armCap (re)arms the session cap: audio+video sessions get the shorter one.
func (c *conn) armCap() {
	if c.compressed {
		return
	}
	c.s.mu.Lock()
	started, video := c.sess.started, c.sess.hadVideo
	c.s.mu.Unlock()
	limit := c.s.opt.AudioSessionCap
	if video {
		limit = c.s.opt.VideoSessionCap
	}
	if limit <= 0 {
		return
	}
	if c.capTimer != nil {
		c.capTimer.Stop()
	}
	c.capTimer = time.NewTimer(time.Until(started.Add(limit)))
	c.capC = c.capTimer.C
}

func (c *conn) newHandle() string {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.nextHndl++
	h := fmt.Sprintf("livetest-%d-%d", c.sess.id, c.s.nextHndl)
	c.s.sessions[h] = c.sess
	return h
}

func (c *conn) goAway(timeLeft time.Duration) {
	timeLeft = max(timeLeft, 0)
	c.send(&serverMsg{GoAway: &goAwayMsg{TimeLeft: protoDuration(timeLeft)}})
	c.armDeadline(timeLeft)
}

// protoDuration formats d like proto3 JSON: "50s", "0.250s".
func protoDuration(d time.Duration) string {
	s := strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		frac := len(s) - i - 1
		want := 3
		if frac > 3 {
			want = 6
		}
		if frac > 6 {
			want = 9
		}
		s += strings.Repeat("0", want-frac)
	}
	return s + "s"
}

// Client input.

func (c *conn) handleRealtime(ri *realtimeInputMsg) {
	if len(ri.MediaChunks) > 0 {
		if c.rules.is3x {
			c.fail(&payloadError{ReasonInvalidArgument})
			return
		}
		b := ri.MediaChunks[0] // deprecated; only the first chunk is used
		if strings.HasPrefix(b.MIMEType, "audio/") {
			ri.Audio = &b
		} else {
			ri.Video = &b
		}
	}
	if ri.Audio != nil {
		c.audio(ri.Audio)
		if c.closing {
			return
		}
	}
	if ri.Video != nil {
		c.video(ri.Video)
	}
	if ri.ActivityStart != nil {
		if !c.manual {
			c.fail(&payloadError{ReasonInvalidArgument})
			return
		}
		c.s.update(c, func(ci *ConnInfo) { ci.ActivityStarts++ })
		c.activity, c.actSamples, c.actSpeech = true, 0, false
		if c.interrupts {
			c.interrupt()
		}
	}
	if ri.ActivityEnd != nil {
		if !c.manual {
			c.fail(&payloadError{ReasonInvalidArgument})
			return
		}
		c.s.update(c, func(ci *ConnInfo) { ci.ActivityEnds++ })
		if c.activity {
			c.activity = false
			c.userTurn(Turn{AudioSamples: c.actSamples, Speech: c.actSpeech})
		}
	}
	if ri.AudioStreamEnd {
		c.s.update(c, func(ci *ConnInfo) { ci.AudioStreamEnds++ })
		if !c.manual {
			if ev, ok := c.vad.flush(); ok {
				c.userTurn(Turn{AudioSamples: ev.speech, Speech: true})
			}
		}
	}
	if ri.Text != nil {
		t := *ri.Text
		c.s.update(c, func(ci *ConnInfo) { ci.Texts = append(ci.Texts, t) })
		c.userTurn(Turn{Text: t})
	}
}

func audioRate(mimeType string) int {
	_, params, err := mime.ParseMediaType(mimeType)
	if err != nil {
		return InputRate
	}
	if r, err := strconv.Atoi(params["rate"]); err == nil && r > 0 {
		return r
	}
	return InputRate
}

func (c *conn) audio(b *blob) {
	data, _ := decodeBase64(b.Data) // validated by the reader
	rate := audioRate(b.MIMEType)
	pcm := make([]int16, len(data)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	if rate != InputRate && rate > 0 {
		pcm = resample(pcm, rate, InputRate)
	}
	c.s.update(c, func(ci *ConnInfo) {
		ci.AudioChunks++
		ci.AudioSamples += len(pcm)
		ci.AudioMIME = b.MIMEType
	})
	if c.s.opt.StrictToolAudio && len(c.blocking) > 0 {
		c.closeWith(websocket.StatusPolicyViolation, ReasonAborted)
		return
	}
	if c.manual {
		if c.activity {
			c.actSamples += len(pcm)
			c.actSpeech = c.actSpeech || hasSpeech(pcm)
		}
		return
	}
	for _, ev := range c.vad.push(pcm, nil) {
		switch ev.kind {
		case vadStart:
			if c.interrupts {
				c.interrupt()
			}
		case vadEnd:
			c.userTurn(Turn{AudioSamples: ev.speech, Speech: true})
		}
	}
}

// resample converts by linear interpolation; good enough for counting and VAD.
func resample(in []int16, from, to int) []int16 {
	n := len(in) * to / from
	out := make([]int16, n)
	for i := range out {
		x := float64(i) * float64(from) / float64(to)
		j := int(x)
		if j+1 >= len(in) {
			out[i] = in[len(in)-1]
			continue
		}
		f := x - float64(j)
		out[i] = int16(float64(in[j])*(1-f) + float64(in[j+1])*f)
	}
	return out
}

func (c *conn) video(b *blob) {
	data, _ := decodeBase64(b.Data)
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	c.s.update(c, func(ci *ConnInfo) {
		if err != nil {
			ci.FrameErrors++
			return
		}
		ci.Frames++
		ci.LastFrame = Frame{MIME: b.MIMEType, Width: cfg.Width, Height: cfg.Height, Bytes: len(data)}
	})
	if err != nil {
		c.log.Debug("livetest: undecodable frame", "mime", b.MIMEType, "err", err)
		return
	}
	c.framesSince++
	c.s.mu.Lock()
	first := !c.sess.hadVideo
	c.sess.hadVideo = true
	c.s.mu.Unlock()
	if first {
		c.armCap()
	}
}

func contentText(ct content) string {
	var parts []string
	for _, p := range ct.Parts {
		if p.Text != "" {
			parts = append(parts, p.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func (c *conn) handleClientContent(cc *clientContentMsg) {
	var texts []string
	for _, t := range cc.Turns {
		if t.Role == "model" {
			c.addTokens(textTokens(contentText(t)), 0, 0)
			continue
		}
		if s := contentText(t); s != "" {
			texts = append(texts, s)
		}
	}
	c.s.update(c, func(ci *ConnInfo) { ci.Texts = append(ci.Texts, texts...) })
	// clientContent is appended to the history and interrupts generation.
	c.interrupt()
	text := strings.Join(texts, "\n")
	if cc.TurnComplete {
		c.userTurn(Turn{Text: text})
	} else {
		c.addTokens(textTokens(text), 0, 0)
	}
}

func (c *conn) handleContextUpdate(cu *contextUpdateMsg) {
	if cu.SystemInstruction != nil {
		c.sysTok = textTokens(contentText(*cu.SystemInstruction))
	}
	if cu.Tools != nil {
		c.setTools(cu.Tools.Tools)
	}
}

func (c *conn) handleToolResponse(tr *toolResponseMsg) {
	var now []Turn
	for _, fr := range tr.FunctionResponses {
		r := FunctionResponse{ID: fr.ID, Name: fr.Name, Response: fr.Response, Scheduling: fr.Scheduling, WillContinue: fr.WillContinue}
		if _, ok := c.blocking[fr.ID]; ok {
			r.Matched = true
			if !fr.WillContinue {
				delete(c.blocking, fr.ID)
			}
			c.collected = append(c.collected, r)
		} else if _, ok := c.nonBlocking[fr.ID]; ok {
			r.Matched = true
			if !fr.WillContinue {
				delete(c.nonBlocking, fr.ID)
			}
			switch fr.Scheduling {
			case "SILENT":
				c.addTokens(textTokens(string(fr.Response)), 0, 0)
			case "INTERRUPT":
				c.interrupt()
				now = append(now, Turn{ToolResponses: []FunctionResponse{r}})
			default: // WHEN_IDLE
				c.userTurn(Turn{ToolResponses: []FunctionResponse{r}})
			}
		} else {
			c.log.Warn("livetest: toolResponse for an unknown call", "id", fr.ID, "name", fr.Name)
		}
		c.s.update(c, func(ci *ConnInfo) { ci.ToolResponses = append(ci.ToolResponses, r) })
	}
	for _, t := range now {
		c.userTurn(t)
	}
	if c.state == stAwaitingTool && len(c.blocking) == 0 {
		c.state = stIdle
		t := Turn{ToolResponses: c.collected}
		c.collected = nil
		c.queue = append([]Turn{c.account(t)}, c.queue...)
		c.startNext()
	}
}

// Turns and replies.

func textTokens(s string) int {
	if s == "" {
		return 0
	}
	return max(1, len(s)/4)
}

func (c *conn) addTokens(text, audio, img int) {
	c.s.mu.Lock()
	c.sess.tokText += text
	c.sess.tokAudio += audio
	c.sess.tokImage += img
	c.s.mu.Unlock()
}

// account stamps t with its index and what the session knows, and adds its
// input to the context token counts.
func (c *conn) account(t Turn) Turn {
	t.Model = c.setup.Model
	t.Tools = append([]string(nil), c.toolNames...)
	text := textTokens(t.Text)
	for _, r := range t.ToolResponses {
		text += textTokens(string(r.Response))
	}
	c.addTokens(text, (t.AudioSamples*25+InputRate-1)/InputRate, t.Frames*c.imageTok)
	c.s.mu.Lock()
	t.Index = c.sess.turns
	c.sess.turns++
	c.s.mu.Unlock()
	return t
}

// userTurn records a completed user turn and answers it now or after the
// current reply.
func (c *conn) userTurn(t Turn) {
	if len(t.ToolResponses) == 0 {
		t.Frames = c.framesSince
		c.framesSince = 0
	}
	t = c.account(t)
	const maxQueue = 16
	if len(c.queue) >= maxQueue {
		c.log.Warn("livetest: turn queue full, dropping the oldest")
		c.queue = c.queue[1:]
	}
	c.queue = append(c.queue, t)
	c.startNext()
}

func (c *conn) startNext() {
	if c.state != stIdle || len(c.queue) == 0 || c.closing {
		return
	}
	t := c.queue[0]
	c.queue = c.queue[1:]
	c.startReply(t, c.s.resp(t))
}

func (c *conn) behavior(name string) string {
	b := c.behaviors[name]
	if b == "" || b == "UNSPECIFIED" {
		if c.rules.is38 {
			return "NON_BLOCKING" // the 3.8 default; BLOCKING is opt-in
		}
		return "BLOCKING"
	}
	return b
}

func (c *conn) startReply(t Turn, r Reply) {
	c.state = stGenerating
	c.sentSamples, c.thoughtTok = 0, 0
	c.steps, c.next = c.steps[:0], 0
	c.t0 = time.Now()
	add := func(at time.Duration, m *serverMsg) { c.steps = append(c.steps, step{at: at, msg: m}) }

	if c.inputTx && t.AudioSamples > 0 {
		heard := r.Heard
		if heard == "" {
			heard = fmt.Sprintf("[%.1f s of speech]", t.AudioSeconds())
		}
		add(0, &serverMsg{ServerContent: &serverContent{InputTranscription: &transcription{Text: heard}}})
	}
	if c.resumable {
		add(0, &serverMsg{SessionResumptionUpdate: &resumptionUpdate{Resumable: false}})
	}
	if r.Thought != "" && c.thoughts {
		c.thoughtTok = textTokens(r.Thought)
		add(0, &serverMsg{ServerContent: &serverContent{ModelTurn: &outContent{Parts: []outPart{{Text: r.Thought, Thought: true}}}}})
	}
	if g := r.Grounding; g != nil {
		gm := &groundingMetadata{WebSearchQueries: g.Queries}
		for _, src := range g.Sources {
			var ch groundingChunk
			ch.Web.URI, ch.Web.Title = src.URI, src.Title
			gm.GroundingChunks = append(gm.GroundingChunks, ch)
		}
		add(0, &serverMsg{ServerContent: &serverContent{GroundingMetadata: gm}})
	}

	var blockingCalls, asyncCalls []functionCall
	for _, tc := range r.ToolCalls {
		fc := functionCall(tc)
		if fc.ID == "" {
			fc.ID = c.s.newCallID()
		}
		if fc.Args == nil {
			fc.Args = map[string]any{}
		}
		if c.behavior(tc.Name) == "NON_BLOCKING" {
			asyncCalls = append(asyncCalls, fc)
		} else {
			blockingCalls = append(blockingCalls, fc)
		}
	}
	if len(asyncCalls) > 0 {
		st := step{msg: &serverMsg{ToolCall: &toolCallMsg{FunctionCalls: asyncCalls}}}
		st.then = func() {
			for _, fc := range asyncCalls {
				c.nonBlocking[fc.ID] = ToolCall(fc)
			}
		}
		c.steps = append(c.steps, st)
	}

	audio := r.Audio
	if audio == nil {
		audio = Synthesize(r.Text)
	}
	at := c.addAudio(audio, r.Text)

	if len(blockingCalls) > 0 {
		st := step{at: at, msg: &serverMsg{ToolCall: &toolCallMsg{FunctionCalls: blockingCalls}}}
		st.then = func() {
			for _, fc := range blockingCalls {
				c.blocking[fc.ID] = ToolCall(fc)
			}
			c.state = stAwaitingTool
		}
		c.steps = append(c.steps, st)
	} else {
		add(at, &serverMsg{ServerContent: &serverContent{GenerationComplete: true}})
		c.steps = append(c.steps, step{at: at, mk: c.turnComplete})
		if c.resumable {
			c.steps = append(c.steps, step{at: at, mk: c.resumptionUpdate})
		}
	}
	c.schedule()
}

// addAudio appends paced audio chunks with output transcription deltas spread
// over them in proportion; it returns the audio's duration.
func (c *conn) addAudio(audio []byte, text string) time.Duration {
	var words []string
	if c.outputTx {
		words = strings.Fields(text)
	}
	total := len(audio) / 2
	chunk := max(1, int(c.s.opt.ChunkDur.Seconds()*OutputRate))
	w := 0
	for off := 0; off < total; off += chunk {
		end := min(off+chunk, total)
		sc := &serverContent{ModelTurn: &outContent{Parts: []outPart{{InlineData: &outBlob{
			MIMEType: "audio/pcm;rate=24000",
			Data:     audio[2*off : 2*end],
		}}}}}
		// Words whose share of the text ends within this chunk.
		var delta strings.Builder
		for w < len(words) && (end == total || (w+1)*total <= end*len(words)) {
			if w > 0 {
				delta.WriteByte(' ')
			}
			delta.WriteString(words[w])
			w++
		}
		if delta.Len() > 0 {
			sc.OutputTranscription = &transcription{Text: delta.String()}
		}
		c.steps = append(c.steps, step{
			at:      time.Duration(off) * time.Second / OutputRate,
			msg:     &serverMsg{ServerContent: sc},
			samples: end - off,
		})
	}
	if total == 0 && len(words) > 0 {
		c.steps = append(c.steps, step{msg: &serverMsg{ServerContent: &serverContent{
			OutputTranscription: &transcription{Text: strings.Join(words, " ")},
		}}})
	}
	return time.Duration(total) * time.Second / OutputRate
}

func (c *conn) turnComplete() *serverMsg {
	return &serverMsg{ServerContent: &serverContent{TurnComplete: true}, UsageMetadata: c.usage()}
}

func (c *conn) resumptionUpdate() *serverMsg {
	return &serverMsg{SessionResumptionUpdate: &resumptionUpdate{NewHandle: c.newHandle(), Resumable: true}}
}

// usage reports the context so far (prompt) and this turn's output, and adds
// the output to the context.
func (c *conn) usage() *usageMetadata {
	resp := (c.sentSamples*25 + OutputRate - 1) / OutputRate
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	text, audio, img := c.sess.tokText+c.sysTok, c.sess.tokAudio, c.sess.tokImage
	u := &usageMetadata{
		PromptTokenCount:   text + audio + img,
		ResponseTokenCount: resp,
		ThoughtsTokenCount: c.thoughtTok,
	}
	u.TotalTokenCount = u.PromptTokenCount + resp + c.thoughtTok
	for _, d := range []modalityUsed{{"TEXT", text}, {"AUDIO", audio}, {"IMAGE", img}} {
		if d.TokenCount > 0 {
			u.PromptTokensDetails = append(u.PromptTokensDetails, d)
		}
	}
	if resp > 0 {
		u.ResponseTokensDetails = []modalityUsed{{"AUDIO", resp}}
	}
	c.sess.tokAudio += resp
	return u
}

func (c *conn) schedule() {
	if c.paceTimer != nil {
		c.paceTimer.Stop()
		c.paceTimer = nil
	}
	c.paceC = nil
	if c.next >= len(c.steps) || c.closing {
		return
	}
	if c.s.opt.Pace == 0 {
		c.paceC = closedCh
		return
	}
	due := c.t0.Add(time.Duration(float64(c.steps[c.next].at) / c.s.opt.Pace))
	d := time.Until(due)
	if d <= 0 {
		c.paceC = closedCh
		return
	}
	c.paceTimer = time.NewTimer(d)
	c.paceC = c.paceTimer.C
}

func (c *conn) advance() {
	if c.next >= len(c.steps) {
		c.paceC = nil
		return
	}
	st := c.steps[c.next]
	c.next++
	m := st.msg
	if st.mk != nil {
		m = st.mk()
	}
	c.sentSamples += st.samples
	c.send(m)
	if st.then != nil {
		st.then()
	}
	if c.next < len(c.steps) {
		c.schedule()
		return
	}
	c.steps, c.next, c.paceC = c.steps[:0], 0, nil
	if c.state == stGenerating {
		c.state = stIdle
		c.startNext()
	}
}

// modelToolCall makes the model call a function now, outside any reply.
func (c *conn) modelToolCall(tc ToolCall) {
	if c.state == stIdle {
		c.startReply(Turn{}, Reply{ToolCalls: []ToolCall{tc}})
		return
	}
	if tc.ID == "" {
		tc.ID = c.s.newCallID()
	}
	if tc.Args == nil {
		tc.Args = map[string]any{}
	}
	c.nonBlocking[tc.ID] = tc
	c.send(&serverMsg{ToolCall: &toolCallMsg{FunctionCalls: []functionCall{{ID: tc.ID, Name: tc.Name, Args: tc.Args}}}})
}

// interrupt ends the model's turn as a barge-in does: interrupted, cancelled
// tool calls, turnComplete (never generationComplete).
func (c *conn) interrupt() {
	if c.state == stIdle || c.setup == nil {
		return
	}
	if c.paceTimer != nil {
		c.paceTimer.Stop()
		c.paceTimer = nil
	}
	c.steps, c.next, c.paceC = c.steps[:0], 0, nil
	c.send(&serverMsg{ServerContent: &serverContent{Interrupted: true}})
	var ids []string
	for id := range c.blocking {
		ids = append(ids, id)
	}
	for id := range c.nonBlocking {
		ids = append(ids, id)
	}
	if len(ids) > 0 {
		slices.Sort(ids)
		c.send(&serverMsg{ToolCallCancellation: &toolCancelMsg{IDs: ids}})
		clear(c.blocking)
		clear(c.nonBlocking)
	}
	c.collected = nil
	c.queue = c.queue[:0]
	c.send(c.turnComplete())
	if c.resumable {
		c.send(c.resumptionUpdate())
	}
	c.state = stIdle
}
