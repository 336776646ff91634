package ui

import (
	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/settings"
)

// Call is the running call as the window drives it (call.Call in the app). Every method
// returns at once, whatever the network or the devices are doing: the call reports what
// happens through the window's Bridge. The call keeps the user's intents (muted,
// push-to-talk, what is shared) across its runs, so the window says each once.
type Call interface {
	// Start begins a new run with cfg, replacing the current one, and returns its number
	// (events of older runs are stale).
	Start(cfg settings.Config) (run uint64)
	// Stop ends the current run.
	Stop()
	SendText(text string) error
	SetMuted(muted bool)
	SetPushToTalk(down bool)
	// SetShare changes what the model can see; call.Share{} shares nothing.
	SetShare(s call.Share)
}

// Devices lists what can be chosen in the pickers.
type Devices interface {
	Displays() ([]capture.Display, error)
	Cameras() ([]capture.Camera, error)
	Mics() ([]audio.Device, error)
	Speakers() ([]audio.Device, error)
}
