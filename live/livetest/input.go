package livetest

// Client input: realtime audio/video/text/activity, clientContent, toolResponse, contextUpdate.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // video frames
	_ "image/png"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

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
	hasText := ri.Text != nil && *ri.Text != ""
	if len(c.blocking) > 0 && !c.s.opt.LenientToolInput && time.Since(c.calledAt) > ToolInputGrace &&
		(ri.Audio != nil || ri.Video != nil || hasText) {
		// Realtime input while a blocking call is unanswered (reference §11.11, §9.5).
		c.closeWith(websocket.StatusPolicyViolation, ReasonAborted)
		return
	}
	if ri.AudioStreamEnd && c.manual {
		// audioStreamEnd is only for automatic activity detection (reference §4.2).
		c.fail(&payloadError{ReasonInvalidArgument})
		return
	}
	if !c.realtimeSeen {
		c.realtimeSeen = true
		c.s.mu.Lock()
		c.sess.realtime = true // clientContent can no longer seed the initial history
		c.s.mu.Unlock()
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
		if ev, ok := c.vad.flush(); ok {
			c.speechEnded(ev)
		}
	}
	if hasText {
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
	if c.s.opt.OnAudio != nil {
		c.s.opt.OnAudio(pcm, c.readAt)
	}
	if c.s.opt.RecordAudio {
		c.record(pcm) // before ConnInfo counts the chunk, for those who wait on it
	}
	c.s.update(c, func(ci *ConnInfo) {
		ci.AudioChunks++
		ci.AudioSamples += len(pcm)
		ci.AudioMIME = b.MIMEType
	})
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
			c.interimN = 0
			c.sendVoiceActivity("ACTIVITY_START", ev.at)
			c.sendVADSignal("VAD_SIGNAL_TYPE_SOS")
			if c.interrupts {
				c.interrupt()
			}
		case vadEnd:
			c.speechEnded(ev)
		}
	}
	// Interim transcriptions: cumulative, every interimEvery of the utterance.
	if n := c.vad.speaking() / interimEvery; c.interim && n > c.interimN {
		c.interimN = n
		c.send(&serverMsg{ServerContent: &serverContent{InterimInputTranscription: &transcription{
			Text: fmt.Sprintf("[%.1f s of speech]", float64(c.vad.speaking())/InputRate),
		}}})
	}
}

// interimEvery is how much of an utterance (16 kHz samples) each interim transcription adds.
const interimEvery = InputRate / 2

// speechEnded ends a user turn the server VAD found (or audioStreamEnd flushed).
func (c *conn) speechEnded(ev vadEvent) {
	c.interimN = 0
	c.sendVoiceActivity("ACTIVITY_END", ev.at)
	c.sendVADSignal("VAD_SIGNAL_TYPE_EOS")
	c.userTurn(Turn{AudioSamples: ev.speech, Speech: true})
}

// sendVoiceActivity reports the server VAD's finding, beside an empty
// serverContent as the real server often does (reference §5.7). at is the
// position in the connection's audio stream, in 16 kHz samples.
func (c *conn) sendVoiceActivity(typ string, at int) {
	if !c.voiceAct {
		return
	}
	off := time.Duration(at) * time.Second / InputRate
	c.send(&serverMsg{ServerContent: &serverContent{}, VoiceActivity: &voiceActivity{Type: typ, AudioOffset: protoDuration(off)}})
}

// sendVADSignal reports the server VAD's finding as Vertex AI does to sessions
// with explicitVadSignal: start of speech (SOS), end of speech (EOS).
func (c *conn) sendVADSignal(typ string) {
	if c.vadSignals {
		c.send(&serverMsg{VADSignal: &vadSignal{VADSignalType: typ}})
	}
}

// record appends audio to the session's state. A connection whose session
// another connection has resumed no longer changes it: what it still had
// queued is not part of the state the resume started from.
func (c *conn) record(pcm []int16) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.sess.attached && c.sess.conn != c {
		return
	}
	for _, v := range pcm {
		c.sess.audio = binary.LittleEndian.AppendUint16(c.sess.audio, uint16(v))
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
	f := Frame{MIME: b.MIMEType, Width: cfg.Width, Height: cfg.Height, Bytes: len(data), At: time.Now()}
	c.s.update(c, func(ci *ConnInfo) {
		if err != nil {
			ci.FrameErrors++
			return
		}
		ci.Frames++
		ci.LastFrame = f
	})
	if err != nil {
		c.log.Debug("livetest: undecodable frame", "mime", b.MIMEType, "err", err)
		return
	}
	if c.s.opt.OnFrame != nil {
		c.s.opt.OnFrame(f, data)
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
	if c.rules.is31 {
		// gemini-3.1-flash-live-preview takes clientContent only to seed the
		// initial history, with historyConfig.initialHistoryInClientContent, before
		// any realtime input (reference §4.3 and §11.9; the reference marks this
		// CONFLICTING with later model pages: the fake takes the stricter reading).
		hc := c.setup.HistoryConfig
		c.s.mu.Lock()
		seeding := hc != nil && hc.InitialHistoryInClientContent && !c.sess.realtime
		c.s.mu.Unlock()
		if !seeding {
			c.fail(&payloadError{ReasonPrecondition})
			return
		}
	}
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

// checkToolResponse applies the rules of reference §4.4 to one function
// response: an id naming a call the model made in this session, a response
// object, and scheduling only on the answer to a NON_BLOCKING call.
func (c *conn) checkToolResponse(id string, response json.RawMessage, scheduling string) bool {
	if id == "" || len(response) == 0 {
		return false
	}
	c.s.mu.Lock()
	behavior, ok := c.sess.calls[id]
	c.s.mu.Unlock()
	if !ok {
		return false
	}
	return behavior != "BLOCKING" || scheduling == "" || scheduling == "SCHEDULING_UNSPECIFIED"
}

func (c *conn) handleToolResponse(tr *toolResponseMsg) {
	valid := true
	for _, fr := range tr.FunctionResponses {
		valid = valid && c.checkToolResponse(fr.ID, fr.Response, fr.Scheduling)
	}
	if !valid {
		c.recordUnapplied(tr)
		c.fail(&payloadError{ReasonInvalidArgument})
		return
	}
	c.toolResps++
	if n := c.s.opt.NotFoundAfterToolResponse; n > 0 && c.toolResps == n {
		// The real server sometimes ends the connection here (reference §9.5).
		c.recordUnapplied(tr)
		c.closeWith(websocket.StatusPolicyViolation, ReasonNotFound)
		return
	}
	c.applyToolResponse(tr)
}

// recordUnapplied adds the responses of a toolResponse the model will never
// see to ConnInfo.ToolResponses.
func (c *conn) recordUnapplied(tr *toolResponseMsg) {
	for _, fr := range tr.FunctionResponses {
		_, blocking := c.blocking[fr.ID]
		_, nonBlocking := c.nonBlocking[fr.ID]
		r := FunctionResponse{ID: fr.ID, Name: fr.Name, Response: fr.Response, Scheduling: fr.Scheduling,
			WillContinue: fr.WillContinue, Matched: blocking || nonBlocking}
		c.s.update(c, func(ci *ConnInfo) { ci.ToolResponses = append(ci.ToolResponses, r) })
	}
}

func (c *conn) applyToolResponse(tr *toolResponseMsg) {
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
			// A call the model made but cancelled or saw answered already: the
			// answer crossed a toolCallCancellation. Ignored.
			c.log.Debug("livetest: toolResponse for a call no longer pending", "id", fr.ID, "name", fr.Name)
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
