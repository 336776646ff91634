// Package livetest is an in-process fake of the Gemini Live API
// ("BidiGenerateContent") WebSocket server, faithful to the wire protocol as
// the real server and the official SDKs show it (see
// shared/reference/live-api.md §12):
//
//   - routing on the path suffix (any version or prefix, the JS SDK's "//ws/"),
//     credentials from ?key=, x-goog-api-key, ?access_token=, "Authorization:
//     Token …" or "Bearer …", each only on the route it belongs to (API keys on
//     BidiGenerateContent, ephemeral tokens on …Constrained), HTTP 401/403/429
//     on the upgrade;
//   - the Vertex AI route (…aiplatform.{v1,v1beta1}.LlmBidiService/BidiGenerateContent)
//     with OAuth bearer tokens (checked by a TokenServer, a fake OAuth token
//     endpoint for service-account key files) or express-mode API keys, its
//     model resource names and models, its setup fields (transparent
//     resumption, explicitVadSignal) and its usage names (candidatesTokenCount);
//   - transparent resumption with exact replay semantics: every resumable
//     update says which client messages the state it names includes
//     (lastConsumedClientMessageIndex), and resuming with a handle restores
//     that state (Options.RecordAudio, Server.SessionAudio);
//   - strict proto3-JSON validation of every client message (camelCase and
//     snake_case, int64 as string or number, enums by name) with Google's 1007
//     reasons, per-model setup rules (thinking, proactivity, clientContent…),
//     1008 for unknown models;
//   - strict by default where the real server punishes clients: realtime input
//     while a blocking call is unanswered, malformed tool responses, a resume
//     while the session's connection is still open (see the README's list and
//     the few Options that relax or add to it);
//   - binary frames of pretty-printed JSON (text/compact on request);
//   - scripted turns: input transcription, 24 kHz audio chunks paced at about
//     real time, output transcription deltas, generationComplete, turnComplete +
//     usageMetadata, sessionResumptionUpdate (also the bare "not resumable now"
//     ones during generation), and on request voiceActivity, interim
//     transcriptions, text parts and turnCompleteReason;
//   - a server-side energy VAD honouring automaticActivityDetection, manual
//     activityStart/End, audioStreamEnd, barge-in (interrupted, toolCallCancellation);
//   - tool calls (blocking and NON_BLOCKING with scheduling), GoAway and close
//     at the deadline, session resumption with handles, session caps, quota
//     closes and malformed output for robustness tests.
//
// It does not import the project's live client on purpose: an independent
// implementation is a better check of it.
package livetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// RealTime is the Options.Pace value that sends model audio at playback speed.
const RealTime = 1.0

