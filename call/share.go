package call

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/live"
)

// ShareKind says what the model can see.
type ShareKind int

// Share kinds.
const (
	ShareNone ShareKind = iota
	ShareScreen
	ShareCamera
)

// Share is what the model can see: nothing, a display (or part of one, or all of them), or a
// camera. It is a comparable value.
type Share struct {
	Kind    ShareKind
	Display int             // ShareScreen: display index from 0, or capture.AllDisplays
	Region  image.Rectangle // ShareScreen: part of the display; empty = all of it
	Camera  string          // ShareCamera: device path, e.g. /dev/video0; "" = the first camera
	Window  uint32          // ShareScreen: one window (capture.Windows) instead of a display; 0 = none
	Title   string          // ShareScreen with Window: its title, for messages
}

// AllDisplays is the Display value that shares every display as one picture.
const AllDisplays = capture.AllDisplays

// ParseShare reads what the command line says to share: "" or "none"; "screen", "screen:N"
// (N from 0) or "screen:all"; "camera" (the first camera) or "camera:DEVICE".
func ParseShare(s string) (Share, error) {
	kind, arg, _ := strings.Cut(strings.TrimSpace(s), ":")
	switch kind {
	case "", "none":
		if arg == "" {
			return Share{}, nil
		}
	case "screen":
		switch arg {
		case "":
			return Share{Kind: ShareScreen}, nil
		case "all":
			return Share{Kind: ShareScreen, Display: AllDisplays}, nil
		}
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return Share{}, fmt.Errorf("share %q: the display must be a number from 0 (the first display) or all", s)
		}
		return Share{Kind: ShareScreen, Display: n}, nil
	case "camera":
		return Share{Kind: ShareCamera, Camera: arg}, nil
	}
	return Share{}, fmt.Errorf("share %q: want screen, screen:N, screen:all, camera or camera:DEVICE", s)
}

func (s Share) String() string {
	switch s.Kind {
	case ShareScreen:
		if s.Window != 0 {
			return fmt.Sprintf("window %q", s.Title)
		}
		d := "all screens"
		if s.Display != AllDisplays {
			d = fmt.Sprintf("screen %d", s.Display)
		}
		if !s.Region.Empty() {
			d += fmt.Sprintf(" region %d,%d %dx%d", s.Region.Min.X, s.Region.Min.Y, s.Region.Dx(), s.Region.Dy())
		}
		return d
	case ShareCamera:
		if s.Camera == "" {
			return "camera"
		}
		return "camera " + s.Camera
	}
	return "nothing"
}

// SourceOpener opens what a Share names. The call uses the real screen and cameras unless its
// Options give another (tests give a fake source).
type SourceOpener interface {
	Open(s Share) (capture.Source, error)
}

// DeviceSources opens the real displays (X11 on Linux) and cameras (V4L2).
type DeviceSources struct{}

// Open implements SourceOpener.
func (DeviceSources) Open(s Share) (capture.Source, error) {
	switch s.Kind {
	case ShareScreen:
		return capture.NewScreen(capture.ScreenTarget{Display: s.Display, Region: s.Region, Window: s.Window, Cursor: true})
	case ShareCamera:
		dev := s.Camera
		if dev == "" {
			cams, err := capture.Cameras()
			if err != nil {
				return nil, err
			}
			if len(cams) == 0 {
				return nil, capture.ErrNoCamera
			}
			dev = cams[0].Path
		}
		return capture.OpenWebcam(dev, image.Pt(1280, 720))
	}
	return nil, errors.New("nothing to share")
}

// share is a running capture pipeline; it satisfies live.FrameSource.
type share struct {
	spec   Share
	src    capture.Source
	pipe   *capture.Pipeline
	cancel context.CancelFunc
	done   chan error // the pipeline's result
	once   sync.Once
	err    error

	mu     sync.Mutex
	recent [4]capture.Frame // the last frames handed out, for the preview of the one sent
	last   sentFrame        // the newest frame handed out to be sent (a paced frame or a snapshot)
}

// sentFrame is what the model saw last: where on the desktop the frame came from (empty for a
// camera) and its size. Boxes the model draws are relative to it.
type sentFrame struct {
	Area          image.Rectangle
	Width, Height int
}

// startShare opens spec's source and runs its pipeline until stop.
// onPause, when not nil, hears when capture pauses (a shared window was minimised) and resumes.
func startShare(ctx context.Context, opener SourceOpener, spec Share, opt capture.Options, onPause func(error), log *slog.Logger) (*share, error) {
	src, err := opener.Open(spec)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	sh := &share{spec: spec, src: src, pipe: capture.NewPipeline(src, opt, log), cancel: cancel, done: make(chan error, 1)}
	if onPause != nil {
		sh.pipe.OnPause(onPause)
	}
	go func() { sh.done <- sh.pipe.Run(ctx) }()
	return sh, nil
}

// NextFrame returns the next JPEG to send.
func (s *share) NextFrame(ctx context.Context) (live.VideoFrame, error) {
	f, err := s.pipe.Next(ctx)
	if err != nil {
		return live.VideoFrame{}, err
	}
	s.mu.Lock()
	s.recent[f.Seq%uint64(len(s.recent))] = capture.Frame{Seq: f.Seq, Width: f.Width, Height: f.Height, Preview: f.Preview}
	s.last = sentFrame{Area: f.Area, Width: f.Width, Height: f.Height}
	s.mu.Unlock()
	return live.VideoFrame{JPEG: f.JPEG, Width: f.Width, Height: f.Height, Seq: f.Seq}, nil
}

// preview returns the small copy of frame seq, if it is still remembered.
func (s *share) preview(seq uint64) image.Image {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.recent[seq%uint64(len(s.recent))]; f.Seq == seq {
		return f.Preview
	}
	return nil
}

// RequestFresh asks for a fresh frame (the user started speaking).
func (s *share) RequestFresh() { s.pipe.RequestFresh() }

// Snapshot captures one full-resolution frame for the snapshot tool.
func (s *share) Snapshot(ctx context.Context) ([]byte, int, int, error) {
	f, err := s.pipe.Snapshot(ctx)
	if err == nil {
		s.mu.Lock()
		s.last = sentFrame{Area: f.Area, Width: f.Width, Height: f.Height}
		s.mu.Unlock()
	}
	return f.JPEG, f.Width, f.Height, err
}

// lastSent returns the newest frame handed out to be sent; ok is false before the first.
func (s *share) lastSent() (sentFrame, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.last.Width > 0
}

// locate returns where the shared target is on the desktop now, for sources that know (a
// shared window may have moved since its last frame); ok is false for others.
func (s *share) locate() (image.Rectangle, bool) {
	l, ok := s.src.(interface {
		Locate() (image.Rectangle, error)
	})
	if !ok {
		return image.Rectangle{}, false
	}
	r, err := l.Locate()
	return r, err == nil
}

// stop ends the pipeline, waits for it and closes the source. Idempotent.
func (s *share) stop() error {
	s.once.Do(func() {
		s.cancel()
		if err := <-s.done; !errors.Is(err, context.Canceled) {
			s.err = err
		}
		s.src.Close()
	})
	return s.err
}
