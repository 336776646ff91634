package livetest

// Model turns: answering user turns, paced audio with transcripts, tool calls, barge-in, usage.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
	c.sentSamples, c.sentTextTok, c.thoughtTok = 0, 0, 0
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
	c.turnReason = r.TurnCompleteReason
	add(0, c.busyUpdate())
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
			c.madeCalls(asyncCalls, "NON_BLOCKING")
		}
		c.steps = append(c.steps, st)
	}

	var at time.Duration
	if c.textOut {
		c.addText(r.Text)
	} else {
		audio := r.Audio
		if audio == nil {
			audio = Synthesize(r.Text)
		}
		at = c.addAudio(audio, r.Text)
	}

	if len(blockingCalls) > 0 {
		st := step{at: at, msg: &serverMsg{ToolCall: &toolCallMsg{FunctionCalls: blockingCalls}}}
		st.then = func() {
			for _, fc := range blockingCalls {
				c.blocking[fc.ID] = ToolCall(fc)
			}
			c.madeCalls(blockingCalls, "BLOCKING")
			c.state = stAwaitingTool
			c.calledAt = time.Now()
		}
		c.steps = append(c.steps, st)
	} else {
		add(at, &serverMsg{ServerContent: &serverContent{GenerationComplete: true}})
		o := c.s.opt
		switch {
		case o.OmitTurnComplete:
			c.steps = append(c.steps, step{at: at, mk: func() *serverMsg { return &serverMsg{UsageMetadata: c.usage()} }})
		case o.SeparateUsage:
			c.steps = append(c.steps,
				step{at: at, msg: &serverMsg{ServerContent: &serverContent{TurnComplete: true, TurnCompleteReason: r.TurnCompleteReason}}},
				step{at: at, mk: func() *serverMsg { return &serverMsg{UsageMetadata: c.usage()} }})
		default:
			c.steps = append(c.steps, step{at: at, mk: c.turnComplete})
		}
		if c.resumable {
			c.steps = append(c.steps, step{at: at, mk: c.resumptionUpdate})
		}
	}
	c.schedule()
}

// resumptionEvery is how often (in reply audio) the fake repeats the
// "not resumable now" update while the model generates; the real server sends
// one "every few seconds" (reference §5.5).
const resumptionEvery = 2 * OutputRate

// addAudio appends paced audio chunks with output transcription deltas spread
// over them in proportion (and the same words as text parts, in messages of
// their own, with Options.TextParts); it returns the audio's duration.
func (c *conn) addAudio(audio []byte, text string) time.Duration {
	var words []string
	if c.outputTx || c.s.opt.TextParts {
		words = strings.Fields(text)
	}
	total := len(audio) / 2
	chunk := max(1, int(c.s.opt.ChunkDur.Seconds()*OutputRate))
	w := 0
	for off := 0; off < total; off += chunk {
		end := min(off+chunk, total)
		at := time.Duration(off) * time.Second / OutputRate
		if off > 0 && off/resumptionEvery != (off-chunk)/resumptionEvery {
			c.steps = append(c.steps, step{at: at, msg: c.busyUpdate()})
		}
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
		if delta.Len() > 0 && c.outputTx {
			sc.OutputTranscription = &transcription{Text: delta.String()}
		}
		c.steps = append(c.steps, step{at: at, msg: &serverMsg{ServerContent: sc}, samples: end - off})
		if delta.Len() > 0 && c.s.opt.TextParts {
			c.steps = append(c.steps, step{at: at, msg: textPart(delta.String())})
		}
	}
	if total == 0 && len(words) > 0 {
		all := strings.Join(words, " ")
		if c.outputTx {
			c.steps = append(c.steps, step{msg: &serverMsg{ServerContent: &serverContent{
				OutputTranscription: &transcription{Text: all},
			}}})
		}
		if c.s.opt.TextParts {
			c.steps = append(c.steps, step{msg: textPart(all)})
		}
	}
	return time.Duration(total) * time.Second / OutputRate
}

