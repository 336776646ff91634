package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"sort"
	"sync"
	"syscall"
	"time"
)

// Camera is a video capture device.
type Camera struct {
	Path string // e.g. /dev/video0
	Name string // e.g. "Integrated Camera"
}

// PixelFormat is a V4L2 FourCC pixel format code.
type PixelFormat uint32

// The pixel formats the webcam source understands.
const (
	FormatMJPEG PixelFormat = 'M' | 'J'<<8 | 'P'<<16 | 'G'<<24
	FormatJPEG  PixelFormat = 'J' | 'P'<<8 | 'E'<<16 | 'G'<<24
	FormatYUYV  PixelFormat = 'Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24
)

func (f PixelFormat) String() string {
	return string([]byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)})
}

// FrameSize is one entry of a device's frame size list: a single size when
// Step is zero, otherwise every size from Min to Max in steps of Step.
type FrameSize struct {
	Min, Max, Step image.Point
}

// ErrFrameTimeout is returned by Device.ReadFrame when no frame arrived in
// time.
var ErrFrameTimeout = errors.New("no camera frame in time")

// Device is the part of a V4L2 capture device the webcam source uses. The
// real one wraps github.com/blackjack/webcam; capturetest.Camera is a fake
// that produces real MJPEG and YUYV frames.
type Device interface {
	// Formats lists the pixel formats and frame sizes the device offers.
	Formats() (map[PixelFormat][]FrameSize, error)
	// SetFormat selects a pixel format and size; it returns the format and
	// size the driver actually chose.
	SetFormat(f PixelFormat, size image.Point) (PixelFormat, image.Point, error)
	// Start starts streaming.
	Start() error
	// ReadFrame waits up to timeout for a frame and returns its bytes, valid
	// until the next ReadFrame. A timeout of 0 only takes a frame that is
	// already waiting. It returns ErrFrameTimeout when none came.
	ReadFrame(timeout time.Duration) ([]byte, error)
	// Close stops streaming and releases the device.
	Close() error
}

// Choice is the format a webcam was set to.
type Choice struct {
	Format PixelFormat
	Size   image.Point
}

// ChooseFormat picks the format to ask for: MJPEG (or JPEG) when offered,
// else YUYV, at the offered size closest to want (by area and aspect ratio;
// ties go to the larger size). It returns ErrNoFormat when neither is
// offered.
func ChooseFormat(formats map[PixelFormat][]FrameSize, want image.Point) (Choice, error) {
	if want.X <= 0 || want.Y <= 0 {
		want = image.Pt(1280, 720)
	}
	for _, f := range []PixelFormat{FormatMJPEG, FormatJPEG, FormatYUYV} {
		sizes, ok := formats[f]
		if !ok {
			continue
		}
		best, ok := nearestSize(sizes, want, f == FormatYUYV)
		if !ok {
			continue
		}
		return Choice{Format: f, Size: best}, nil
	}
	offered := make([]string, 0, len(formats))
	for f := range formats {
		offered = append(offered, f.String())
	}
	sort.Strings(offered)
	return Choice{}, fmt.Errorf("camera offers %v, want MJPEG or YUYV: %w", offered, ErrNoFormat)
}

// nearestSize returns the offered size closest to want. evenWidth keeps
// widths even (YUYV packs pixel pairs).
func nearestSize(sizes []FrameSize, want image.Point, evenWidth bool) (image.Point, bool) {
	var best image.Point
	bestCost := math.Inf(1)
	consider := func(p image.Point) {
		if p.X <= 0 || p.Y <= 0 || (evenWidth && p.X%2 != 0) {
			return
		}
		area := math.Abs(math.Log(float64(p.X*p.Y) / float64(want.X*want.Y)))
		aspect := math.Abs(math.Log(float64(p.X*want.Y) / float64(p.Y*want.X)))
		cost := area + 2*aspect
		if cost < bestCost-1e-9 || (math.Abs(cost-bestCost) <= 1e-9 && p.X*p.Y > best.X*best.Y) {
			best, bestCost = p, cost
		}
	}
	for _, s := range sizes {
		if s.Step == (image.Point{}) || s.Min == s.Max {
			consider(s.Max)
			continue
		}
		// Stepwise or continuous range: clamp want onto the grid.
		snap := func(v, lo, hi, step int) int {
			v = min(max(v, lo), hi)
			if step > 0 {
				v = lo + (v-lo)/step*step
			}
			return v
		}
		consider(image.Pt(snap(want.X, s.Min.X, s.Max.X, s.Step.X), snap(want.Y, s.Min.Y, s.Max.Y, s.Step.Y)))
		consider(s.Max)
	}
	return best, bestCost < math.Inf(1)
}

// Webcam is a camera source. It negotiates a format, keeps the camera
// streaming, and on each Grab returns the newest frame, decoded to RGB.
type Webcam struct {
	mu      sync.Mutex
	dev     Device
	choice  Choice
	path    string
	closed  bool
	frame   []byte // copy of the newest raw frame
	fixed   []byte // MJPEG frame with Huffman tables inserted
	yuyv    *image.RGBA
	timeout time.Duration
}

// frameWait bounds one wait for a frame inside Grab, so cancellation is
// noticed promptly even when the camera stalls.
const frameWait = 200 * time.Millisecond

// firstFrameTimeout is how long Grab waits in total before reporting a
// stalled camera.
const firstFrameTimeout = 5 * time.Second

