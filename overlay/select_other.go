//go:build !linux

package overlay

import (
	"context"
	"fmt"
	"image"
	"runtime"
)

// SelectRegion lets the user drag a rectangle on display and returns it relative to
// display.Min. Only X11 (Linux) has a selector so far; here it returns ErrUnsupported.
func SelectRegion(ctx context.Context, display image.Rectangle) (image.Rectangle, error) {
	if err := ctx.Err(); err != nil {
		return image.Rectangle{}, err
	}
	return image.Rectangle{}, fmt.Errorf("choose a region of display %v on %s: %w", display, runtime.GOOS, ErrUnsupported)
}