// Options configures a Server. The zero value is a fast fake for unit tests,
// as strict as the real server (README.md lists the rules).
type Options struct {
	// APIKey is the accepted key or token; "" accepts any non-empty credential.
	// A missing credential is refused with HTTP 401, a wrong key or ephemeral
	// token with 403, a wrong OAuth bearer token with 401, and a credential on
	// the wrong route with 401: API keys (?key=, x-goog-api-key) and OAuth
	// bearer tokens only on BidiGenerateContent (the Gemini API's and Vertex
	// AI's), ephemeral tokens ("auth_tokens/…" in ?access_token= or
	// "Authorization: Token") only on the Gemini API's
	// BidiGenerateContentConstrained.
	APIKey string
	// Bearer, when set, checks OAuth bearer tokens ("Authorization: Bearer …")
	// instead of APIKey: one it did not issue, or one expired or revoked, is
	// refused with HTTP 401 UNAUTHENTICATED (Google's text).
	Bearer *TokenServer
	// TextFrames sends text frames instead of Google's binary frames.
	TextFrames bool
	// Compact sends compact JSON instead of 2-space pretty-printed JSON + "\n".
	Compact bool
	// Responder answers completed user turns; nil means DefaultResponder.
	Responder Responder
	// ChunkDur is the length of each model audio chunk (default 100 ms; Google
	// sends 40–240 ms).
	ChunkDur time.Duration
	// Pace scales the sending of model audio: RealTime (1) sends it at playback
	// speed, 2 twice as fast; 0 (the zero value) sends as fast as possible,
	// which is what unit tests want. The app's --demo mode should set RealTime.
	Pace float64
	// Models are accepted model names (without "models/" or
	// "…/publishers/google/models/") in addition to the built-in lists, on both
	// routes; they get only the rules of the family their name starts with
	// ("gemini-3." rejects mediaChunks and thinkingBudget, "gemini-3.8-live"
	// gets 3.8's rules, "gemini-live-2.5-flash" without "-native-audio" the
	// half-cascade rules).
	Models []string

	// GoAwayAfter sends goAway this long after the connection opened
	// (default 9 min; negative: never). ConnLifetime closes the connection this
	// long after it opened (default 9 min 50 s; negative: never), with
	// DeadlineCode: 1008 "The operation was aborted." (default) or 1011
	// "Deadline expired before operation could complete.".
	GoAwayAfter  time.Duration
	ConnLifetime time.Duration
	DeadlineCode websocket.StatusCode
	// AudioSessionCap and VideoSessionCap end sessions without
	// contextWindowCompression (defaults 15 min and 2 min, counted from the
	// session's first connection; negative: no cap). They close with DeadlineCode.
	AudioSessionCap time.Duration
	VideoSessionCap time.Duration
	// HandleTTL is how long a resumption handle stays valid after its session's
	// last connection ended (default 2 h).
	HandleTTL time.Duration
	// ResumptionInterval is how often a session with transparent resumption
	// (Vertex AI) gets a resumable sessionResumptionUpdate while the model is
	// idle, besides the usual ones (default 2 s; the real server sends them
	// "every few seconds"; negative: never).
	ResumptionInterval time.Duration
	// RecordAudio keeps the microphone audio each session's state holds
	// (16 kHz s16le, resampled if sent at another rate), for SessionAudio.
	// Resuming with a handle cuts it back to what it was when the handle was
	// issued.
	RecordAudio bool
	// QuotaCloseAfter, when positive, closes each connection this long after
	// setupComplete with 1011 and Google's (truncated) quota text.
	QuotaCloseAfter time.Duration
	// QuotaExhausted refuses upgrades with HTTP 429.
	QuotaExhausted bool
	// SeparateUsage sends usageMetadata as its own message after turnComplete
	// instead of beside it; OmitTurnComplete ends replies with generationComplete
	// (+ usage) and no turnComplete, as some models do. Both are for client
	// robustness tests; barge-ins still end with turnComplete.
	SeparateUsage    bool
	OmitTurnComplete bool
	// LenientToolInput accepts realtime input (audio, video, text) while a
	// blocking function call is unanswered; by default the fake closes with
	// 1008 "The operation was aborted." as the real server does, for input that
	// arrives more than ToolInputGrace after the toolCall. With it, speech
	// during the call barges in (interrupted, toolCallCancellation) instead.
	LenientToolInput bool
	// OnFrame, when set, sees every decodable video frame as it arrives, with its
	// JPEG or PNG bytes, so a test can look at what the model was shown. It runs on
	// the connection's reader: it must return quickly.
	OnFrame func(f Frame, data []byte)
	// OnAudio, when set, sees every chunk of microphone audio (16 kHz, resampled if
	// sent at another rate) as it arrives, with when it arrived. It runs on the
	// connection's reader: it must return quickly, and pcm is not kept after it.
	OnAudio func(pcm []int16, at time.Time)

	// What the real server sends that clients rarely see (reference §5.2, §5.7,
	// §11.5, §9.5). gemini-3.5-transcribe-live sends voiceActivity and interim
	// transcriptions whatever these say.
	//
	// VoiceActivity sends voiceActivity{type, audioOffset} (beside an empty
	// serverContent) when the server VAD hears speech start and end.
	VoiceActivity bool
	// InterimTranscription sends serverContent.interimInputTranscription
	// (cumulative, every 0.5 s of an utterance) while the user speaks, in
	// sessions with inputAudioTranscription.
	InterimTranscription bool
	// TextParts also sends the answer's words as modelTurn text parts, in
	// messages of their own beside the audio and its outputTranscription, as
	// native-audio sessions sometimes do.
	TextParts bool
	// NotFoundAfterToolResponse, when positive, closes the connection with
	// 1008 "Requested entity was not found" right after its Nth toolResponse
	// (which the model never sees), as the real server does at random. The
	// session stays resumable.
	NotFoundAfterToolResponse int

	// Log receives debug records; nil discards them.
	Log *slog.Logger
}

