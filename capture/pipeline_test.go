package capture_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/google/go-cmp/cmp"
	"image"
	"image/color"
	"image/jpeg"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/capture/capturetest"
)

var grey = color.RGBA{128, 128, 128, 255}

// startPipeline runs p.Run in the background of a synctest bubble and
// returns a stop function that cancels it and returns Run's error.
func startPipeline(t *testing.T, p *capture.Pipeline) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var err error
	wg.Go(func() { err = p.Run(ctx) })
	var once sync.Once
	stop = func() error {
		once.Do(func() { cancel(); wg.Wait() })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func TestPipelinePacing(t *testing.T) {
	tests := []struct {
		fps  float64
		idle time.Duration // -1: active (the default)
		want uint64        // grabs in the first 9.7 s: one at once, then one per interval
	}{
		{1, -1, 10},
		{2, -1, 20},
		{0.5, -1, 5},
		{0.2, -1, 2},
		{5, -1, 20},  // clamped to 2 fps
		{0.1, -1, 2}, // clamped to 0.2 fps
		{1, 5 * time.Second, 2},
		{1, 2 * time.Second, 5},
		{1, 0, 1},                       // idle without idle frames: only the first
		{1, 100 * time.Millisecond, 10}, // raised to the active interval
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			src := capturetest.NewSource(image.Pt(320, 180), grey)
			p := capture.NewPipeline(src, capture.Options{FPS: tt.fps, IdleInterval: max(tt.idle, 0)}, nil)
			if tt.idle >= 0 {
				p.SetActive(false)
			}
			stop := startPipeline(t, p)
			time.Sleep(9700 * time.Millisecond)
			synctest.Wait()
			got := p.Stats().Captured
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("fps %v idle %v: captured %d frames in 9.7 s, want %d", tt.fps, tt.idle, got, tt.want)
			}
		})
	}
}

func TestPipelineLatestFrameWins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capturetest.NewSource(image.Pt(640, 360), grey)
		p := capture.NewPipeline(src, capture.Options{}, nil) // SkipUnchanged off: every frame is sent
		stop := startPipeline(t, p)
		start := time.Now()
		time.Sleep(3500 * time.Millisecond) // frames at 0, 1, 2, 3 s; nobody reads
		f, err := p.Next(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq != 4 || !f.Captured.Equal(start.Add(3*time.Second)) {
			t.Errorf("Next = seq %d captured at +%v, want seq 4 at +3s", f.Seq, f.Captured.Sub(start))
		}
		if s := p.Stats(); s.Dropped != 3 || s.Sent != 4 {
			t.Errorf("stats = %+v, want 4 sent, 3 dropped", s)
		}
		// The mailbox is empty now: the next Next waits for the 4 s frame.
		f, err = p.Next(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq != 5 || !time.Now().Equal(start.Add(4*time.Second)) {
			t.Errorf("second Next = seq %d at +%v, want seq 5 at +4s", f.Seq, time.Since(start))
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Next(t.Context()); !errors.Is(err, capture.ErrStopped) {
			t.Errorf("Next after Run returned: %v, want ErrStopped", err)
		}
	})
}

func TestPipelineNextHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := capture.NewPipeline(capturetest.NewSource(image.Pt(64, 64), grey), capture.Options{}, nil)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := p.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Next without Run = %v, want DeadlineExceeded", err)
		}
	})
}