// NewWebcam negotiates a format on dev (MJPEG preferred, else YUYV, near want
// in size) and starts streaming. path is only used in messages. On error the
// device is closed.
func NewWebcam(dev Device, path string, want image.Point) (w *Webcam, err error) {
	defer func() {
		if err != nil {
			_ = dev.Close()
		}
	}()
	formats, err := dev.Formats()
	if err != nil {
		return nil, cameraError(path, "list formats", err)
	}
	c, err := ChooseFormat(formats, want)
	if err != nil {
		return nil, fmt.Errorf("camera %s: %w", path, err)
	}
	gotF, gotSize, err := dev.SetFormat(c.Format, c.Size)
	if err != nil {
		return nil, cameraError(path, fmt.Sprintf("set format %v %dx%d", c.Format, c.Size.X, c.Size.Y), err)
	}
	if gotF != c.Format && gotF != FormatMJPEG && gotF != FormatJPEG && gotF != FormatYUYV {
		return nil, fmt.Errorf("camera %s switched to unsupported format %v: %w", path, gotF, ErrNoFormat)
	}
	if err := dev.Start(); err != nil {
		return nil, cameraError(path, "start streaming", err)
	}
	return &Webcam{dev: dev, choice: Choice{Format: gotF, Size: gotSize}, path: path, timeout: firstFrameTimeout}, nil
}

// Format returns the negotiated format and size.
func (w *Webcam) Format() Choice { return w.choice }

// Grab returns the newest frame. Frames queued while nobody asked are
// skipped so the picture is current. For YUYV the returned image is reused
// by the next Grab; MJPEG frames decode into a new image each time.
func (w *Webcam) Grab(ctx context.Context) (image.Image, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	if err := w.latest(ctx); err != nil {
		return nil, err
	}
	switch w.choice.Format {
	case FormatYUYV:
		s := w.choice.Size
		if w.yuyv == nil || w.yuyv.Rect.Size() != s {
			w.yuyv = image.NewRGBA(image.Rectangle{Max: s})
		}
		if len(w.frame) != s.X*s.Y*2 {
			return nil, fmt.Errorf("camera %s: yuyv frame is %d bytes, want %d for %dx%d",
				w.path, len(w.frame), s.X*s.Y*2, s.X, s.Y)
		}
		if err := YUYVToRGBA(w.yuyv, w.frame, s.X, s.Y); err != nil {
			return nil, fmt.Errorf("camera %s: %w", w.path, err)
		}
		return w.yuyv, nil
	default:
		data, err := FixMJPEG(w.fixed, w.frame)
		if err != nil {
			return nil, fmt.Errorf("camera %s: %w", w.path, err)
		}
		if len(data) > 0 && &data[0] != &w.frame[0] {
			w.fixed = data
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("camera %s: decode mjpeg: %v: %w", w.path, err, ErrBadMJPEG)
		}
		return img, nil
	}
}

// latest waits for a frame, then drains any newer ones already queued, and
// leaves the newest in w.frame.
func (w *Webcam) latest(ctx context.Context) error {
	deadline := time.Now().Add(w.timeout)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := w.dev.ReadFrame(frameWait)
		if errors.Is(err, ErrFrameTimeout) {
			if time.Now().After(deadline) {
				return fmt.Errorf("camera %s sent no frame for %v: %w", w.path, w.timeout, ErrFrameTimeout)
			}
			continue
		}
		if err != nil {
			return cameraError(w.path, "read frame", err)
		}
		w.frame = append(w.frame[:0], b...)
		break
	}
	for {
		b, err := w.dev.ReadFrame(0)
		if errors.Is(err, ErrFrameTimeout) {
			return nil
		}
		if err != nil {
			return cameraError(w.path, "read frame", err)
		}
		w.frame = append(w.frame[:0], b...)
	}
}

// Close stops the camera. It is idempotent.
func (w *Webcam) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if err := w.dev.Close(); err != nil {
		return fmt.Errorf("close camera %s: %w", w.path, err)
	}
	return nil
}

// cameraError maps device errors to the package's sentinels, with advice.
func cameraError(path, op string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOENT), errors.Is(err, ErrNoCamera):
		return fmt.Errorf("camera %s: %s: %v; is it plugged in?: %w", path, op, err, ErrNoCamera)
	case errors.Is(err, syscall.EBUSY), errors.Is(err, ErrCameraBusy), errMentions(err, syscall.EBUSY):
		return fmt.Errorf("camera %s: %s: %v; close other programs using the camera (video calls, browsers): %w",
			path, op, err, ErrCameraBusy)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM), errors.Is(err, ErrPermission):
		return fmt.Errorf("camera %s: %s: %v; add your user to the \"video\" group and log in again: %w",
			path, op, err, ErrPermission)
	case errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.EIO), errors.Is(err, ErrCameraUnplugged),
		errMentions(err, syscall.ENODEV):
		return fmt.Errorf("camera %s: %s: %v; was it unplugged?: %w", path, op, err, ErrCameraUnplugged)
	}
	return fmt.Errorf("camera %s: %s: %w", path, op, err)
}

// errMentions reports whether err's text contains errno's text.
// blackjack/webcam flattens some errno values into strings
// (StartStreaming: "Failed to map request buffers: device or resource
// busy"), so the text is all that is left to go on.
func errMentions(err error, errno syscall.Errno) bool {
	return bytes.Contains([]byte(err.Error()), []byte(errno.Error()))
}

var _ Source = (*Webcam)(nil)
