package audio

// #include <stdlib.h>
import "C"

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/gen2brain/malgo"
)

// Errors reported by devices. Check them with errors.Is.
var (
	ErrNoDevice   = errors.New("no such audio device")
	ErrDeviceBusy = errors.New("audio device is busy")
	ErrDeviceLost = errors.New("audio device was lost")
	ErrClosed     = errors.New("audio device is closed")
)

// Backend selects the audio system miniaudio talks to.
type Backend int

const (
	BackendDefault     Backend = iota // miniaudio's own order of preference for this OS
	BackendNull                       // the null backend: fake devices paced by a timer, no sound server
	BackendPulse                      // PulseAudio (and PipeWire's Pulse server)
	BackendALSA                       // ALSA
	BackendJACK                       // JACK
	BackendWASAPI                     // Windows
	BackendCoreAudio                  // macOS
	BackendDirectSound                // Windows
)

// malgoNull is the real null backend. In malgo v0.11.24 the constant malgo.BackendNull is off by
// one: it selects ma_backend_custom, which fails with "No backend".
const malgoNull = malgo.Backend(malgo.BackendNull + 1)

func (b Backend) malgo() ([]malgo.Backend, error) {
	switch b {
	case BackendDefault:
		return nil, nil
	case BackendNull:
		return []malgo.Backend{malgoNull}, nil
	case BackendPulse:
		return []malgo.Backend{malgo.BackendPulseaudio}, nil
	case BackendALSA:
		return []malgo.Backend{malgo.BackendAlsa}, nil
	case BackendJACK:
		return []malgo.Backend{malgo.BackendJack}, nil
	case BackendWASAPI:
		return []malgo.Backend{malgo.BackendWasapi}, nil
	case BackendCoreAudio:
		return []malgo.Backend{malgo.BackendCoreaudio}, nil
	case BackendDirectSound:
		return []malgo.Backend{malgo.BackendDsound}, nil
	}
	return nil, fmt.Errorf("unknown audio backend %d", int(b))
}

func (b Backend) String() string {
	names := [...]string{"default", "null", "pulse", "alsa", "jack", "wasapi", "coreaudio", "dsound"}
	if b >= 0 && int(b) < len(names) {
		return names[b]
	}
	return fmt.Sprintf("Backend(%d)", int(b))
}

// ParseBackend maps a name as printed by Backend.String to a Backend.
func ParseBackend(s string) (Backend, error) {
	for b := BackendDefault; b <= BackendDirectSound; b++ {
		if strings.EqualFold(s, b.String()) {
			return b, nil
		}
	}
	return 0, fmt.Errorf("unknown audio backend %q", s)
}

// Context owns one miniaudio context. Devices opened from it must be closed before it; Close
// closes any that are still open. A Context is safe for concurrent use.
type Context struct {
	log     *slog.Logger
	mc      *malgo.AllocatedContext
	backend Backend

	mu      sync.Mutex
	closed  bool
	devices map[closer]struct{}
}

type closer interface{ Close() error }

// NewContext initialises miniaudio with the given backend. It fails when the backend is not
// available (for example BackendPulse with no reachable sound server).
func NewContext(b Backend, log *slog.Logger) (*Context, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	backends, err := b.malgo()
	if err != nil {
		return nil, err
	}
	log = log.With("backend", b.String())
	mc, err := malgo.InitContext(backends, malgo.ContextConfig{}, func(msg string) {
		log.Debug("miniaudio", "msg", strings.TrimSpace(msg))
	})
	if err != nil {
		return nil, fmt.Errorf("init audio backend %s: %w", b, err)
	}
	return &Context{log: log, mc: mc, backend: b, devices: make(map[closer]struct{})}, nil
}

// Close closes every device still open and releases the context. It is idempotent.
func (c *Context) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	devs := make([]closer, 0, len(c.devices))
	for d := range c.devices {
		devs = append(devs, d)
	}
	c.mu.Unlock()
	var errs []error
	for _, d := range devs {
		errs = append(errs, d.Close())
	}
	if err := c.mc.Uninit(); err != nil {
		errs = append(errs, fmt.Errorf("uninit audio context: %w", err))
	}
	c.mc.Free()
	return errors.Join(errs...)
}

func (c *Context) track(d closer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.devices[d] = struct{}{}
	return nil
}

func (c *Context) untrack(d closer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.devices, d)
}

// Device describes a capture or playback device.
type Device struct {
	ID      string // stable across runs where the backend allows (PulseAudio/ALSA names)
	Name    string // human-readable description
	Default bool
}

