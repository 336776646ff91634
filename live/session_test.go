package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rawServer is a minimal scripted WebSocket peer for framing and error-path tests; the
// protocol-level fake is live/livetest.
type rawServer struct {
	t      testing.TB
	srv    *httptest.Server
	script func(ctx context.Context, c *websocket.Conn, r *http.Request)
	mu     sync.Mutex
	setup  []byte
	header http.Header
	query  string
}

func newRawServer(t testing.TB, script func(ctx context.Context, c *websocket.Conn, r *http.Request)) *rawServer {
	rs := &rawServer{t: t, script: script}
	rs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		rs.header, rs.query = r.Header.Clone(), r.URL.RawQuery
		rs.mu.Unlock()
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(64 << 20)
		_, setup, err := c.Read(r.Context())
		if err != nil {
			return
		}
		rs.mu.Lock()
		rs.setup = setup
		rs.mu.Unlock()
		rs.script(r.Context(), c, r)
	}))
	t.Cleanup(rs.srv.Close)
	return rs
}

func (rs *rawServer) dial(t *testing.T) (*Session, error) {
	return Dial(t.Context(), DialOptions{Endpoint: "ws" + strings.TrimPrefix(rs.srv.URL, "http"), APIKey: "test-key-123", SetupTimeout: 5 * time.Second},
		Setup{Model: "models/gemini-3.8-live"})
}

const setupCompletePretty = "{\n  \"setupComplete\": {}\n}\n"

func run(t *testing.T, s *Session) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- s.Run(t.Context()) }()
	t.Cleanup(func() { s.Close() })
	return errc
}

