//go:build !linux || !cgo

package audio

import "errors"

// pulseOut needs cgo (libpulse); elsewhere the player plays through miniaudio alone.
type pulseOut struct{}

func openPulseOut(string, string, int, int, int, func([]int16)) (*pulseOut, error) {
	return nil, errors.New("no PulseAudio playback without cgo on Linux")
}
func (*pulseOut) rewrite(int, int, func(int)) {}
func (*pulseOut) stats() pulseOutStats        { return pulseOutStats{} }
func (*pulseOut) close()                      {}
