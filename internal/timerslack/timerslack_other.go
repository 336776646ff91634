//go:build !linux || !cgo

package timerslack

import "time"

// Applied reports 0: timer slack is a Linux notion, and without cgo nothing runs before the
// runtime to set it.
func Applied() (slack time.Duration, ok bool) { return 0, true }
