package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/journal"
	"github.com/livedesk/livedesk/live"
	"github.com/livedesk/livedesk/overlay"
	"github.com/livedesk/livedesk/settings"
)

// Talk is `livedesk talk`: a whole spoken conversation in the terminal, with the real
// microphone, speaker and screen or camera, on the same call core as the window. It prints the
// conversation as lines and returns the process exit code.
func Talk(ctx context.Context, args []string, stdout, stderr io.Writer, e Env) int {
	cfg := settings.Default()
	var (
		endpoint, backendName, screen, camera, text string
		echoRecord                                  string
		duration                                    time.Duration
		listDevices, verbose, keepHistory           bool
	)
	fs := flag.NewFlagSet("livedesk talk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&endpoint, "endpoint", "", "Live API base URL (default "+live.DefaultEndpoint+")")
	fs.StringVar(&cfg.Model, "model", cfg.Model, "model name")
	fs.StringVar(&cfg.Voice, "voice", cfg.Voice, "prebuilt voice")
	fs.StringVar(&cfg.SystemInstruction, "system", "", "system instruction")
	fs.StringVar(&cfg.MicDevice, "mic", "", "microphone: device name or ID (default: the system's)")
	fs.StringVar(&cfg.SpeakerDevice, "speaker", "", "speaker: device name or ID (default: the system's)")
	fs.StringVar(&backendName, "backend", "default", "audio system: default, pulse, alsa, null, …")
	fs.StringVar(&screen, "screen", "", "share a screen: N (0 is the first display) or all")
	fs.StringVar(&camera, "camera", "", "share a camera: a device such as /dev/video0, or first")
	fs.DurationVar(&duration, "duration", 0, "end the conversation after this long (default: until Ctrl-C)")
	fs.BoolVar(&cfg.Headphones, "headphones", false, "you wear headphones: no echo handling needed")
	fs.StringVar(&cfg.EchoCancellation, "echo", cfg.EchoCancellation, "echo cancellation: auto (on unless --headphones), on or off")
	fs.StringVar(&cfg.StartSensitivity, "start-sensitivity", "", "server voice detection start sensitivity: high or low (default: low, or the server's with --headphones)")
	fs.StringVar(&echoRecord, "echo-record", "", "save the echo canceller's input, output and speaker reference (first 5 min) into this directory, to replay offline (holds your voice)")
	fs.StringVar(&text, "text", "", "type this to the model once connected")
	fs.BoolVar(&listDevices, "list-devices", false, "list audio devices, displays and cameras, then exit")
	fs.BoolVar(&verbose, "v", false, "also print every server message summary")
	fs.BoolVar(&keepHistory, "history", true, "keep the transcript in the conversation history (the window's History lists it)")
	fs.Float64Var(&cfg.FPS, "fps", cfg.FPS, "frames per second while sharing (0.2–2)")
	cloud := addCloudFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg.StartSensitivity = strings.ToUpper(cfg.StartSensitivity)
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "livedesk talk: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	share, err := talkShare(screen, camera)
	if err != nil {
		fmt.Fprintln(stderr, "livedesk talk:", err)
		return 2
	}
	backend, err := audio.ParseBackend(backendName)
	if err != nil {
		fmt.Fprintln(stderr, "livedesk talk:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if listDevices {
		printDevices(call.Devices{Backend: backend, Log: log}, stdout)
		return 0
	}
	if err := cloud.apply(&cfg, flagSet(fs, "model"), APIKey(e)); err != nil {
		fmt.Fprintln(stderr, "livedesk talk:", err)
		return 1
	}
	cfg.Endpoint = endpoint
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "livedesk talk:", err)
		return 2
	}
	o := talkOptions{cfg: cfg, backend: backend, share: share, text: text, duration: duration, verbose: verbose, echoRecord: echoRecord}
	if keepHistory {
		if o.journalDir, err = journal.Dir(); err != nil {
			fmt.Fprintln(stderr, "livedesk talk:", err, "(the transcript is not kept)")
		}
	}
	if err := talk(ctx, o, stdout, log); err != nil {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		fmt.Fprintln(stderr, "livedesk talk:", cfg.APIKey.Scrub(msg))
		return 1
	}
	return 0
}

// talkShare reads --screen and --camera into what to share.
func talkShare(screen, camera string) (call.Share, error) {
	switch {
	case screen != "" && camera != "":
		return call.Share{}, errors.New("share a screen or a camera, not both")
	case screen != "":
		return call.ParseShare("screen:" + screen)
	case camera == "first":
		return call.ParseShare("camera")
	case camera != "":
		return call.ParseShare("camera:" + camera)
	}
	return call.Share{}, nil
}

type talkOptions struct {
	cfg        settings.Config
	backend    audio.Backend
	share      call.Share
	text       string
	duration   time.Duration
	verbose    bool
	echoRecord string // directory for an echo canceller recording; "" none
	journalDir string // the conversation history; "" keeps nothing
}

// talkBacklog bounds the events waiting for the printer (a terminal keeps up easily).
const talkBacklog = 4096

