//go:build linux

package capture_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"testing"
	"time"

	"github.com/kbinani/screenshot"
	"github.com/livedesk/livedesk/capture"
)

var frameSizes = []image.Point{{1920, 1080}, {3840, 2160}}

// xvfbDesktop starts a private Xvfb of the given size showing a desktop-like
// picture and returns the server's process ID.
func xvfbDesktop(b testing.TB, size image.Point) int {
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		b.Skip("needs Xvfb: run under scripts/with-testenv.sh (LIVEDESK_TESTENV unset)")
	}
	pid := startXvfb(b, "-screen", "0", fmt.Sprintf("%dx%dx24", size.X, size.Y))
	showImage(b, image.Point{}, capture.DesktopLike(size))
	return pid
}

// BenchmarkFrameXvfb measures one paced frame's work: X capture (MIT-SHM),
// box downscale to 1024 px and JPEG q75, on a desktop-like Xvfb screen.
// cpu-ms/op is this process; xvfb-cpu-ms/op is the X server's share (it
// copies the pixels into shared memory).
func BenchmarkFrameXvfb(b *testing.B) {
	for _, size := range frameSizes {
		b.Run(fmt.Sprintf("%dx%d", size.X, size.Y), func(b *testing.B) {
			pid := xvfbDesktop(b, size)
			s, err := capture.NewScreen(capture.ScreenTarget{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			sc := capture.NewScaler(capture.DefaultMaxSize)
			var buf bytes.Buffer
			var grab, scale, encode time.Duration
			frame := func() {
				t0 := time.Now()
				img, err := s.Grab(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				scaled := sc.Scale(img)
				t2 := time.Now()
				buf.Reset()
				if err := jpeg.Encode(&buf, scaled, &jpeg.Options{Quality: capture.DefaultQuality}); err != nil {
					b.Fatal(err)
				}
				grab, scale, encode = grab+t1.Sub(t0), scale+t2.Sub(t1), encode+time.Since(t2)
			}
			frame() // warm up: the scaler sizes its buffers on the first frame
			grab, scale, encode = 0, 0, 0
			b.ReportAllocs()
			cpu0, x0 := selfCPU(), procCPU(b, pid)
			for b.Loop() {
				frame()
			}
			n := float64(b.N)
			b.ReportMetric(float64(selfCPU()-cpu0)/n/1e6, "cpu-ms/op")
			b.ReportMetric(float64(procCPU(b, pid)-x0)/n/1e6, "xvfb-cpu-ms/op")
			b.ReportMetric(float64(grab)/n/1e6, "grab-ms")
			b.ReportMetric(float64(scale)/n/1e6, "scale-ms")
			b.ReportMetric(float64(encode)/n/1e6, "encode-ms")
			b.ReportMetric(float64(buf.Len()), "jpeg-bytes")
		})
	}
}

// BenchmarkGrabXvfb compares a capture with this package's Screen (one
// connection, one shared-memory segment, reused image) against
// kbinani/screenshot (new connection, segment and image per call).
func BenchmarkGrabXvfb(b *testing.B) {
	for _, size := range frameSizes {
		b.Run(fmt.Sprintf("Screen/%dx%d", size.X, size.Y), func(b *testing.B) {
			pid := xvfbDesktop(b, size)
			s, err := capture.NewScreen(capture.ScreenTarget{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			cpu0, x0 := selfCPU(), procCPU(b, pid)
			for b.Loop() {
				if _, err := s.Grab(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(selfCPU()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(procCPU(b, pid)-x0)/float64(b.N)/1e6, "xvfb-cpu-ms/op")
		})
		b.Run(fmt.Sprintf("kbinani/%dx%d", size.X, size.Y), func(b *testing.B) {
			pid := xvfbDesktop(b, size)
			r := image.Rectangle{Max: size}
			b.ReportAllocs()
			cpu0, x0 := selfCPU(), procCPU(b, pid)
			for b.Loop() {
				if _, err := screenshot.CaptureRect(r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(selfCPU()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(procCPU(b, pid)-x0)/float64(b.N)/1e6, "xvfb-cpu-ms/op")
		})
	}
}

// TestCPUAtOneFPS runs the pipeline at 1 fps on a 1920×1080 Xvfb for
// LIVEDESK_CPU_TEST (a duration, e.g. 60s) and reports the CPU used, as a
// percentage of one core, by this process and by the X server. It runs twice:
// a screen that changes every frame (every frame encoded and sent) and a
// static screen (frames skipped after the first).
func TestCPUAtOneFPS(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("LIVEDESK_CPU_TEST"))
	if err != nil {
		t.Skip("set LIVEDESK_CPU_TEST=60s (under scripts/with-testenv.sh) to measure CPU use at 1 fps")
	}
	requireTestEnv(t)
	pid := xvfbDesktop(t, image.Pt(1920, 1080))
	for _, skip := range []bool{false, true} {
		s, err := capture.NewScreen(capture.ScreenTarget{})
		if err != nil {
			t.Fatal(err)
		}
		opt := capture.DefaultOptions()
		opt.SkipUnchanged = skip
		p := capture.NewPipeline(s, opt, nil)
		ctx, cancel := contextWithCancel(t)
		done := make(chan error, 1)
		cpu0, x0, start := selfCPU(), procCPU(t, pid), time.Now()
		go func() { done <- p.Run(ctx) }()
		go func() { // the consumer: take every frame
			for {
				if _, err := p.Next(ctx); err != nil {
					return
				}
			}
		}()
		time.Sleep(d)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		wall := time.Since(start)
		self, x := selfCPU()-cpu0, procCPU(t, pid)-x0
		st := p.Stats()
		t.Logf("skipUnchanged=%v: %v wall, %d captured, %d sent, %d skipped; CPU of one core: app %.2f%%, Xvfb %.2f%%; last frame %d bytes, grab %v scale %v encode %v",
			skip, wall.Round(time.Millisecond), st.Captured, st.Sent, st.Skipped,
			100*self.Seconds()/wall.Seconds(), 100*x.Seconds()/wall.Seconds(),
			st.LastBytes, st.LastGrab, st.LastScale, st.LastEncode)
		if want := uint64(d/time.Second) + 1; st.Captured+1 < want || st.Captured > want+1 {
			t.Errorf("captured %d frames in %v, want about %d", st.Captured, d, want)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
