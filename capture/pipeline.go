package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Source produces images on demand. Screen and Webcam implement it; tests use
// capturetest sources.
//
// The image returned by Grab may share memory with the source and is only
// valid until the next Grab or Close: the pipeline finishes with it (scales
// and encodes it) before grabbing again. Grab and Close are not called
// concurrently by the pipeline.
type Source interface {
	Grab(ctx context.Context) (image.Image, error)
	Close() error
}

// Options configures a Pipeline. Zero numeric fields take the defaults of
// DefaultOptions; out-of-range values are clamped (see Normalize).
type Options struct {
	// MaxSize is the longest side, in pixels, of the frames sent (default
	// 1024). Larger sources are downscaled with a box filter.
	MaxSize int
	// Quality is the JPEG quality, 1..100 (default 75).
	Quality int
	// FPS is the capture rate in frames per second while the pipeline is
	// active (see SetActive), 0.2..2 (default 1).
	FPS float64
	// IdleInterval is the time between captures while the pipeline is idle
	// (see SetActive): the user is silent and the model is not answering.
	// Unlike the other fields, 0 is not replaced by a default: it means no
	// periodic captures at all while idle, only RequestFresh captures.
	// DefaultOptions sets DefaultIdleInterval (5s). Negative values count as
	// 0; positive values shorter than the active interval (1/FPS) are raised
	// to it.
	IdleInterval time.Duration
	// SkipUnchanged drops paced frames that do not differ perceptually from
	// the last frame sent: a changed region must be bigger than a blinking
	// caret, a clock's seconds or a spinner, and cell changes must exceed
	// the source's measured noise (see change.go). Without it every paced
	// frame is sent.
	SkipUnchanged bool
	// ChangeThreshold is the fraction (0..1) of the change-detection grid
	// that must lie in changed regions for a frame to count as changed; 0
	// means any change that matters (default 0).
	ChangeThreshold float64
	// Refresh is the age after which RequestFresh sends a frame even when
	// nothing changed (default 5s).
	Refresh time.Duration
	// PreviewSize is the longest side of the Thumbnail image (default 256).
	PreviewSize int
	// HideOwnWindows paints this app's own windows flat gray in frames of a
	// shared screen (sources that can: X11 screens), so the model never sees
	// its own transcript and preview. DefaultOptions sets it.
	HideOwnWindows bool
	// Covered, when not nil, returns what this app draws over the screen
	// (overlay.Highlighter's outlines) as pictures of the pixels beneath, in
	// root-window coordinates: frames of a shared screen show those pixels
	// instead (Screen.SetCovered), so the model never sees its own pointing.
	Covered func() []*image.RGBA
}

// Defaults and limits of Options.
const (
	DefaultMaxSize     = 1024
	DefaultQuality     = 75
	DefaultFPS         = 1.0
	MinFPS             = 0.2
	MaxFPS             = 2.0
	DefaultRefresh     = 5 * time.Second
	DefaultPreviewSize = 256
	// DefaultIdleInterval keeps an idle share at no more than 12 frames a
	// minute (about 3 000 tokens) even when the screen keeps changing.
	DefaultIdleInterval = 5 * time.Second
)

// DefaultOptions returns the options the app uses unless the user changes
// them: 1024 px, quality 75, 1 fps while active, one capture every 5 s while
// idle, unchanged frames skipped.
func DefaultOptions() Options {
	return Options{
		MaxSize:        DefaultMaxSize,
		Quality:        DefaultQuality,
		FPS:            DefaultFPS,
		IdleInterval:   DefaultIdleInterval,
		SkipUnchanged:  true,
		Refresh:        DefaultRefresh,
		PreviewSize:    DefaultPreviewSize,
		HideOwnWindows: true,
	}
}

// Normalize returns o with zero fields set to their defaults (except
// IdleInterval, where 0 means no idle captures) and the others clamped to
// their valid ranges.
func (o Options) Normalize() Options {
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	o.MaxSize = max(o.MaxSize, 16)
	if o.Quality <= 0 {
		o.Quality = DefaultQuality
	}
	o.Quality = min(o.Quality, 100)
	if o.FPS <= 0 {
		o.FPS = DefaultFPS
	}
	o.FPS = min(max(o.FPS, MinFPS), MaxFPS)
	if o.IdleInterval > 0 {
		o.IdleInterval = max(o.IdleInterval, o.activeInterval())
	}
	o.IdleInterval = max(o.IdleInterval, 0)
	o.ChangeThreshold = min(max(o.ChangeThreshold, 0), 1)
	if o.Refresh <= 0 {
		o.Refresh = DefaultRefresh
	}
	if o.PreviewSize <= 0 {
		o.PreviewSize = DefaultPreviewSize
	}
	return o
}

