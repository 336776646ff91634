package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/audio/aec"
	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/live"
	"github.com/livedesk/livedesk/settings"
)

// This file joins the device packages to the conversation: the only place (with the GUI)
// that knows both audio/capture and live.

// audioIO is the microphone and speaker of one conversation.
type audioIO struct {
	ctx    *audio.Context
	mic    *audio.Mic
	player *audio.Player
	aec    *aec.Canceller // nil when echo cancellation is off or unavailable
	rec    *aec.Recorder  // non-nil when the echo canceller's input is being recorded
}

// echoCancellation reports whether the settings ask for the echo canceller: "on", or "auto"
// unless the user wears headphones.
func echoCancellation(cfg settings.Config) bool {
	switch cfg.EchoCancellation {
	case settings.EchoOn:
		return true
	case settings.EchoOff:
		return false
	}
	return !cfg.Headphones
}

// EchoReduction describes the canceller's measured echo reduction for the diagnostics panel.
func (a *audioIO) EchoReduction() string {
	if a == nil || a.aec == nil {
		return ""
	}
	st := a.aec.Stats()
	if math.IsNaN(st.ERLE) {
		return "echo canceller: measuring (needs the model to speak)"
	}
	return fmt.Sprintf("echo canceller: %.0f dB echo reduction, echo delay %d ms, clock drift %+d ppm", st.ERLE, st.Delay.Milliseconds(), st.DriftPPM)
}

// openAudio opens the speaker first (the microphone's speaker mode needs it as the far end),
// then the microphone. withMic false opens only the speaker.
// With echoRecord set (talk --echo-record), the canceller's input and output are recorded for
// SaveEchoRecording.
func openAudio(backend audio.Backend, cfg settings.Config, withMic bool, echoRecord bool, log *slog.Logger) (*audioIO, error) {
	actx, err := audio.NewContext(backend, log)
	if err != nil {
		return nil, fmt.Errorf("audio: %w", err)
	}
	a := &audioIO{ctx: actx}
	a.player, err = actx.OpenPlayer(audio.PlayerConfig{Device: cfg.SpeakerDevice})
	if err != nil {
		actx.Close()
		return nil, fmt.Errorf("open speaker: %w", err)
	}
	if cfg.Volume > 0 {
		a.player.SetVolume(cfg.Volume)
	}
	if withMic {
		mc := audio.MicConfig{Device: cfg.MicDevice, FarEnd: a.player}
		if echoCancellation(cfg) {
			// The canceller sits between capture and the send queue, with what the speaker
			// actually played as its reference.
			c, err := aec.New(a.player.Reference(), aec.Config{Log: log})
			if err != nil {
				log.Warn("echo canceller unavailable: falling back to speaker mode", "err", err)
			} else {
				a.aec = c
				mc.Processors = []audio.Processor{c}
				if echoRecord {
					a.rec = aec.NewRecorder(a.player.Reference(), audio.InputRate, echoRecordLimit)
					a.rec.Watch(c)
					mc.Processors = []audio.Processor{a.rec.Input(), c, a.rec.Output()}
				}
			}
		}
		// Speaker mode (half-duplex gating) is the fallback: with the canceller on it would
		// only cut the user off while the model speaks.
		mc.SpeakerMode = a.aec == nil && cfg.SpeakerMode && !cfg.Headphones
		a.mic, err = actx.OpenMic(mc)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("open microphone: %w", err)
		}
	}
	return a, nil
}

// echoRecordLimit bounds an echo recording (its buffers, some 30 MB, are allocated up front).
const echoRecordLimit = 5 * time.Minute

// SaveEchoRecording stops the microphone and writes the echo canceller's recording into dir.
func (a *audioIO) SaveEchoRecording(dir string) error {
	if a.rec == nil {
		return errors.New("echo recording: the echo canceller is off")
	}
	a.mic.Close()
	return a.rec.Save(dir)
}

// Close closes the devices and the context; safe on a partly opened audioIO.
func (a *audioIO) Close() {
	if a.mic != nil {
		a.mic.Close()
	}
	if a.player != nil {
		a.player.Close()
	}
	a.ctx.Close()
}

// shareSpec is what to share: "screen", "screen:N", "camera" or "camera:DEV".
type shareSpec struct {
	camera  bool
	display int    // screen index, capture.AllDisplays for all
	device  string // camera device path; "" = the first camera
	region  image.Rectangle
}

