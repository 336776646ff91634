package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// MIME types of the media this client sends.
const (
	AudioInMIME = "audio/pcm;rate=16000"
	JPEGMIME    = "image/jpeg"
)

// Queue sizes. The ordered queue holds ~2.5 s of 20 ms audio chunks; beyond that a sender
// blocks (backpressure), while video never blocks: the newest frame replaces an unsent one.
const (
	sendQueueLen = 128
	recvQueueLen = 64
)

// Session is one Live API connection after a successful setup.
//
// Concurrency: Send* and Recv may be called from any goroutine. Run must be running for
// anything to move; it owns the one reader and the one writer goroutine. Close is idempotent.
type Session struct {
	conn     *websocket.Conn
	endpoint string
	setup    SetupComplete
	alive    Keepalive

	heard atomic.Int64 // when the server was last heard from (a message or a pong), UnixNano

	out chan outItem // ordered: audio, text, activity signals, tool responses
	in  chan recvItem

	videoMu      sync.Mutex
	video        []byte // one-slot mailbox, latest frame wins
	videoReady   chan struct{}
	videoDropped atomic.Int64

	sentMsgs, sentBytes, recvMsgs, recvBytes atomic.Int64

	// replay keeps what the server has not yet reported consumed, for sessions with
	// transparent resumption (nil otherwise). Set by Dial before Run.
	replay *replayLog

	running   atomic.Bool
	closing   atomic.Bool
	closeOnce sync.Once
	done      chan struct{} // closed when Run has finished
	errMu     sync.Mutex
	err       error // terminal error, set before done is closed
}

// outItem is one ordered message, or (b == nil) a flush marker closed once everything queued
// before it has been written to the socket. pcm is set for microphone audio, so audio that
// never left can be handed back when the connection dies (UnsentAudio).
type outItem struct {
	b       []byte
	written chan struct{}
	pcm     []byte
	kind    msgKind
}

// Keepalive is how a dead connection is noticed: a ping every Interval, and the connection is
// declared dead when nothing — a message or a pong — has been heard for Timeout, or when one
// write cannot complete within WriteTimeout. The real server's pongs have been measured at
// 8–30 s, so the timeout must be generous; with the defaults a healthy connection is always
// heard from within 35 s (a ping at most 5 s after the last sound, its pong within 30 s), and a
// dead one is noticed at most 45 s after it was last heard from.
type Keepalive struct {
	Interval     time.Duration // default 5 s
	Timeout      time.Duration // default 40 s
	WriteTimeout time.Duration // default 20 s
}

func (k Keepalive) withDefaults() Keepalive {
	if k.Interval <= 0 {
		k.Interval = 5 * time.Second
	}
	if k.Timeout <= 0 {
		k.Timeout = 40 * time.Second
	}
	if k.WriteTimeout <= 0 {
		k.WriteTimeout = 20 * time.Second
	}
	return k
}

// ErrNoResponse means the connection looked open but the server stopped answering: the network
// is gone (Wi-Fi, a sleeping laptop, a NAT timeout). It wraps ErrConnectionLost.
var ErrNoResponse = fmt.Errorf("%w: the server stopped answering", ErrConnectionLost)

type recvItem struct {
	msg *ServerMessage
	err error
}

