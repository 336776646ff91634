package call

import (
	"sync"
	"time"

	"github.com/livedesk/livedesk/settings"
)

// activityHangover is how long the shared screen stays at its full rate after the last sign of
// activity: the answer to a question about the screen often starts a moment after the
// question ends.
const activityHangover = 3 * time.Second

// activity tracks what the user and the model are doing, to pace the shared screen: full rate
// while someone speaks (the user by the local voice detector or push-to-talk, the model by its
// transcript), typed text, and for activityHangover after; the idle rate otherwise.
type activity struct {
	mu       sync.Mutex
	speaking bool
	until    time.Time
	timer    *time.Timer
	stopped  bool
}

// active reports whether the share should run at its full rate now.
func (a *activity) active(cfg settings.Config) bool {
	if cfg.FramePolicy == settings.FramesAlways {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.speaking || time.Now().Before(a.until)
}

func (a *activity) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stopped = true
	if a.timer != nil {
		a.timer.Stop()
	}
}

// noteSpeech records the local voice detector's verdict.
func (c *Call) noteSpeech(r *run, speaking bool) {
	r.act.mu.Lock()
	r.act.speaking = speaking
	r.act.mu.Unlock()
	c.noteActivity(r)
}

// noteActivity puts the share at its full rate and (re)arms the switch back to idle.
func (c *Call) noteActivity(r *run) {
	a := &r.act
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return
	}
	a.until = time.Now().Add(activityHangover)
	if a.timer == nil {
		a.timer = time.AfterFunc(activityHangover, func() { c.maybeIdle(r) })
	} else {
		a.timer.Reset(activityHangover)
	}
	a.mu.Unlock()
	if sh := r.share.Load(); sh != nil {
		sh.pipe.SetActive(true)
	}
}

// maybeIdle drops the share to its idle rate once nobody has done anything for the hangover.
func (c *Call) maybeIdle(r *run) {
	a := &r.act
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return
	}
	if a.speaking {
		a.timer.Reset(activityHangover) // still speaking: look again later
		a.mu.Unlock()
		return
	}
	if left := time.Until(a.until); left > 0 {
		a.timer.Reset(left)
		a.mu.Unlock()
		return
	}
	a.mu.Unlock()
	if sh := r.share.Load(); sh != nil && !r.act.active(r.cfg) {
		sh.pipe.SetActive(false)
	}
}
