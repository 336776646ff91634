//go:build !linux

package hotkey

import "context"

// Listen would listen for global shortcuts; on this system it returns ErrUnsupported at once
// without calling grabbed. (Windows would need RegisterHotKey and a message loop, macOS an
// event tap with the Accessibility permission.)
func Listen(ctx context.Context, bindings map[string]Shortcut, out chan<- Event, grabbed func(failed []*GrabError)) error {
	return ErrUnsupported
}
