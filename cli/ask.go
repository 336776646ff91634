package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // PNG images are converted to JPEG
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "golang.org/x/image/webp" // WebP screenshots are converted too

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/catalog"
	"github.com/livedesk/livedesk/live"
	"github.com/livedesk/livedesk/settings"

	"github.com/livedesk/livedesk/audio/pcm"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

type askOptions struct {
	endpoint, model, voice, system string
	in, text, out                  string
	images                         stringList
	timeout                        time.Duration
	fullSize, verbose              bool
	cfg                            settings.Config // the service and its credentials
}

// Ask is `livedesk ask`: one question from files to a spoken answer in a WAV file. It returns
// the process exit code.
func Ask(ctx context.Context, args []string, stdout, stderr io.Writer, e Env) int {
	var o askOptions
	fs := flag.NewFlagSet("livedesk ask", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.endpoint, "endpoint", "", "Live API base URL (default "+live.DefaultEndpoint+")")
	fs.StringVar(&o.model, "model", catalog.DefaultModel, "model name")
	fs.StringVar(&o.voice, "voice", catalog.DefaultVoice, "prebuilt voice")
	fs.StringVar(&o.system, "system", "", "system instruction")
	fs.StringVar(&o.in, "in", "", "WAV file with the spoken question (any rate, channels and bit depth)")
	fs.StringVar(&o.text, "text", "", "typed question")
	fs.Var(&o.images, "image", "image to show the model (JPEG, PNG or WebP; repeatable)")
	fs.StringVar(&o.out, "out", "reply.wav", "where to save the spoken answer (24 kHz mono 16-bit WAV)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up after this long")
	fs.BoolVar(&o.fullSize, "full-size", false, "send images at their full size (default: scaled to 1024 px on the longest side, like a shared screen)")
	fs.BoolVar(&o.verbose, "v", false, "say what is sent (image sizes)")
	cloud := addCloudFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "livedesk ask: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if o.in == "" && o.text == "" && len(o.images) == 0 {
		fmt.Fprintln(stderr, "livedesk ask: nothing to ask: give --in FILE.wav, --text TEXT and/or --image FILE")
		return 2
	}
	key := APIKey(e)
	o.cfg = settings.Default()
	if err := cloud.apply(&o.cfg, flagSet(fs, "model"), key); err != nil {
		fmt.Fprintf(stderr, "livedesk ask: %v\n", err)
		return 1
	}
	if !flagSet(fs, "model") {
		o.model = o.cfg.Model
	}
	if err := ask(ctx, o, stdout, stderr); err != nil {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		fmt.Fprintf(stderr, "livedesk ask: %s\n", settings.Secret(key).Scrub(msg))
		return 1
	}
	return 0
}

func ask(ctx context.Context, o askOptions, stdout, stderr io.Writer) error {
	// Read every input before connecting, so a bad file costs no session.
	var question []byte
	if o.in != "" {
		f, err := os.Open(o.in)
		if err != nil {
			return fmt.Errorf("read question audio: %w", err)
		}
		question, err = audio.ReadInputWAV(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("read question audio %s: %w", o.in, err)
		}
	}
	var frames [][]byte
	opt := capture.DefaultOptions()
	maxSide := opt.MaxSize
	if o.fullSize {
		maxSide = 0
	}
	for _, path := range o.images {
		j, from, to, err := loadImage(path, maxSide, opt.Quality)
		if err != nil {
			return err
		}
		if o.verbose {
			fmt.Fprintf(stderr, "image %s: %d×%d sent as %d×%d JPEG, %d KB\n", path, from.X, from.Y, to.X, to.Y, len(j)/1000)
		}
		frames = append(frames, j)
	}
	if err := checkWritable(o.out); err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	// The same path as the window and talk: saved-settings defaults, then call.LiveConfig.
	cfg := o.cfg
	cfg.Endpoint = o.endpoint
	cfg.Model, cfg.Voice, cfg.SystemInstruction = o.model, o.voice, o.system
	cfg.InputTranscription, cfg.OutputTranscription = true, true
	cfg.LocalTools = nil // ask offers no local tools (nor the instructions that go with them)
	if err := cfg.Validate(); err != nil {
		return err
	}
	dial := call.DialOptions(cfg)
	setup, notes := live.BuildSetup(call.LiveConfig(cfg), live.SetupOptions{Vertex: dial.Vertex})
	for _, n := range notes {
		fmt.Fprintln(stderr, "note:", n)
	}
	sess, err := live.Dial(ctx, dial, setup)
	if err != nil {
		return timeoutErr(ctx, err, o.timeout)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- sess.Run(ctx) }()
	defer func() {
		sess.Close()
		<-runErr
	}()

	sendErr := make(chan error, 1)
	go func() { sendErr <- sendQuestion(ctx, sess, frames, question, o.text) }()

	reply, err := receiveAnswer(ctx, sess, sendErr, stderr)
	if err != nil {
		return timeoutErr(ctx, err, o.timeout)
	}
	if t := strings.TrimSpace(reply.you.String()); t != "" {
		fmt.Fprintln(stdout, "you:", t)
	}
	if t := strings.TrimSpace(reply.gemini.String()); t != "" {
		fmt.Fprintln(stdout, "gemini:", t)
	}
	if len(reply.audio) == 0 {
		return errors.New("the model answered without audio")
	}
	if err := writeFileAtomic(o.out, func(w io.Writer) error { return audio.WriteWAV(w, audio.OutputRate, reply.audio) }); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "saved %s (%.1f s)\n", o.out, float64(len(reply.audio)/2)/audio.OutputRate)
	return nil
}

