//go:build linux

package ui

import (
	"bytes"
	"image"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/internal/xwin"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestGlobalShortcuts: with another X client focused, the default global shortcuts reach the
// call — push-to-talk held and released (manual voice detection), mute toggled, sharing stopped.
func TestGlobalShortcuts(t *testing.T) {
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		t.Skip("types keys into the X server: run under scripts/with-testenv.sh")
	}
	other, err := xwin.Open(image.Rect(100, 100, 500, 400), 0x2060a0)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	xdo := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("xdotool", args...).CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v: %s", args, err, out)
		}
	}
	xdo("windowfocus", strconv.Itoa(int(other.ID())))

	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }}
	logs := &syncBuf{}
	w, _ = newTestWindow(t, Options{Call: conv, GlobalShortcuts: true,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	w.cfg.AutoVAD = false // push-to-talk
	w.SetShare(call.Share{Kind: call.ShareScreen})
	done := make(chan error, 1)
	go func() { done <- w.Run(t.Context()) }()
	wait := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("%s; log:\n%s", what, logs.String())
	}
	wait("shortcuts not grabbed", func() bool { return strings.Contains(logs.String(), `msg="global shortcuts" bound=3 failed=0`) })
	state := func() (ptt, muted bool, share call.Share) {
		conv.mu.Lock()
		defer conv.mu.Unlock()
		return conv.ptt, conv.muted, conv.shares[len(conv.shares)-1]
	}

	xdo("keydown", "ctrl+alt+space")
	wait("push-to-talk not down", func() bool { p, _, _ := state(); return p })
	xdo("keyup", "ctrl+alt+space")
	wait("push-to-talk not released", func() bool { p, _, _ := state(); return !p })
	xdo("key", "ctrl+alt+m")
	wait("not muted", func() bool { _, m, _ := state(); return m })
	xdo("key", "ctrl+alt+x")
	wait("still sharing", func() bool { _, _, s := state(); return s.Kind == call.ShareNone })
}
