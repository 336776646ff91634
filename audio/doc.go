// Package audio is Live Desk's sound engine: WAV files and resampling, the malgo (miniaudio)
// context and devices, microphone capture at 16 kHz, playback at 24 kHz through a jitter buffer
// that goes silent the moment the model is interrupted, level metering and half-duplex "speaker
// mode" gating.
//
// The package knows nothing about the Live API session or the UI: its concrete types satisfy the
// small interfaces that package live declares, and main wires them together.
package audio
