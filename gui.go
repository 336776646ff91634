package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/journal"
	"github.com/livedesk/livedesk/live/livetest"
	"github.com/livedesk/livedesk/overlay"
	"github.com/livedesk/livedesk/settings"
	"github.com/livedesk/livedesk/ui"
)

// AppID is the application ID (also in FyneApp.toml); Fyne keys preferences by it.
const AppID = "io.github.livedesk.livedesk"

// guiOptions is the parsed command line of the window.
type guiOptions struct {
	endpoint string
	connect  bool
	share    call.Share
	demo     bool
}

func parseGUIArgs(args []string, stderr io.Writer) (guiOptions, error) {
	var o guiOptions
	fs := flag.NewFlagSet("livedesk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.endpoint, "endpoint", "", "Live API base URL for this run (e.g. ws://127.0.0.1:9000 for a test server)")
	fs.BoolVar(&o.connect, "connect", false, "connect as soon as the window opens")
	share := fs.String("share", "", "share at start: screen, screen:N (N from 0), screen:all, camera or camera:DEV")
	fs.BoolVar(&o.demo, "demo", false, "try the app without a key against the built-in fake server")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: livedesk [--endpoint URL] [--connect] [--share screen[:N|all]|camera[:DEV]] [--demo]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.share, err = call.ParseShare(*share); err != nil {
		return o, fmt.Errorf("--share: %w", err)
	}
	if o.endpoint != "" {
		c := settings.Default()
		c.Endpoint = o.endpoint
		if err := c.Validate(); err != nil {
			return o, fmt.Errorf("--endpoint: %s", settings.FieldMessage(err, "Endpoint"))
		}
	}
	if o.demo && o.endpoint != "" {
		return o, errors.New("--demo and --endpoint cannot be combined")
	}
	return o, nil
}

// runGUI runs the desktop app and returns the process exit code. It only composes: the call
// core (call), the window (ui) and, for --demo, the built-in fake server.
func runGUI(args []string) int {
	o, err := parseGUIArgs(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "livedesk:", err)
		return 2
	}
	if !desktopSession(os.Getenv) {
		fmt.Fprintln(os.Stderr, "livedesk: the window needs a desktop session (no DISPLAY or WAYLAND_DISPLAY is set); in a terminal, `livedesk talk` holds a spoken conversation")
		return 1
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	var wg sync.WaitGroup
	defer waitShutdown(&wg, log)
	defer cancel() // runs before the wait: stops every goroutine started below

	if err := ui.LoadTranslations(); err != nil {
		log.Warn("translations", "err", err)
	}
	a := app.NewWithID(AppID)
	a.SetIcon(ui.Icon)
	defer takeStopHook(a, log)()

	br := ui.NewBridge()
	history, err := journal.Dir()
	if err != nil {
		br.Post(call.NoticeEvent{Text: err.Error()})
	}
	// What Gemini points at is outlined on the desktop; nothing runs while nothing is shown.
	hl := overlay.NewHighlighter()
	defer hl.Close()
	c := call.New(call.Options{Log: log, Sink: br, Backend: audio.BackendDefault, Clipboard: ui.Clipboard(a, br), JournalDir: history, Highlighter: hl})
	opts := ui.Options{Logger: log, Bridge: br, Call: c, Devices: call.Devices{Backend: audio.BackendDefault, Log: log},
		Demo: o.demo, CheckFonts: true, HistoryDir: history, GlobalShortcuts: true,
		Tray: ui.SessionBus(), TrayHost: ui.TrayHost}
	// Settings live in a file of their own, written atomically; Fyne's preferences (where
	// earlier versions kept them) are read once to carry them over.
	if path, err := settings.DefaultFile(); err != nil {
		br.Post(call.NoticeEvent{Text: err.Error()})
	} else {
		store, err := settings.OpenFileStore(path, a.Preferences())
		if err != nil {
			br.Post(call.NoticeEvent{Text: err.Error()})
		}
		opts.Store = store
	}
	if file, err := settings.DefaultKeyFile(); err == nil {
		opts.Keys = &settings.Keys{FilePath: file}
	}
	var demoOnce sync.Once
	var demoURL string
	var demoErr error
	opts.StartDemo = func() (string, error) { // "Try the demo" on the welcome screen
		demoOnce.Do(func() { demoURL, demoErr = startDemo(ctx, log, &wg) })
		return demoURL, demoErr
	}
	if o.demo { // the same demo as the welcome screen's button, from the start
		if opts.DemoEndpoint, err = opts.StartDemo(); err != nil {
			log.Error("demo server", "err", err)
		}
	}
	if endpoint := o.endpoint; endpoint != "" {
		opts.Override = func(c settings.Config) settings.Config {
			c.Endpoint = endpoint
			return c
		}
	}
	win := ui.New(a, opts)
	win.Window().SetMaster()

	wg.Add(3)
	go func() {
		defer wg.Done()
		if err := c.Run(ctx); err != nil {
			log.Error("call", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := win.Run(ctx); err != nil {
			log.Error("window", "err", err)
		}
	}()
	go func() { // quit on SIGINT/SIGTERM
		defer wg.Done()
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()

	a.Lifecycle().SetOnStarted(func() {
		if o.share.Kind != call.ShareNone {
			win.SetShare(o.share)
		}
		switch {
		case o.connect || o.demo:
			win.Connect() // opens the settings itself when a key is needed
		case win.NeedsAPIKey() && o.endpoint == "" && !o.demo:
			win.ShowWelcome()
		}
	})
	win.Window().ShowAndRun()
	return 0
}

// takeStopHook works around a shutdown race in Fyne 2.7.1 that left the app hanging on quit
// (one quit in 24 beside two CPU hogs; it failed a CI run; no goroutine of ours left, main
// waiting in Lifecycle.WaitForEvents). When its loop stops, the driver queues the "stopped" hook (Fyne always
// has one: it saves its preferences) for a goroutine that hands it back to the main loop, while
// the main loop drains its queue once and closes it; a hook handed over during the drain is never
// run, and the driver then waits for it forever. With no hook to queue there is nothing to lose:
// so the hook is taken out of the driver's hands and the returned func runs it once the window's
// loop has returned. If a later Fyne changes these methods, the hook stays where it was.
func takeStopHook(a fyne.App, log *slog.Logger) (run func()) {
	lc, ok := a.Lifecycle().(interface {
		OnStopped() func()
		SetOnStoppedHookExecuted(func())
	})
	if !ok {
		log.Warn("Fyne's lifecycle has changed; quitting may hang (see takeStopHook)")
		return func() {}
	}
	// With no OnStopped set by the app (we set none), OnStopped returns Fyne's own hook alone.
	hook := lc.OnStopped()
	lc.SetOnStoppedHookExecuted(nil)
	if hook == nil {
		return func() {}
	}
	return hook
}

// desktopSession reports whether a window can open: on X11/Wayland systems that needs a display
// (GLFW would otherwise fail with a platform error that says nothing useful).
func desktopSession(getenv func(string) string) bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
	}
	return true
}

// startDemo runs the built-in fake server until ctx ends and returns its URL.
func startDemo(ctx context.Context, log *slog.Logger, wg *sync.WaitGroup) (string, error) {
	srv, err := livetest.Start(livetest.Options{Pace: livetest.RealTime, Log: log})
	if err != nil {
		return "", fmt.Errorf("starting the demo server: %w", err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		if err := srv.Close(); err != nil {
			log.Warn("demo server", "err", err)
		}
	}()
	return srv.URL(), nil
}

// shutdownWait bounds how long quitting waits for the call and the window to stop: a device or
// a socket that does not let go must not keep the app from quitting.
const shutdownWait = 5 * time.Second

// waitShutdown waits for the app's goroutines, at most shutdownWait; past that it says so, with
// every goroutine's stack (an abnormal stop worth a bug report), and lets the process exit.
func waitShutdown(wg *sync.WaitGroup, log *slog.Logger) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(shutdownWait):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		log.Warn("quitting took too long; exiting anyway", "waited", shutdownWait, "goroutines", string(buf))
	}
}
