package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/live"
	"github.com/livedesk/livedesk/settings"
)

// runTalk is `livedesk talk`: a whole spoken conversation in the terminal, with the real
// microphone, speaker and screen or camera. It prints the conversation as lines.
func runTalk(ctx context.Context, args []string, stdout, stderr io.Writer, e env) int {
	cfg := settings.Default()
	var (
		endpoint, backendName, screen, camera, text string
		echoRecord                                  string
		duration                                    time.Duration
		listDevices, verbose                        bool
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
	fs.StringVar(&cfg.StartSensitivity, "start-sensitivity", "", "server voice detection start sensitivity: high or low (default: the server's)")
	fs.StringVar(&echoRecord, "echo-record", "", "save the echo canceller's input, output and speaker reference (first 5 min) into this directory, to replay offline (holds your voice)")
	fs.StringVar(&text, "text", "", "type this to the model once connected")
	fs.BoolVar(&listDevices, "list-devices", false, "list audio devices, displays and cameras, then exit")
	fs.BoolVar(&verbose, "v", false, "also print every server message summary")
	fs.Float64Var(&cfg.FPS, "fps", cfg.FPS, "frames per second while sharing (0.2–2)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg.StartSensitivity = strings.ToUpper(cfg.StartSensitivity)
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "livedesk talk: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if screen != "" && camera != "" {
		fmt.Fprintln(stderr, "livedesk talk: share a screen or a camera, not both")
		return 2
	}
	backend, err := audio.ParseBackend(backendName)
	if err != nil {
		fmt.Fprintln(stderr, "livedesk talk:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if listDevices {
		return printDevices(backend, stdout, stderr, log)
	}
	key := apiKeyFromEnv(e)
	if key == "" {
		fmt.Fprintln(stderr, "livedesk talk: no API key: set GEMINI_API_KEY (get one at https://aistudio.google.com/apikey)")
		return 1
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "livedesk talk:", err)
		return 2
	}
	if err := talk(ctx, talkOptions{cfg: cfg, key: key, endpoint: endpoint, backend: backend, screen: screen, camera: camera,
		text: text, duration: duration, verbose: verbose, echoRecord: echoRecord}, stdout, log); err != nil {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		fmt.Fprintln(stderr, "livedesk talk:", strings.ReplaceAll(msg, key, "(key)"))
		return 1
	}
	return 0
}

type talkOptions struct {
	cfg                  settings.Config
	key, endpoint        string
	backend              audio.Backend
	screen, camera, text string
	duration             time.Duration
	verbose              bool
	echoRecord           string // directory for an echo canceller recording; "" none
}

func talk(ctx context.Context, o talkOptions, stdout io.Writer, log *slog.Logger) error {
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	aio, err := openAudio(o.backend, o.cfg, true, o.echoRecord != "", log)
	if err != nil {
		return err
	}
	defer aio.Close()

	var sh *share
	switch {
	case o.screen != "":
		spec, err := parseShareSpec("screen:" + o.screen)
		if err != nil {
			return err
		}
		if sh, err = startShare(ctx, spec, captureOptions(o.cfg), log); err != nil {
			return fmt.Errorf("share %s: %w", spec, err)
		}
	case o.camera != "":
		dev := o.camera
		if dev == "first" {
			dev = ""
		}
		if sh, err = startShare(ctx, shareSpec{camera: true, device: dev}, captureOptions(o.cfg), log); err != nil {
			return fmt.Errorf("share camera: %w", err)
		}
	}
	var snapshot func(context.Context) ([]byte, int, int, error)
	if sh != nil {
		defer sh.Stop()
		snapshot = sh.Snapshot
	}

	conv := live.NewConversation(o.cfg, live.ConversationOptions{
		Dial:    live.DialOptions{Endpoint: o.endpoint, APIKey: o.key},
		Mic:     aio.mic,
		Speaker: aio.player,
		Tools:   localTools(o.cfg, snapshot, nil),
		Log:     log,
	})
	if sh != nil {
		conv.SetShare(sh)
	}
	p := &linePrinter{w: stdout, verbose: o.verbose}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sentText := o.text == ""
		for ev := range conv.Events() {
			p.print(ev)
			if !sentText && ev.Kind == live.EventState && ev.State == live.StateLive {
				sentText = true
				if err := conv.SendText(o.text); err != nil {
					p.line("[warning: %v]", err)
				}
			}
		}
	}()
	err = conv.Run(ctx)
	wg.Wait()
	p.flush()
	st, ps, ms := conv.Stats(), aio.player.Stats(), aio.mic.Stats()
	u := conv.Usage()
	p.line("[summary: mic %.1f s sent (%d chunks dropped), %d frames sent, model audio %.1f s received, %.1f s played, %d underruns, %d interruptions, %d reconnects, %d goAway swaps, %d tokens, ~$%.4f]",
		float64(st.MicSamplesSent)/16000, ms.Dropped+uint64(st.MicDroppedBacklog), st.FramesSent,
		float64(st.ModelAudioBytes)/48000, float64(ps.Played)/float64(audio.OutputRate), ps.Underruns,
		st.Interruptions, st.Reconnects, st.Swaps, u.Total, u.EstimatedUSD)
	if er := aio.EchoReduction(); er != "" {
		p.line("[%s]", er)
	}
	if o.echoRecord != "" {
		if serr := aio.SaveEchoRecording(o.echoRecord); serr != nil {
			p.line("[warning: %v]", serr)
		} else {
			p.line("[echo recording saved in %s: LIVEDESK_AEC_REPLAY=%s go test -run TestReplay -v ./audio/aec/]", o.echoRecord, o.echoRecord)
		}
	}
	return err
}

