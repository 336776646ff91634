package capture_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/capture/capturetest"
)

func TestWebcamFormats(t *testing.T) {
	mjpegOnly := func(c *capturetest.Camera) { delete(c.Modes, capture.FormatYUYV) }
	yuyvOnly := func(c *capturetest.Camera) { delete(c.Modes, capture.FormatMJPEG) }
	tests := []struct {
		name   string
		setup  func(c *capturetest.Camera)
		want   image.Point
		format capture.PixelFormat
		size   image.Point
	}{
		{"mjpeg with tables", mjpegOnly, image.Pt(1280, 720), capture.FormatMJPEG, image.Pt(1280, 720)},
		{"mjpeg without tables", func(c *capturetest.Camera) { mjpegOnly(c); c.StripHuffman = true },
			image.Pt(1280, 720), capture.FormatMJPEG, image.Pt(1280, 720)},
		{"mjpeg preferred over yuyv", func(*capturetest.Camera) {}, image.Pt(1280, 720), capture.FormatMJPEG, image.Pt(1280, 720)},
		{"yuyv", yuyvOnly, image.Pt(1280, 720), capture.FormatYUYV, image.Pt(1280, 720)},
		{"yuyv small", yuyvOnly, image.Pt(600, 400), capture.FormatYUYV, image.Pt(640, 480)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cam := capturetest.NewCamera()
			tt.setup(cam)
			w, err := capture.NewWebcam(cam, "fake0", tt.want)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if got := w.Format(); got.Format != tt.format || got.Size != tt.size {
				t.Fatalf("negotiated %v %v, want %v %v", got.Format, got.Size, tt.format, tt.size)
			}
			for frame := 1; frame <= 2; frame++ {
				img, err := w.Grab(t.Context())
				if err != nil {
					t.Fatalf("grab %d: %v", frame, err)
				}
				if got := img.Bounds().Size(); got != tt.size {
					t.Fatalf("frame size %v, want %v", got, tt.size)
				}
				checkCameraFrame(t, img, frame)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if !cam.Closed() {
				t.Error("Close did not close the device")
			}
			if _, err := w.Grab(t.Context()); !errors.Is(err, capture.ErrClosed) {
				t.Errorf("Grab after Close: %v, want ErrClosed", err)
			}
		})
	}
}

// checkCameraFrame checks the quadrant colours and the frame-number band of
// a capturetest.Camera frame.
func checkCameraFrame(t *testing.T, img image.Image, frame int) {
	t.Helper()
	for i, p := range capturetest.QuadrantCentres(img.Bounds().Size()) {
		if got := img.At(p.X, p.Y); !capturetest.Near(got, capturetest.Quadrants[i], 6) {
			t.Errorf("frame %d quadrant %d = %v, want %v", frame, i, got, capturetest.Quadrants[i])
		}
	}
	s := capturetest.FrameShade(frame)
	if got := img.At(img.Bounds().Dx()/3, 4); !capturetest.Near(got, color.RGBA{s, s, s, 255}, 6) {
		t.Errorf("frame band = %v, want grey %d (frame %d)", got, s, frame)
	}
}

