package live

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// clearTimer is a Speaker that reports when Clear is called.
type clearTimer struct {
	mu      sync.Mutex
	gen     uint64
	cleared chan time.Time
}

func (c *clearTimer) Write(uint64, []byte) {}
func (c *clearTimer) Generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *clearTimer) Clear() uint64 {
	now := time.Now()
	c.mu.Lock()
	c.gen++
	g := c.gen
	c.mu.Unlock()
	c.cleared <- now
	return g
}

// BenchmarkInterruptToClear measures the client's share of barge-in latency: from the server
// writing serverContent.interrupted to the conversation calling Speaker.Clear (the audio
// package measures Clear → first silent device period). Reported as p50/p99 microseconds.
func BenchmarkInterruptToClear(b *testing.B) {
	sent := make(chan time.Time, 1)
	trigger := make(chan struct{})
	quit := make(chan struct{})
	rs := newRawServer(b, func(ctx context.Context, c *websocket.Conn, _ *http.Request) {
		c.Write(ctx, websocket.MessageBinary, []byte(setupCompletePretty))
		go func() {
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
		for {
			select {
			case <-quit:
				return
			case <-trigger:
			}
			t0 := time.Now()
			if err := c.Write(ctx, websocket.MessageBinary, []byte("{\n  \"serverContent\": {\n    \"interrupted\": true\n  }\n}\n")); err != nil {
				return
			}
			sent <- t0
		}
	})
	defer close(quit)
	spk := &clearTimer{cleared: make(chan time.Time, 1)}
	conv := NewConversation(testConfig(), ConversationOptions{
		Dial:    DialOptions{Endpoint: "ws" + rs.srv.URL[len("http"):], APIKey: "k"},
		Speaker: spk,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- conv.Run(ctx) }()
	go func() {
		for range conv.Events() {
		}
	}()
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		trigger <- struct{}{}
		t0 := <-sent
		t1 := <-spk.cleared
		lat = append(lat, t1.Sub(t0))
	}
	b.StopTimer()
	cancel()
	<-done
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
