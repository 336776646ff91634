package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/live/livetest"

	"github.com/livedesk/livedesk/audio/pcm"
)

type mapEnv map[string]string

func (m mapEnv) Getenv(k string) string { return m[k] }

const testKey = "AIza-test-key-do-not-print"

// writeStereo44k writes a 16-bit stereo 44.1 kHz WAV of a voiced, speech-like signal, so the
// ask command has to downmix and resample it.
func writeStereo44k(t *testing.T, path string, seconds float64) int {
	const rate = 44100
	n := int(seconds * rate)
	data := make([]byte, 0, n*4)
	for i := range n {
		x := 0.0
		for h := 1; h <= 5; h++ {
			x += 0.25 / float64(h) * math.Sin(2*math.Pi*180*float64(h)*float64(i)/rate)
		}
		s := int16(x * 32767 * 0.8)
		data = binary.LittleEndian.AppendUint16(data, uint16(s))
		data = binary.LittleEndian.AppendUint16(data, uint16(s))
	}
	var h bytes.Buffer
	h.WriteString("RIFF")
	binary.Write(&h, binary.LittleEndian, uint32(36+len(data)))
	h.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(2), uint32(rate), uint32(rate * 4), uint16(4), uint16(16)} {
		binary.Write(&h, binary.LittleEndian, v)
	}
	h.WriteString("data")
	binary.Write(&h, binary.LittleEndian, uint32(len(data)))
	h.Write(data)
	if err := os.WriteFile(path, h.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return n
}

