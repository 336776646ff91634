package livetest

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
)

// pipeListener is an in-memory net.Listener: inside a synctest bubble every
// read and write blocks on channels, so the bubble's fake clock drives the
// fake's pacing timers deterministically.
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

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	a, b := net.Pipe()
	select {
	case l.conns <- a:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// inBubble starts a fake on an in-memory listener and dials it; call it inside
// synctest.Test. Everything is torn down when the bubble's test ends.
func inBubble(t *testing.T, opt Options) (*Server, *client) {
	t.Helper()
	s := New(opt)
	l := newPipeListener()
	hs := &http.Server{Handler: s.Handler()}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = hs.Serve(l)
	}()
	tr := &http.Transport{DialContext: l.dial}
	ws, _, err := websocket.Dial(t.Context(), "ws://fake"+livePath+"?key=k", &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() {
		_ = ws.CloseNow()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		_ = hs.Close()
		<-served
		tr.CloseIdleConnections()
	})
	// Reads may wait for hours of fake time.
	return s, &client{t: t, ws: ws, timeout: 24 * time.Hour}
}

// connectBubble is inBubble plus setup; the first message must be setupComplete.
func connectBubble(t *testing.T, opt Options, setup string) (*Server, *client) {
	t.Helper()
	s, c := inBubble(t, opt)
	c.sendRaw(setup)
	if m := c.recv(); !has(m, "setupComplete") {
		t.Fatalf("first message = %v, want setupComplete", m)
	}
	return s, c
}

// TestPacing checks that model audio is sent at Pace × real time, measured on
// synctest's fake clock (exact, no wall-clock assertion).
func TestPacing(t *testing.T) {
	tests := []struct {
		pace     float64
		chunkDur time.Duration
	}{
		{RealTime, 100 * time.Millisecond},
		{2, 100 * time.Millisecond},
		{RealTime, 240 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, c := inBubble(t, Options{Pace: tt.pace, ChunkDur: tt.chunkDur})
				c.sendRaw(setupJSON("gemini-3.8-live", ""))
				c.recv()
				c.send(msg{"realtimeInput": msg{"text": "pace yourself please"}})

				var times []time.Time
				var audio []byte
				for {
					m := c.recv()
					if has(m, "serverContent.modelTurn") {
						times = append(times, time.Now())
						audio = append(audio, audioOf(t, []msg{m})...)
					}
					if has(m, "serverContent.turnComplete") {
						break
					}
				}
				chunk := int(tt.chunkDur.Seconds() * OutputRate)
				want := (len(audio)/2 + chunk - 1) / chunk
				if len(times) != want {
					t.Fatalf("%d chunks, want %d", len(times), want)
				}
				for i := 1; i < len(times); i++ {
					gap := times[i].Sub(times[i-1])
					if wantGap := time.Duration(float64(tt.chunkDur) / tt.pace); gap != wantGap {
						t.Fatalf("chunk %d came %v after the previous one, want %v", i, gap, wantGap)
					}
				}
			})
		})
	}
}

// TestLifetimesOnFakeClock checks the default connection lifetime and the
// session caps on synctest's clock: goAway at 9:00 with "50s", close at 9:50;
// audio sessions without compression end at 15:00, audio+video at 2:00.
func TestLifetimesOnFakeClock(t *testing.T) {
	tests := []struct {
		name      string
		opt       Options
		setup     string
		video     bool
		wantGoAwy bool
		wantAt    time.Duration
	}{
		{"default goAway and deadline", Options{AudioSessionCap: -1}, setupJSON("gemini-3.8-live", ""), false, true, 9*time.Minute + 50*time.Second},
		{"audio cap", Options{GoAwayAfter: -1, ConnLifetime: -1}, setupJSON("gemini-3.8-live", ""), false, false, 15 * time.Minute},
		{"video cap", Options{GoAwayAfter: -1, ConnLifetime: -1}, setupJSON("gemini-3.8-live", ""), true, false, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, c := inBubble(t, tt.opt)
				t0 := time.Now()
				c.sendRaw(tt.setup)
				c.recv()
				if tt.video {
					c.send(msg{"realtimeInput": msg{"video": msg{"mimeType": "image/jpeg", "data": jpegFrame(t, 8, 8)}}})
				}
				if tt.wantGoAwy {
					m := c.recv()
					if got := str(m, "goAway.timeLeft"); got != "50s" || time.Since(t0) != 9*time.Minute {
						t.Errorf("at %v got %v, want goAway 50s at 9m0s", time.Since(t0), m)
					}
				}
				code, reason := c.closed()
				if code != 1008 || reason != ReasonAborted || time.Since(t0) != tt.wantAt {
					t.Errorf("closed %d %q at %v, want 1008 at %v", code, reason, time.Since(t0), tt.wantAt)
				}
			})
		})
	}
}

// TestCompressionLiftsCaps: with contextWindowCompression an audio+video
// session outlives the caps (fake clock).
func TestCompressionLiftsCaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, c := inBubble(t, Options{GoAwayAfter: -1, ConnLifetime: -1})
		c.sendRaw(setupJSON("gemini-3.8-live", `"contextWindowCompression":{"slidingWindow":{}}`))
		c.recv()
		c.send(msg{"realtimeInput": msg{"video": msg{"mimeType": "image/jpeg", "data": jpegFrame(t, 8, 8)}}})
		time.Sleep(time.Hour)
		c.send(msg{"realtimeInput": msg{"text": "still here?"}})
		c.recvUntil("serverContent.turnComplete")
	})
}
