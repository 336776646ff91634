package xwin

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/xproto"
	"github.com/livedesk/livedesk/internal/xdisplay"
)

// Repaints counts how often the X server sees window id (another client's) drawn to, through
// the DAMAGE extension: one count per batch of drawing the server reports, which for a GL
// window is about one per frame presented. It runs until ctx ends, adding to n.
func Repaints(ctx context.Context, id uint32, n *atomic.Int64) error {
	c, err := xdisplay.Current().Dial()
	if err != nil {
		return fmt.Errorf("x connection: %w", err)
	}
	defer c.Close()
	if err := damage.Init(c); err != nil {
		return fmt.Errorf("damage extension: %w", err)
	}
	if _, err := damage.QueryVersion(c, 1, 1).Reply(); err != nil {
		return fmt.Errorf("damage version: %w", err)
	}
	d, err := damage.NewDamageId(c)
	if err != nil {
		return err
	}
	// NonEmpty: one event when the damaged region goes from empty to not empty; Subtract
	// below empties it again, so each event is one burst of drawing.
	if err := damage.CreateChecked(c, d, xproto.Drawable(id), damage.ReportLevelNonEmpty).Check(); err != nil {
		return fmt.Errorf("damage create: %w", err)
	}
	go func() {
		<-ctx.Done()
		c.Close() // ends WaitForEvent
	}()
	for {
		ev, err := c.WaitForEvent()
		if ev == nil && err == nil {
			return ctx.Err()
		}
		if _, ok := ev.(damage.NotifyEvent); ok {
			n.Add(1)
			damage.Subtract(c, d, 0, 0)
		}
	}
}
