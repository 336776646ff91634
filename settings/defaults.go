package settings

// DefaultModel is the stable Live model (Nov 2026).
const DefaultModel = "gemini-3.8-live"

// Default returns the configuration a new user starts with.
func Default() Config {
	return Config{
		Model:               DefaultModel,
		Voice:               "Kore",
		InputTranscription:  true,
		OutputTranscription: true,
		AutoVAD:             true,
		ActivityHandling:    ActivityInterrupts,
		PushToTalkKey:       "F8",
		FPS:                 1,
		MaxSize:             1024,
		JPEGQuality:         75,
		SkipUnchanged:       true,
		EchoCancellation:    EchoAuto,
		SpeakerMode:         true,
		Volume:              1,
		Compression:         true,
		LocalTools:          []string{"get_current_time", "capture_snapshot", "copy_to_clipboard"},
	}
}
