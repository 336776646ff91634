package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/live"
	"github.com/livedesk/livedesk/live/livetest"
	"github.com/livedesk/livedesk/settings"
	"github.com/livedesk/livedesk/ui"
)

// wireGUI fills the GUI's hooks with the real conversation, devices and demo server.
func wireGUI() {
	newConversation = func(log *slog.Logger, br *ui.Bridge) (ui.Conversation, error) {
		return &guiConversation{log: log, br: br, backend: audio.BackendDefault, clipboard: fyneClipboard}, nil
	}
	newDevices = func(log *slog.Logger) (ui.Devices, error) { return deviceLister{log: log}, nil }
	runDemoServer = func(ctx context.Context, log *slog.Logger, ready chan<- string) error {
		srv, err := livetest.Start(livetest.Options{Pace: livetest.RealTime, Log: log})
		if err != nil {
			return err
		}
		ready <- srv.URL()
		<-ctx.Done()
		return srv.Close()
	}
}

// fyneClipboard writes to the system clipboard from the Fyne goroutine.
func fyneClipboard(text string) error {
	a := fyne.CurrentApp()
	if a == nil {
		return errors.New("no clipboard in this mode")
	}
	fyne.Do(func() { a.Clipboard().SetContent(text) })
	return nil
}

// guiConversation is ui.Conversation on top of live.Conversation and the real devices.
type guiConversation struct {
	log       *slog.Logger
	br        *ui.Bridge
	backend   audio.Backend
	clipboard func(string) error

	mu  sync.Mutex
	cur *guiRun
}

type guiRun struct {
	cfg    settings.Config
	conv   *live.Conversation
	aio    *audioIO
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ctx    context.Context

	shareMu sync.Mutex
	share   *share
}

// Start opens the devices and connects. A device that cannot be opened is reported and the
// conversation goes on without it (typed text still works).
func (g *guiConversation) Start(ctx context.Context, cfg settings.Config, s ui.Share) error {
	g.Stop()
	r := &guiRun{cfg: cfg}
	aio, err := openAudio(g.backend, cfg, true, false, g.log)
	if err != nil {
		g.diag("microphone: %v: continuing without it", err)
		aio, err = openAudio(g.backend, cfg, false, false, g.log)
		if err != nil {
			g.diag("speaker: %v: answers will only be shown as text", err)
			aio = nil
		}
	}
	r.aio = aio
	r.ctx, r.cancel = context.WithCancel(ctx)
	opts := live.ConversationOptions{
		Dial: live.DialOptions{Endpoint: cfg.Endpoint, APIKey: cfg.APIKey.Reveal()},
		Log:  g.log,
	}
	if aio != nil {
		opts.Speaker = aio.player
		if aio.mic != nil {
			opts.Mic = aio.mic
		}
	}
	opts.Tools = localTools(cfg, r.snapshot, g.clipboard)
	r.conv = live.NewConversation(cfg, opts)
	g.mu.Lock()
	g.cur = r
	g.mu.Unlock()
	if s.Kind != ui.ShareNone {
		if err := g.SetShare(s); err != nil {
			g.diag("sharing: %v", err)
		}
	}
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		_ = r.conv.Run(r.ctx) // the stop event carries any error
	}()
	go func() {
		defer r.wg.Done()
		g.pump(r)
	}()
	if aio != nil && aio.mic != nil {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			g.meter(r)
		}()
	}
	return nil
}

// Stop ends the session and closes its devices.
func (g *guiConversation) Stop() {
	g.mu.Lock()
	r := g.cur
	g.cur = nil
	g.mu.Unlock()
	if r == nil {
		return
	}
	r.cancel()
	r.wg.Wait()
	r.shareMu.Lock()
	if r.share != nil {
		r.share.Stop()
		r.share = nil
	}
	r.shareMu.Unlock()
	if r.aio != nil {
		r.aio.Close()
	}
	g.br.Post(ui.PreviewEvent{})
	g.br.Post(ui.LevelEvent{})
}

func (g *guiConversation) current() *guiRun {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cur
}

func (g *guiConversation) SendText(text string) error {
	r := g.current()
	if r == nil {
		return errors.New("not connected: connect first")
	}
	return r.conv.SendText(text)
}

func (g *guiConversation) SetMicMuted(muted bool) {
	if r := g.current(); r != nil {
		r.conv.SetMuted(muted)
	}
}

func (g *guiConversation) SetPushToTalk(down bool) {
	if r := g.current(); r != nil {
		r.conv.SetPushToTalk(down)
	}
}

// SetShare replaces what the model sees; ShareNone stops sharing.
func (g *guiConversation) SetShare(s ui.Share) error {
	r := g.current()
	if r == nil {
		return nil // applied at Start
	}
	r.shareMu.Lock()
	defer r.shareMu.Unlock()
	if r.share != nil {
		r.conv.SetShare(nil)
		r.share.Stop()
		r.share = nil
		g.br.Post(ui.PreviewEvent{})
	}
	if s.Kind == ui.ShareNone {
		return nil
	}
	spec := shareSpec{display: s.Display, region: s.Region}
	if s.Kind == ui.ShareCamera {
		spec = shareSpec{camera: true, device: s.Camera}
	}
	sh, err := startShare(r.ctx, spec, captureOptions(r.cfg), g.log)
	if err != nil {
		return fmt.Errorf("share %s: %w", spec, err)
	}
	r.share = sh
	r.conv.SetShare(sh)
	return nil
}

