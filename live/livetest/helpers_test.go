package livetest

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const livePath = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"

// testTimeout bounds every blocking step so a broken server fails a test
// instead of hanging it. It is never used to assert durations.
const testTimeout = 20 * time.Second

func start(t testing.TB, opt Options) *Server {
	t.Helper()
	s, err := Start(opt)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// client is an independent raw WebSocket client for the tests: it decodes
// server frames as generic JSON, never with the package's own types. Like
// every real client it reads all the time (so it answers pings): a goroutine
// queues the frames it reads until the test takes them.
type client struct {
	t       testing.TB
	ws      *websocket.Conn
	timeout time.Duration // per read; 0 = testTimeout

	mu     sync.Mutex
	frames []frame
	err    error         // the read error that ended the reader
	more   chan struct{} // signalled when frames or err change
	done   chan struct{} // closed when the reader has returned
}

type frame struct {
	typ  websocket.MessageType
	data []byte
}

// newClient starts reading ws; the test's cleanup closes it and waits for the reader.
func newClient(t testing.TB, ws *websocket.Conn, timeout time.Duration) *client {
	c := &client{t: t, ws: ws, timeout: timeout, more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			typ, b, err := ws.Read(context.Background())
			c.mu.Lock()
			if err != nil {
				c.err = err
			} else {
				c.frames = append(c.frames, frame{typ, b})
			}
			c.mu.Unlock()
			select {
			case c.more <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = ws.CloseNow()
		<-c.done
	})
	return c
}

type msg map[string]any

func dialPath(t testing.TB, s *Server, path string, hdr http.Header) (*client, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, s.URL()+path, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		return nil, resp, err
	}
	ws.SetReadLimit(32 << 20)
	return newClient(t, ws, 0), resp, nil
}

func dial(t testing.TB, s *Server) *client {
	t.Helper()
	c, _, err := dialPath(t, s, livePath+"?key=test-key", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

// connect dials, sends setup and reads setupComplete.
func connect(t testing.TB, s *Server, setup string) *client {
	t.Helper()
	c := dial(t, s)
	c.sendRaw(setup)
	m := c.recv()
	if _, ok := m["setupComplete"]; !ok {
		t.Fatalf("first message = %v, want setupComplete", m)
	}
	return c
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(string(b))
}

func (c *client) sendAudio(pcm []int16) {
	c.t.Helper()
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	c.send(msg{"realtimeInput": msg{"audio": msg{"mimeType": "audio/pcm;rate=16000", "data": base64.StdEncoding.EncodeToString(b)}}})
}

// sendAudioChunked sends pcm in 100 ms chunks.
func (c *client) sendAudioChunked(pcm []int16) {
	c.t.Helper()
	for len(pcm) > 0 {
		n := min(len(pcm), 1600)
		c.sendAudio(pcm[:n])
		pcm = pcm[n:]
	}
}

// read returns the next frame, or the error that ended the connection.
func (c *client) read() (websocket.MessageType, []byte, error) {
	d := c.timeout
	if d == 0 {
		d = testTimeout
	}
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	for {
		c.mu.Lock()
		if len(c.frames) > 0 {
			f := c.frames[0]
			c.frames = c.frames[1:]
			c.mu.Unlock()
			return f.typ, f.data, nil
		}
		err := c.err
		c.mu.Unlock()
		if err != nil {
			return 0, nil, err
		}
		select {
		case <-c.more:
		case <-timeout.C:
			return 0, nil, fmt.Errorf("no frame for %v", d)
		}
	}
}

func (c *client) recv() msg {
	c.t.Helper()
	_, b, err := c.read()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m msg
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("server sent non-JSON %q: %v", b, err)
	}
	return m
}

// recvUntil collects messages up to and including the first one with part.
func (c *client) recvUntil(part string) []msg {
	c.t.Helper()
	var got []msg
	for {
		m := c.recv()
		got = append(got, m)
		if has(m, part) {
			return got
		}
	}
}

// closed reads until the connection ends and returns the close code and reason.
func (c *client) closed() (websocket.StatusCode, string) {
	c.t.Helper()
	for {
		_, _, err := c.read()
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Reason
		}
		return websocket.CloseStatus(err), err.Error()
	}
}