// ToolInputGrace is how long after sending a blocking toolCall the fake still
// takes realtime input as sent before the client could know of the call (in
// flight, or queued in the client a moment before it read the toolCall).
// Realtime input that arrives later, while the call is unanswered, closes the
// connection with 1008 "The operation was aborted." (see Options.LenientToolInput).
const ToolInputGrace = 250 * time.Millisecond

// Close reasons the fake uses (Google's texts where known).
const (
	ReasonAborted         = "The operation was aborted."
	ReasonDeadline        = "Deadline expired before operation could complete."
	ReasonSessionNotFound = "BidiGenerateContent session not found"
	ReasonNotFound        = "Requested entity was not found"
	ReasonInternal        = "Internal error encountered."
	ReasonInvalidArgument = "Request contains an invalid argument."
	ReasonPrecondition    = "Precondition check failed."
	ReasonNoVoices        = "Cannot extract voices from a non-audio request."
	ReasonQuota           = "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
)

// Backends, as in ConnInfo.Backend.
const (
	BackendGemini = "gemini" // google.ai.generativelanguage.*.GenerativeService.BidiGenerateContent[Constrained]
	BackendVertex = "vertex" // google.cloud.aiplatform.*.LlmBidiService/BidiGenerateContent
)

// CredentialKind says how a connection presented its credential (never the credential itself).
type CredentialKind string

// Credential kinds.
const (
	CredKeyQuery     CredentialKind = "key-query"          // ?key=
	CredKeyHeader    CredentialKind = "key-header"         // x-goog-api-key
	CredTokenQuery   CredentialKind = "access-token-query" // ?access_token=
	CredTokenHeader  CredentialKind = "token-header"       // Authorization: Token …
	CredBearerHeader CredentialKind = "bearer-header"      // Authorization: Bearer …
)

// Built-in models of the Gemini API; see reference §8.
var builtinModels = []string{
	"gemini-3.8-live",
	"gemini-3.8-live-extended-thinking",
	"gemini-3.1-flash-live-preview",
	"gemini-3.5-live-translate-preview",
	"gemini-3.5-transcribe-live",
	"gemini-2.5-flash-native-audio-preview-12-2025",
	"gemini-2.5-flash-native-audio-preview-09-2025",
	"gemini-2.5-flash-native-audio-latest",
}

// Built-in models of Vertex AI (publishers/google/models/…).
var builtinVertexModels = []string{
	"gemini-live-2.5-flash-native-audio",
	"gemini-live-2.5-flash",
}

// Server is a running fake. All methods are safe for concurrent use.
type Server struct {
	opt  Options
	log  *slog.Logger
	resp Responder

	ln        net.Listener
	hs        *http.Server
	serveDone chan struct{}
	handlers  sync.WaitGroup

	pipeOnce  sync.Once
	pipe      *pipeListener
	pipeSrv   *http.Server
	pipeDone  chan struct{}
	pipeTrans *http.Transport

	mu        sync.Mutex
	closed    bool
	conns     []*conn
	handles   map[string]handleRef // resumption handles
	sessions  map[int]*session     // by number
	nextConn  int
	nextCall  int64
	nextSess  int
	nextHndl  int
	changed   chan struct{}
	closeOnce sync.Once
	now       func() time.Time // handle expiry clock; tests replace it
}