func TestPipelineSkipsUnchanged(t *testing.T) {
	size := image.Pt(960, 540) // change cells are 15×15 pixels
	tests := []struct {
		name      string
		threshold float64
		edit      func(s *capturetest.Source)
		wantSent  bool
	}{
		{"nothing changed", 0, func(*capturetest.Source) {}, false},
		{"cursor-sized change", 0, func(s *capturetest.Source) {
			s.Fill(image.Rect(100, 100, 101, 112), color.Black) // a text cursor
		}, false},
		{"a typed word", 0, func(s *capturetest.Source) {
			s.Fill(image.Rect(100, 100, 140, 116), color.Black)
		}, true},
		{"10% changed, threshold 0.2", 0.2, func(s *capturetest.Source) {
			s.Fill(image.Rect(0, 0, 96, 540), color.White)
		}, false},
		{"10% changed, threshold 0.05", 0.05, func(s *capturetest.Source) {
			s.Fill(image.Rect(0, 0, 96, 540), color.White)
		}, true},
		{"whole screen", 0.5, func(s *capturetest.Source) {
			s.Fill(image.Rect(0, 0, 960, 540), color.White)
		}, true},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			src := capturetest.NewSource(size, grey)
			p := capture.NewPipeline(src, capture.Options{SkipUnchanged: true, ChangeThreshold: tt.threshold}, nil)
			startPipeline(t, p)
			if _, err := p.Next(t.Context()); err != nil { // the first frame is always sent
				t.Fatal(err)
			}
			time.Sleep(1500 * time.Millisecond) // the 1 s frame is unchanged
			tt.edit(src)
			time.Sleep(time.Second) // the 2 s frame sees the edit
			synctest.Wait()
			s := p.Stats()
			wantSent, wantSkipped := uint64(1), uint64(2)
			if tt.wantSent {
				wantSent, wantSkipped = 2, 1
			}
			if s.Sent != wantSent || s.Skipped != wantSkipped || s.Captured != 3 {
				t.Errorf("%s: stats %+v, want captured 3, sent %d, skipped %d", tt.name, s, wantSent, wantSkipped)
			}
		})
	}
}

func TestPipelineRequestFresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capturetest.NewSource(image.Pt(640, 360), grey)
		opt := capture.DefaultOptions()
		opt.Refresh = 5 * time.Second
		p := capture.NewPipeline(src, opt, nil)
		startPipeline(t, p)
		start := time.Now()
		if _, err := p.Next(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2500 * time.Millisecond)
		p.RequestFresh() // captures at once, but nothing changed and the last frame is 2.5 s old
		synctest.Wait()
		if s := p.Stats(); s.Sent != 1 || s.Captured != 4 {
			t.Fatalf("after an early RequestFresh: %+v, want 1 sent, 4 captured", s)
		}
		// The paced captures now follow the one at 2.5 s: 3.5, 4.5, 5.5 s.
		time.Sleep(3800 * time.Millisecond) // t = 6.3 s, unchanged frames skipped
		p.RequestFresh()                    // the user starts speaking
		f, err := p.Next(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Captured.Sub(start); got != 6300*time.Millisecond {
			t.Errorf("fresh frame captured at +%v, want +6.3s (at once)", got)
		}
		if s := p.Stats(); s.Sent != 2 || s.Captured != 8 {
			t.Errorf("stats %+v, want 2 sent, 8 captured", s)
		}
	})
}

func TestPipelineGrabErrors(t *testing.T) {
	transient := errors.New("x server hiccup")
	tests := []struct {
		name      string
		errs      []error
		wantErr   error // nil: Run keeps going
		wantGrabs int   // grabs before Run returns (when it does)
	}{
		{"transient failures recover", []error{transient, transient}, nil, 0},
		{"three failures stop", []error{transient, transient, transient}, transient, 3},
		{"unplugged stops at once", []error{capture.ErrCameraUnplugged}, capture.ErrCameraUnplugged, 1},
		{"unplugged errno via webcam", []error{&wrapped{syscall.ENODEV, capture.ErrCameraUnplugged}}, capture.ErrCameraUnplugged, 1},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			src := capturetest.NewSource(image.Pt(64, 64), grey)
			src.FailNext(tt.errs...)
			p := capture.NewPipeline(src, capture.Options{}, nil)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var runErr error
			done := make(chan struct{})
			go func() { runErr = p.Run(ctx); close(done) }()
			time.Sleep(10 * time.Second)
			synctest.Wait()
			select {
			case <-done:
				if tt.wantErr == nil {
					t.Fatalf("%s: Run returned %v, want it to keep going", tt.name, runErr)
				}
				if !errors.Is(runErr, tt.wantErr) {
					t.Errorf("%s: Run = %v, want %v", tt.name, runErr, tt.wantErr)
				}
				if got := src.Grabs(); got != tt.wantGrabs {
					t.Errorf("%s: %d grabs, want %d", tt.name, got, tt.wantGrabs)
				}
			default:
				if tt.wantErr != nil {
					t.Fatalf("%s: Run still running, want %v", tt.name, tt.wantErr)
				}
				if s := p.Stats(); s.Errors != uint64(len(tt.errs)) || s.Sent == 0 {
					t.Errorf("%s: stats %+v", tt.name, s)
				}
				cancel()
				<-done
				if runErr != nil {
					t.Errorf("%s: Run after cancel = %v, want nil", tt.name, runErr)
				}
			}
		})
	}
}

