package livetest

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
)

// inBubble starts a fake and dials it over PipeClient; call it inside
// synctest.Test. Everything is torn down when the bubble's test ends.
func inBubble(t *testing.T, opt Options) (*Server, *client) {
	t.Helper()
	s := New(opt)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, dialBubble(t, s)
}

// dialBubble dials s over its PipeClient (inside a synctest bubble). Reads
// may wait for hours of fake time.
func dialBubble(t *testing.T, s *Server) *client {
	t.Helper()
	ws, _, err := websocket.Dial(t.Context(), PipeURL+livePath+"?key=k", &websocket.DialOptions{HTTPClient: s.PipeClient()})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	return newClient(t, ws, 24*time.Hour)
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
