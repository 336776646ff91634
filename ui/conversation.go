package ui

import (
	"context"
	"image"

	"github.com/livedesk/livedesk/settings"
)

// ShareKind says what is shared with the model.
type ShareKind int

// Share kinds.
const (
	ShareNone ShareKind = iota
	ShareScreen
	ShareCamera
)

// Share is what the model can see.
type Share struct {
	Kind    ShareKind
	Display int             // ShareScreen: display index
	Region  image.Rectangle // ShareScreen: part of the display; empty = all of it
	Camera  string          // ShareCamera: device ID, e.g. /dev/video0
}

// Conversation is the running Live session as the window drives it. Implementations report
// what happens through the Bridge they were given. Methods may be called from the Fyne goroutine
// and must not block on the network.
type Conversation interface {
	// Start connects with cfg and begins sharing share. It returns once connecting has begun;
	// progress arrives as StateEvents.
	Start(ctx context.Context, cfg settings.Config, share Share) error
	// Stop ends the session and waits for its goroutines. Safe to call when not started.
	Stop()
	SendText(text string) error
	SetMicMuted(muted bool)
	SetPushToTalk(down bool)
	SetShare(s Share) error
}

// Display is a screen that can be shared.
type Display struct {
	Index  int
	Bounds image.Rectangle
}

// Camera is a webcam.
type Camera struct {
	ID   string // e.g. /dev/video0
	Name string
}

// AudioDevice is a microphone or speaker.
type AudioDevice struct {
	ID   string
	Name string
}

// Devices lists what can be chosen in the pickers.
type Devices interface {
	Displays() ([]Display, error)
	Cameras() ([]Camera, error)
	Mics() ([]AudioDevice, error)
	Speakers() ([]AudioDevice, error)
}