func newSession(conn *websocket.Conn, endpoint string, sc SetupComplete, k Keepalive) *Session {
	s := &Session{
		conn:       conn,
		endpoint:   endpoint,
		setup:      sc,
		alive:      k.withDefaults(),
		out:        make(chan outItem, sendQueueLen),
		in:         make(chan recvItem, recvQueueLen),
		videoReady: make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
	s.heard.Store(time.Now().UnixNano())
	return s
}

// SetupComplete returns the server's acknowledgement of the setup.
func (s *Session) SetupComplete() SetupComplete { return s.setup }

// Endpoint returns the URL this session is connected to (it holds no credential).
func (s *Session) Endpoint() string { return s.endpoint }

// Run moves messages until the connection ends and returns why: a *CloseError when the server
// closed it, ErrClosed after Close, ctx.Err() when ctx ended, or ErrConnectionLost. Cancelling
// ctx closes the connection.
func (s *Session) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("live session: Run called twice")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var wg sync.WaitGroup
	var readErr, writeErr error
	wg.Add(3)
	go func() {
		defer wg.Done()
		defer cancel(nil)
		readErr = s.readLoop(ctx)
	}()
	go func() {
		defer wg.Done()
		defer cancel(nil)
		writeErr = s.writeLoop(ctx)
	}()
	go func() {
		defer wg.Done()
		if err := s.keepalive(ctx); err != nil {
			cancel(err)
		}
	}()
	wg.Wait()
	s.conn.CloseNow()

	err := s.classify(ctx, readErr, writeErr)
	s.errMu.Lock()
	s.err = err
	s.errMu.Unlock()
	close(s.done)
	return err
}

