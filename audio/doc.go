// Package audio is Live Desk's sound engine: WAV files and resampling, the malgo (miniaudio)
// context and devices, microphone capture at 16 kHz, playback at 24 kHz through a jitter buffer
// that goes silent the moment the model is interrupted, level metering and half-duplex "speaker
// mode" gating.
//
// The package knows nothing about the Live API session or the UI: its concrete types satisfy the
// small interfaces that package live declares, and main wires them together.
//
// # Threads
//
// miniaudio calls the device callbacks on its own threads. They copy audio in or out of
// preallocated rings, touch only atomics and state private to the callback, never allocate,
// log or wait, and never take a lock that other code holds:
//
//   - Mic: callback → meter → mute → Processors → speaker-mode gate → chunk queue (lock-free,
//     single producer/single consumer, drop-oldest) → Mic.Read.
//   - Player: Player.Write/Clear (serialised by a mutex the callback never takes) → jitter
//     buffer (lock-free ring with absolute positions) → callback → Reference tap → device.
//
// Clear publishes the write position at the time of the flush; the callback's next period fades
// out over at most 5 ms from there and is silent after it. Audio is tagged with a generation:
// Clear starts a new one, and late chunks of an older generation are dropped.
//
// On PulseAudio (and PipeWire's Pulse server) the Player plays through a stream of its own
// (ldpulse.c, libpulse opened at run time) instead of miniaudio's, because Clear must also take
// back what the sound server has queued: libpulse's thread calls the same fill path, and Clear,
// holding that thread's lock, rewrites the queue from the sink's read index with a 1.5 ms fade
// of the same samples and silence, so the speaker stops once the sink has played the few
// milliseconds it had mixed, without a click. Where that stream cannot open (no libpulse, a
// device that is not a Pulse sink, another backend), miniaudio plays, and on PulseAudio a Clear
// mutes miniaudio's stream in the server instead (the hush: immediate, but with a step).
//
// # Speaker mode
//
// For people without headphones, speaker mode gates the microphone while the Player is audible
// (plus a tail for the room and device latency): periods are replaced by silence unless the
// near end is louder than a barge-in threshold for a short attack time, after which the gate
// stays open (with hysteresis and a hold time) so the user can talk over the model. It keeps the
// model from hearing and interrupting itself. It is not echo cancellation: speech quieter than
// the threshold is lost while the model talks, the first tens of milliseconds of a barge-in are
// cut, and an echo louder than the threshold (loud speakers close to the microphone) opens the
// gate. A canceller plugs in as a Processor, using Player.Reference as its far-end signal.
package audio
