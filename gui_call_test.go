package main

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/live/livetest"
	"github.com/livedesk/livedesk/settings"
	"github.com/livedesk/livedesk/ui"
)

// TestWindowMuteReachesServer drives the window (Fyne's test driver) with the real call core —
// malgo's null audio backend — against the fake Live server, and checks what reached the
// server: muted before connecting, and muted across the restart a settings change makes, not
// one audio message; unmuted, audio flows.
//
// Fyne's test driver runs fyne.Do on the caller's goroutine instead of one UI goroutine, so
// the test touches the window only while its Run (the bridge) is stopped.
func TestWindowMuteReachesServer(t *testing.T) {
	srv, err := livetest.Start(livetest.Options{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a := test.NewTempApp(t)
	br := ui.NewBridge()
	c := call.New(call.Options{Sink: br, Backend: audio.BackendNull})
	w := ui.New(a, ui.Options{Call: c, Bridge: br, Override: func(cfg settings.Config) settings.Config {
		cfg.Endpoint, cfg.APIKey = srv.URL(), testKey
		return cfg
	}})
	ctx, cancel := context.WithCancel(t.Context())
	callDone := make(chan error, 1)
	go func() { callDone <- c.Run(ctx) }()
	defer func() {
		cancel()
		<-callDone
	}()
	// window runs the bridge until the returned stop is called.
	window := func() (stop func()) {
		wctx, wcancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- w.Run(wctx) }()
		return func() {
			wcancel()
			if err := <-done; err != nil {
				t.Errorf("window Run = %v", err)
			}
		}
	}
	waitConns := func(what string, cond func([]livetest.ConnInfo) bool) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
		defer wcancel()
		if _, err := srv.Wait(wctx, cond); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	const chunks = 40 // 0.8 s of the null microphone

	w.ToggleMute()
	w.Connect()
	stop := window()
	waitConns("the first connection", func(cs []livetest.ConnInfo) bool { return len(cs) == 1 && cs[0].SetupDone })
	time.Sleep(chunks * 20 * time.Millisecond)
	stop()
	if n := srv.Conns()[0].AudioChunks; n != 0 {
		t.Errorf("muted before connecting, the server received %d audio messages", n)
	}

	w.Connect() // what saving the settings does while live
	stop = window()
	waitConns("the restarted connection", func(cs []livetest.ConnInfo) bool { return len(cs) == 2 && cs[1].SetupDone })
	time.Sleep(chunks * 20 * time.Millisecond)
	stop()
	if n := srv.Conns()[1].AudioChunks; n != 0 {
		t.Errorf("muted, then restarted by a settings change: the server received %d audio messages", n)
	}

	w.ToggleMute()
	stop = window()
	waitConns("audio after unmuting", func(cs []livetest.ConnInfo) bool { return len(cs) == 2 && cs[1].AudioChunks > 5 })
	stop()
}

// TestWindowVertex: with Vertex AI chosen in Settings (a project, a location and a
// service-account key file, no API key), the window does not ask for a key, and connecting
// reaches the Vertex route with a bearer token from the (fake) Google token endpoint and the
// model named in the project.
func TestWindowVertex(t *testing.T) {
	tokens, err := livetest.StartTokenServer(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer tokens.Close()
	keyFile, err := tokens.ServiceAccountFile(t.TempDir(), "acme-live")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := livetest.Start(livetest.Options{Bearer: tokens})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a := test.NewTempApp(t)
	br := ui.NewBridge()
	c := call.New(call.Options{Sink: br, Backend: audio.BackendNull})
	w := ui.New(a, ui.Options{Call: c, Bridge: br, Override: func(cfg settings.Config) settings.Config {
		cfg.Endpoint, cfg.APIKey = srv.URL(), ""
		cfg.Backend, cfg.VertexProject, cfg.VertexLocation, cfg.VertexKeyFile = "vertex", "acme-live", "europe-west4", keyFile
		cfg.Model = "gemini-live-2.5-flash-native-audio"
		return cfg
	}})
	ctx, cancel := context.WithCancel(t.Context())
	callDone := make(chan error, 1)
	go func() { callDone <- c.Run(ctx) }()
	defer func() {
		cancel()
		<-callDone
	}()
	w.Connect()
	wctx, wcancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
	defer scancel()
	cs, err := srv.Wait(sctx, func(cs []livetest.ConnInfo) bool { return len(cs) == 1 && cs[0].SetupDone })
	wcancel()
	<-done
	if err != nil {
		t.Fatalf("no Vertex connection: %v (%+v)", err, srv.Conns())
	}
	if cs[0].Backend != "vertex" || cs[0].Credential != livetest.CredBearerHeader ||
		cs[0].Model != "projects/acme-live/locations/europe-west4/publishers/google/models/gemini-live-2.5-flash-native-audio" {
		t.Errorf("connected as backend %q, credential %q, model %q", cs[0].Backend, cs[0].Credential, cs[0].Model)
	}
	if tokens.Issued() != 1 {
		t.Errorf("%d tokens issued for one connection", tokens.Issued())
	}
}