func parseShareSpec(s string) (shareSpec, error) {
	kind, arg, _ := strings.Cut(s, ":")
	switch kind {
	case "screen":
		sp := shareSpec{}
		switch arg {
		case "":
		case "all":
			sp.display = capture.AllDisplays
		default:
			n, err := strconv.Atoi(arg)
			if err != nil || n < 0 {
				return shareSpec{}, fmt.Errorf("share %q: want screen, screen:N (0 is the first display) or screen:all", s)
			}
			sp.display = n
		}
		return sp, nil
	case "camera":
		return shareSpec{camera: true, device: arg}, nil
	}
	return shareSpec{}, fmt.Errorf("share %q: want screen[:N] or camera[:DEVICE]", s)
}

func (s shareSpec) String() string {
	if s.camera {
		if s.device == "" {
			return "camera"
		}
		return "camera " + s.device
	}
	if s.display == capture.AllDisplays {
		return "all screens"
	}
	return fmt.Sprintf("screen %d", s.display)
}

// share is a running capture pipeline; it satisfies live.FrameSource.
type share struct {
	spec   shareSpec
	src    capture.Source
	pipe   *capture.Pipeline
	cancel context.CancelFunc
	done   chan error
}

func captureOptions(cfg settings.Config) capture.Options {
	o := capture.DefaultOptions()
	if cfg.MaxSize > 0 {
		o.MaxSize = cfg.MaxSize
	}
	if cfg.JPEGQuality > 0 {
		o.Quality = cfg.JPEGQuality
	}
	if cfg.FPS > 0 {
		o.FPS = cfg.FPS
	}
	o.SkipUnchanged = cfg.SkipUnchanged
	return o
}

// startShare opens the source and runs its pipeline until Stop.
func startShare(ctx context.Context, spec shareSpec, opt capture.Options, log *slog.Logger) (*share, error) {
	var src capture.Source
	if spec.camera {
		dev := spec.device
		if dev == "" {
			cams, err := capture.Cameras()
			if err != nil {
				return nil, err
			}
			if len(cams) == 0 {
				return nil, capture.ErrNoCamera
			}
			dev = cams[0].Path
		}
		w, err := capture.OpenWebcam(dev, image.Pt(1280, 720))
		if err != nil {
			return nil, err
		}
		src = w
	} else {
		s, err := capture.NewScreen(capture.ScreenTarget{Display: spec.display, Region: spec.region, Cursor: true})
		if err != nil {
			return nil, err
		}
		src = s
	}
	ctx, cancel := context.WithCancel(ctx)
	sh := &share{spec: spec, src: src, pipe: capture.NewPipeline(src, opt, log), cancel: cancel, done: make(chan error, 1)}
	go func() { sh.done <- sh.pipe.Run(ctx) }()
	return sh, nil
}

// NextFrame returns the next JPEG to send.
func (s *share) NextFrame(ctx context.Context) ([]byte, error) {
	f, err := s.pipe.Next(ctx)
	return f.JPEG, err
}

// RequestFresh asks for a fresh frame (the user started speaking).
func (s *share) RequestFresh() { s.pipe.RequestFresh() }

// Snapshot captures one full-resolution frame for the snapshot tool.
func (s *share) Snapshot(ctx context.Context) ([]byte, int, int, error) {
	f, err := s.pipe.Snapshot(ctx)
	return f.JPEG, f.Width, f.Height, err
}

// Stop ends the pipeline, waits for it and closes the source.
func (s *share) Stop() error {
	s.cancel()
	err := <-s.done
	s.done <- err
	s.src.Close()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// localTools builds the enabled local tools. snapshot and clipboard may be nil when the mode
// has no shared view or no clipboard; those tools are then not offered.
func localTools(cfg settings.Config, snapshot func(context.Context) ([]byte, int, int, error), clipboard func(string) error) *live.Toolbox {
	var tools []live.LocalTool
	for _, name := range cfg.LocalTools {
		switch name {
		case live.ToolCurrentTime:
			tools = append(tools, live.TimeTool(time.Now))
		case live.ToolSnapshot:
			if snapshot != nil {
				tools = append(tools, live.SnapshotTool(snapshot))
			}
		case live.ToolClipboard:
			if clipboard != nil {
				tools = append(tools, live.ClipboardTool(clipboard))
			}
		}
	}
	return live.NewToolbox(tools...)
}
