package hotkey

import (
	"errors"
	"fmt"
)

var (
	// ErrTaken: another application grabbed the shortcut first. X gives a key combination
	// to one client only.
	ErrTaken = errors.New("taken by another application")
	// ErrNoKey: no key of the current keyboard layout types the shortcut's key.
	ErrNoKey = errors.New("key not on this keyboard")
)

// GrabError says why one binding cannot be heard. The other bindings are not affected.
type GrabError struct {
	Name     string // the binding
	Shortcut Shortcut
	Err      error // ErrTaken, ErrNoKey, or what else went wrong
}

func (e *GrabError) Error() string {
	switch {
	case errors.Is(e.Err, ErrTaken):
		return fmt.Sprintf("%s is taken by another application", e.Shortcut)
	case errors.Is(e.Err, ErrNoKey):
		return fmt.Sprintf("%s cannot be pressed: this keyboard has no %s key", e.Shortcut, e.Shortcut.Key)
	}
	return fmt.Sprintf("%s for %q: %v", e.Shortcut, e.Name, e.Err)
}

func (e *GrabError) Unwrap() error { return e.Err }
