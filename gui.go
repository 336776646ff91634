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
	"strconv"
	"strings"
	"sync"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/livedesk/livedesk/settings"
	"github.com/livedesk/livedesk/ui"
)

// AppID is the application ID (also in FyneApp.toml); Fyne keys preferences by it.
const AppID = "io.github.livedesk.livedesk"

// Wiring the composition root fills in (main.go). Until it does, the GUI runs without a
// conversation: the window opens, settings work, and connecting says nothing is wired.
var (
	// newConversation returns the conversation the window drives. It reports through br and must
	// not start goroutines before Start.
	newConversation func(log *slog.Logger, br *ui.Bridge) (ui.Conversation, error)
	// newDevices lists displays, cameras and audio devices for the pickers.
	newDevices func(log *slog.Logger) (ui.Devices, error)
	// runDemoServer runs the built-in fake Live server for --demo until ctx ends. It sends the
	// server's ws:// URL on ready once it is listening.
	runDemoServer func(ctx context.Context, log *slog.Logger, ready chan<- string) error
)

// guiOptions is the parsed command line of the GUI.
type guiOptions struct {
	endpoint string
	connect  bool
	share    ui.Share
	demo     bool
}

// parseShare reads screen[:N] (N = 0-based display index) or camera[:DEV] (default /dev/video0).
func parseShare(s string) (ui.Share, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	switch kind {
	case "", "none":
		return ui.Share{}, nil
	case "screen":
		if !hasArg {
			return ui.Share{Kind: ui.ShareScreen}, nil
		}
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return ui.Share{}, fmt.Errorf("--share screen:%s: display must be a number from 0", arg)
		}
		return ui.Share{Kind: ui.ShareScreen, Display: n}, nil
	case "camera":
		if arg == "" {
			arg = "/dev/video0"
		}
		return ui.Share{Kind: ui.ShareCamera, Camera: arg}, nil
	}
	return ui.Share{}, fmt.Errorf("--share %q: want screen[:N] or camera[:DEV]", s)
}

func parseGUIArgs(args []string, stderr io.Writer) (guiOptions, error) {
	var o guiOptions
	fs := flag.NewFlagSet("livedesk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.endpoint, "endpoint", "", "Live API base URL for this run (e.g. ws://127.0.0.1:9000 for a test server)")
	fs.BoolVar(&o.connect, "connect", false, "connect as soon as the window opens")
	share := fs.String("share", "", "share at start: screen[:N] (N from 0) or camera[:DEV]")
	fs.BoolVar(&o.demo, "demo", false, "try the app without a key against the built-in fake server")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: livedesk [--endpoint URL] [--connect] [--share screen[:N]|camera[:DEV]] [--demo]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.share, err = parseShare(*share); err != nil {
		return o, err
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

// runGUI runs the desktop app and returns the process exit code.
func runGUI(args []string) int {
	o, err := parseGUIArgs(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "livedesk:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // runs before wg.Wait: stops every goroutine started below

	if err := ui.LoadTranslations(); err != nil {
		log.Warn("translations", "err", err)
	}
	a := app.NewWithID(AppID)
	a.SetIcon(ui.Icon)

	endpoint := o.endpoint
	if o.demo {
		endpoint, err = startDemo(ctx, log, &wg)
		if err != nil {
			log.Error("demo server", "err", err)
		}
	}

	br := ui.NewBridge()
	opts := ui.Options{Logger: log, Bridge: br, Demo: o.demo}
	if newConversation != nil {
		if opts.Conversation, err = newConversation(log, br); err != nil {
			log.Error("conversation", "err", err)
		}
	}
	if newDevices != nil {
		if opts.Devices, err = newDevices(log); err != nil {
			log.Error("devices", "err", err)
		}
	}
	if file, err := settings.DefaultKeyFile(); err == nil {
		opts.Keys = &settings.Keys{FilePath: file}
	}
	if endpoint != "" {
		demo := o.demo
		opts.Override = func(c settings.Config) settings.Config {
			c.Endpoint = endpoint
			if demo && c.APIKey == "" {
				c.APIKey = "demo"
			}
			return c
		}
	}
	win := ui.New(a, opts)
	win.Window().SetMaster()

	wg.Add(2)
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
		if o.share.Kind != ui.ShareNone {
			win.SetShare(o.share)
		}
		switch {
		case o.connect || o.demo:
			win.Connect() // opens the settings itself when a key is needed
		case win.NeedsAPIKey() && endpoint == "":
			win.ShowSettings()
		}
	})
	win.Window().ShowAndRun()
	return 0
}

// startDemo runs the built-in fake server and returns its URL.
func startDemo(ctx context.Context, log *slog.Logger, wg *sync.WaitGroup) (string, error) {
	if runDemoServer == nil {
		return "", errors.New("the built-in demo server is not part of this build yet")
	}
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := runDemoServer(ctx, log, ready)
		if err != nil {
			log.Error("demo server stopped", "err", err)
		}
		errc <- err
	}()
	select {
	case u := <-ready:
		return u, nil
	case err := <-errc:
		return "", fmt.Errorf("starting the demo server: %w", err)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