// probe is a frame the fake always refuses with probeReason. Client messages are
// handled in order, so sending it after messages that should be accepted and
// getting probeReason back proves that none of them closed the connection.
const (
	probe       = `{"realtimeInput":{"probe":{}}}`
	probeReason = `Invalid JSON payload received. Unknown name "probe" at 'realtime_input': Cannot find field.`
)

// expectClose reads until the connection closes and checks how; wantReason ""
// means the messages sent so far must have been accepted: it sends the probe
// and expects its close.
func (c *client) expectClose(wantCode websocket.StatusCode, wantReason string) {
	c.t.Helper()
	if wantReason == "" {
		c.sendRaw(probe)
		wantCode, wantReason = websocket.StatusInvalidFramePayloadData, probeReason
	}
	if code, reason := c.closed(); code != wantCode || reason != closeReason(wantReason) {
		c.t.Errorf("close = %d %q\nwant    %d %q", code, reason, wantCode, wantReason)
	}
}

// get walks a dotted path ("serverContent.turnComplete") through m.
func get(m msg, path string) (any, bool) {
	var cur any = map[string]any(m)
	for p := range strings.SplitSeq(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = obj[p]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

func has(m msg, path string) bool {
	_, ok := get(m, path)
	return ok
}

func str(m msg, path string) string {
	v, _ := get(m, path)
	s, _ := v.(string)
	return s
}

// parts lists what each message carried, in the order of the server's Sent log.
func parts(ms []msg) []string {
	order := []string{
		"setupComplete", "serverContent.inputTranscription", "serverContent.interimInputTranscription", "serverContent.modelTurn",
		"serverContent.outputTranscription", "serverContent.groundingMetadata", "serverContent.interrupted",
		"serverContent.generationComplete", "serverContent.turnComplete", "toolCall", "toolCallCancellation",
		"goAway", "sessionResumptionUpdate", "voiceActivity", "usageMetadata",
	}
	var out []string
	for _, m := range ms {
		for _, p := range order {
			if has(m, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// audioOf concatenates the model audio in ms and checks its MIME type.
func audioOf(t testing.TB, ms []msg) []byte {
	t.Helper()
	var out []byte
	for _, m := range ms {
		v, ok := get(m, "serverContent.modelTurn.parts")
		if !ok {
			continue
		}
		for _, p := range v.([]any) {
			pm := msg(p.(map[string]any))
			if !has(pm, "inlineData") {
				continue
			}
			if mt := str(pm, "inlineData.mimeType"); mt != "audio/pcm;rate=24000" {
				t.Errorf("mimeType = %q", mt)
			}
			b, err := base64.StdEncoding.DecodeString(str(pm, "inlineData.data"))
			if err != nil {
				t.Fatalf("audio data: %v", err)
			}
			out = append(out, b...)
		}
	}
	return out
}

func transcript(ms []msg, field string) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(str(m, "serverContent."+field+".text"))
	}
	return b.String()
}

// speech returns d of speech-like 16 kHz audio (the synthesiser's output,
// resampled) followed by silence.
func speech(d, silence time.Duration) []int16 {
	b := Synthesize(strings.Repeat("hello there ", 20))
	pcm24 := make([]int16, len(b)/2)
	for i := range pcm24 {
		pcm24[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	pcm := resample(pcm24, OutputRate, InputRate)
	n := int(d.Seconds() * InputRate)
	for len(pcm) < n {
		pcm = append(pcm, pcm...)
	}
	// Replace the synthesiser's word gaps by low noise so the utterance is one turn.
	out := pcm[:n:n]
	for i, v := range out {
		if v == 0 {
			out[i] = int16(800 * math.Sin(float64(i)*0.3))
		}
	}
	return append(out, make([]int16, int(silence.Seconds()*InputRate))...)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func setupJSON(model string, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return fmt.Sprintf(`{"setup":{"model":"models/%s","generationConfig":{"responseModalities":["AUDIO"]}%s}}`, model, extra)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