// activeInterval is the time between captures while active.
func (o Options) activeInterval() time.Duration {
	return time.Duration(float64(time.Second) / o.FPS)
}

// Frame is one encoded frame.
type Frame struct {
	JPEG          []byte // owned by the receiver
	Width, Height int
	Captured      time.Time
	Seq           uint64 // 1, 2, 3… for frames sent by Run; 0 for snapshots
	// Area is the part of the virtual desktop (root-window coordinates) the
	// frame shows, for sources that are on the screen; empty for a camera. A
	// point at (x, y) of the frame is at Area.Min + (x*Area.Dx()/Width,
	// y*Area.Dy()/Height) on the desktop.
	Area image.Rectangle
	// Preview is a small copy of this frame (longest side Options.PreviewSize) for showing
	// what was sent; never modified afterwards. Nil for snapshots.
	Preview image.Image
}

// Stats counts what the pipeline did. Timings are those of the last frame.
type Stats struct {
	Captured uint64 // frames grabbed from the source
	Sent     uint64 // frames put in the mailbox
	Skipped  uint64 // frames not sent because nothing changed
	Dropped  uint64 // frames replaced in the mailbox before Next took them
	Errors   uint64 // failed grabs

	// LastDetect is the change check (thumbnail, comparison);
	// LastScale and LastEncode are those of the last frame sent.
	LastGrab, LastDetect, LastScale, LastEncode time.Duration

	LastBytes int       // size of the last JPEG sent
	LastSent  time.Time // capture time of the last frame sent
}

// ErrStopped is returned by Next once Run has returned and no frame is left.
var ErrStopped = errors.New("capture pipeline stopped")

// ErrAlreadyRunning is returned by a second call to Run.
var ErrAlreadyRunning = errors.New("capture pipeline already running")

// maxGrabFailures is how many consecutive failed grabs Run tolerates before
// it gives up.
const maxGrabFailures = 3

// permanentError reports grab errors that retrying will not fix.
func permanentError(err error) bool {
	return errors.Is(err, ErrCameraUnplugged) || errors.Is(err, ErrNoDisplay) ||
		errors.Is(err, ErrXUnreachable) || errors.Is(err, ErrWaylandNoX) ||
		errors.Is(err, ErrClosed) || errors.Is(err, ErrNoSuchDisplay) || errors.Is(err, ErrWindowGone)
}

// Pipeline turns a Source into paced, downscaled JPEG frames. Run captures;
// Next hands frames to one consumer through a one-slot mailbox in which the
// latest frame wins. It paces at two rates: Options.FPS while active and
// Options.IdleInterval while idle (SetActive). All methods are safe for
// concurrent use; Run and Snapshot take turns on the source.
type Pipeline struct {
	src   Source
	opt   Options
	log   *slog.Logger
	fresh chan struct{} // RequestFresh signals, coalesced
	wake  chan struct{} // SetActive changed the rate, coalesced
	ready chan struct{} // a frame was put in the mailbox, coalesced
	done  chan struct{} // closed when Run returns
	idle  atomic.Bool   // the zero value, active, is the rate existing callers expect

	// grabMu serialises use of the source and of the buffers below between
	// Run and Snapshot.
	grabMu sync.Mutex
	scaler *Scaler
	viewS  *Scaler
	thumbs thumbnailer
	detect changeDetector
	thumb  lumaThumb // of the last frame grabbed
	sent   lumaThumb // of the last frame sent
	enc    bytes.Buffer

	mu      sync.Mutex
	running bool
	slot    *Frame
	seq     uint64
	preview *image.RGBA
	stats   Stats
	paused  error       // why the source shows nothing now (ErrWindowHidden), nil when it does
	onPause func(error) // told when paused changes
}

// NewPipeline returns a pipeline reading src. It starts nothing: call Run.
// A nil log discards log output.
func NewPipeline(src Source, opt Options, log *slog.Logger) *Pipeline {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opt = opt.Normalize()
	if h, ok := src.(interface{ SetHideOwnWindows(bool) }); ok {
		h.SetHideOwnWindows(opt.HideOwnWindows)
	}
	if c, ok := src.(interface{ SetCovered(func() []*image.RGBA) }); ok && opt.Covered != nil {
		c.SetCovered(opt.Covered)
	}
	return &Pipeline{
		src:    src,
		opt:    opt,
		log:    log,
		fresh:  make(chan struct{}, 1),
		wake:   make(chan struct{}, 1),
		ready:  make(chan struct{}, 1),
		done:   make(chan struct{}),
		scaler: NewScaler(opt.MaxSize),
		viewS:  NewScaler(opt.PreviewSize),
	}
}

// Options returns the normalised options in use.
func (p *Pipeline) Options() Options { return p.opt }

