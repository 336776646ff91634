package live_test

import (
	"context"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livedesk/livedesk/live"
	"github.com/livedesk/livedesk/live/livetest"
)

// freezingProxy is a TCP proxy that can silently stop forwarding, both ways, while keeping its
// connections open — what a dropped Wi-Fi, a sleeping laptop or a NAT timeout looks like from
// the client: no close, no error, just nothing. Connections made after a freeze work.
type freezingProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen []chan struct{} // one per proxied connection; closed to freeze it
	wg     sync.WaitGroup
	conns  []net.Conn
}

func newFreezingProxy(t *testing.T, target string) *freezingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezingProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *freezingProxy) addr() string { return p.ln.Addr().String() }

func (p *freezingProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		freeze := make(chan struct{})
		p.mu.Lock()
		p.frozen = append(p.frozen, freeze)
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(up, c, freeze)
		go p.pipe(c, up, freeze)
	}
}

// pipe copies src to dst until frozen; frozen, it neither reads nor writes (the kernel's
// buffers fill and the peer's writes block, as on a dead network).
func (p *freezingProxy) pipe(dst io.Writer, src io.Reader, freeze chan struct{}) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-freeze:
			return // drop what was read and stop
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// freezeAll freezes every connection made so far.
func (p *freezingProxy) freezeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.frozen {
		select {
		case <-f:
		default:
			close(f)
		}
	}
}

func (p *freezingProxy) close() {
	p.ln.Close()
	p.freezeAll()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// TestDeadNetworkNoticedAndHealed: the network silently stops; the conversation notices through
// its keepalive (shortened here; the defaults allow for the real server's 8–30 s pongs), says
// so, resumes the session on a new connection, and the microphone audio captured while it was
// down reaches the server.
func TestDeadNetworkNoticedAndHealed(t *testing.T) {
	srv, err := livetest.Start(livetest.Options{APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	target := strings.TrimPrefix(srv.URL(), "ws://")
	proxy := newFreezingProxy(t, target)

	mic := &fakeMic{pace: 20 * time.Millisecond} // real time: the backlog bound is in seconds
	alive := live.Keepalive{Interval: 100 * time.Millisecond, Timeout: 800 * time.Millisecond, WriteTimeout: 500 * time.Millisecond}
	if os.Getenv("LIVEDESK_DEADNET_DEFAULTS") != "" {
		// The figures for the README: the keepalive the app really uses (about a minute).
		alive = live.Keepalive{}
	}
	conv := live.NewConversation(defaultConfig(), live.ConversationOptions{
		Dial:    live.DialOptions{Endpoint: "ws://" + proxy.addr(), APIKey: key, Keepalive: alive},
		Mic:     mic,
		Speaker: &fakeSpeaker{},
		Backoff: live.Backoff{Initial: 50 * time.Millisecond, Max: 100 * time.Millisecond, Attempts: 5},
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- conv.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	events := make(chan live.Event, 1024)
	go func() {
		for ev := range conv.Events() {
			events <- ev
		}
		close(events)
	}()
	waitFor := func(what string, cond func(live.Event) bool) (live.Event, time.Time) {
		t.Helper()
		deadline := time.After(90 * time.Second)
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					err := <-done
					done <- err
					t.Fatalf("conversation ended while waiting for %s: %v", what, err)
				}
				if ev.Kind != live.EventMessage && ev.Kind != live.EventSpeech {
					t.Logf("event: %s", ev)
				}
				if cond(ev) {
					return ev, time.Now()
				}
			case <-deadline:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("live", isState(live.StateLive))
	waitServer(t, srv, "audio and a handle", func(cs []livetest.ConnInfo) bool { return cs[0].AudioChunks > 10 && len(cs[0].Handles) > 0 })

	frozeAt := time.Now()
	proxy.freezeAll()
	lostEv, noticedAt := waitFor("the loss noticed", func(e live.Event) bool { return e.Kind == live.EventState && e.State == live.StateReconnecting })
	producedAtNotice := mic.produced.Load()
	_, liveAt := waitFor("live again", func(e live.Event) bool { return e.Kind == live.EventState && e.State == live.StateLive })
	cs := waitServer(t, srv, "the resumed connection streaming", func(cs []livetest.ConnInfo) bool { return len(cs) == 2 && cs[1].AudioSamples > 0 })
	if cs[1].ResumedHandle == "" {
		t.Error("the new connection did not resume the session")
	}
	if lostEv.Err == nil || !strings.Contains(lostEv.Err.Error(), "stopped answering") {
		t.Errorf("the loss was reported as %v, want the keepalive's words", lostEv.Err)
	}
	// Everything captured from the moment the loss was noticed reaches the new connection.
	time.Sleep(300 * time.Millisecond)
	mic.Stop()
	time.Sleep(300 * time.Millisecond)
	produced := mic.produced.Load()
	got := int64(srv.Conns()[1].AudioSamples)
	if want := produced - producedAtNotice; got < want {
		t.Errorf("the new connection received %d samples; %d were captured after the loss was noticed", got, want)
	}
	st := conv.Stats()
	if st.MicDroppedBacklog != 0 {
		t.Errorf("%d chunks dropped from the backlog in a short outage", st.MicDroppedBacklog)
	}
	t.Logf("frozen → noticed %s (keepalive %+v; zero is the app's default), noticed → live again %s; %d samples on the new connection",
		noticedAt.Sub(frozeAt).Round(time.Millisecond), alive, liveAt.Sub(noticedAt).Round(time.Millisecond), got)
}

// TestLongOutageSaysWhatWasLost: when the outage outlasts the microphone backlog, the oldest
// audio is dropped, counted, and the conversation says so in words once it is live again.
func TestLongOutageSaysWhatWasLost(t *testing.T) {
	srv, err := livetest.Start(livetest.Options{APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	proxy := newFreezingProxy(t, strings.TrimPrefix(srv.URL(), "ws://"))
	h := &harness{t: t, srv: srv, mic: &fakeMic{pace: 20 * time.Millisecond}, spk: &fakeSpeaker{}, done: make(chan error, 1), notify: make(chan struct{}, 1), collected: make(chan struct{})}
	h.conv = live.NewConversation(defaultConfig(), live.ConversationOptions{
		Dial:    live.DialOptions{Endpoint: "ws://" + proxy.addr(), APIKey: key, Keepalive: live.Keepalive{Interval: 100 * time.Millisecond, Timeout: 1500 * time.Millisecond, WriteTimeout: time.Second}},
		Mic:     h.mic,
		Speaker: h.spk,
		Backlog: 300 * time.Millisecond,
		Backoff: live.Backoff{Initial: 50 * time.Millisecond, Max: 100 * time.Millisecond, Attempts: 5},
	})
	h.start()
	h.waitEvent("live", isState(live.StateLive))
	waitServer(t, srv, "audio", func(cs []livetest.ConnInfo) bool { return cs[0].AudioChunks > 10 })
	proxy.freezeAll()
	ev := h.waitEvent("the loss in words", func(e live.Event) bool {
		return e.Kind == live.EventWarning && strings.Contains(e.Err.Error(), "was lost")
	})
	if st := h.conv.Stats(); st.MicDroppedBacklog == 0 {
		t.Errorf("no drops counted, yet the warning says %v", ev.Err)
	}
	t.Log(ev.Err)
}
