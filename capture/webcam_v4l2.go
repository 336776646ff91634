//go:build linux

package capture

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/blackjack/webcam"
)

// v4l2Buffers is how many kernel buffers to stream with. Few buffers keep
// the frames Grab drains to get the newest one few.
const v4l2Buffers = 4

// v4l2Device adapts *webcam.Webcam to Device.
type v4l2Device struct {
	cam     *webcam.Webcam
	held    uint32 // buffer index returned by the last ReadFrame
	holding bool
}

func (d *v4l2Device) Formats() (map[PixelFormat][]FrameSize, error) {
	out := map[PixelFormat][]FrameSize{}
	for f := range d.cam.GetSupportedFormats() {
		var sizes []FrameSize
		for _, s := range d.cam.GetSupportedFrameSizes(f) {
			sizes = append(sizes, FrameSize{
				Min:  image.Pt(int(s.MinWidth), int(s.MinHeight)),
				Max:  image.Pt(int(s.MaxWidth), int(s.MaxHeight)),
				Step: image.Pt(int(s.StepWidth), int(s.StepHeight)),
			})
		}
		out[PixelFormat(f)] = sizes
	}
	return out, nil
}

// SetFormat sets the format. blackjack/webcam v0.6.1 returns the requested
// size rather than the one the driver picked, so callers must not trust the
// size blindly; Webcam checks every YUYV frame's length against it and
// MJPEG frames carry their own size.
func (d *v4l2Device) SetFormat(f PixelFormat, size image.Point) (PixelFormat, image.Point, error) {
	got, w, h, err := d.cam.SetImageFormat(webcam.PixelFormat(f), uint32(size.X), uint32(size.Y))
	if err != nil {
		return 0, image.Point{}, err
	}
	return PixelFormat(got), image.Pt(int(w), int(h)), nil
}

func (d *v4l2Device) Start() error {
	if err := d.cam.SetBufferCount(v4l2Buffers); err != nil {
		return err
	}
	return d.cam.StartStreaming()
}

// ReadFrame returns a frame still in its kernel buffer; the buffer goes back
// to the driver on the next call. The wait is rounded up to whole seconds
// (the granularity of blackjack/webcam's WaitForFrame).
func (d *v4l2Device) ReadFrame(timeout time.Duration) ([]byte, error) {
	if d.holding {
		d.holding = false
		if err := d.cam.ReleaseFrame(d.held); err != nil {
			return nil, fmt.Errorf("release buffer: %w", err)
		}
	}
	secs := uint32((timeout + time.Second - 1) / time.Second)
	if err := d.cam.WaitForFrame(secs); err != nil {
		var t *webcam.Timeout
		if errors.As(err, &t) {
			return nil, ErrFrameTimeout
		}
		return nil, err
	}
	b, idx, err := d.cam.GetFrame()
	if errors.Is(err, syscall.EAGAIN) {
		return nil, ErrFrameTimeout
	}
	if err != nil {
		return nil, err
	}
	d.held, d.holding = idx, true
	return b, nil
}

func (d *v4l2Device) Close() error {
	return d.cam.Close()
}

// WebcamSupported reports whether cameras can be shared on this system (V4L2: Linux only).
const WebcamSupported = true

// Cameras lists the V4L2 video capture devices. It returns an empty list, not
// an error, when there are none.
func Cameras() ([]Camera, error) {
	return listCameras("/sys/class/video4linux", "/dev", probeV4L2)
}

// probeV4L2 opens path to check it can capture video and to read its name.
// A device the user may not open is still listed (ok) so the UI can show it
// and opening it reports the permission problem.
func probeV4L2(path string) (name string, ok bool) {
	cam, err := webcam.Open(path)
	if err != nil {
		return "", errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)
	}
	defer cam.Close()
	name, _ = cam.GetName()
	return name, true
}

// listCameras lists the capture devices named in sysDir (one entry per
// /dev node, each with a "name" file), falling back to devDir/video* when
// sysfs has nothing. probe says whether a node captures video (metadata
// nodes of UVC cameras do not) and may supply a better name.
func listCameras(sysDir, devDir string, probe func(path string) (string, bool)) ([]Camera, error) {
	var nodes []string
	entries, err := os.ReadDir(sysDir)
	switch {
	case err == nil:
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "video") {
				nodes = append(nodes, e.Name())
			}
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("list cameras: %w", err)
	}
	if len(nodes) == 0 {
		paths, _ := filepath.Glob(filepath.Join(devDir, "video*"))
		for _, p := range paths {
			nodes = append(nodes, filepath.Base(p))
		}
	}
	num := func(s string) int {
		n, err := strconv.Atoi(strings.TrimPrefix(s, "video"))
		if err != nil {
			return 1 << 30
		}
		return n
	}
	sort.Slice(nodes, func(i, j int) bool { return num(nodes[i]) < num(nodes[j]) })
	cams := []Camera{}
	for _, n := range nodes {
		path := filepath.Join(devDir, n)
		name, ok := probe(path)
		if !ok {
			continue
		}
		if name == "" {
			b, _ := os.ReadFile(filepath.Join(sysDir, n, "name"))
			name = strings.TrimSpace(string(b))
		}
		if name == "" {
			name = n
		}
		cams = append(cams, Camera{Path: path, Name: name})
	}
	return cams, nil
}

// OpenWebcam opens the camera at path (the first camera when path is empty),
// negotiates MJPEG or YUYV near want (1280×720 when zero) and starts it.
// Errors wrap ErrNoCamera, ErrCameraBusy, ErrPermission or ErrNoFormat with
// advice for the user.
func OpenWebcam(path string, want image.Point) (*Webcam, error) {
	if path == "" {
		cams, err := Cameras()
		if err != nil {
			return nil, err
		}
		if len(cams) == 0 {
			return nil, fmt.Errorf("no video capture device found; connect a camera: %w", ErrNoCamera)
		}
		path = cams[0].Path
	}
	cam, err := webcam.Open(path)
	if err != nil {
		if errors.Is(err, syscall.ENOTTY) || strings.Contains(err.Error(), "capture device") ||
			strings.Contains(err.Error(), "streaming") {
			return nil, fmt.Errorf("%s is not a usable V4L2 camera: %v: %w", path, err, ErrNoCamera)
		}
		return nil, cameraError(path, "open", err)
	}
	return NewWebcam(&v4l2Device{cam: cam}, path, want)
}