// linePrinter turns conversation events into terminal lines: one line per spoken turn.
type linePrinter struct {
	w       io.Writer
	verbose bool
	open    [2]strings.Builder // partial transcript per role
	anyOpen [2]bool
}

func (p *linePrinter) line(format string, a ...any) {
	fmt.Fprintf(p.w, format+"\n", a...)
}

func (p *linePrinter) flushRole(r live.Role, suffix string) {
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
	p.flushRole(live.RoleUser, "")
	p.flushRole(live.RoleModel, "")
}

func (p *linePrinter) print(ev live.Event) {
	switch ev.Kind {
	case live.EventState:
		msg := ev.State.String()
		if ev.Text != "" {
			msg += ": " + ev.Text
		}
		if ev.Err != nil {
			msg += ": " + ev.Err.Error()
		}
		p.line("[%s]", msg)
	case live.EventTranscript:
		if ev.Role == live.RoleModel {
			p.flushRole(live.RoleUser, "") // the user's turn is over once the model answers
		}
		p.open[ev.Role].WriteString(ev.Text)
		p.anyOpen[ev.Role] = true
	case live.EventTurnEnd:
		p.flushRole(live.RoleUser, "")
		suffix := ""
		if ev.Interrupted {
			suffix = " [interrupted]"
		}
		p.flushRole(live.RoleModel, suffix)
	case live.EventTool:
		p.line("[tool %s %s%s]", ev.Tool.Name, ev.Tool.Status, prefixed(": ", ev.Tool.Detail))
	case live.EventSources:
		for _, s := range ev.Sources {
			p.line("[source: %s <%s>]", s.Title, s.URI)
		}
	case live.EventGoAway:
		p.line("[server asks to reconnect within %s]", ev.TimeLeft)
	case live.EventWarning:
		p.line("[warning: %v]", ev.Err)
	case live.EventNote:
		p.line("[note: %s]", ev.Text)
	case live.EventMessage:
		if p.verbose {
			p.line("[recv %s]", ev.Text)
		}
	}
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func printDevices(backend audio.Backend, stdout, stderr io.Writer, log *slog.Logger) int {
	actx, err := audio.NewContext(backend, log)
	if err != nil {
		fmt.Fprintln(stderr, "livedesk talk: audio:", err)
	} else {
		defer actx.Close()
		for _, kind := range []string{"microphones", "speakers"} {
			list := actx.CaptureDevices
			if kind == "speakers" {
				list = actx.PlaybackDevices
			}
			devs, err := list()
			fmt.Fprintf(stdout, "%s:\n", kind)
			if err != nil {
				fmt.Fprintf(stdout, "  (%v)\n", err)
			}
			for _, d := range devs {
				def := ""
				if d.Default {
					def = " (default)"
				}
				fmt.Fprintf(stdout, "  %s%s\n", d.Name, def)
			}
		}
	}
	fmt.Fprintln(stdout, "displays:")
	if ds, err := capture.Displays(); err != nil {
		fmt.Fprintf(stdout, "  (%v)\n", err)
	} else {
		for _, d := range ds {
			fmt.Fprintf(stdout, "  %d: %dx%d at %d,%d\n", d.Index, d.Bounds.Dx(), d.Bounds.Dy(), d.Bounds.Min.X, d.Bounds.Min.Y)
		}
	}
	fmt.Fprintln(stdout, "cameras:")
	if cs, err := capture.Cameras(); err != nil {
		fmt.Fprintf(stdout, "  (%v)\n", err)
	} else if len(cs) == 0 {
		fmt.Fprintln(stdout, "  (none)")
	} else {
		for _, c := range cs {
			fmt.Fprintf(stdout, "  %s: %s\n", c.Path, c.Name)
		}
	}
	return 0
}
