package aec_test

import (
	"log/slog"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/audio/aec"
)

// The composition root wires the canceller between the player's reference and the microphone;
// if it cannot be built, speaker mode (the half-duplex gate) is the fallback.
func Example() {
	log := slog.Default()
	ac, err := audio.NewContext(audio.BackendDefault, log)
	if err != nil {
		return
	}
	defer ac.Close()
	player, err := ac.OpenPlayer(audio.PlayerConfig{})
	if err != nil {
		return
	}
	defer player.Close()

	cfg := audio.MicConfig{FarEnd: player}
	c, err := aec.New(player.Reference(), aec.Config{Log: log})
	if err != nil {
		log.Warn("no echo cancellation, using speaker mode", "err", err)
		cfg.SpeakerMode = true
	} else {
		cfg.Processors = []audio.Processor{c}
	}
	mic, err := ac.OpenMic(cfg)
	if err != nil {
		return
	}
	defer mic.Close()
	// ... later, for the diagnostics panel (any goroutine):
	if c != nil {
		log.Info("echo reduction", "erle_db", c.Stats().ERLE)
	}
}