// Bounds on one answer: an answer that never ends must not fill the memory.
const (
	maxAnswer      = 10 * time.Minute
	maxAnswerAudio = int(maxAnswer/time.Second) * audio.OutputRate * 2
	maxAnswerText  = 1 << 20
)

// askChunk is 50 ms of 16 kHz s16le audio: inside the 20–100 ms the API recommends.
const askChunk = 16000 * 2 / 20

func sendQuestion(ctx context.Context, s *live.Session, frames [][]byte, question []byte, text string) error {
	for _, f := range frames {
		// Ordered sends: every image is delivered (SendVideo would keep only the newest).
		if err := s.Send(ctx, live.ClientMessage{RealtimeInput: &live.RealtimeInput{Video: &live.Blob{MIMEType: live.JPEGMIME, Data: f}}}); err != nil {
			return fmt.Errorf("send image: %w", err)
		}
	}
	if len(question) > 0 {
		for off := 0; off < len(question); off += askChunk {
			if err := s.SendAudio(ctx, question[off:min(off+askChunk, len(question))]); err != nil {
				return fmt.Errorf("send audio: %w", err)
			}
		}
		// A second of silence lets the server's voice activity detection see the end of
		// speech; audioStreamEnd then flushes what it has cached.
		silence := make([]byte, askChunk)
		for range 20 {
			if err := s.SendAudio(ctx, silence); err != nil {
				return fmt.Errorf("send audio: %w", err)
			}
		}
		if err := s.SendAudioStreamEnd(ctx); err != nil {
			return fmt.Errorf("send audio end: %w", err)
		}
	}
	if text != "" {
		if err := s.SendText(ctx, text); err != nil {
			return fmt.Errorf("send text: %w", err)
		}
	}
	return nil
}

type answer struct {
	you, gemini strings.Builder
	audio       []byte // 24 kHz s16le mono
}