func (r *guiRun) snapshot(ctx context.Context) ([]byte, int, int, error) {
	r.shareMu.Lock()
	sh := r.share
	r.shareMu.Unlock()
	if sh == nil {
		return nil, 0, 0, errors.New("nothing is being shared: ask the user to share a screen or camera")
	}
	return sh.Snapshot(ctx)
}

func (g *guiConversation) diag(format string, a ...any) {
	g.br.Post(ui.DiagEvent{Line: fmt.Sprintf(format, a...)})
}

// pump turns conversation events into window events.
func (g *guiConversation) pump(r *guiRun) {
	model := r.cfg.Model
	for ev := range r.conv.Events() {
		switch ev.Kind {
		case live.EventState:
			se := ui.StateEvent{Model: model, Reason: ev.Text}
			switch ev.State {
			case live.StateConnecting:
				se.State = ui.StateConnecting
			case live.StateLive:
				se.State = ui.StateLive
			case live.StateReconnecting:
				se.State = ui.StateReconnecting
				if ev.Err != nil {
					se.Reason = ev.Err.Error() + prefixed("; ", ev.Text)
				}
			case live.StateStopped:
				se.State = ui.StateIdle
				if ev.Err != nil {
					se.State, se.Reason = ui.StateError, ev.Err.Error()
				}
			}
			g.br.Post(se)
		case live.EventTranscript:
			role := ui.RoleUser
			if ev.Role == live.RoleModel {
				role = ui.RoleModel
			}
			g.br.Post(ui.TranscriptEvent{Role: role, Text: ev.Text, At: ev.Time})
		case live.EventTurnEnd:
			g.br.Post(ui.TranscriptEvent{Role: ui.RoleUser, Final: true, At: ev.Time})
			g.br.Post(ui.TranscriptEvent{Role: ui.RoleModel, Final: true, At: ev.Time})
		case live.EventSources:
			var links []ui.Link
			for _, s := range ev.Sources {
				links = append(links, ui.Link{Title: s.Title, URL: s.URI})
			}
			g.br.Post(ui.GroundingEvent{Links: links})
		case live.EventUsage:
			u := ev.Usage
			g.br.Post(ui.UsageEvent{
				PromptTokens: int(u.Prompt), PromptAudioTokens: int(u.Prompt - u.PromptByMod["TEXT"]),
				ResponseTokens: int(u.Response), ResponseAudioTokens: int(u.ResponseByMod["AUDIO"]),
				ThoughtsTokens: int(u.Thoughts), TotalTokens: int(u.Total), CostUSD: u.EstimatedUSD,
			})
		case live.EventFrame:
			r.shareMu.Lock()
			if r.share != nil {
				if img := r.share.pipe.Thumbnail(); img != nil {
					g.br.Post(ui.PreviewEvent{Image: img})
				}
			}
			r.shareMu.Unlock()
		case live.EventSpeech:
			// shown by the level meter
		default:
			g.br.Post(ui.DiagEvent{At: ev.Time, Line: ev.String()})
		}
	}
}

// meter posts the microphone level ten times a second, and the echo canceller's measured
// echo reduction to the diagnostics every few seconds when it changes.
func (g *guiConversation) meter(r *guiRun) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	lastEcho := ""
	for n := 0; ; n++ {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
			l := r.aio.mic.Level()
			g.br.Post(ui.LevelEvent{Mic: dbfsToMeter(l.RMS)})
			if n%50 == 0 {
				if er := r.aio.EchoReduction(); er != "" && er != lastEcho {
					lastEcho = er
					g.diag("%s", er)
				}
			}
		}
	}
}

// dbfsToMeter maps -60..0 dBFS onto 0..1.
func dbfsToMeter(db float64) float64 {
	if math.IsInf(db, -1) || math.IsNaN(db) {
		return 0
	}
	return math.Max(0, math.Min(1, (db+60)/60))
}

// deviceLister lists what the pickers offer.
type deviceLister struct{ log *slog.Logger }

func (d deviceLister) Displays() ([]ui.Display, error) {
	ds, err := capture.Displays()
	if err != nil {
		return nil, err
	}
	out := make([]ui.Display, 0, len(ds))
	for _, x := range ds {
		out = append(out, ui.Display{Index: x.Index, Bounds: x.Bounds})
	}
	return out, nil
}

func (d deviceLister) Cameras() ([]ui.Camera, error) {
	cs, err := capture.Cameras()
	if err != nil {
		return nil, err
	}
	out := make([]ui.Camera, 0, len(cs))
	for _, c := range cs {
		out = append(out, ui.Camera{ID: c.Path, Name: c.Name})
	}
	return out, nil
}

func (d deviceLister) audioDevices(capture bool) ([]ui.AudioDevice, error) {
	actx, err := audio.NewContext(audio.BackendDefault, d.log)
	if err != nil {
		return nil, err
	}
	defer actx.Close()
	list := actx.PlaybackDevices
	if capture {
		list = actx.CaptureDevices
	}
	devs, err := list()
	if err != nil {
		return nil, err
	}
	out := make([]ui.AudioDevice, 0, len(devs))
	for _, x := range devs {
		out = append(out, ui.AudioDevice{ID: x.ID, Name: x.Name})
	}
	return out, nil
}

func (d deviceLister) Mics() ([]ui.AudioDevice, error)     { return d.audioDevices(true) }
func (d deviceLister) Speakers() ([]ui.AudioDevice, error) { return d.audioDevices(false) }
