package ui

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/hotkey"
	"github.com/livedesk/livedesk/settings"
)

// Names of the global shortcuts (hotkey bindings).
const (
	globalPTT   = "push-to-talk"
	globalMute  = "mute"
	globalStop  = "stop-sharing"
	globalQueue = 8 // hotkey.Listen waits for the reader, so a small queue loses nothing
)

// globalBindings reads the global shortcuts of c; unparsable ones were refused by validation.
func globalBindings(c settings.Config) map[string]hotkey.Shortcut {
	b := map[string]hotkey.Shortcut{}
	for name, s := range map[string]string{globalPTT: c.GlobalPushToTalk, globalMute: c.GlobalMute, globalStop: c.GlobalStopShare} {
		if sc, err := hotkey.Parse(s); err == nil && sc != (hotkey.Shortcut{}) {
			b[name] = sc
		}
	}
	return b
}

// setGlobalKeys hands the listener the shortcuts of the saved settings (the newest wins).
// Fyne goroutine.
func (w *Window) setGlobalKeys() {
	if w.globalKeys == nil {
		return
	}
	b := globalBindings(w.cfg)
	select {
	case <-w.globalKeys:
	default:
	}
	w.globalKeys <- b
}

// runGlobalKeys listens for the global shortcuts until ctx ends, starting again whenever the
// settings change them. Failures (another application holds a shortcut, no X11) are told to the
// user once per change, and the window goes on without them.
func (w *Window) runGlobalKeys(ctx context.Context) error {
	events := make(chan hotkey.Event, globalQueue)
	stop := func() {} // ends the running listener and waits for it
	defer func() { stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case b := <-w.globalKeys:
			stop()
			stop = func() {}
			if len(b) == 0 {
				continue
			}
			lctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			stop = func() { cancel(); <-done }
			go func() {
				defer close(done)
				err := hotkey.Listen(lctx, b, events, func(failed []*hotkey.GrabError) {
					msgs := make([]string, 0, len(failed))
					for _, f := range failed {
						msgs = append(msgs, f.Error())
					}
					w.log.Info("global shortcuts", "bound", len(b)-len(failed), "failed", len(failed))
					if len(msgs) > 0 {
						w.bridge.Post(call.NoticeEvent{Text: lang.L("Global shortcut {{.Err}}", map[string]any{"Err": strings.Join(msgs, "; ")})})
					}
				})
				if err != nil && !errors.Is(err, context.Canceled) {
					w.log.Warn("global shortcuts", "err", err)
					w.bridge.Post(call.NoticeEvent{Text: lang.L("Global shortcut {{.Err}}", map[string]any{"Err": err.Error()})})
				}
			}()
		case e := <-events:
			fyne.Do(func() { w.onGlobalKey(e) })
		}
	}
}

// onGlobalKey acts on a global shortcut as the window's own keys do.
func (w *Window) onGlobalKey(e hotkey.Event) {
	w.log.Info("global shortcut", "name", e.Name, "down", e.Down)
	switch e.Name {
	case globalPTT:
		if !w.cfg.AutoVAD {
			w.SetPushToTalk(e.Down)
		}
	case globalMute:
		if e.Down {
			w.ToggleMute()
		}
	case globalStop:
		if e.Down && w.share.Kind != call.ShareNone {
			w.SetShare(call.Share{})
		}
	}
}