// addText appends the answer as modelTurn text parts of a few words each, for
// sessions with responseModalities TEXT (half-cascade models).
func (c *conn) addText(text string) {
	const perPart = 4
	words := strings.Fields(text)
	for i := 0; i < len(words); i += perPart {
		chunk := strings.Join(words[i:min(i+perPart, len(words))], " ")
		if i > 0 {
			chunk = " " + chunk
		}
		c.steps = append(c.steps, step{msg: textPart(chunk), textTok: textTokens(chunk)})
	}
}

func textPart(text string) *serverMsg {
	return &serverMsg{ServerContent: &serverContent{ModelTurn: &outContent{Parts: []outPart{{Text: text}}}}}
}

// busyUpdate is the sessionResumptionUpdate the real server sends while the
// model generates: resumable:false without a handle, or a bare {} to sessions
// that did not ask for resumption (reference §5.5).
func (c *conn) busyUpdate() *serverMsg {
	u := &resumptionUpdate{}
	if c.resumable {
		u.Resumable = new(false)
	}
	return &serverMsg{SessionResumptionUpdate: u}
}

// madeCalls records calls the model made, for checking the answers to them.
func (c *conn) madeCalls(fcs []functionCall, behavior string) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	for _, fc := range fcs {
		c.sess.calls[fc.ID] = behavior
	}
}

func (c *conn) turnComplete() *serverMsg {
	return &serverMsg{ServerContent: &serverContent{TurnComplete: true, TurnCompleteReason: c.turnReason}, UsageMetadata: c.usage()}
}

// resumptionUpdate issues a handle for the session's state now. With
// transparent resumption it also says which client messages of this
// connection that state includes: all it has handled, counted from the setup
// (index 0) — the fake's assumption, the real server's base is unverified
// (reference §5.5).
func (c *conn) resumptionUpdate() *serverMsg {
	u := &resumptionUpdate{NewHandle: c.newHandle(), Resumable: new(true)}
	if c.transparent {
		u.LastConsumedClientMessageIndex = strconv.FormatInt(c.msgIndex, 10)
	}
	return &serverMsg{SessionResumptionUpdate: u}
}

// usage reports the context so far (prompt) and this turn's output, and adds
// the output to the context. Vertex AI names the output "candidates".
func (c *conn) usage() *usageMetadata {
	audioTok := (c.sentSamples*25 + OutputRate - 1) / OutputRate
	resp := audioTok + c.sentTextTok
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	text, audio, img := c.sess.tokText+c.sysTok, c.sess.tokAudio, c.sess.tokImage
	u := &usageMetadata{
		PromptTokenCount:   text + audio + img,
		ThoughtsTokenCount: c.thoughtTok,
	}
	u.TotalTokenCount = u.PromptTokenCount + resp + c.thoughtTok
	for _, d := range []modalityUsed{{"TEXT", text}, {"AUDIO", audio}, {"IMAGE", img}} {
		if d.TokenCount > 0 {
			u.PromptTokensDetails = append(u.PromptTokensDetails, d)
		}
	}
	var details []modalityUsed
	if audioTok > 0 {
		details = append(details, modalityUsed{"AUDIO", audioTok})
	}
	if c.sentTextTok > 0 {
		details = append(details, modalityUsed{"TEXT", c.sentTextTok})
	}
	if c.info.Backend == BackendVertex {
		u.CandidatesTokenCount, u.CandidatesTokensDetails = &resp, details
		u.TrafficType = "ON_DEMAND"
	} else {
		u.ResponseTokenCount, u.ResponseTokensDetails = &resp, details
	}
	c.sess.tokAudio += audioTok
	c.sess.tokText += c.sentTextTok
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
	c.sentTextTok += st.textTok
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
	c.madeCalls([]functionCall{functionCall(tc)}, "NON_BLOCKING")
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
	c.turnReason = ""
	c.send(c.turnComplete())
	if c.resumable {
		c.send(c.resumptionUpdate())
	}
	c.state = stIdle
}