func talk(ctx context.Context, o talkOptions, stdout io.Writer, log *slog.Logger) error {
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	events := make(chan call.Event, talkBacklog)
	var dropped int
	hl := overlay.NewHighlighter() // what Gemini points at on a shared screen
	defer hl.Close()
	c := call.New(call.Options{
		Highlighter: hl,
		Log:         log,
		Backend:     o.backend,
		// The printer runs on this goroutine; Post only queues (and counts what a stuck
		// terminal would make it drop).
		Sink: call.SinkFunc(func(ev call.Event) {
			select {
			case events <- ev:
			default:
				dropped++ // the call posts from one goroutine at a time (under its lock)
			}
		}),
		EchoRecord: o.echoRecord,
		JournalDir: o.journalDir,
	})
	c.SetShare(o.share)
	run := c.Start(o.cfg)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(events) // after Run returns nothing posts any more
		_ = c.Run(ctx)
	}()

	p := &linePrinter{w: stdout, verbose: o.verbose}
	var failure error
	sentText := o.text == ""
	for ev := range events {
		p.print(ev)
		se, ok := ev.(call.StateEvent)
		if !ok || se.Run != run {
			continue
		}
		switch se.State {
		case call.StateLive:
			if !sentText {
				sentText = true
				if err := c.SendText(o.text); err != nil {
					p.line("[warning: %v]", err)
				}
			}
		case call.StateFailed:
			failure = errors.New(se.Reason)
			cancel()
		case call.StateEnded:
			cancel()
		}
	}
	wg.Wait()
	p.flush()
	sum := c.Summary()
	p.line("[summary: %s]", sum)
	if sum.EchoReduction != "" {
		p.line("[%s]", sum.EchoReduction)
	}
	if dropped > 0 {
		p.line("[warning: %d events were not printed: the terminal did not keep up]", dropped)
	}
	return failure
}

// linePrinter turns call events into terminal lines: one line per spoken turn.
type linePrinter struct {
	w         io.Writer
	verbose   bool
	open      [2]strings.Builder // partial transcript per role
	anyOpen   [2]bool
	lastState string
}

func (p *linePrinter) line(format string, a ...any) {
	fmt.Fprintf(p.w, format+"\n", a...)
}

func (p *linePrinter) flushRole(r call.Role, suffix string) {
	if !p.anyOpen[r] {
		return
	}
	if t := strings.TrimSpace(p.open[r].String()); t != "" {
		p.line("%s: %s%s", r, t, suffix)
	}
	p.open[r].Reset()
	p.anyOpen[r] = false
}

func (p *linePrinter) flush() {
	p.flushRole(call.RoleUser, "")
	p.flushRole(call.RoleModel, "")
}

func (p *linePrinter) print(ev call.Event) {
	switch e := ev.(type) {
	case call.StateEvent:
		msg := e.State.String()
		if e.Reason != "" {
			msg += ": " + e.Reason
		}
		if msg != p.lastState { // the call and its conversation both say "connecting"
			p.lastState = msg
			p.line("[%s]", msg)
		}
	case call.TranscriptEvent:
		if e.Role == call.RoleModel && e.Text != "" {
			p.flushRole(call.RoleUser, "") // the user's turn is over once the model answers
		}
		p.open[e.Role].WriteString(e.Text)
		p.anyOpen[e.Role] = p.anyOpen[e.Role] || e.Text != ""
		if e.Final {
			suffix := ""
			if e.Interrupted {
				suffix = " [interrupted]"
			}
			p.flushRole(e.Role, suffix)
		}
	case call.GroundingEvent:
		for _, l := range e.Links {
			p.line("[source: %s <%s>]", l.Title, l.URL)
		}
	case call.HighlightEvent:
		if len(e.Boxes) > 0 {
			p.line("[%s]", call.PointedNote(e.Boxes))
		}
	case call.NoticeEvent:
		p.line("[notice: %s]", e.Text)
	case call.DiagEvent:
		switch e.Kind {
		case call.DiagWarning:
			p.line("[warning: %s]", e.Line)
		case call.DiagInfo:
			p.line("[%s]", e.Line)
		default:
			if p.verbose {
				p.line("[%s]", e.Line)
			}
		}
	}
}

// printDevices lists what talk can use.
func printDevices(d call.Devices, stdout io.Writer) {
	for _, kind := range []string{"microphones", "speakers"} {
		list := d.Mics
		if kind == "speakers" {
			list = d.Speakers
		}
		devs, err := list()
		fmt.Fprintf(stdout, "%s:\n", kind)
		if err != nil {
			fmt.Fprintf(stdout, "  (%v)\n", err)
		}
		for _, dev := range devs {
			def := ""
			if dev.Default {
				def = " (default)"
			}
			fmt.Fprintf(stdout, "  %s%s\n", dev.Name, def)
		}
	}
	fmt.Fprintln(stdout, "displays:")
	if ds, err := d.Displays(); err != nil {
		fmt.Fprintf(stdout, "  (%v)\n", err)
	} else {
		for _, x := range ds {
			fmt.Fprintf(stdout, "  %d: %dx%d at %d,%d\n", x.Index, x.Bounds.Dx(), x.Bounds.Dy(), x.Bounds.Min.X, x.Bounds.Min.Y)
		}
	}
	fmt.Fprintln(stdout, "cameras:")
	if cs, err := d.Cameras(); err != nil {
		fmt.Fprintf(stdout, "  (%v)\n", err)
	} else if len(cs) == 0 {
		fmt.Fprintln(stdout, "  (none)")
	} else {
		for _, c := range cs {
			fmt.Fprintf(stdout, "  %s: %s\n", c.Path, c.Name)
		}
	}
}