// OnPause sets f to be called, from Run's goroutine, when capture pauses because the source
// has nothing to show (a shared window was minimised: ErrWindowHidden; no frame is sent
// meanwhile, so nothing stale reaches the model) and with nil when it resumes. Set it before Run.
func (p *Pipeline) OnPause(f func(error)) {
	p.mu.Lock()
	p.onPause = f
	p.mu.Unlock()
}

// Paused says why capture is paused, or nil.
func (p *Pipeline) Paused() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

func (p *Pipeline) setPaused(err error) {
	p.mu.Lock()
	changed := (p.paused == nil) != (err == nil)
	p.paused = err
	f := p.onPause
	p.mu.Unlock()
	if changed && f != nil {
		f(err)
	}
}

// Run captures until ctx is cancelled (then it returns nil) or the source
// fails for good: at once, then every 1/Options.FPS while active and every
// Options.IdleInterval while idle (see SetActive), and at every
// RequestFresh, from which the next interval is counted. Frames wait in a one-slot mailbox for Next; a newer frame
// replaces an unread one. Run may be called once; it does not close the
// source.
func (p *Pipeline) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		return ErrAlreadyRunning
	}
	p.running = true
	p.mu.Unlock()
	defer close(p.done)

	tick := time.NewTimer(0) // first frame at once
	defer tick.Stop()
	var last time.Time // start of the last capture
	failures := 0
	for {
		fresh := false
		select {
		case <-ctx.Done():
			return nil
		case <-p.wake:
			p.schedule(tick, last) // the rate changed: re-time the pending wait
			continue
		case <-tick.C:
		case <-p.fresh:
			// It stands for the paced capture too: the next one comes an
			// interval later, not right after it.
			fresh = true
		}
		last = time.Now()
		p.schedule(tick, last)
		err := p.step(ctx, fresh)
		switch {
		case err == nil:
			failures = 0
			p.setPaused(nil)
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrWindowHidden):
			failures = 0
			p.setPaused(err)
		case permanentError(err):
			return fmt.Errorf("capture stopped: %w", err)
		default:
			failures++
			p.log.Warn("frame capture failed", "err", err, "consecutive", failures)
			if failures >= maxGrabFailures {
				return fmt.Errorf("capture stopped after %d failed grabs: %w", failures, err)
			}
		}
	}
}

// schedule sets tick for the next paced capture after the capture at last,
// at the current rate; a time already past fires at once. Before the first
// capture (last zero) it fires at once; while idle with no idle interval it
// stops.
func (p *Pipeline) schedule(tick *time.Timer, last time.Time) {
	interval := p.opt.activeInterval()
	if p.idle.Load() {
		interval = p.opt.IdleInterval
	}
	switch {
	case last.IsZero():
		tick.Reset(0)
	case interval <= 0:
		tick.Stop()
	default:
		tick.Reset(time.Until(last.Add(interval)))
	}
}

