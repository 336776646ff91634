package call

import (
	"log/slog"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/capture"
)

// Devices lists what can be chosen: displays, cameras, microphones and speakers.
type Devices struct {
	Backend audio.Backend
	Log     *slog.Logger
}

// Displays lists the monitors.
func (Devices) Displays() ([]capture.Display, error) { return capture.Displays() }

// Windows lists the top-level windows that can be shared on their own (X11).
func (Devices) Windows() ([]capture.Window, error) { return capture.Windows() }

// Open opens a share target as a capture source, as a call does: the share picker's
// thumbnails come through the same path (and the same masking) as what is sent.
func (Devices) Open(s Share) (capture.Source, error) { return DeviceSources{}.Open(s) }

// Cameras lists the cameras (none where camera sharing is not supported).
func (Devices) Cameras() ([]capture.Camera, error) { return capture.Cameras() }

// Mics lists the microphones.
func (d Devices) Mics() ([]audio.Device, error) { return d.audio(true) }

// Speakers lists the speakers.
func (d Devices) Speakers() ([]audio.Device, error) { return d.audio(false) }

func (d Devices) audio(capture bool) ([]audio.Device, error) {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	actx, err := audio.NewContext(d.Backend, log)
	if err != nil {
		return nil, err
	}
	defer actx.Close()
	if capture {
		return actx.CaptureDevices()
	}
	return actx.PlaybackDevices()
}