func writePNG(t *testing.T, path string) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 200, 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func TestAskEndToEnd(t *testing.T) {
	replyAudio := pcm.FloatToS16LE(nil, func() []float32 {
		s := make([]float32, audio.OutputRate*8/10) // 0.8 s
		for i := range s {
			s[i] = float32(0.3 * math.Sin(2*math.Pi*300*float64(i)/audio.OutputRate))
		}
		return s
	}())
	var mu sync.Mutex
	var turns []livetest.Turn
	srv, err := livetest.Start(livetest.Options{
		APIKey: testKey,
		Responder: func(tu livetest.Turn) livetest.Reply {
			mu.Lock()
			turns = append(turns, tu)
			mu.Unlock()
			return livetest.Reply{Text: "It is a blue gradient.", Heard: "what is in this picture", Audio: replyAudio}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	dir := t.TempDir()
	in, img, out := filepath.Join(dir, "q.wav"), filepath.Join(dir, "shot.png"), filepath.Join(dir, "reply.wav")
	frames44k := writeStereo44k(t, in, 1.2)
	writePNG(t, img)

	var stdout, stderr bytes.Buffer
	code := Ask(t.Context(), []string{"--endpoint", srv.URL(), "--in", in, "--image", img, "--out", out, "--system", "Be brief."},
		&stdout, &stderr, mapEnv{"GEMINI_API_KEY": testKey})
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, stderr.String())
	}
	if got := stdout.String(); !strings.Contains(got, "you: what is in this picture\n") || !strings.Contains(got, "gemini: It is a blue gradient.\n") {
		t.Errorf("stdout = %q", got)
	}
	if strings.Contains(stdout.String()+stderr.String(), testKey) {
		t.Error("output contains the API key")
	}

	// The reply file: a 24 kHz mono 16-bit WAV holding exactly the model's audio.
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		t.Fatalf("bad header % x", b[:44])
	}
	format, channels, rate, bits := binary.LittleEndian.Uint16(b[20:]), binary.LittleEndian.Uint16(b[22:]), binary.LittleEndian.Uint32(b[24:]), binary.LittleEndian.Uint16(b[34:])
	if format != 1 || channels != 1 || rate != 24000 || bits != 16 {
		t.Errorf("format=%d channels=%d rate=%d bits=%d, want PCM mono 24000 16", format, channels, rate, bits)
	}
	if size := binary.LittleEndian.Uint32(b[40:]); int(size) != len(replyAudio) || !bytes.Equal(b[44:], replyAudio) {
		t.Errorf("data = %d bytes, want the model's %d bytes (%.2f s)", size, len(replyAudio), float64(len(replyAudio))/48000)
	}

	// What the server received: the audio resampled to 16 kHz plus one second of trailing
	// silence, one image, the end of the audio stream.
	conns := srv.Conns()
	if len(conns) != 1 {
		t.Fatalf("%d connections", len(conns))
	}
	c := conns[0]
	wantSamples := int(math.Round(float64(frames44k)*16000/44100)) + 16000
	if d := c.AudioSamples - wantSamples; d < -2 || d > 2 {
		t.Errorf("server got %d samples, want %d (1.2 s at 16 kHz + 1 s of silence)", c.AudioSamples, wantSamples)
	}
	if c.AudioMIME != "audio/pcm;rate=16000" || c.Frames != 1 || c.LastFrame.MIME != "image/jpeg" || c.LastFrame.Width != 64 || c.AudioStreamEnds != 1 {
		t.Errorf("server saw %+v", c)
	}
	if !strings.Contains(string(c.Setup), `"inputAudioTranscription":{}`) || !strings.Contains(string(c.Setup), `"outputAudioTranscription":{}`) {
		t.Errorf("setup lacks transcription: %s", c.Setup)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(turns) == 0 || !turns[0].Speech || turns[0].Frames != 1 {
		t.Errorf("turns = %+v", turns)
	}
}

func TestAskErrors(t *testing.T) {
	srv, err := livetest.Start(livetest.Options{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	in := filepath.Join(dir, "q.wav")
	writeStereo44k(t, in, 0.3)
	notWAV := filepath.Join(dir, "x.wav")
	os.WriteFile(notWAV, []byte("hello"), 0o644)

	tests := []struct {
		name     string
		args     []string
		env      mapEnv
		wantCode int
		want     string
	}{
		{"no key", []string{"--text", "hi"}, mapEnv{}, 1, "no API key: set GEMINI_API_KEY"},
		{"nothing to ask", nil, mapEnv{"GEMINI_API_KEY": testKey}, 2, "nothing to ask"},
		{"wrong key", []string{"--endpoint", srv.URL(), "--text", "hi"}, mapEnv{"GEMINI_API_KEY": "wrong-key-123"}, 1, "HTTP 403"},
		{"google key fallback works", []string{"--endpoint", srv.URL(), "--text", "hi", "--out", filepath.Join(dir, "a.wav")}, mapEnv{"GOOGLE_API_KEY": testKey}, 0, "saved"},
		{"unknown model", []string{"--endpoint", srv.URL(), "--model", "gemini-0-nope", "--text", "hi"}, mapEnv{"GEMINI_API_KEY": testKey}, 1, "1008"},
		{"missing file", []string{"--in", filepath.Join(dir, "none.wav")}, mapEnv{"GEMINI_API_KEY": testKey}, 1, "no such file"},
		{"not a wav", []string{"--in", notWAV}, mapEnv{"GEMINI_API_KEY": testKey}, 1, "read question audio"},
		{"bad output dir", []string{"--in", in, "--out", filepath.Join(dir, "nodir", "r.wav")}, mapEnv{"GEMINI_API_KEY": testKey}, 1, "output"},
		{"remote ws refused", []string{"--endpoint", "ws://example.com", "--text", "hi"}, mapEnv{"GEMINI_API_KEY": testKey}, 1, "only allowed to this computer"},
		{"bad flag", []string{"--bogus"}, mapEnv{}, 2, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Ask(t.Context(), tt.args, &stdout, &stderr, tt.env)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr.String(), tt.wantCode, tt.want)
			}
			if tt.wantCode == 1 && strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
				t.Errorf("error is not one line: %q", stderr.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), testKey) {
				t.Error("output contains the API key")
			}
		})
	}
}