// SetActive switches the pacing: active (true) captures at Options.FPS, for
// while the user speaks or the model answers; idle (false) captures every
// Options.IdleInterval, or not at all when that is 0. A new pipeline is
// active. A switch applies to the wait in progress: a capture due at the new
// rate (counted from the last capture) happens at once, so going active
// after a long idle wait captures immediately. With SkipUnchanged,
// frames are sent in both modes only when they changed perceptually. It never
// blocks and may be called before Run.
func (p *Pipeline) SetActive(active bool) {
	if p.idle.Swap(!active) == !active {
		return // no change
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// stale reports whether the last frame sent is older than Refresh (or no
// frame was sent yet).
func (p *Pipeline) stale(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats.LastSent.IsZero() || now.Sub(p.stats.LastSent) >= p.opt.Refresh
}

// step grabs one frame, decides whether to send it and if so scales,
// encodes and posts it. A paced frame (fresh false) is sent when
// SkipUnchanged is off or it changed perceptually; a RequestFresh frame when
// it changed perceptually or the last frame sent is older than Refresh. The
// first frame is always sent.
func (p *Pipeline) step(ctx context.Context, fresh bool) error {
	p.grabMu.Lock()
	defer p.grabMu.Unlock()

	t0 := time.Now()
	img, err := p.src.Grab(ctx)
	t1 := time.Now()
	if err != nil {
		p.mu.Lock()
		p.stats.Errors++
		p.mu.Unlock()
		return fmt.Errorf("grab frame: %w", err)
	}
	force := len(p.sent.y) == 0 || (fresh && p.stale(t0)) || (!fresh && !p.opt.SkipUnchanged)

	// No exact-pixel hash in front: on these machines hashing a 1080p frame
	// (0.9 ms) cost more than the thumbnail and comparison it would spare
	// (0.6 ms), so every grab goes straight to the perceptual check.
	p.thumbs.thumb(&p.thumb, img)
	if !force && !p.detect.compare(&p.thumb, &p.sent, p.opt.ChangeThreshold).changed {
		p.mu.Lock()
		p.stats.Captured++
		p.stats.Skipped++
		p.stats.LastGrab, p.stats.LastDetect = t1.Sub(t0), time.Since(t1)
		p.mu.Unlock()
		return nil
	}
	t2 := time.Now()

	scaled := p.scaler.Scale(img)
	t3 := time.Now()
	p.enc.Reset()
	if err := jpeg.Encode(&p.enc, scaled, &jpeg.Options{Quality: p.opt.Quality}); err != nil {
		return fmt.Errorf("encode jpeg: %w", err)
	}
	t4 := time.Now()
	p.sent.set(&p.thumb)
	preview := cloneRGBA(p.viewS.Scale(scaled))

	b := scaled.Rect.Size()
	f := Frame{JPEG: bytes.Clone(p.enc.Bytes()), Width: b.X, Height: b.Y, Captured: t0, Preview: preview, Area: p.area()}
	p.mu.Lock()
	p.seq++
	f.Seq = p.seq
	if p.slot != nil {
		p.stats.Dropped++
	}
	p.slot = &f
	p.preview = preview
	p.stats.Captured++
	p.stats.Sent++
	p.stats.LastGrab, p.stats.LastDetect = t1.Sub(t0), t2.Sub(t1)
	p.stats.LastScale, p.stats.LastEncode = t3.Sub(t2), t4.Sub(t3)
	p.stats.LastBytes = len(f.JPEG)
	p.stats.LastSent = t0
	p.mu.Unlock()
	select {
	case p.ready <- struct{}{}:
	default:
	}
	return nil
}

// Next returns the newest frame not yet taken, waiting for one if needed. It
// returns ctx's error when ctx ends first and ErrStopped once Run has
// returned and the mailbox is empty.
func (p *Pipeline) Next(ctx context.Context) (Frame, error) {
	for {
		p.mu.Lock()
		if f := p.slot; f != nil {
			p.slot = nil
			p.mu.Unlock()
			return *f, nil
		}
		p.mu.Unlock()
		select {
		case <-p.ready:
		case <-ctx.Done():
			return Frame{}, ctx.Err()
		case <-p.done:
			p.mu.Lock()
			f := p.slot
			p.slot = nil
			p.mu.Unlock()
			if f != nil {
				return *f, nil
			}
			return Frame{}, ErrStopped
		}
	}
}

// RequestFresh asks Run to capture now, without waiting for the next paced
// capture, and to send the frame if it changed perceptually since the last
// frame sent or that frame is older than Options.Refresh. Call it when the
// user starts speaking so the model sees the screen as it is when the
// question starts: the frame is in the mailbox after one grab, scale and
// encode. The next paced capture comes one interval after this one. It
// never blocks.
func (p *Pipeline) RequestFresh() {
	select {
	case p.fresh <- struct{}{}:
	default:
	}
}

// Thumbnail returns a small copy of the last frame sent (longest side
// Options.PreviewSize), or nil before the first frame. The image is never
// modified afterwards.
func (p *Pipeline) Thumbnail() image.Image {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.preview == nil {
		return nil
	}
	return p.preview
}

// Snapshot grabs the source now and returns it as a full-resolution JPEG,
// for a model tool that asks for detail. It does not affect the paced frames.
func (p *Pipeline) Snapshot(ctx context.Context) (Frame, error) {
	p.grabMu.Lock()
	defer p.grabMu.Unlock()
	t := time.Now()
	img, err := p.src.Grab(ctx)
	if err != nil {
		return Frame{}, fmt.Errorf("grab snapshot: %w", err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: p.opt.Quality}); err != nil {
		return Frame{}, fmt.Errorf("encode snapshot: %w", err)
	}
	b := img.Bounds().Size()
	return Frame{JPEG: buf.Bytes(), Width: b.X, Height: b.Y, Captured: t, Area: p.area()}, nil
}

// area is where the last grab came from on the desktop, for sources on the screen; grabMu is
// held, so it is the grab just made.
func (p *Pipeline) area() image.Rectangle {
	if s, ok := p.src.(interface{ Bounds() image.Rectangle }); ok {
		return s.Bounds()
	}
	return image.Rectangle{}
}

// Stats returns a copy of the counters.
func (p *Pipeline) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

func cloneRGBA(m *image.RGBA) *image.RGBA {
	c := image.NewRGBA(image.Rectangle{Max: m.Rect.Size()})
	for y := range c.Rect.Dy() {
		copy(c.Pix[y*c.Stride:(y+1)*c.Stride], m.Pix[y*m.Stride:])
	}
	return c
}
