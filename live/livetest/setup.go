package livetest

// Setup: per-model rules, sessions and resumption handles, connection timers.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

type modelRules struct {
	name        string // without "models/" or "…/publishers/google/models/"
	is38        bool   // gemini-3.8-live*
	is31        bool   // gemini-3.1-flash-live-preview
	is3x        bool
	halfCascade bool     // gemini-live-2.5-flash (not native audio): TEXT output, no affective dialog or proactivity
	transcribe  bool     // gemini-3.5-transcribe-live: voiceActivity and interim transcriptions
	levels      []string // thinkingLevel values the model takes; nil = no rule
}

// lookupModel returns the rules of a model name (without its resource prefix)
// and whether the backend knows it: each has its built-in list, and
// Options.Models extends both.
func (s *Server) lookupModel(name, backend string) (modelRules, bool) {
	builtin := builtinModels
	if backend == BackendVertex {
		builtin = builtinVertexModels
	}
	known := slices.Contains(builtin, name) || slices.Contains(s.opt.Models, name)
	r := modelRules{
		name:        name,
		is38:        strings.HasPrefix(name, "gemini-3.8-live"),
		is31:        name == "gemini-3.1-flash-live-preview",
		is3x:        strings.HasPrefix(name, "gemini-3."),
		halfCascade: strings.HasPrefix(name, "gemini-live-2.5-flash") && !strings.HasPrefix(name, "gemini-live-2.5-flash-native-audio"),
		transcribe:  name == "gemini-3.5-transcribe-live",
	}
	switch name {
	case "gemini-3.8-live-extended-thinking":
		r.levels = []string{"LOW", "MEDIUM", "HIGH"}
	case "gemini-3.1-flash-live-preview":
		r.levels = []string{"MINIMAL", "LOW", "MEDIUM", "HIGH"}
	}
	return r, known
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
		switch {
		case m == "TEXT" && !r.halfCascade:
			return ReasonNoVoices
		case m == "TEXT" && len(gc.ResponseModalities) > 1:
			return ReasonInvalidArgument // one modality per session
		}
	}
	if r.halfCascade && (gc.EnableAffectiveDialog != nil || st.Proactivity != nil) {
		// Affective dialog and proactive audio are native-audio features.
		return ReasonInvalidArgument
	}
	if tc := gc.ThinkingConfig; tc != nil {
		switch lvl := tc.ThinkingLevel; {
		case r.name == "gemini-3.8-live": // no thinking settings at all
			return ReasonInvalidArgument
		case r.is3x && tc.ThinkingBudget != nil: // 3.x takes thinkingLevel, not thinkingBudget
			return ReasonInvalidArgument
		case lvl != "" && lvl != "THINKING_LEVEL_UNSPECIFIED" && r.levels != nil && !slices.Contains(r.levels, lvl):
			return ReasonInvalidArgument
		}
	}
	if r.is38 {
		if gc.EnableAffectiveDialog != nil {
			return `Invalid JSON payload received. Unknown name "enableAffectiveDialog" at 'setup.generation_config': Cannot find field.`
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

// ReasonVertexModelForm refuses the express-mode model name
// ("publishers/google/models/…") on a connection with an OAuth token (the
// fake's own text: the real one is not known).
const ReasonVertexModelForm = "Model name must be projects/{project}/locations/{location}/publishers/google/models/{model} with OAuth credentials."

// vertexModelName takes a Vertex AI model resource name apart:
// "projects/{p}/locations/{l}/publishers/google/models/{m}" or, express
// mode's, "publishers/google/models/{m}".
func vertexModelName(model string) (name string, express, ok bool) {
	seg := strings.Split(model, "/")
	if len(seg) == 8 && seg[0] == "projects" && seg[1] != "" && seg[2] == "locations" && seg[3] != "" {
		seg = seg[4:]
	} else {
		express = true
	}
	if len(seg) != 4 || seg[0] != "publishers" || seg[1] != "google" || seg[2] != "models" || seg[3] == "" {
		return "", false, false
	}
	return seg[3], express, true
}

// resolveModel checks setup.model against the connection's route and returns
// the model's rules, or the close code and reason that refuse it.
func (c *conn) resolveModel(model string) (modelRules, websocket.StatusCode, string) {
	if c.info.Backend == BackendVertex {
		// "projects/{p}/locations/{l}/publishers/google/models/{m}", or with an
		// API key (express mode) also "publishers/google/models/{m}" (reference §1.2).
		notFound := fmt.Sprintf("Publisher Model `%s` not found.", model)
		name, express, ok := vertexModelName(model)
		if !ok {
			return modelRules{}, websocket.StatusPolicyViolation, notFound
		}
		if express && c.info.Credential == CredBearerHeader {
			return modelRules{}, websocket.StatusPolicyViolation, ReasonVertexModelForm
		}
		rules, known := c.s.lookupModel(name, BackendVertex)
		if !known {
			return modelRules{}, websocket.StatusPolicyViolation, notFound
		}
		return rules, 0, ""
	}
	notFound := func(name string) string {
		return fmt.Sprintf("%s is not found for API version %s, or is not supported for bidiGenerateContent. Call ListModels to see the list of available models and their supported methods.",
			name, c.info.Version)
	}
	if strings.HasPrefix(model, "projects/") || strings.HasPrefix(model, "publishers/") {
		return modelRules{}, websocket.StatusPolicyViolation, notFound(model) // a Vertex AI name
	}
	// The model is a resource name: "models/{model}" (reference §1.1).
	name, ok := strings.CutPrefix(model, "models/")
	if !ok {
		return modelRules{}, websocket.StatusInvalidFramePayloadData, ReasonInvalidArgument
	}
	rules, known := c.s.lookupModel(name, BackendGemini)
	if !known {
		return modelRules{}, websocket.StatusPolicyViolation, notFound("models/" + name)
	}
	return rules, 0, ""
}

func (c *conn) handleSetup(p *parsed) {
	st := p.msg.Setup
	c.s.update(c, func(ci *ConnInfo) { ci.Model = st.Model })
	rules, code, reason := c.resolveModel(st.Model)
	if code != 0 {
		c.closeWith(code, reason)
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
	if handle != "" {
		for c.sess == nil {
			ref, ok := c.s.handles[handle]
			sess := ref.sess
			switch {
			case !ok || sess.ended || sess.backend != c.info.Backend ||
				(!sess.attached && c.s.now().Sub(sess.lastDetach) > c.s.opt.HandleTTL):
				c.s.mu.Unlock()
				c.closeWith(websocket.StatusPolicyViolation, ReasonSessionNotFound)
				return
			case sess.attached && c.stillOpen(sess):
				// The session's previous connection is still open (reference §9.2).
				c.s.mu.Unlock()
				c.closeWith(websocket.StatusInternalError, ReasonInternal)
				return
			case !sess.attached:
				c.sess = sess
				// The handle names the session's state when it was issued:
				// audio that came after it is not part of that state.
				if len(sess.audio) > ref.audioLen {
					sess.audio = sess.audio[:ref.audioLen]
				}
			}
		}
	} else {
		c.s.nextSess++
		c.sess = &session{id: c.s.nextSess, backend: c.info.Backend, model: st.Model, started: time.Now(), calls: map[string]string{}}
		c.s.sessions[c.sess.id] = c.sess
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
		c.send(c.resumptionUpdate())
	}
	if c.transparent && c.s.opt.ResumptionInterval > 0 {
		c.resumeTicker = time.NewTicker(c.s.opt.ResumptionInterval)
		c.resumeC = c.resumeTicker.C
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

// resumeGrace is how long a resume waits for the session's previous connection
// to answer a ping before the fake takes that connection for dead.
const resumeGrace = 500 * time.Millisecond

// stillOpen reports whether the connection sess is attached to is still open
// and alive; s.mu must be held (it is released while waiting). The fake pings
// that connection:
//   - a pong (any client that reads answers at once): it is open, and the
//     resume is refused at once;
//   - a failed ping or the end of that connection (its client closed it a
//     moment ago and its reader has not seen that yet): the resume goes ahead;
//   - silence for resumeGrace (a dead network, a client that stopped reading):
//     the fake takes it for dead, drops it as a server's keepalive would, and
//     the resume goes ahead.
func (c *conn) stillOpen(sess *session) bool {
	old := sess.conn
	pong := make(chan error, 1)
	// The ping's context never ends, because ending it during the write would
	// make coder/websocket close the old connection: the goroutine returns once
	// the old connection answers or closes, and Server.Close waits for it.
	c.s.handlers.Go(func() { pong <- old.ws.Ping(context.Background()) })
	t := time.NewTimer(resumeGrace)
	defer t.Stop()
	for sess.attached && sess.conn == old {
		changed := c.s.changed
		c.s.mu.Unlock()
		select {
		case err := <-pong:
			c.s.mu.Lock()
			if err == nil {
				return sess.attached && sess.conn == old
			}
			old.detachLocked() // the old connection is closed
			return false
		case <-changed:
		case <-t.C:
			c.s.mu.Lock()
			if sess.attached && sess.conn == old {
				c.log.Debug("livetest: dropping a session's silent connection for a resume", "old", old.info.ID)
				if old.info.ClosedBy == "" {
					old.info.ClosedBy, old.info.CloseCode, old.info.CloseReason = "server", websocket.StatusAbnormalClosure, "no answer to a ping"
				}
				old.detachLocked()
				old.cancel()
				c.s.notifyLocked()
			}
			return false
		case <-c.quit:
			c.s.mu.Lock()
			return true
		}
		c.s.mu.Lock()
	}
	return false
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
	c.voiceAct = c.s.opt.VoiceActivity || c.rules.transcribe
	c.interim = c.inputTx && (c.s.opt.InterimTranscription || c.rules.transcribe)
	c.resumable = st.SessionResumption != nil
	c.transparent = c.resumable && st.SessionResumption.Transparent && c.info.Backend == BackendVertex
	c.vadSignals = st.ExplicitVadSignal && c.info.Backend == BackendVertex
	c.textOut = false
	c.compressed = st.ContextWindowCompression != nil
	c.imageTok = 258
	if gc := st.GenerationConfig; gc != nil {
		c.textOut = slices.Equal(gc.ResponseModalities, []string{"TEXT"})
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

// newHandle issues a handle that names the session's state now.
func (c *conn) newHandle() string {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.nextHndl++
	h := fmt.Sprintf("livetest-%d-%d", c.sess.id, c.s.nextHndl)
	c.s.handles[h] = handleRef{sess: c.sess, audioLen: len(c.sess.audio)}
	return h
}

// SessionAudio returns a copy of the microphone audio (16 kHz s16le) that
// session (numbered as in ConnInfo.Session) holds: every audio chunk its
// connections handled, less what a resume with an older handle cut off. It
// is nil without Options.RecordAudio.
func (s *Server) SessionAudio(session int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess := s.sessions[session]; sess != nil {
		return slices.Clone(sess.audio)
	}
	return nil
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