// receiveAnswer collects one model turn. It ends at turnComplete; since some models end with
// generationComplete and never send turnComplete, it also ends a short while after that.
func receiveAnswer(ctx context.Context, s *live.Session, sendErr <-chan error, stderr io.Writer) (*answer, error) {
	const grace = 3 * time.Second
	var a answer
	conv := pcm.NewConverter(audio.OutputRate)
	type recv struct {
		m   *live.ServerMessage
		err error
	}
	msgs := make(chan recv)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for {
			m, err := s.Recv(rctx)
			select {
			case msgs <- recv{m, err}:
			case <-rctx.Done():
				return
			}
			if err != nil && !errors.Is(err, live.ErrMalformed) {
				return
			}
		}
	}()
	var graceC <-chan time.Time
	for {
		select {
		case err := <-sendErr:
			if err != nil {
				return nil, err
			}
			sendErr = nil
		case <-graceC:
			a.audio = append(a.audio, conv.Flush()...)
			return &a, nil
		case r := <-msgs:
			if r.err != nil {
				if errors.Is(r.err, live.ErrMalformed) {
					fmt.Fprintln(stderr, "warning: ignored a malformed server message:", r.err)
					continue
				}
				return nil, r.err
			}
			sc := r.m.ServerContent
			if sc == nil {
				continue
			}
			if t := sc.InputTranscription; t != nil {
				a.you.WriteString(t.Text)
			}
			if t := sc.OutputTranscription; t != nil {
				a.gemini.WriteString(t.Text)
			}
			if a.you.Len()+a.gemini.Len() > maxAnswerText {
				return nil, fmt.Errorf("the transcript went on past %d KB: stopped (a broken or hostile server?)", maxAnswerText>>10)
			}
			if sc.ModelTurn != nil {
				for _, p := range sc.ModelTurn.Parts {
					switch {
					case p.InlineData != nil && strings.HasPrefix(p.InlineData.MIMEType, "audio/pcm"):
						b, err := conv.Convert(p.InlineData.MIMEType, p.InlineData.Data)
						if err != nil {
							return nil, fmt.Errorf("model audio: %w", err)
						}
						a.audio = append(a.audio, b...)
						if len(a.audio) > maxAnswerAudio {
							return nil, fmt.Errorf("the answer went on past %s of audio: stopped (a broken or hostile server?)", maxAnswer)
						}
					case p.Text != "" && !p.Thought && sc.OutputTranscription == nil:
						a.gemini.WriteString(p.Text)
					}
				}
			}
			if sc.TurnComplete || sc.Interrupted {
				if len(a.audio) == 0 && a.gemini.Len() == 0 {
					// A turn with no answer (e.g. the end of our own speech segment): keep waiting.
					continue
				}
				a.audio = append(a.audio, conv.Flush()...)
				return &a, nil
			}
			if sc.GenerationComplete && graceC == nil {
				graceC = time.After(grace)
			}
		}
	}
}

// Bounds on image files: their size on disk and their pixel count are checked before decoding,
// so a hostile file cannot make ask allocate gigabytes.
const (
	maxImageFileBytes = 64 << 20
	maxImagePixels    = 50_000_000 // e.g. 8K × 6K
)

// loadImage reads an image file (JPEG, PNG or WebP) and returns it as a JPEG to send: scaled
// down with the screen share's own scaler so its longest side is at most maxSide (0 keeps the
// full size), with the sizes before and after.
func loadImage(path string, maxSide, quality int) (jpg []byte, from, to image.Point, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, from, to, fmt.Errorf("read image: %w", err)
	}
	if st.Size() > maxImageFileBytes {
		return nil, from, to, fmt.Errorf("read image %s: %d MB is more than the %d MB an image may have", path, st.Size()>>20, maxImageFileBytes>>20)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, from, to, fmt.Errorf("read image: %w", err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, from, to, fmt.Errorf("read image %s: not a JPEG, PNG or WebP image: %w", path, err)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxImagePixels || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, from, to, fmt.Errorf("read image %s: %d×%d pixels is more than the %d million an image may have", path, cfg.Width, cfg.Height, maxImagePixels/1_000_000)
	}
	from = image.Pt(cfg.Width, cfg.Height)
	if format == "jpeg" && (maxSide == 0 || max(cfg.Width, cfg.Height) <= maxSide) {
		return b, from, from, nil // already fit to send as it is
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, from, to, fmt.Errorf("read image %s: %w", path, err)
	}
	if maxSide > 0 {
		img = capture.NewScaler(maxSide).Scale(img)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, from, to, fmt.Errorf("convert image %s to JPEG: %w", path, err)
	}
	return buf.Bytes(), from, img.Bounds().Size(), nil
}

// checkWritable fails early when the answer could not be saved.
func checkWritable(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("output %s: %s is not a directory", path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("output %s is a directory", path)
	}
	return nil
}

// writeFileAtomic writes through a temporary file and renames it, so a full disk or a crash
// never leaves a truncated file where a good one was.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".livedesk-*.tmp")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	tmp := f.Name()
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

func timeoutErr(ctx context.Context, err error, d time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no complete answer within %s (raise --timeout): %w", d, err)
	}
	return err
}