// New returns a fake that is not listening; serve its Handler yourself.
// It starts no goroutines.
func New(opt Options) *Server {
	if opt.ChunkDur <= 0 {
		opt.ChunkDur = 100 * time.Millisecond
	}
	if opt.Pace < 0 {
		opt.Pace = 0
	}
	defDur(&opt.GoAwayAfter, 9*time.Minute)
	defDur(&opt.ConnLifetime, 9*time.Minute+50*time.Second)
	defDur(&opt.AudioSessionCap, 15*time.Minute)
	defDur(&opt.VideoSessionCap, 2*time.Minute)
	defDur(&opt.HandleTTL, 2*time.Hour)
	defDur(&opt.ResumptionInterval, 2*time.Second)
	if opt.DeadlineCode == 0 {
		opt.DeadlineCode = websocket.StatusPolicyViolation
	}
	s := &Server{
		opt:      opt,
		log:      opt.Log,
		resp:     opt.Responder,
		handles:  map[string]handleRef{},
		sessions: map[int]*session{},
		changed:  make(chan struct{}),
		nextCall: 1000000000000000,
		now:      time.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.resp == nil {
		s.resp = DefaultResponder
	}
	return s
}

func defDur(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

// Start returns a fake listening on 127.0.0.1 on a free port.
func Start(opt Options) (*Server, error) {
	s := New(opt)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("livetest: listen: %w", err)
	}
	s.ln = ln
	s.hs = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.serveDone = make(chan struct{})
	go func() {
		defer close(s.serveDone)
		if err := s.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("livetest: serve", "err", err)
		}
	}()
	return s, nil
}

// URL is "ws://127.0.0.1:PORT", the base URL the Go SDK and the project's client take.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "ws://" + s.ln.Addr().String()
}

// HTTPURL is "http://127.0.0.1:PORT", the base URL the JS SDK takes.
func (s *Server) HTTPURL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops listening, drops every connection without a close frame and
// waits for all goroutines. It is idempotent.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		for _, c := range s.conns {
			c.cancel()
		}
		s.mu.Unlock()
		if s.hs != nil {
			err = s.hs.Close()
			<-s.serveDone
		}
		if s.pipeSrv != nil {
			_ = s.pipeSrv.Close()
			<-s.pipeDone
			s.pipeTrans.CloseIdleConnections()
		}
		s.handlers.Wait()
	})
	if err != nil {
		return fmt.Errorf("livetest: close: %w", err)
	}
	return nil
}

// PipeURL is the base URL to dial with PipeClient.
const PipeURL = "ws://livetest.invalid"

// PipeClient returns an HTTP client whose connections reach this fake over
// in-memory pipes instead of TCP (dial PipeURL + the usual path, e.g. with
// websocket.DialOptions.HTTPClient). Every read and write then blocks on
// channels, so a test can run client and fake inside a testing/synctest
// bubble and get exact, instant timing for pacing, goAway and lifetimes. Call
// it inside the bubble that will use it; Close stops what it started.
func (s *Server) PipeClient() *http.Client {
	s.pipeOnce.Do(func() {
		s.pipe = newPipeListener()
		s.pipeSrv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
		s.pipeDone = make(chan struct{})
		s.pipeTrans = &http.Transport{DialContext: s.pipe.dial}
		go func() {
			defer close(s.pipeDone)
			_ = s.pipeSrv.Serve(s.pipe)
		}()
	})
	return &http.Client{Transport: s.pipeTrans}
}

// pipeListener is an in-memory net.Listener fed by dial.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	a, b := net.Pipe()
	select {
	case l.conns <- a:
		return b, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("livetest: pipe dial: %w", ctx.Err())
	case <-l.done:
		return nil, fmt.Errorf("livetest: pipe dial: %w", net.ErrClosed)
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "livetest.invalid" }

