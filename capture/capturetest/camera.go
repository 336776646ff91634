package capturetest

import (
	"errors"
	"image"
	"image/color"
	"image/draw"
	"sync"
	"syscall"
	"time"

	"github.com/livedesk/livedesk/capture"
)

// Camera is a fake V4L2 device (capture.Device). Each frame shows Pattern at
// the negotiated size with a 16-pixel band at the top whose grey level is
// the frame number (FrameShade), so tests can tell which frame they got;
// Still and Noise make it a camera on a still scene instead.
//
// Frames are produced on demand: a ReadFrame that may wait always gets a new
// frame, and a ReadFrame(0) (a drain) gets one only while Queue'd frames are
// waiting, as with a real camera whose buffers filled up while nobody read.
type Camera struct {
	// Modes are the formats and sizes offered.
	Modes map[capture.PixelFormat][]capture.FrameSize
	// StripHuffman sends MJPEG frames without DHT segments.
	StripHuffman bool
	// StartErr is returned by Start (e.g. syscall.EBUSY).
	StartErr error
	// UnplugAfter makes reads fail with ENODEV, as after unplugging, once
	// that many frames were read; 0 means never.
	UnplugAfter int
	// Still keeps the top band at frame 1's shade, so every frame shows the
	// same scene, as a camera pointed at a still scene.
	Still bool
	// Noise adds fresh sensor-like noise to every frame before encoding:
	// a Gaussian-like luma offset per pixel with this standard deviation
	// (levels of 255). Set it before the first read.
	Noise float64

	mu      sync.Mutex
	format  capture.PixelFormat
	size    image.Point
	started bool
	closed  bool
	frames  int
	queued  int
	buf     []byte
	noise   *noise
}

// NewCamera returns a Camera offering MJPEG and YUYV at common UVC sizes.
func NewCamera() *Camera {
	sizes := []capture.FrameSize{
		{Min: image.Pt(640, 480), Max: image.Pt(640, 480)},
		{Min: image.Pt(1280, 720), Max: image.Pt(1280, 720)},
		{Min: image.Pt(1920, 1080), Max: image.Pt(1920, 1080)},
	}
	return &Camera{Modes: map[capture.PixelFormat][]capture.FrameSize{
		capture.FormatMJPEG: sizes,
		capture.FormatYUYV:  sizes[:2],
	}}
}

// FrameShade is the grey level of the top band of frame n (1-based).
func FrameShade(n int) uint8 { return uint8(40 + 20*(n%10)) }

// Formats implements capture.Device.
func (c *Camera) Formats() (map[capture.PixelFormat][]capture.FrameSize, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, syscall.EBADF
	}
	return c.Modes, nil
}

// SetFormat implements capture.Device; it accepts only offered discrete
// sizes, like a UVC driver.
func (c *Camera) SetFormat(f capture.PixelFormat, size image.Point) (capture.PixelFormat, image.Point, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.Modes[f] {
		if s.Max == size {
			c.format, c.size = f, size
			return f, size, nil
		}
	}
	return 0, image.Point{}, syscall.EINVAL
}

// Start implements capture.Device.
func (c *Camera) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.StartErr != nil {
		return c.StartErr
	}
	if c.format == 0 {
		return errors.New("capturetest: Start before SetFormat")
	}
	c.started = true
	return nil
}

// Queue makes n frames wait in the driver's buffers.
func (c *Camera) Queue(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queued += n
}

// Frames returns how many frames were read.
func (c *Camera) Frames() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames
}

// Closed reports whether Close was called.
func (c *Camera) Closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// ReadFrame implements capture.Device.
func (c *Camera) ReadFrame(timeout time.Duration) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started || c.closed {
		return nil, syscall.EINVAL
	}
	if timeout == 0 && c.queued == 0 {
		return nil, capture.ErrFrameTimeout
	}
	if c.UnplugAfter > 0 && c.frames >= c.UnplugAfter {
		return nil, syscall.ENODEV
	}
	if timeout == 0 {
		c.queued--
	}
	c.frames++
	b, err := c.render(c.frames)
	if err != nil {
		return nil, err
	}
	c.buf = b
	return c.buf, nil
}

func (c *Camera) render(n int) ([]byte, error) {
	m := Pattern(c.size)
	if c.Still {
		n = 1
	}
	shade := FrameShade(n)
	draw.Draw(m, image.Rect(0, 0, c.size.X, 16), image.NewUniform(color.RGBA{shade, shade, shade, 255}),
		image.Point{}, draw.Src)
	if c.Noise > 0 {
		if c.noise == nil {
			c.noise = newNoise(c.Noise, 2)
		}
		c.noise.add(m)
	}
	if c.format == capture.FormatYUYV {
		return EncodeYUYV(m), nil
	}
	j, err := EncodeJPEG(m)
	if err != nil {
		return nil, err
	}
	if c.StripHuffman {
		j = StripDHT(j)
	}
	return j, nil
}

// Close implements capture.Device.
func (c *Camera) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

var (
	_ capture.Device = (*Camera)(nil)
	_ capture.Source = (*Source)(nil)
)
