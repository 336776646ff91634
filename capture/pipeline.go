package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"image"
	"image/jpeg"
	"log/slog"
	"sync"
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
	// FPS is the capture rate in frames per second, 0.2..2 (default 1).
	FPS float64
	// SkipUnchanged drops frames that look the same as the last frame sent.
	SkipUnchanged bool
	// ChangeThreshold is the fraction (0..1) of the change-detection
	// thumbnail that must change for a frame to count as changed; 0 means any
	// visible change (default 0).
	ChangeThreshold float64
	// Refresh is the age after which RequestFresh sends a frame even when
	// nothing changed (default 5s).
	Refresh time.Duration
	// PreviewSize is the longest side of the Thumbnail image (default 256).
	PreviewSize int
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
)

// DefaultOptions returns the options the app uses unless the user changes
// them: 1024 px, quality 75, 1 fps, unchanged frames skipped.
func DefaultOptions() Options {
	return Options{
		MaxSize:       DefaultMaxSize,
		Quality:       DefaultQuality,
		FPS:           DefaultFPS,
		SkipUnchanged: true,
		Refresh:       DefaultRefresh,
		PreviewSize:   DefaultPreviewSize,
	}
}

// Normalize returns o with zero fields set to their defaults and the others
// clamped to their valid ranges.
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
	o.ChangeThreshold = min(max(o.ChangeThreshold, 0), 1)
	if o.Refresh <= 0 {
		o.Refresh = DefaultRefresh
	}
	if o.PreviewSize <= 0 {
		o.PreviewSize = DefaultPreviewSize
	}
	return o
}

// Frame is one encoded frame.
type Frame struct {
	JPEG          []byte // owned by the receiver
	Width, Height int
	Captured      time.Time
	Seq           uint64 // 1, 2, 3… for frames sent by Run; 0 for snapshots
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

	LastGrab, LastScale, LastEncode time.Duration
	LastBytes                       int       // size of the last JPEG sent
	LastSent                        time.Time // capture time of the last frame sent
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
		errors.Is(err, ErrClosed) || errors.Is(err, ErrNoSuchDisplay)
}

// Pipeline turns a Source into paced, downscaled JPEG frames. Run captures;
// Next hands frames to one consumer through a one-slot mailbox in which the
// latest frame wins. All methods are safe for concurrent use; Run and
// Snapshot take turns on the source.
type Pipeline struct {
	src   Source
	opt   Options
	log   *slog.Logger
	fresh chan struct{} // RequestFresh signals, coalesced
	ready chan struct{} // a frame was put in the mailbox, coalesced
	done  chan struct{} // closed when Run returns

	// grabMu serialises use of the source and of the buffers below between
	// Run and Snapshot.
	grabMu  sync.Mutex
	scaler  *Scaler
	changeS *Scaler
	viewS   *Scaler
	thumb   lumaThumb // of the frame being processed
	sent    lumaThumb // of the last frame sent
	enc     bytes.Buffer
	seed    maphash.Seed
	rawHash uint64 // hash of the last grabbed RGBA pixels
	rawOK   bool

	mu      sync.Mutex
	running bool
	slot    *Frame
	seq     uint64
	preview *image.RGBA
	stats   Stats
}

// NewPipeline returns a pipeline reading src. It starts nothing: call Run.
// A nil log discards log output.
func NewPipeline(src Source, opt Options, log *slog.Logger) *Pipeline {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opt = opt.Normalize()
	return &Pipeline{
		src:     src,
		opt:     opt,
		log:     log,
		fresh:   make(chan struct{}, 1),
		ready:   make(chan struct{}, 1),
		done:    make(chan struct{}),
		scaler:  NewScaler(opt.MaxSize),
		changeS: NewScaler(changeSide),
		viewS:   NewScaler(opt.PreviewSize),
		seed:    maphash.MakeSeed(),
	}
}

// Options returns the normalised options in use.
func (p *Pipeline) Options() Options { return p.opt }