// writeBigPNG writes a width×height PNG of a gradient.
func writeBigPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x), uint8(y), 128, 255
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// TestAskImageSizes: a screenshot-sized image is sent as the screen share would send it
// (1024 px on the longest side, JPEG) unless --full-size is given; -v says the sizes.
func TestAskImageSizes(t *testing.T) {
	srv, err := livetest.Start(livetest.Options{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	big := filepath.Join(dir, "big.png")
	writeBigPNG(t, big, 1920, 1080)
	tests := []struct {
		name       string
		extra      []string
		wantW      int
		wantH      int
		wantStderr string
	}{
		{"scaled", []string{"-v"}, 1024, 576, "1920×1080 sent as 1024×576 JPEG"},
		{"full size", []string{"--full-size"}, 1920, 1080, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"--endpoint", srv.URL(), "--image", big, "--text", "what is this?", "--out", filepath.Join(dir, "r.wav")}, tt.extra...)
			if code := Ask(t.Context(), args, &stdout, &stderr, mapEnv{"GEMINI_API_KEY": testKey}); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			c := srv.Conns()[i]
			if c.Frames != 1 || c.LastFrame.MIME != "image/jpeg" || c.LastFrame.Width != tt.wantW || c.LastFrame.Height != tt.wantH {
				t.Errorf("server got %d frames, last %+v; want one %dx%d JPEG", c.Frames, c.LastFrame, tt.wantW, tt.wantH)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

// TestAskHostileImage: an image whose header claims huge dimensions is refused before it is
// decoded (no gigabyte allocation), with the limit in words.
func TestAskHostileImage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "huge.png")
	// A valid PNG header and IHDR claiming 100000×100000 pixels, and nothing else.
	var b bytes.Buffer
	b.Write([]byte("\x89PNG\r\n\x1a\n"))
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var stdout, stderr bytes.Buffer
	code := Ask(t.Context(), []string{"--image", path}, &stdout, &stderr, mapEnv{"GEMINI_API_KEY": testKey})
	runtime.ReadMemStats(&after)
	if code != 1 || !strings.Contains(stderr.String(), "100000×100000 pixels is more than the 50 million") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	grown := after.TotalAlloc - before.TotalAlloc
	if grown > 16<<20 {
		t.Errorf("refusing the image allocated %d MB", grown>>20)
	}
	t.Logf("refusing a 100000×100000 image allocated %d KB", grown>>10)
}

// TestAskEndlessAnswer: a server whose answer never ends (audio as fast as the socket takes it)
// gets a clear error once the answer passes its bound, with bounded memory — not a growing
// buffer until the timeout.
func TestAskEndlessAnswer(t *testing.T) {
	chunk := base64.StdEncoding.EncodeToString(make([]byte, 48000)) // 1 s at 24 kHz
	msg := []byte(`{"serverContent":{"modelTurn":{"parts":[{"inlineData":{"mimeType":"audio/pcm;rate=24000","data":"` + chunk + `"}}]}}}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		if _, _, err := c.Read(ctx); err != nil { // the setup
			return
		}
		c.Write(ctx, websocket.MessageBinary, []byte(`{"setupComplete":{}}`))
		go func() {
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
		for {
			if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var stdout, stderr bytes.Buffer
	code := Ask(t.Context(), []string{"--endpoint", "ws://" + srv.Listener.Addr().String(), "--text", "hi", "--out", filepath.Join(t.TempDir(), "r.wav")},
		&stdout, &stderr, mapEnv{"GEMINI_API_KEY": testKey})
	runtime.ReadMemStats(&after)
	if code != 1 || !strings.Contains(stderr.String(), "went on past 10m0s of audio") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	grown := after.TotalAlloc - before.TotalAlloc
	if grown > 1<<30 {
		t.Errorf("an endless answer allocated %d MB", grown>>20)
	}
	t.Logf("allocated %d MB before stopping", grown>>20)
}