// CaptureDevices lists the microphones (and monitors) the backend offers.
func (c *Context) CaptureDevices() ([]Device, error) { return c.devices0(malgo.Capture) }

// PlaybackDevices lists the speakers the backend offers.
func (c *Context) PlaybackDevices() ([]Device, error) { return c.devices0(malgo.Playback) }

func (c *Context) devices0(kind malgo.DeviceType) ([]Device, error) {
	infos, err := c.infos(kind)
	if err != nil {
		return nil, err
	}
	out := make([]Device, len(infos))
	for i, in := range infos {
		out[i] = Device{ID: deviceID(in.ID), Name: in.Name(), Default: in.IsDefault != 0}
	}
	return out, nil
}

func (c *Context) infos(kind malgo.DeviceType) ([]malgo.DeviceInfo, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	infos, err := c.mc.Devices(kind)
	if err != nil {
		return nil, fmt.Errorf("list %s devices: %w", kindName(kind), err)
	}
	return infos, nil
}

func kindName(kind malgo.DeviceType) string {
	if kind == malgo.Capture {
		return "capture"
	}
	return "playback"
}

// deviceID renders a miniaudio device ID: backends such as PulseAudio and ALSA identify devices
// by a printable name, which is used as is; other IDs are shown in hex.
func deviceID(id malgo.DeviceID) string {
	end := 0
	for end < len(id) && id[end] != 0 {
		if id[end] < 0x20 || id[end] > 0x7e {
			return "hex:" + id.String()
		}
		end++
	}
	rest := id[end:]
	for _, b := range rest {
		if b != 0 {
			return "hex:" + id.String()
		}
	}
	if end == 0 {
		return "hex:" + id.String()
	}
	return string(id[:end])
}

// resolve finds the device a config names: "" is the system default (nil), otherwise an exact
// ID, then an exact name, then a case-insensitive name.
func (c *Context) resolve(kind malgo.DeviceType, want string) (*malgo.DeviceID, string, error) {
	infos, err := c.infos(kind)
	if err != nil {
		return nil, "", err
	}
	if want == "" {
		if len(infos) == 0 {
			return nil, "", fmt.Errorf("open default %s device: %w", kindName(kind), ErrNoDevice)
		}
		return nil, "default", nil
	}
	match := func(f func(in *malgo.DeviceInfo) bool) *malgo.DeviceInfo {
		for i := range infos {
			if f(&infos[i]) {
				return &infos[i]
			}
		}
		return nil
	}
	in := match(func(in *malgo.DeviceInfo) bool { return deviceID(in.ID) == want })
	if in == nil {
		in = match(func(in *malgo.DeviceInfo) bool { return in.Name() == want })
	}
	if in == nil {
		in = match(func(in *malgo.DeviceInfo) bool { return strings.EqualFold(in.Name(), want) })
	}
	if in == nil {
		names := make([]string, len(infos))
		for i := range infos {
			names[i] = fmt.Sprintf("%q", infos[i].Name())
		}
		return nil, "", fmt.Errorf("%s device %q (have %s): %w", kindName(kind), want, strings.Join(names, ", "), ErrNoDevice)
	}
	id := in.ID
	return &id, in.Name(), nil
}

// initDevice opens a miniaudio device. The device ID is copied to C memory for the duration of
// the call (miniaudio reads it only during init).
func (c *Context) initDevice(cfg malgo.DeviceConfig, id *malgo.DeviceID, cb malgo.DeviceCallbacks) (*malgo.Device, error) {
	if id != nil {
		p := id.Pointer() // C.CBytes: C memory
		defer C.free(p)
		if cfg.DeviceType == malgo.Capture {
			cfg.Capture.DeviceID = p
		} else {
			cfg.Playback.DeviceID = p
		}
	}
	dev, err := malgo.InitDevice(c.mc.Context, cfg, cb)
	if err != nil {
		return nil, classify(err)
	}
	return dev, nil
}

// classify wraps miniaudio results in this package's sentinel errors where one applies.
func classify(err error) error {
	var r malgo.Result
	if errors.As(err, &r) {
		switch r {
		case malgo.ErrBusy, malgo.ErrAccessDenied, malgo.ErrShareModeNotSupported:
			return fmt.Errorf("%w: %w", ErrDeviceBusy, err)
		case malgo.ErrNoDevice, malgo.ErrDoesNotExist:
			return fmt.Errorf("%w: %w", ErrNoDevice, err)
		}
	}
	return err
}
