package settings

import "github.com/livedesk/livedesk/catalog"

// DefaultModel is the model a new user gets (the catalog's).
const DefaultModel = catalog.DefaultModel

// Default returns the configuration a new user starts with.
func Default() Config {
	return Config{
		Model:               DefaultModel,
		Backend:             string(catalog.BackendGemini),
		VertexLocation:      catalog.DefaultVertexLocation,
		Voice:               catalog.DefaultVoice,
		InputTranscription:  true,
		OutputTranscription: true,
		AutoVAD:             true,
		ActivityHandling:    ActivityInterrupts,
		PushToTalkKey:       "F8",
		GlobalPushToTalk:    "Ctrl+Alt+Space",
		GlobalMute:          "Ctrl+Alt+M",
		GlobalStopShare:     "Ctrl+Alt+X",
		FPS:                 1,
		MaxSize:             1024,
		JPEGQuality:         75,
		SkipUnchanged:       true,
		FramePolicy:         FramesWhileTalking,
		IdleFrameSeconds:    5,
		HideOwnWindows:      true,
		EchoCancellation:    EchoAuto,
		SpeakerMode:         true,
		Volume:              1,
		Compression:         true,
		// Pointing at things on the shared screen is on: it only draws, for a few seconds.
		// The clipboard tool is opt-in: text on a shared screen could ask the model to plant a
		// command for the user to paste.
		LocalTools: []string{catalog.ToolCurrentTime, catalog.ToolSnapshot, catalog.ToolHighlight},
	}
}
