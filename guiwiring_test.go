package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/live/livetest"
	"github.com/livedesk/livedesk/settings"
	"github.com/livedesk/livedesk/ui"
)

// TestGUIConnectFlowAgainstLivetest drives the window (Fyne's test driver) with the real
// conversation wiring — malgo's null audio backend as mic and speaker — against the fake Live
// server, and checks that state and transcripts reach the window.
func TestGUIConnectFlowAgainstLivetest(t *testing.T) {
	srv, err := livetest.Start(livetest.Options{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a := test.NewTempApp(t)
	br := ui.NewBridge()
	conv := &guiConversation{log: slog.New(slog.DiscardHandler), br: br, backend: audio.BackendNull, clipboard: func(string) error { return nil }}
	w := ui.New(a, ui.Options{Conversation: conv, Bridge: br, Override: func(c settings.Config) settings.Config {
		c.Endpoint, c.APIKey = srv.URL(), testKey
		return c
	}})
	// Fyne's test driver runs fyne.Do on the caller's goroutine instead of one UI goroutine, so
	// the test touches the window only while Run is not running: Connect queues its request
	// before Run starts, and the window is read after Run has returned.
	w.Connect()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		conv.Stop()
	}()
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if _, err := srv.Wait(wctx, func(cs []livetest.ConnInfo) bool { return len(cs) == 1 && cs[0].SetupDone && cs[0].AudioChunks > 5 }); err != nil {
		t.Fatalf("no connection streaming the null microphone: %v", err)
	}
	if err := conv.SendText("hello from the window"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Wait(wctx, func(cs []livetest.ConnInfo) bool { return cs[0].Turns >= 1 }); err != nil {
		t.Fatalf("no model turn: %v", err)
	}
	time.Sleep(time.Second) // let the bridge's last flush (≤ 33 ms away) happen
	cancel()
	if err := <-done; err != nil {
		t.Errorf("window Run = %v", err)
	}
	done <- nil
	turns := w.Turns()
	if len(turns) < 1 {
		t.Fatalf("turns = %+v", turns)
	}
	last := turns[len(turns)-1]
	if last.Role != ui.RoleModel || !strings.Contains(last.Text, "hello from the window") {
		t.Errorf("last turn = %+v, want the model's answer", last)
	}
	conv.Stop()
	if _, err := srv.Wait(t.Context(), func(cs []livetest.ConnInfo) bool { return cs[0].Closed }); err != nil {
		t.Fatalf("stopping did not close the connection: %v", err)
	}
	if c := srv.Conns()[0]; c.ClosedBy != "client" || c.CloseCode != 1000 {
		t.Errorf("closed by %s with %d, want a normal close by the client", c.ClosedBy, c.CloseCode)
	}
}
