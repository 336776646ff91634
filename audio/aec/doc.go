// Package aec is Live Desk's acoustic echo canceller: it removes the speaker's sound (the
// model's voice) from the microphone so that people can talk to the model without headphones
// and the server's voice activity detection does not hear the model interrupting itself.
//
// A Canceller is an audio.Processor. The composition root installs it in the microphone path
// with the player's reference as the far end:
//
//	player, _ := ac.OpenPlayer(audio.PlayerConfig{...})
//	c, err := aec.New(player.Reference(), aec.Config{Log: log})
//	if err != nil { /* fall back to speaker mode (the half-duplex gate) */ }
//	mic, _ := ac.OpenMic(audio.MicConfig{..., Processors: []audio.Processor{c}})
//	... c.Stats().ERLE for the diagnostics panel; c.SetEnabled(false) when headphones are declared.
//
// # How it works
//
// Far end. Every 8 ms block the canceller reads the speaker reference (what the player handed
// to the device, 24 kHz) at a read position that it walks at the rate ratio, resamples it to
// 16 kHz with a windowed-sinc filter at fractional positions, and keeps the read position a
// little behind the newest sample: when the reference is late it steps back a whole block, when
// it has been early for a second it steps forward a whole block, and the filter's window moves
// with it so nothing has to be relearnt.
//
// Delay. The playback and capture latencies and the acoustic path add up to 50–500 ms. An
// envelope cross-correlation (one value per block, over 1.5 s) finds the bulk delay; the
// adaptive filter then covers 128 ms from 16 ms before the strongest echo, and recentres itself
// on its own peak once converged. A converged filter is not moved by the envelopes any more
// (near-end speech can correlate with them at some lag) unless they agree for 0.6 s while the
// filter cancels poorly.
//
// Filter. A partitioned-block frequency-domain adaptive filter (overlap-save, 128-sample
// blocks, 256-point FFTs, 16 partitions, NLMS normalised per bin over the partitions, gradient
// constrained), run as two filters: a background that always adapts and a foreground that makes
// the output and takes the background's taps only while they cancel better. Double talk is
// detected from the foreground's error against the residual echo expected from a leakage
// estimate obtained by regression (near-end speech does not correlate with the echo estimate's
// power, so talking does not inflate it); during double talk the background slows down and
// the foreground is not replaced, so the user's voice does not wreck a converged echo path.
//
// Clock drift. The speaker's and the microphone's clocks differ by tens of ppm (and
// PulseAudio's module-loopback adapts its rate), so the echo slides in time. Every 2 s the
// foreground filter is compared with a snapshot (the phase slope of their cross-spectrum gives
// the shift) and half of the measured drift is corrected in the resampling ratio.
//
// When the echo path changes. A sound server that re-buffers a stream moves the echo by a few
// milliseconds at once (0.6-20 ms measured on the CI echo path), and a playback stall moves it
// by the stall; a filter off by even half a millisecond cancels almost nothing above 1 kHz, and
// learning the path again takes seconds. The foreground is kept as a snapshot whenever it
// cancels 25 dB or better. While the cancellation is poor, a realigner cross-correlates the
// last 192 ms of the microphone with the snapshot's echo estimate over ±40 ms: a much better
// match at some shift means the path jumped (near-end speech matches no shift), and the
// snapshot comes back, moved by that shift, at once. Double talk drags the filters off a path
// that did not change; such a filter goes back to the snapshot at the next far-end onset,
// before its echo arrives. After a playback stall, far-end sound is muted (unless the
// microphone is clearly louder than the expected echo: the user) until the path is confirmed.
// Until the filter first reaches 25 dB (about 2 s of the model's voice), the same guard mutes
// far-end sound, so the model cannot interrupt itself on its first words — unless there is no
// echo to learn: when, over the longest delay searched after the far end spoke out loud,
// nothing on the microphone stands out of its own quiet blocks (headphones, or hardware that
// already cancels), the guard stops within about 0.6 s and the user can talk over the very
// first answer (presence.go). A jump is not taken
// for clock drift: the drift tracker ignores slides faster than 250 ppm.
//
// Residual echo suppression. A spectral gain on a 50 % overlapped sqrt-Hann STFT of the
// output removes what the linear filter leaves, from the foreground's echo estimate times a
// per-bin leakage measured while only echo is present; the gain has a floor (-26 dB) and falls
// at most 6 dB per block.
//
// Latency: 16 ms (one block of framing, one of overlap). Process never allocates or blocks.
//
// # Why pure Go and not libspeexdsp
//
// Measured on the same synthetic echo paths (TestEchoCancellation's cases; go test -tags
// aec_speex -run Speex ./audio/aec/), speex 1.2.1 with its preprocessor's echo suppression and
// the far end pre-aligned for it: ERLE after 2 s 41.7 / 42.9 / 46.3 / 30.3 dB (laptop, quiet,
// loud, reverberant), 25 dB reached in 1.5 s, 62–104 µs per 10 ms frame. This package: 47.1 /
// 43.9 / 44.0 / 33.4 dB, 25 dB in 1 s, 220–300 µs per 10 ms frame (2–3 % of a core, shared
// 2-core VM) including resampling, delay estimation and drift tracking. The quality is the same or better, the cost is inside the
// 5 % budget, and pure Go builds on Linux, macOS and Windows with no C library to install;
// speex would still need this package's reference tracking, delay estimation and drift
// compensation around it. The cgo wrapper stays behind a build tag as a yardstick.
package aec
