//go:build !linux

package audio

// rtState is a no-op off Linux: Core Audio runs its I/O threads at real-time priority already,
// and miniaudio's WASAPI backend registers them with MMCSS.
type rtState struct{}

func (s *rtState) raise()         {}
func (s *rtState) realtime() bool { return false }