// Handler serves the Live endpoint at any path ending in
// "GenerativeService.BidiGenerateContent" or "…Constrained" (the Gemini API)
// or "LlmBidiService/BidiGenerateContent" (Vertex AI). It is a bare handler:
// mounting it on an http.ServeMux would redirect the JS SDK's "//ws/" path.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

type route struct {
	backend, version, method string
}

// parseRoute accepts ".../google.ai.generativelanguage.{v1|v1alpha|v1beta}.GenerativeService.{BidiGenerateContent|BidiGenerateContentConstrained}"
// and ".../google.cloud.aiplatform.{v1|v1beta1}.LlmBidiService/BidiGenerateContent".
func parseRoute(path string) (route, bool) {
	i := strings.LastIndexByte(path, '/')
	last := path[i+1:]
	if last == "BidiGenerateContent" && i > 0 {
		service := path[strings.LastIndexByte(path[:i], '/')+1 : i]
		rest, ok := strings.CutPrefix(service, "google.cloud.aiplatform.")
		if !ok {
			return route{}, false
		}
		version, ok := strings.CutSuffix(rest, ".LlmBidiService")
		if !ok || (version != "v1" && version != "v1beta1") {
			return route{}, false
		}
		return route{backend: BackendVertex, version: version, method: "BidiGenerateContent"}, true
	}
	rest, ok := strings.CutPrefix(last, "google.ai.generativelanguage.")
	if !ok {
		return route{}, false
	}
	version, method, ok := strings.Cut(rest, ".GenerativeService.")
	if !ok {
		return route{}, false
	}
	if version != "v1" && version != "v1alpha" && version != "v1beta" {
		return route{}, false
	}
	if method != "BidiGenerateContent" && method != "BidiGenerateContentConstrained" {
		return route{}, false
	}
	return route{backend: BackendGemini, version: version, method: method}, true
}

func credential(r *http.Request) (string, CredentialKind) {
	q := r.URL.Query()
	if k := q.Get("key"); k != "" {
		return k, CredKeyQuery
	}
	if k := r.Header.Get("x-goog-api-key"); k != "" {
		return k, CredKeyHeader
	}
	if k := q.Get("access_token"); k != "" {
		return k, CredTokenQuery
	}
	auth := r.Header.Get("Authorization")
	if k, ok := strings.CutPrefix(auth, "Token "); ok && k != "" {
		return k, CredTokenHeader
	}
	if k, ok := strings.CutPrefix(auth, "Bearer "); ok && k != "" {
		return k, CredBearerHeader
	}
	return "", ""
}

// isToken reports whether a credential is an ephemeral token.
func isToken(cred string) bool { return strings.HasPrefix(cred, "auth_tokens/") }

// credentialFits says whether a credential may be used on the route's method
// (reference §1.1, §1.2, §10): API keys (?key=, x-goog-api-key) and OAuth
// bearer tokens only on BidiGenerateContent (the Gemini API's or Vertex AI's),
// ephemeral tokens ("auth_tokens/…" in ?access_token= or "Authorization:
// Token") only on BidiGenerateContentConstrained.
func credentialFits(method, cred string, kind CredentialKind) bool {
	if method == "BidiGenerateContentConstrained" {
		return (kind == CredTokenQuery || kind == CredTokenHeader) && isToken(cred)
	}
	return (kind == CredKeyQuery || kind == CredKeyHeader || kind == CredBearerHeader) && !isToken(cred)
}

// invalidOAuth is Google's body of the 401 for a bearer token it does not take
// (unknown, expired, revoked), and the fake's for anything but an OAuth token
// or an API key on Vertex AI.
const invalidOAuth = `{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.","status":"UNAUTHENTICATED"}}`