func TestWebcamGrabReturnsNewestFrame(t *testing.T) {
	cam := capturetest.NewCamera()
	w, err := capture.NewWebcam(cam, "fake0", image.Pt(640, 480))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cam.Queue(3) // frames 2, 3 and 4 wait behind the one Grab waits for
	img, err := w.Grab(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	checkCameraFrame(t, img, 4)
	if got := cam.Frames(); got != 4 {
		t.Errorf("read %d frames, want 4", got)
	}
}

func TestWebcamErrors(t *testing.T) {
	t.Run("busy at start", func(t *testing.T) {
		cam := capturetest.NewCamera()
		cam.StartErr = syscall.EBUSY
		_, err := capture.NewWebcam(cam, "fake0", image.Pt(1280, 720))
		if !errors.Is(err, capture.ErrCameraBusy) {
			t.Errorf("err = %v, want ErrCameraBusy", err)
		}
		if !cam.Closed() {
			t.Error("device left open after a failed start")
		}
	})
	t.Run("no usable format", func(t *testing.T) {
		cam := capturetest.NewCamera()
		cam.Modes = map[capture.PixelFormat][]capture.FrameSize{
			capture.PixelFormat(0x34363248): {{Min: image.Pt(640, 480), Max: image.Pt(640, 480)}}, // H264
		}
		_, err := capture.NewWebcam(cam, "fake0", image.Pt(1280, 720))
		if !errors.Is(err, capture.ErrNoFormat) {
			t.Errorf("err = %v, want ErrNoFormat", err)
		}
	})
	t.Run("unplugged mid-session", func(t *testing.T) {
		cam := capturetest.NewCamera()
		cam.UnplugAfter = 2
		w, err := capture.NewWebcam(cam, "fake0", image.Pt(1280, 720))
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		for range 2 {
			if _, err := w.Grab(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Grab(t.Context()); !errors.Is(err, capture.ErrCameraUnplugged) {
			t.Errorf("err = %v, want ErrCameraUnplugged", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cam := capturetest.NewCamera()
		w, err := capture.NewWebcam(cam, "fake0", image.Pt(1280, 720))
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		ctx, cancel := contextWithCancel(t)
		cancel()
		if _, err := w.Grab(ctx); err == nil {
			t.Error("Grab with a cancelled context succeeded")
		}
	})
}

// The real V4L2 paths that can run on a machine without cameras.
func TestOpenWebcamWithoutCamera(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "video0")
	if _, err := capture.OpenWebcam(missing, image.Pt(1280, 720)); !errors.Is(err, capture.ErrNoCamera) {
		t.Errorf("OpenWebcam(missing) = %v, want ErrNoCamera", err)
	}
	notCam := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notCam, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := capture.OpenWebcam(notCam, image.Pt(1280, 720)); !errors.Is(err, capture.ErrNoCamera) {
		t.Errorf("OpenWebcam(regular file) = %v, want ErrNoCamera", err)
	}
	cams, err := capture.Cameras()
	if err != nil {
		t.Fatalf("Cameras: %v", err)
	}
	if cams == nil {
		t.Error("Cameras returned nil, want an empty list")
	}
	if len(cams) > 0 {
		t.Skipf("this machine has cameras %v; the no-camera path of OpenWebcam(\"\") is not exercised", cams)
	}
	if _, err := capture.OpenWebcam("", image.Pt(1280, 720)); !errors.Is(err, capture.ErrNoCamera) {
		t.Errorf("OpenWebcam(\"\") with no cameras = %v, want ErrNoCamera", err)
	}
}

// A camera unplugged while the pipeline runs ends Run with
// ErrCameraUnplugged instead of retrying.
func TestPipelineStopsWhenCameraUnplugged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cam := capturetest.NewCamera()
		cam.UnplugAfter = 2
		w, err := capture.NewWebcam(cam, "fake0", image.Pt(640, 480))
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		p := capture.NewPipeline(w, capture.Options{}, nil)
		err = p.Run(t.Context()) // frames at 0 s and 1 s, then the camera is gone
		if !errors.Is(err, capture.ErrCameraUnplugged) {
			t.Errorf("Run = %v, want ErrCameraUnplugged", err)
		}
		if s := p.Stats(); s.Sent != 2 || s.Errors != 1 {
			t.Errorf("stats %+v, want 2 sent and 1 error", s)
		}
		if _, err := p.Next(t.Context()); err != nil {
			t.Errorf("the last frame is still delivered after Run ends: %v", err)
		}
		if _, err := p.Next(t.Context()); !errors.Is(err, capture.ErrStopped) {
			t.Errorf("Next on a stopped, empty pipeline = %v, want ErrStopped", err)
		}
	})
}

func BenchmarkYUYVToRGBA720p(b *testing.B) {
	src := capturetest.EncodeYUYV(capturetest.Pattern(image.Pt(1280, 720)))
	dst := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	b.ReportAllocs()
	for b.Loop() {
		if err := capture.YUYVToRGBA(dst, src, 1280, 720); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMJPEG720p is the per-frame cost of a table-less MJPEG frame:
// inserting the Huffman tables and decoding.
func BenchmarkMJPEG720p(b *testing.B) {
	j, err := capturetest.EncodeJPEG(capture.DesktopLike(image.Pt(1280, 720)))
	if err != nil {
		b.Fatal(err)
	}
	frame := capturetest.StripDHT(j)
	var fixed []byte
	b.ReportAllocs()
	for b.Loop() {
		fixed, err = capture.FixMJPEG(fixed, frame)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jpeg.Decode(bytes.NewReader(fixed)); err != nil {
			b.Fatal(err)
		}
	}
}
