package call

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/audio/aec"
	"github.com/livedesk/livedesk/settings"
)

// audioIO is the microphone and speaker of one run. Either may be nil when it could not be
// opened (the call goes on without it).
type audioIO struct {
	ctx    *audio.Context
	mic    *audio.Mic
	player *audio.Player
	aec    *aec.Canceller // nil when echo cancellation is off or unavailable
	rec    *aec.Recorder  // non-nil when the echo canceller's input is being recorded
}

// echoCancellation reports whether the settings ask for the echo canceller: "on", or "auto"
// unless the user wears headphones.
func echoCancellation(cfg settings.Config) bool {
	switch cfg.EchoCancellation {
	case settings.EchoOn:
		return true
	case settings.EchoOff:
		return false
	}
	return !cfg.Headphones
}

// echoReduction describes the canceller's measured echo reduction, or "" without one.
func (a *audioIO) echoReduction() string {
	if a == nil || a.aec == nil {
		return ""
	}
	st := a.aec.Stats()
	if math.IsNaN(st.ERLE) {
		return "echo canceller: measuring (needs the model to speak)"
	}
	return fmt.Sprintf("echo canceller: %.0f dB echo reduction, echo delay %d ms, clock drift %+d ppm", st.ERLE, st.Delay.Milliseconds(), st.DriftPPM)
}

// openAudio opens the speaker first (the canceller and speaker mode need it as the far end),
// then the microphone, muted from its first period when muted is set. A device that cannot be
// opened is reported in warnings and left nil; only a missing audio system is an error. With
// echoRecord set (talk --echo-record), the canceller's input and output are recorded.
func openAudio(backend audio.Backend, cfg settings.Config, muted, echoRecord bool, log *slog.Logger) (a *audioIO, warnings []error, err error) {
	actx, err := audio.NewContext(backend, log)
	if err != nil {
		return nil, nil, fmt.Errorf("audio: %w", err)
	}
	a = &audioIO{ctx: actx}
	a.player, err = actx.OpenPlayer(audio.PlayerConfig{Device: cfg.SpeakerDevice})
	if err != nil {
		warnings = append(warnings, fmt.Errorf("speaker: %w: answers are shown as text only", err))
		a.player = nil
	} else if cfg.Volume > 0 {
		a.player.SetVolume(cfg.Volume)
	}
	mc := audio.MicConfig{Device: cfg.MicDevice, Muted: muted}
	if a.player != nil {
		mc.FarEnd = a.player
		if echoCancellation(cfg) {
			// The canceller sits between capture and the send queue, with what the speaker
			// actually played as its reference.
			c, err := aec.New(a.player.Reference(), aec.Config{Log: log})
			if err != nil {
				warnings = append(warnings, fmt.Errorf("echo canceller unavailable, falling back to speaker mode: %w", err))
			} else {
				a.aec = c
				mc.Processors = []audio.Processor{c}
				if echoRecord {
					a.rec = aec.NewRecorder(a.player.Reference(), audio.InputRate, echoRecordLimit)
					a.rec.Watch(c)
					mc.Processors = []audio.Processor{a.rec.Input(), c, a.rec.Output()}
				}
			}
		}
		// Speaker mode (half-duplex gating) is the fallback: with the canceller on it would
		// only cut the user off while the model speaks.
		mc.SpeakerMode = a.aec == nil && cfg.SpeakerMode && !cfg.Headphones
	}
	a.mic, err = actx.OpenMic(mc)
	if err != nil {
		warnings = append(warnings, fmt.Errorf("microphone: %w: continuing without it (typed text still works)", err))
		a.mic, a.aec, a.rec = nil, nil, nil
	}
	return a, warnings, nil
}

// echoRecordLimit bounds an echo recording (its buffers, some 30 MB, are allocated up front).
const echoRecordLimit = 5 * time.Minute

// saveEchoRecording stops the microphone and writes the echo canceller's recording into dir.
func (a *audioIO) saveEchoRecording(dir string) error {
	if a == nil || a.rec == nil || a.mic == nil {
		return errors.New("echo recording: the echo canceller is off")
	}
	a.mic.Close()
	return a.rec.Save(dir)
}

// close closes the devices and the context; safe on a partly opened audioIO.
func (a *audioIO) close() {
	if a == nil {
		return
	}
	if a.mic != nil {
		a.mic.Close()
	}
	if a.player != nil {
		a.player.Close()
	}
	a.ctx.Close()
}