// wrongCredential is the body of the 401 for a credential on the wrong route
// (the real text is not known for the Gemini API; the shape is Google's).
func wrongCredential(rt route) string {
	if rt.backend == BackendVertex {
		return invalidOAuth
	}
	if rt.method == "BidiGenerateContentConstrained" {
		return `{"error":{"code":401,"message":"BidiGenerateContentConstrained takes an ephemeral token (auth_tokens/...) in access_token or 'Authorization: Token', not an API key.","status":"UNAUTHENTICATED"}}`
	}
	return `{"error":{"code":401,"message":"Request had invalid authentication credentials. Ephemeral tokens (auth_tokens/...) are only accepted by BidiGenerateContentConstrained.","status":"UNAUTHENTICATED"}}`
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		http.Error(w, "404. That's an error. The requested URL was not found on this server.", http.StatusNotFound)
		return
	}
	cred, kind := credential(r)
	if code, body := s.authorize(rt, cred, kind); code != 0 {
		http.Error(w, body, code)
		return
	}
	switch {
	case s.opt.QuotaExhausted:
		http.Error(w, `{"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED"}}`, http.StatusTooManyRequests)
		return
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "server closed", http.StatusServiceUnavailable)
		return
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	defer s.handlers.Done()

	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		s.log.Debug("livetest: accept", "err", err)
		return
	}
	ws.SetReadLimit(32 << 20)

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	c := s.newConn(ws, cancel, ConnInfo{
		Path:       r.URL.Path,
		Backend:    rt.backend,
		Version:    rt.version,
		Method:     rt.method,
		Credential: kind,
		CloseCode:  -1,
	})
	if c == nil { // closed meanwhile
		ws.CloseNow()
		return
	}
	c.serve(ctx)
}

// authorize checks the credential for the route and returns the HTTP status
// and body that refuse it, or 0.
func (s *Server) authorize(rt route, cred string, kind CredentialKind) (int, string) {
	switch {
	case cred == "":
		return http.StatusUnauthorized, `{"error":{"code":401,"message":"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.","status":"UNAUTHENTICATED"}}`
	case !credentialFits(rt.method, cred, kind):
		return http.StatusUnauthorized, wrongCredential(rt)
	case kind == CredBearerHeader && s.opt.Bearer != nil:
		if !s.opt.Bearer.Valid(cred) {
			return http.StatusUnauthorized, invalidOAuth
		}
	case s.opt.APIKey != "" && cred != s.opt.APIKey:
		if kind == CredBearerHeader {
			return http.StatusUnauthorized, invalidOAuth
		}
		return http.StatusForbidden, `{"error":{"code":403,"message":"API key not valid. Please pass a valid API key.","status":"PERMISSION_DENIED"}}`
	}
	return 0, ""
}

func (s *Server) newConn(ws *websocket.Conn, cancel context.CancelFunc, info ConnInfo) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.nextConn++
	info.ID = s.nextConn
	sc := geminiSchema
	if info.Backend == BackendVertex {
		sc = vertexSchema(info.Version)
	}
	c := &conn{
		s:      s,
		ws:     ws,
		cancel: cancel,
		info:   info,
		schema: sc,
		// The first message (the setup) gets index 0.
		msgIndex: -1,
		out:      make(chan outItem, 64),
		ctrl:     make(chan func(), 16),
		doneCh:   make(chan struct{}),
		log:      s.log.With("conn", info.ID),
	}
	s.conns = append(s.conns, c)
	s.notifyLocked()
	return c
}

// notifyLocked wakes every Wait; s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// update runs fn on c's ConnInfo under the lock and wakes waiters.
func (s *Server) update(c *conn, fn func(ci *ConnInfo)) {
	s.mu.Lock()
	fn(&c.info)
	s.notifyLocked()
	s.mu.Unlock()
}

// Conns returns a snapshot of every connection so far, oldest first.
func (s *Server) Conns() []ConnInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

func (s *Server) snapshotLocked() []ConnInfo {
	out := make([]ConnInfo, len(s.conns))
	for i, c := range s.conns {
		out[i] = c.info.clone()
	}
	return out
}

