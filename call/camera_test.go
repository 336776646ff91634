package call

import (
	"fmt"
	"image"
	"os"
	"testing"
	"time"

	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/capture/capturetest"
	"github.com/livedesk/livedesk/live/livetest"
)

// noisyCamera opens a fake V4L2 camera on a still scene with sensor-like noise, through the
// real webcam source (MJPEG decode, Y-plane comparison).
func noisyCamera(sigma float64) func() (capture.Source, error) {
	return func() (capture.Source, error) {
		cam := capturetest.NewCamera()
		cam.Still, cam.Noise = true, sigma
		return capture.NewWebcam(cam, "fake0", image.Pt(1280, 720))
	}
}

// TestNoisyCameraSendsLittle shares a camera pointed at a still scene (every frame differs
// from the last by sensor noise only) in a silent call with default settings, and counts at
// the fake server what was sent after the first frame: at most 2 frames a minute.
func TestNoisyCameraSendsLittle(t *testing.T) {
	t.Parallel()
	span := 30 * time.Second
	if os.Getenv("LIVEDESK_FRAMES_MINUTE") != "" {
		span = time.Minute
	}
	for _, sigma := range []float64{6, 12} {
		t.Run(fmt.Sprintf("sigma=%g", sigma), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, livetest.Options{}, nil)
			h.src.mu.Lock()
			h.src.camera = noisyCamera(sigma)
			h.src.mu.Unlock()
			h.c.SetShare(Share{Kind: ShareCamera, Camera: "/dev/video-fake"})
			h.c.Start(h.cfg)
			h.waitServer("the first frame", func(cs []livetest.ConnInfo) bool { return len(cs) == 1 && cs[0].Frames >= 1 })
			time.Sleep(span)
			frames := h.srv.Conns()[0].Frames - 1
			perMin := float64(frames) / span.Minutes()
			t.Logf("camera on a still scene, noise σ=%g: %d frames in %s after the first = %.1f frames/min", sigma, frames, span, perMin)
			if perMin > 2 {
				t.Errorf("σ=%g: %.1f frames/min from a still scene, want at most 2", sigma, perMin)
			}
		})
	}
}