type wrapped struct{ a, b error }

func (w *wrapped) Error() string   { return w.a.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.a, w.b} }

func TestPipelineFrames(t *testing.T) {
	src := capturetest.NewPatternSource(image.Pt(1920, 1080))
	p := capture.NewPipeline(src, capture.Options{Quality: 80}, nil)
	if p.Thumbnail() != nil {
		t.Error("Thumbnail before the first frame is not nil")
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { _ = p.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	f, err := p.Next(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if f.Seq != 1 || f.Width != 1024 || f.Height != 576 {
		t.Errorf("frame seq %d %dx%d, want seq 1 1024x576", f.Seq, f.Width, f.Height)
	}
	img, err := jpeg.Decode(bytes.NewReader(f.JPEG))
	if err != nil {
		t.Fatal(err)
	}
	checkPattern(t, "frame", img, image.Pt(1024, 576), 8)
	checkPattern(t, "thumbnail", p.Thumbnail(), image.Pt(256, 144), 2)
	if s := p.Stats(); s.LastBytes != len(f.JPEG) || s.Sent != 1 {
		t.Errorf("stats %+v", s)
	}

	snap, err := p.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	img, err = jpeg.Decode(bytes.NewReader(snap.JPEG))
	if err != nil {
		t.Fatal(err)
	}
	checkPattern(t, "snapshot", img, image.Pt(1920, 1080), 8)

	if err := p.Run(t.Context()); !errors.Is(err, capture.ErrAlreadyRunning) {
		t.Errorf("second Run = %v, want ErrAlreadyRunning", err)
	}
}

func checkPattern(t *testing.T, what string, img image.Image, size image.Point, tol int) {
	t.Helper()
	if img == nil {
		t.Fatalf("%s: nil image", what)
	}
	if got := img.Bounds().Size(); got != size {
		t.Fatalf("%s: size %v, want %v", what, got, size)
	}
	for i, c := range capturetest.QuadrantCentres(size) {
		if got := img.At(c.X, c.Y); !capturetest.Near(got, capturetest.Quadrants[i], tol) {
			t.Errorf("%s: quadrant %d = %v, want %v", what, i, got, capturetest.Quadrants[i])
		}
	}
}

func TestOptionsNormalize(t *testing.T) {
	tests := []struct {
		in, want capture.Options
	}{
		{capture.Options{}, capture.Options{MaxSize: 1024, Quality: 75, FPS: 1, Refresh: 5 * time.Second, PreviewSize: 256}},
		{capture.Options{FPS: 0.5, IdleInterval: time.Second}, // raised to the active interval
			capture.Options{MaxSize: 1024, Quality: 75, FPS: 0.5, IdleInterval: 2 * time.Second, Refresh: 5 * time.Second, PreviewSize: 256}},
		{capture.Options{IdleInterval: -time.Second}, capture.Options{MaxSize: 1024, Quality: 75, FPS: 1, Refresh: 5 * time.Second, PreviewSize: 256}},
		{capture.Options{IdleInterval: time.Minute}, capture.Options{MaxSize: 1024, Quality: 75, FPS: 1, IdleInterval: time.Minute, Refresh: 5 * time.Second, PreviewSize: 256}},
		{capture.Options{MaxSize: 4, Quality: 300, FPS: 9, ChangeThreshold: -1, Refresh: time.Second, PreviewSize: 100, SkipUnchanged: true},
			capture.Options{MaxSize: 16, Quality: 100, FPS: 2, Refresh: time.Second, PreviewSize: 100, SkipUnchanged: true}},
		{capture.Options{FPS: 0.01, ChangeThreshold: 3}, capture.Options{MaxSize: 1024, Quality: 75, FPS: 0.2, ChangeThreshold: 1, Refresh: 5 * time.Second, PreviewSize: 256}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, tt.in.Normalize()); d != "" {
			t.Errorf("%+v.Normalize() (-want +got)\n%s", tt.in, d)
		}
	}
	if d := capture.DefaultOptions(); !cmp.Equal(d, d.Normalize()) || !d.SkipUnchanged || d.IdleInterval != 5*time.Second {
		t.Errorf("DefaultOptions %+v are not normal, do not skip unchanged frames or do not idle at 5 s", d)
	}
}