func TestSessionFramesAndMessages(t *testing.T) {
	rs := newRawServer(t, func(ctx context.Context, c *websocket.Conn, _ *http.Request) {
		c.Write(ctx, websocket.MessageBinary, []byte(setupCompletePretty))
		c.Write(ctx, websocket.MessageBinary, []byte("{\n  \"serverContent\": {\n    \"outputTranscription\": {\"text\": \" Hi\"}\n  }\n}\n"))
		c.Write(ctx, websocket.MessageText, []byte(`{"serverContent":{"turnComplete":true},"usageMetadata":{"totalTokenCount":"12"}}`))
		c.Write(ctx, websocket.MessageBinary, []byte("this is not json"))
		big := `{"serverContent":{"modelTurn":{"parts":[{"inlineData":{"mimeType":"audio/pcm;rate=24000","data":"` + strings.Repeat("AAAA", 100000) + `"}}]}}}`
		c.Write(ctx, websocket.MessageBinary, []byte(big))
		// Echo what the client sends until it closes.
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			c.Write(ctx, websocket.MessageText, []byte(`{"serverContent":{"inputTranscription":{"text":`+jsonString(string(b))+`}}}`))
		}
	})
	s, err := rs.dial(t)
	if err != nil {
		t.Fatal(err)
	}
	errc := run(t, s)

	rs.mu.Lock()
	if got := rs.header.Get("x-goog-api-key"); got != "test-key-123" {
		t.Errorf("x-goog-api-key = %q", got)
	}
	if strings.Contains(rs.query, "test-key-123") {
		t.Errorf("key leaked into the URL query %q", rs.query)
	}
	if string(rs.setup) != `{"setup":{"model":"models/gemini-3.8-live"}}` {
		t.Errorf("setup = %s", rs.setup)
	}
	rs.mu.Unlock()

	ctx := t.Context()
	m, err := s.Recv(ctx)
	if err != nil || m.ServerContent.OutputTranscription.Text != " Hi" {
		t.Fatalf("first = %+v, %v", m, err)
	}
	m, err = s.Recv(ctx)
	if err != nil || !m.ServerContent.TurnComplete || m.UsageMetadata.TotalTokenCount != 12 {
		t.Fatalf("second = %+v, %v", m, err)
	}
	if _, err = s.Recv(ctx); !errors.Is(err, ErrMalformed) {
		t.Fatalf("third err = %v, want ErrMalformed", err)
	}
	m, err = s.Recv(ctx)
	if err != nil || len(m.ServerContent.ModelTurn.Parts[0].InlineData.Data) != 300000 {
		t.Fatalf("big message: %v", err)
	}
	if err := s.SendText(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	m, err = s.Recv(ctx)
	if err != nil || m.ServerContent.InputTranscription.Text != `{"realtimeInput":{"text":"hello"}}` {
		t.Fatalf("echo = %+v, %v", m, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("Run = %v, want ErrClosed", err)
	}
	if err := s.SendText(ctx, "after close"); !errors.Is(err, ErrClosed) {
		t.Errorf("send after close = %v, want ErrClosed", err)
	}
	s.Close() // idempotent
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestSessionServerClose(t *testing.T) {
	const quota = "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: h"
	rs := newRawServer(t, func(ctx context.Context, c *websocket.Conn, _ *http.Request) {
		c.Write(ctx, websocket.MessageBinary, []byte(setupCompletePretty))
		c.Write(ctx, websocket.MessageBinary, []byte(`{"serverContent":{"generationComplete":true}}`))
		c.Close(websocket.StatusInternalError, quota)
	})
	s, err := rs.dial(t)
	if err != nil {
		t.Fatal(err)
	}
	errc := run(t, s)
	runErr := <-errc
	if !errors.Is(runErr, ErrQuota) || !IsPermanent(runErr) {
		t.Fatalf("Run = %v, want a permanent ErrQuota", runErr)
	}
	// The message sent before the close is still delivered, then the close.
	if m, err := s.Recv(t.Context()); err != nil || !m.ServerContent.GenerationComplete {
		t.Fatalf("Recv = %+v, %v", m, err)
	}
	_, err = s.Recv(t.Context())
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusInternalError || ce.Reason != quota {
		t.Fatalf("Recv err = %v, want the close", err)
	}
	if !strings.Contains(err.Error(), "quota") {
		t.Errorf("message %q does not explain", err)
	}
}

func TestDialErrors(t *testing.T) {
	t.Run("setup rejected 1007", func(t *testing.T) {
		rs := newRawServer(t, func(ctx context.Context, c *websocket.Conn, _ *http.Request) {
			c.Close(websocket.StatusInvalidFramePayloadData, `Invalid JSON payload received. Unknown name "config": Cannot find field.`)
		})
		_, err := rs.dial(t)
		if !errors.Is(err, ErrBadRequest) || !IsPermanent(err) || !strings.Contains(err.Error(), `Unknown name "config"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("first message not setupComplete", func(t *testing.T) {
		rs := newRawServer(t, func(ctx context.Context, c *websocket.Conn, _ *http.Request) {
			c.Write(ctx, websocket.MessageBinary, []byte(`{"serverContent":{}}`))
			c.Read(ctx)
		})
		if _, err := rs.dial(t); !errors.Is(err, ErrMalformed) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		rs := newRawServer(t, func(ctx context.Context, c *websocket.Conn, _ *http.Request) { c.Read(ctx) })
		_, err := Dial(t.Context(), DialOptions{Endpoint: "ws" + strings.TrimPrefix(rs.srv.URL, "http"), APIKey: "k", SetupTimeout: 100 * time.Millisecond}, Setup{Model: "models/m"})
		if !errors.Is(err, ErrSetupTimeout) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("http 403", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "API key not valid. Please pass a valid API key.", http.StatusForbidden)
		}))
		defer srv.Close()
		_, err := Dial(t.Context(), DialOptions{Endpoint: "ws" + strings.TrimPrefix(srv.URL, "http"), APIKey: "secret-key-987"}, Setup{Model: "models/m"})
		var he *HandshakeError
		if !errors.As(err, &he) || !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("err = %v", err)
		}
		if strings.Contains(err.Error(), "secret-key-987") {
			t.Errorf("error leaks the key: %v", err)
		}
	})
	t.Run("no key", func(t *testing.T) {
		if _, err := Dial(t.Context(), DialOptions{}, Setup{}); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := "ws" + strings.TrimPrefix(srv.URL, "http")
		srv.Close()
		_, err := Dial(t.Context(), DialOptions{Endpoint: url, APIKey: "secret-key-987"}, Setup{})
		if err == nil || strings.Contains(err.Error(), "secret-key-987") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestSlowSocketDropsVideoBeforeAudio stalls the server's reads: audio must all arrive, in
// order, while stale video frames are replaced rather than queued.
func TestSlowSocketDropsVideoBeforeAudio(t *testing.T) {
	release := make(chan struct{})
	type result struct {
		audio  []byte
		frames int
	}
	results := make(chan result, 1)
	rs := newRawServer(t, func(ctx context.Context, c *websocket.Conn, _ *http.Request) {
		c.Write(ctx, websocket.MessageBinary, []byte(setupCompletePretty))
		<-release
		var res result
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				results <- res
				return
			}
			var m ClientMessage
			if err := json.Unmarshal(b, &m); err != nil {
				t.Errorf("bad client message: %v", err)
				continue
			}
			switch {
			case m.RealtimeInput != nil && m.RealtimeInput.Audio != nil:
				res.audio = append(res.audio, m.RealtimeInput.Audio.Data...)
			case m.RealtimeInput != nil && m.RealtimeInput.Video != nil:
				res.frames++
			case m.RealtimeInput != nil && m.RealtimeInput.AudioStreamEnd:
				results <- res
				return
			}
		}
	})
	s, err := rs.dial(t)
	if err != nil {
		t.Fatal(err)
	}
	run(t, s)
	ctx := t.Context()

	const chunks, frames = 400, 60
	frame := bytes.Repeat([]byte{0xAB}, 256<<10)
	var want []byte
	done := make(chan error, 1)
	go func() {
		for i := range chunks {
			chunk := bytes.Repeat([]byte{byte(i)}, 640)
			want = append(want, chunk...)
			if err := s.SendAudio(ctx, chunk); err != nil {
				done <- err
				return
			}
		}
		done <- s.SendAudioStreamEnd(ctx)
	}()
	for range frames {
		if err := s.SendVideo(frame); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	res := <-results
	if !bytes.Equal(res.audio, want) {
		t.Fatalf("audio: got %d bytes, want %d in order", len(res.audio), len(want))
	}
	dropped := s.Stats().VideoDropped
	if dropped == 0 || int64(res.frames)+dropped > frames {
		t.Errorf("video: %d received, %d dropped of %d offered; want drops and no duplicates", res.frames, dropped, frames)
	}
}