// Wait blocks until cond holds for the current connections (it is re-checked
// after every change) and returns that snapshot, or ctx's error.
func (s *Server) Wait(ctx context.Context, cond func([]ConnInfo) bool) ([]ConnInfo, error) {
	for {
		s.mu.Lock()
		snap := s.snapshotLocked()
		ch := s.changed
		s.mu.Unlock()
		if cond(snap) {
			return snap, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return snap, fmt.Errorf("livetest: wait: %w", context.Cause(ctx))
		}
	}
}

// WaitConns waits until at least n connections have completed setup.
func (s *Server) WaitConns(ctx context.Context, n int) ([]ConnInfo, error) {
	return s.Wait(ctx, func(cs []ConnInfo) bool {
		k := 0
		for _, c := range cs {
			if c.SetupDone {
				k++
			}
		}
		return k >= n
	})
}

// WaitClosed waits until connection id has closed and returns its info.
func (s *Server) WaitClosed(ctx context.Context, id int) (ConnInfo, error) {
	cs, err := s.Wait(ctx, func(cs []ConnInfo) bool {
		i := slices.IndexFunc(cs, func(c ConnInfo) bool { return c.ID == id })
		return i >= 0 && cs[i].Closed
	})
	if err != nil {
		return ConnInfo{}, err
	}
	return cs[slices.IndexFunc(cs, func(c ConnInfo) bool { return c.ID == id })], nil
}

// live returns the connections that are still open.
func (s *Server) live() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*conn
	for _, c := range s.conns {
		if !c.info.Closed {
			out = append(out, c)
		}
	}
	return out
}

// each runs fn on the goroutine of every open connection. It waits while a
// connection's control queue is full (a client that stopped reading).
func (s *Server) each(fn func(c *conn)) {
	for _, c := range s.live() {
		select {
		case c.ctrl <- func() { fn(c) }:
		case <-c.done():
		}
	}
}

// GoAway sends goAway{timeLeft} to every open connection and closes each at
// the deadline with Options.DeadlineCode ("The operation was aborted." by default).
func (s *Server) GoAway(timeLeft time.Duration) {
	s.each(func(c *conn) {
		if c.setup != nil {
			c.goAway(timeLeft)
		}
	})
}

// CloseAll closes every open connection with code and reason (truncated to
// 123 bytes like Google's), after the frames already queued.
func (s *Server) CloseAll(code websocket.StatusCode, reason string) {
	s.each(func(c *conn) { c.closeWith(code, reason) })
}

// SendRaw sends data as one frame (binary unless text) to every open
// connection that completed setup: use it for malformed-output tests
// (non-JSON, in-band {"error":…}, unknown fields).
func (s *Server) SendRaw(data []byte, text bool) {
	b := slices.Clone(data)
	s.each(func(c *conn) {
		if c.setup != nil {
			c.sendRaw(b, text)
		}
	})
}

// SendToolCall makes the model call a function now on every open connection
// (as if a Responder had asked for it, without speech).
func (s *Server) SendToolCall(name string, args map[string]any) {
	s.each(func(c *conn) {
		if c.setup != nil {
			c.modelToolCall(ToolCall{Name: name, Args: args})
		}
	})
}

// Interrupt ends the current model turn on every open connection as a
// barge-in would: interrupted, toolCallCancellation for pending calls, turnComplete.
func (s *Server) Interrupt() {
	s.each(func(c *conn) { c.interrupt() })
}

func (s *Server) newCallID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextCall++
	return fmt.Sprintf("fc_%d", s.nextCall)
}

// closeReason truncates r to the 123 bytes a close frame can carry (Google
// cuts mid-word, e.g. "…head to: h"), keeping valid UTF-8.
func closeReason(r string) string {
	if len(r) <= 123 {
		return r
	}
	r = r[:123]
	for !utf8.ValidString(r) {
		r = r[:len(r)-1]
	}
	return r
}
