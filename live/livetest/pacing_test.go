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
				s := New(Options{Pace: tt.pace, ChunkDur: tt.chunkDur})
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
				c := &client{t: t, ws: ws}
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
				_ = ws.CloseNow()
				if err := s.Close(); err != nil {
					t.Error(err)
				}
				_ = hs.Close()
				<-served
				tr.CloseIdleConnections()
			})
		})
	}
}