func (s *Session) classify(ctx context.Context, readErr, writeErr error) error {
	for _, e := range []error{readErr, writeErr} {
		if ce := closeErrorFrom(e); ce != nil && !(s.closing.Load() && ce.Code == websocket.StatusNormalClosure) {
			return ce
		}
	}
	if s.closing.Load() {
		return ErrClosed
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if e := errors.Join(readErr, writeErr); e != nil {
		return fmt.Errorf("%w: %v", ErrConnectionLost, e)
	}
	return ErrConnectionLost
}

// keepalive pings the server and returns ErrNoResponse once nothing has been heard for the
// timeout. Each ping waits for its pong up to the timeout (pongs can take 30 s), so several may
// be in flight; they end with ctx.
func (s *Session) keepalive(ctx context.Context) error {
	var pings sync.WaitGroup
	defer pings.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // first: the pings in flight end now, not at their timeout
	t := time.NewTicker(s.alive.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if quiet := time.Since(time.Unix(0, s.heard.Load())); quiet > s.alive.Timeout {
			return fmt.Errorf("%w (nothing for %s)", ErrNoResponse, quiet.Round(time.Second))
		}
		pings.Add(1)
		go func() {
			defer pings.Done()
			pctx, cancel := context.WithTimeout(ctx, s.alive.Timeout)
			defer cancel()
			if s.conn.Ping(pctx) == nil {
				s.heard.Store(time.Now().UnixNano())
			}
		}()
	}
}

func (s *Session) readLoop(ctx context.Context) error {
	for {
		_, data, err := s.conn.Read(ctx)
		if err != nil {
			return err
		}
		s.heard.Store(time.Now().UnixNano())
		s.recvMsgs.Add(1)
		s.recvBytes.Add(int64(len(data)))
		msg, err := DecodeServerMessage(data)
		if err == nil && s.replay != nil {
			if u := msg.SessionResumptionUpdate; u != nil && u.Resumable && u.NewHandle != "" {
				s.replay.ack(u.NewHandle, int64(u.LastConsumedClientMessageIndex))
			}
		}
		item := recvItem{msg: msg, err: err}
		if err == nil && msg.Error != nil {
			item = recvItem{msg: msg, err: msg.Error}
		}
		select {
		case s.in <- item:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Session) writeLoop(ctx context.Context) error {
	for {
		// Ordered traffic first: video is only written when nothing else waits, so a slow
		// socket drops frames (the mailbox keeps the newest) before it delays speech.
		select {
		case it := <-s.out:
			if err := s.writeItem(ctx, it); err != nil {
				return err
			}
			continue
		default:
		}
		select {
		case it := <-s.out:
			if err := s.writeItem(ctx, it); err != nil {
				return err
			}
		case <-s.videoReady:
			s.videoMu.Lock()
			b := s.video
			s.video = nil
			s.videoMu.Unlock()
			if b != nil {
				if s.replay != nil {
					s.replay.wrote(outItem{}, false) // numbered, never resent: a newer frame follows
				}
				if err := s.write(ctx, b); err != nil {
					return err
				}
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Session) writeItem(ctx context.Context, it outItem) error {
	if it.b == nil {
		close(it.written)
		return nil
	}
	if s.replay != nil {
		s.replay.wrote(it, true)
	}
	return s.write(ctx, it.b)
}

func (s *Session) write(ctx context.Context, b []byte) error {
	// A write that cannot complete means the socket is stuck (the network is gone and the
	// kernel's buffer is full); cancelling it closes the connection.
	wctx, cancel := context.WithTimeoutCause(ctx, s.alive.WriteTimeout, fmt.Errorf("%w (a write did not complete in %s)", ErrNoResponse, s.alive.WriteTimeout))
	defer cancel()
	if err := s.conn.Write(wctx, websocket.MessageText, b); err != nil {
		if c := context.Cause(wctx); errors.Is(c, ErrNoResponse) {
			return c
		}
		return err
	}
	s.sentMsgs.Add(1)
	s.sentBytes.Add(int64(len(b)))
	return nil
}

// Recv returns the next server message. A frame that is not a valid message returns an error
// wrapping ErrMalformed and the session goes on; an in-band error object returns *APIError.
// After the connection ends, buffered messages are still returned, then the terminal error.
func (s *Session) Recv(ctx context.Context) (*ServerMessage, error) {
	select {
	case it := <-s.in:
		return it.msg, it.err
	default:
	}
	select {
	case it := <-s.in:
		return it.msg, it.err
	case <-s.done:
		select {
		case it := <-s.in:
			return it.msg, it.err
		default:
		}
		return nil, s.Err()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Err returns the terminal error once Run has finished, or nil while it runs.
func (s *Session) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// Done is closed when Run has finished.
func (s *Session) Done() <-chan struct{} { return s.done }

// Close ends the connection with a normal close frame and waits for Run to finish (if it was
// started). It is safe to call more than once and from any goroutine.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		_ = s.conn.Close(websocket.StatusNormalClosure, "")
		if !s.running.Load() {
			s.conn.CloseNow()
		}
	})
	if s.running.Load() {
		<-s.done
	}
	return nil
}

// Send queues any client message, in order with the other ordered messages.
func (s *Session) Send(ctx context.Context, m ClientMessage) error {
	return s.sendKind(ctx, m, kindOther)
}

func (s *Session) sendKind(ctx context.Context, m ClientMessage, kind msgKind) error {
	b, err := encode(m)
	if err != nil {
		return err
	}
	return s.enqueueItem(ctx, outItem{b: b, kind: kind})
}

func (s *Session) enqueueItem(ctx context.Context, it outItem) error {
	select {
	case <-s.done:
		return s.Err()
	default:
	}
	select {
	case s.out <- it:
		return nil
	case <-s.done:
		return s.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flush waits until every ordered message queued before the call has been written to the
// socket. A connection that is replaced after a goAway is flushed first, so no queued
// microphone audio is lost with it.
func (s *Session) Flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case s.out <- outItem{written: done}:
	case <-s.done:
		return s.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-s.done:
		return s.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SendAudio queues 16 kHz s16le mono PCM. It blocks while the send queue is full.
func (s *Session) SendAudio(ctx context.Context, pcm []byte) error {
	return s.enqueueItem(ctx, outItem{b: encodeBlob(`{"realtimeInput":{"audio":`, AudioInMIME, pcm), pcm: pcm, kind: kindAudio})
}

// UnsentAudio returns, in order, the microphone audio that was queued but never written to the
// socket, once Run has finished (nil before): a dropped connection loses none of it.
func (s *Session) UnsentAudio() [][]byte {
	select {
	case <-s.done:
	default:
		return nil
	}
	var out [][]byte
	for {
		select {
		case it := <-s.out:
			if it.pcm != nil {
				out = append(out, it.pcm)
			}
		default:
			return out
		}
	}
}

// SendVideo offers a JPEG frame. It never blocks: an unsent older frame is replaced (and
// counted as dropped).
func (s *Session) SendVideo(jpeg []byte) error {
	select {
	case <-s.done:
		return s.Err()
	default:
	}
	b := encodeBlob(`{"realtimeInput":{"video":`, JPEGMIME, jpeg)
	s.videoMu.Lock()
	if s.video != nil {
		s.videoDropped.Add(1)
	}
	s.video = b
	s.videoMu.Unlock()
	select {
	case s.videoReady <- struct{}{}:
	default:
	}
	return nil
}

// SendText sends realtime text (the recommended way to type to 3.x models mid-session).
func (s *Session) SendText(ctx context.Context, text string) error {
	return s.Send(ctx, ClientMessage{RealtimeInput: &RealtimeInput{Text: text}})
}

// SendAudioStreamEnd tells the server the mic paused (mute), flushing its cached audio.
func (s *Session) SendAudioStreamEnd(ctx context.Context) error {
	return s.sendKind(ctx, ClientMessage{RealtimeInput: &RealtimeInput{AudioStreamEnd: true}}, kindAudioStreamEnd)
}

// SendActivityStart marks the start of user speech (automatic VAD disabled).
func (s *Session) SendActivityStart(ctx context.Context) error {
	return s.sendKind(ctx, ClientMessage{RealtimeInput: &RealtimeInput{ActivityStart: &struct{}{}}}, kindActivityStart)
}

// SendActivityEnd marks the end of user speech (automatic VAD disabled).
func (s *Session) SendActivityEnd(ctx context.Context) error {
	return s.sendKind(ctx, ClientMessage{RealtimeInput: &RealtimeInput{ActivityEnd: &struct{}{}}}, kindActivityEnd)
}

// SendClientContent appends turns to the history.
func (s *Session) SendClientContent(ctx context.Context, cc ClientContent) error {
	return s.Send(ctx, ClientMessage{ClientContent: &cc})
}

// SendToolResponse answers function calls. Every response must carry the call's id.
func (s *Session) SendToolResponse(ctx context.Context, responses ...FunctionResponse) error {
	for _, r := range responses {
		if r.ID == "" || r.Name == "" {
			return fmt.Errorf("tool response %q: id and name are required", r.Name)
		}
	}
	return s.Send(ctx, ClientMessage{ToolResponse: &ToolResponse{FunctionResponses: responses}})
}

// Stats are counters of one connection.
type Stats struct {
	SentMessages, SentBytes, RecvMessages, RecvBytes, VideoDropped int64
	QueuedMessages                                                 int
}

// Stats returns the connection's counters.
func (s *Session) Stats() Stats {
	return Stats{
		SentMessages: s.sentMsgs.Load(), SentBytes: s.sentBytes.Load(),
		RecvMessages: s.recvMsgs.Load(), RecvBytes: s.recvBytes.Load(),
		VideoDropped: s.videoDropped.Load(), QueuedMessages: len(s.out),
	}
}

func encode(m ClientMessage) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode client message: %w", err)
	}
	return b, nil
}

// encodeBlob builds `<prefix>{"mimeType":"<mime>","data":"<base64>"}}}` directly: media is
// the hot path, and this avoids encoding/json's reflection and a second copy of the base64.
// The bytes are identical to what encoding/json writes for the same message.
func encodeBlob(prefix, mime string, data []byte) []byte {
	n := len(prefix) + len(`{"mimeType":"","data":""}}}`) + len(mime) + base64Len(len(data))
	b := make([]byte, 0, n)
	b = append(b, prefix...)
	b = append(b, `{"mimeType":"`...)
	b = append(b, mime...)
	b = append(b, `","data":"`...)
	b = appendBase64(b, data)
	b = append(b, `"}}}`...)
	return b
}

// DecodeServerMessage parses one server frame (text or binary, pretty or compact). Unknown
// fields are ignored.
func DecodeServerMessage(data []byte) (*ServerMessage, error) {
	t := bytes.TrimSpace(data)
	if len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object: %s", ErrMalformed, preview(t))
	}
	var m ServerMessage
	if err := json.Unmarshal(t, &m); err != nil {
		return nil, fmt.Errorf("%w: %v: %s", ErrMalformed, err, preview(t))
	}
	return &m, nil
}

func preview(b []byte) string {
	const max = 80
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("%q", s)
}