// Run captures at the configured rate until ctx is cancelled (then it returns
// nil) or the source fails for good. Frames wait in a one-slot mailbox for
// Next; a newer frame replaces an unread one. Run may be called once; it does
// not close the source.
func (p *Pipeline) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		return ErrAlreadyRunning
	}
	p.running = true
	p.mu.Unlock()
	defer close(p.done)

	interval := time.Duration(float64(time.Second) / p.opt.FPS)
	tick := time.NewTimer(0) // first frame at once
	defer tick.Stop()
	failures := 0
	for {
		force := false
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			tick.Reset(interval)
		case <-p.fresh:
			if !p.stale(time.Now()) {
				continue
			}
			force = true
		}
		err := p.step(ctx, force)
		switch {
		case err == nil:
			failures = 0
		case ctx.Err() != nil:
			return nil
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

// stale reports whether the last frame sent is older than Refresh (or no
// frame was sent yet).
func (p *Pipeline) stale(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats.LastSent.IsZero() || now.Sub(p.stats.LastSent) >= p.opt.Refresh
}

// step grabs, scales, checks for change, encodes and posts one frame. force
// sends the frame even if it did not change.
func (p *Pipeline) step(ctx context.Context, force bool) error {
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
	if p.opt.SkipUnchanged {
		// A static screen grabs the very same pixels again: a hash (about
		// 1 ms for 1080p) spares the scaling and the thumbnail.
		h, ok := hashPixels(p.seed, img)
		same := ok && p.rawOK && h == p.rawHash
		p.rawHash, p.rawOK = h, ok
		if same && !force && len(p.sent.y) > 0 {
			p.mu.Lock()
			p.stats.Captured++
			p.stats.Skipped++
			p.stats.LastGrab = t1.Sub(t0)
			p.mu.Unlock()
			return nil
		}
	}
	scaled := p.scaler.Scale(img)
	p.thumb.set(p.changeS.Scale(scaled))
	t2 := time.Now()

	if p.opt.SkipUnchanged && !force && len(p.sent.y) > 0 &&
		changedFraction(&p.thumb, &p.sent) <= p.opt.ChangeThreshold {
		p.mu.Lock()
		p.stats.Captured++
		p.stats.Skipped++
		p.stats.LastGrab, p.stats.LastScale = t1.Sub(t0), t2.Sub(t1)
		p.mu.Unlock()
		return nil
	}

	p.enc.Reset()
	if err := jpeg.Encode(&p.enc, scaled, &jpeg.Options{Quality: p.opt.Quality}); err != nil {
		return fmt.Errorf("encode jpeg: %w", err)
	}
	t3 := time.Now()
	p.sent.size = p.thumb.size
	p.sent.y = append(p.sent.y[:0], p.thumb.y...)
	preview := cloneRGBA(p.viewS.Scale(scaled))

	b := scaled.Rect.Size()
	f := Frame{JPEG: bytes.Clone(p.enc.Bytes()), Width: b.X, Height: b.Y, Captured: t0, Preview: preview}
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
	p.stats.LastGrab, p.stats.LastScale, p.stats.LastEncode = t1.Sub(t0), t2.Sub(t1), t3.Sub(t2)
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

// RequestFresh asks Run to send a frame now, changed or not, if the last
// frame sent is older than Options.Refresh. Call it when the user starts
// speaking so the model sees the current screen. It never blocks.
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
	return Frame{JPEG: buf.Bytes(), Width: b.X, Height: b.Y, Captured: t}, nil
}

// Stats returns a copy of the counters.
func (p *Pipeline) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// hashPixels hashes the pixels of an *image.RGBA; ok is false for other
// image types.
func hashPixels(seed maphash.Seed, img image.Image) (h uint64, ok bool) {
	m, isRGBA := img.(*image.RGBA)
	if !isRGBA {
		return 0, false
	}
	w, rows := m.Rect.Dx()*4, m.Rect.Dy()
	if m.Stride == w {
		return maphash.Bytes(seed, m.Pix[:w*rows]), true
	}
	var mh maphash.Hash
	mh.SetSeed(seed)
	for y := range rows {
		_, _ = mh.Write(m.Pix[y*m.Stride : y*m.Stride+w])
	}
	return mh.Sum64(), true
}

func cloneRGBA(m *image.RGBA) *image.RGBA {
	c := image.NewRGBA(image.Rectangle{Max: m.Rect.Size()})
	for y := range c.Rect.Dy() {
		copy(c.Pix[y*c.Stride:(y+1)*c.Stride], m.Pix[y*m.Stride:])
	}
	return c
}
