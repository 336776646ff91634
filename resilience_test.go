package main

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/journal"
	"github.com/livedesk/livedesk/live/livetest"
	"github.com/livedesk/livedesk/settings"
	"github.com/livedesk/livedesk/ui"
)

// sentinelKey is the key the leak tests use: if it shows up in anything written, it leaked.
const sentinelKey = "AIza-SENTINEL-do-not-write-7f3c9"

// isolatedEnv is the environment of a child process with its own home, data and config
// directories, so what it writes can be searched.
func isolatedEnv(home string) []string {
	return append(cleanEnv("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "GEMINI_API_KEY", "GOOGLE_API_KEY"),
		"HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"GEMINI_API_KEY="+sentinelKey)
}

// TestKilledTalkKeepsTheTranscript kills `livedesk talk` (SIGKILL, no chance to clean up) in
// the middle of a conversation: after the restart the turns completed before the kill are in
// the conversation history.
func TestKilledTalkKeepsTheTranscript(t *testing.T) {
	bin := buildBinary(t)
	srv, err := livetest.Start(livetest.Options{APIKey: sentinelKey, Pace: livetest.RealTime,
		Responder: func(livetest.Turn) livetest.Reply {
			return livetest.Reply{Text: "The answer is forty-two, and here is a long explanation of why."}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	home := t.TempDir()
	cmd := exec.Command(bin, "talk", "--endpoint", srv.URL(), "--backend", "null", "--text", "what is the answer?", "--duration", "60s")
	cmd.Env = isolatedEnv(home)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := srv.Wait(ctx, func(cs []livetest.ConnInfo) bool { return len(cs) == 1 && cs[0].Turns >= 1 }); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no answer: %v\n%s", err, out.String())
	}
	time.Sleep(300 * time.Millisecond) // the turn's end reaches the client
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	list, err := journal.List(filepath.Join(home, "data", "livedesk", "conversations"))
	if err != nil || len(list) != 1 {
		t.Fatalf("after the kill: %d conversations, %v\n%s", len(list), err, out.String())
	}
	var user, model string
	finals := 0
	for _, e := range list[0].Entries {
		if e.Role == journal.RoleUser {
			user += e.Text
		} else {
			model += e.Text
		}
		if e.Final {
			finals++
		}
	}
	if user != "what is the answer?" || !strings.Contains(model, "forty-two") || finals < 2 {
		t.Errorf("history after the kill: user %q, model %q, %d final pieces", user, model, finals)
	}
}

// TestSecretsNeverWritten runs ask, talk and the window with a sentinel key against the fake
// server, and searches everything they print, log and write — terminal output, logs, the
// conversation history, the settings file, an export — for it.
func TestSecretsNeverWritten(t *testing.T) {
	bin := buildBinary(t)
	srv, err := livetest.Start(livetest.Options{APIKey: sentinelKey})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	home := t.TempDir()
	var printed bytes.Buffer
	for _, args := range [][]string{
		{"ask", "--endpoint", srv.URL(), "--text", "hello", "--out", filepath.Join(home, "reply.wav"), "-v"},
		{"ask", "--endpoint", srv.URL(), "--model", "gemini-0-missing", "--text", "hello"}, // an error path
		{"talk", "--endpoint", srv.URL(), "--backend", "null", "--text", "hello", "--duration", "3s", "-v"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Env = isolatedEnv(home)
		cmd.Stdout, cmd.Stderr = &printed, &printed
		cmd.Run()
	}

	// The window, in process (Fyne's test driver), logging to a buffer, with a settings file
	// and the history.
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := test.NewTempApp(t)
	br := ui.NewBridge()
	history := filepath.Join(home, "data", "livedesk", "conversations")
	c := call.New(call.Options{Log: log, Sink: br, Backend: audio.BackendNull, JournalDir: history})
	store, err := settings.OpenFileStore(filepath.Join(home, "config", "livedesk", "settings.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	w := ui.New(a, ui.Options{Call: c, Bridge: br, Logger: log, Store: store, HistoryDir: history,
		Keys:     &settings.Keys{Getenv: func(string) string { return sentinelKey }},
		Override: func(cfg settings.Config) settings.Config { cfg.Endpoint = srv.URL(); return cfg }})
	ctx, cancel := context.WithCancel(t.Context())
	callDone := make(chan error, 1)
	go func() { callDone <- c.Run(ctx) }()
	w.Connect()
	wctx, wcancel := context.WithCancel(ctx)
	winDone := make(chan error, 1)
	go func() { winDone <- w.Run(wctx) }()
	waitCtx, waitCancel := context.WithTimeout(ctx, 20*time.Second)
	defer waitCancel()
	// ask, talk and now the window complete a setup (the second ask is refused at setup).
	if _, err := srv.Wait(waitCtx, func(cs []livetest.ConnInfo) bool {
		n := 0
		for _, c := range cs {
			if c.SetupDone {
				n++
			}
		}
		return n >= 3
	}); err != nil {
		t.Fatalf("the window did not connect: %v\n%s", err, printed.String())
	}
	time.Sleep(200 * time.Millisecond) // the call is live (its state event precedes nothing we need)
	if err := c.SendText("hello from the window"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Wait(waitCtx, func(cs []livetest.ConnInfo) bool { return cs[len(cs)-1].Turns >= 1 }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let the bridge's last flush (≤ 33 ms away) happen
	wcancel()
	<-winDone
	var export bytes.Buffer
	if err := w.WriteTranscript(&export, ui.FormatJSON); err != nil {
		t.Fatal(err)
	}
	if err := settings.Save(store, settings.Load(store)); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-callDone

	check := func(what string, b []byte) {
		t.Helper()
		if bytes.Contains(b, []byte(sentinelKey)) {
			t.Errorf("%s contains the API key", what)
		}
	}
	check("terminal output", printed.Bytes())
	check("the window's log", logged.Bytes())
	check("the export", export.Bytes())
	files := 0
	filepath.WalkDir(home, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".wav") {
			return nil
		}
		b, _ := os.ReadFile(path)
		files++
		check(path, b)
		return nil
	})
	if files < 3 || !strings.Contains(printed.String(), "gemini:") || !strings.Contains(export.String(), "hello from the window") {
		t.Errorf("the runs did not do enough to prove anything: %d files written\n%s", files, printed.String())
	}
}
