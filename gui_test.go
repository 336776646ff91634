package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/internal/xwin"
	"github.com/livedesk/livedesk/live/livetest"
)

func TestParseGUIArgs(t *testing.T) {
	tests := []struct {
		args    []string
		want    guiOptions
		wantErr string
	}{
		{args: nil, want: guiOptions{}},
		{args: []string{"--endpoint", "ws://127.0.0.1:9000", "--connect", "--share", "screen"},
			want: guiOptions{endpoint: "ws://127.0.0.1:9000", connect: true, share: call.Share{Kind: call.ShareScreen}}},
		{args: []string{"--share", "screen:1"}, want: guiOptions{share: call.Share{Kind: call.ShareScreen, Display: 1}}},
		{args: []string{"--share", "screen:all"}, want: guiOptions{share: call.Share{Kind: call.ShareScreen, Display: call.AllDisplays}}},
		{args: []string{"--share", "camera"}, want: guiOptions{share: call.Share{Kind: call.ShareCamera}}},
		{args: []string{"--share", "camera:/dev/video2"}, want: guiOptions{share: call.Share{Kind: call.ShareCamera, Camera: "/dev/video2"}}},
		{args: []string{"--demo"}, want: guiOptions{demo: true}},
		{args: []string{"--share", "window"}, wantErr: "want screen, screen:N, screen:all, camera or camera:DEVICE"},
		{args: []string{"--share", "screen:x"}, wantErr: "display must be a number"},
		{args: []string{"--endpoint", "ftp://x"}, wantErr: "--endpoint: must start with wss://"},
		{args: []string{"--endpoint", "ws://example.com:9000"}, wantErr: "only allowed to this computer"},
		{args: []string{"--demo", "--endpoint", "ws://127.0.0.1:1"}, wantErr: "cannot be combined"},
		{args: []string{"extra"}, wantErr: `unexpected argument "extra"`},
		{args: []string{"--nope"}, wantErr: "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			got, err := parseGUIArgs(tt.args, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(guiOptions{})); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

// The tests below drive the real binary in a real X server (scripts/with-testenv.sh).

func requireTestEnv(t *testing.T) {
	t.Helper()
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		t.Skip("needs a display: run under scripts/with-testenv.sh (LIVEDESK_TESTENV unset)")
	}
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("LIVEDESK_TESTENV is set but DISPLAY is empty")
	}
	for _, tool := range []string{"xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("LIVEDESK_TESTENV is set but %s is missing: %v", tool, err)
		}
	}
}

var (
	buildMu sync.Mutex
	built   = map[string]string{} // package → binary
)

func buildBinary(t *testing.T) string { return buildPackage(t, ".") }

// buildPackage builds the main package pkg once per test binary and returns the program's path.
func buildPackage(t *testing.T, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := built[pkg]; ok {
		return bin
	}
	dir, err := os.MkdirTemp("", "livedesk-bin")
	if err != nil {
		t.Fatal(err)
	}
	name := "livedesk"
	if pkg != "." {
		name = filepath.Base(pkg)
	}
	bin := filepath.Join(dir, name)
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	built[pkg] = bin
	return bin
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type runningApp struct {
	t   *testing.T
	cmd *exec.Cmd
	log *syncBuffer
	win string // X window ID
}

// startApp runs the binary with a fresh HOME (so fresh preferences) and waits for its window.
func startApp(t *testing.T, env []string, args ...string) *runningApp {
	t.Helper()
	bin := buildBinary(t)
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "LANG=en_US.UTF-8", "GEMINI_API_KEY=", "GOOGLE_API_KEY=")
	cmd.Env = append(cmd.Env, env...)
	a := &runningApp{t: t, cmd: cmd, log: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = a.log, a.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			// SIGQUIT makes the Go runtime print every goroutine's stack: where it hangs.
			_ = cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
			t.Errorf("app did not exit on SIGINT; log (with the stacks SIGQUIT printed):\n%s", a.log)
		}
	})
	a.waitFor("window", func() bool {
		out, err := exec.Command("xdotool", "search", "--name", "^Live Desk").Output()
		if err == nil && len(bytes.TrimSpace(out)) > 0 {
			a.win = strings.Fields(string(out))[0]
			return true
		}
		return false
	})
	time.Sleep(time.Second) // let the first frames be drawn before looking
	return a
}

func (a *runningApp) waitFor(what string, cond func() bool) {
	a.t.Helper()
	deadline := time.Now().Add(60 * time.Second) // generous: the machine is shared
	for !cond() {
		if time.Now().After(deadline) {
			a.t.Fatalf("timed out waiting for %s; log:\n%s", what, a.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (a *runningApp) waitLog(s string) {
	a.t.Helper()
	a.waitFor("log "+strconv.Quote(s), func() bool { return strings.Contains(a.log.String(), s) })
}

func (a *runningApp) xdotool(args ...string) {
	a.t.Helper()
	if out, err := exec.Command("xdotool", args...).CombinedOutput(); err != nil {
		a.t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
}

// typeSlowly types text with xdotool. xdotool maps each non-keyboard character to a spare
// keycode in turn; a long delay gives the app time to read each key before the next remap
// (faster typing loses characters on a busy machine).
func (a *runningApp) typeSlowly(text string) {
	a.t.Helper()
	a.xdotool("type", "--delay", "350", text)
}

// screenshot saves the window to testdata/artifacts/name and returns the image.
func (a *runningApp) screenshot(name string) image.Image {
	a.t.Helper()
	dir := filepath.Join("testdata", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		a.t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if out, err := exec.Command("import", "-window", a.win, path).CombinedOutput(); err != nil {
		a.t.Fatalf("import: %v\n%s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		a.t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		a.t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	a.t.Logf("screenshot: %s", abs)
	return img
}

func regionDiffers(a, b image.Image, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return true
			}
		}
	}
	return false
}

func TestWindowWithoutKeyAsksForOne(t *testing.T) {
	requireTestEnv(t)
	a := startApp(t, nil)
	a.waitLog(`msg="welcome shown"`)
	a.screenshot("gui-no-key.png")
}

func TestWindowControls(t *testing.T) {
	requireTestEnv(t)
	a := startApp(t, []string{"GEMINI_API_KEY=test-key"}, "--share", "screen")
	a.waitLog("msg=share kind=1")
	before := a.screenshot("gui-before-mute.png")

	// The Mute button is the second in the toolbar (window at 0,0, no window manager).
	a.xdotool("mousemove", "--window", a.win, "240", "21", "click", "1")
	a.waitLog("msg=microphone muted=true")
	after := a.screenshot("gui-after-mute.png")
	if !regionDiffers(before, after, image.Rect(160, 0, 330, 42)) {
		t.Error("the Mute button looks the same after clicking it")
	}

	// Keyboard: Ctrl+M unmutes again.
	a.xdotool("key", "--window", a.win, "ctrl+m")
	a.waitLog("msg=microphone muted=false")

	// Chinese, Japanese and Arabic typed into the text box render (see the screenshot).
	a.xdotool("mousemove", "--window", a.win, "300", "640", "click", "1")
	a.typeSlowly("你好，世界 こんにちは مرحبا بالعالم")
	time.Sleep(500 * time.Millisecond)
	typed := a.screenshot("gui-typed-cjk-arabic.png")
	if !regionDiffers(after, typed, image.Rect(5, 620, 590, 670)) {
		t.Error("the text box shows nothing after typing")
	}
}

// TestLiveWindow is the end-to-end check of the window: the real binary against livetest, with
// the screen shared and PulseAudio as mic and speaker. It reaches "live", shows the model's
// transcript of a typed Chinese and Arabic message, and saves screenshots.
func TestLiveWindow(t *testing.T) {
	requireTestEnv(t)
	srv, err := livetest.Start(livetest.Options{Pace: livetest.RealTime})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	a := startApp(t, []string{"GEMINI_API_KEY=test-key"}, "--endpoint", srv.URL(), "--connect", "--share", "screen")
	a.waitLog("msg=state state=live")
	a.screenshot("gui-live.png")

	a.xdotool("mousemove", "--window", a.win, "300", "640", "click", "1")
	a.typeSlowly("你好 مرحبا")
	a.xdotool("key", "--window", a.win, "Return")
	a.waitLog("msg=turn role=gemini")
	time.Sleep(time.Second) // let the frame with the turn be drawn
	a.screenshot("gui-live-transcript.png")

	// Clicking Mute while live reaches the conversation.
	a.xdotool("mousemove", "--window", a.win, "240", "21", "click", "1")
	a.waitLog("msg=microphone muted=true")
}

// TestDemo starts the app as a newcomer would try it: no key, the built-in fake server.
func TestDemo(t *testing.T) {
	requireTestEnv(t)
	a := startApp(t, nil, "--demo")
	a.waitLog("msg=state state=live")
	if strings.Contains(a.log.String(), "settings opened") {
		t.Error("the demo asked for an API key")
	}
	a.screenshot("gui-demo.png")
}

// TestIdleCPU measures the CPU the window uses while open and not connected, beside the smallest
// Fyne window (testdata/fynefloor) measured over the same seconds: Fyne's 60 Hz polling is a
// floor Live Desk cannot go below, and a busy shared machine inflates both alike. That the
// window is idle is checked without any clock: it must not repaint.
func TestIdleCPU(t *testing.T) {
	requireTestEnv(t)
	if testing.Short() {
		t.Skip("takes 10 s")
	}
	floor := exec.Command(buildPackage(t, "./testdata/fynefloor"))
	floor.Env = append(os.Environ(), "HOME="+t.TempDir())
	if err := floor.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = floor.Process.Kill()
		_ = floor.Wait()
	})
	a := startApp(t, []string{"GEMINI_API_KEY=test-key"})
	id, err := strconv.ParseUint(a.win, 10, 32)
	if err != nil {
		t.Fatalf("window id %q: %v", a.win, err)
	}
	time.Sleep(2 * time.Second)
	pid := a.cmd.Process.Pid
	var repaints atomic.Int64
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- xwin.Repaints(ctx, uint32(id), &repaints) }()
	th0 := threadTicks(pid)
	c0, f0, w0 := cpuTicks(t, pid), cpuTicks(t, floor.Process.Pid), time.Now()
	time.Sleep(10 * time.Second)
	c1, f1, w1 := cpuTicks(t, pid), cpuTicks(t, floor.Process.Pid), time.Now()
	th1 := threadTicks(pid)
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	const hz = 100 // USER_HZ on Linux
	span := w1.Sub(w0).Seconds()
	app, fyne := float64(c1-c0)/hz/span, float64(f1-f0)/hz/span
	var busiest []string
	for name, n := range th1 {
		if d := n - th0[name]; d > 0 {
			busiest = append(busiest, fmt.Sprintf("%s %d", name, d))
		}
	}
	sort.Strings(busiest)
	t.Logf("idle CPU: %.2f%% of one core over %.1f s (the smallest Fyne window: %.2f%%); %d repaints; ticks by thread: %s",
		app*100, span, fyne*100, repaints.Load(), strings.Join(busiest, ", "))
	if r := float64(repaints.Load()) / span; r > 2 {
		t.Errorf("the idle window repainted %.1f times a second; nothing it shows changes", r)
	}
	if limit := max(0.05, 2*fyne); app > limit {
		t.Errorf("idle CPU %.2f%% of a core, want below %.2f%% (5%%, or twice the smallest Fyne window's %.2f%%)", app*100, limit*100, fyne*100)
	}
}

// threadTicks sums the CPU ticks of pid's threads by thread name (Go's threads share the
// program's; GL's and the sound library's have their own), best effort.
func threadTicks(pid int) map[string]int64 {
	m := map[string]int64{}
	dirs, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	for _, d := range dirs {
		if name, ticks, err := statTicks(filepath.Join(d, "stat")); err == nil {
			m[name] += ticks
		}
	}
	return m
}

func cpuTicks(t *testing.T, pid int) int64 {
	t.Helper()
	_, ticks, err := statTicks(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	return ticks
}

// statTicks reads a /proc stat file: the command name and the user + system CPU ticks.
func statTicks(path string) (name string, ticks int64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0, err
	}
	// The name is in parentheses and may hold any character; after the ")" that ends it,
	// utime is the 12th field and stime the 13th.
	s := string(b)
	i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if i < 0 || j < i {
		return "", 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(s[j+1:])
	if len(f) < 13 {
		return "", 0, errors.New("malformed /proc stat")
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return s[i+1 : j], u + st, nil
}

// TestLiveCPU compares, over the same silent conversation against the fake server, the CPU of
// the window (connected, not sharing) with that of `livedesk talk` on the same devices and
// settings. It runs only when asked:
//
//	LIVEDESK_LIVE_CPU=30s scripts/with-testenv.sh go test -run TestLiveCPU -v .
func TestLiveCPU(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("LIVEDESK_LIVE_CPU"))
	if err != nil {
		t.Skip("set LIVEDESK_LIVE_CPU=30s to measure")
	}
	requireTestEnv(t)
	srv, err := livetest.Start(livetest.Options{APIKey: testKey, Pace: livetest.RealTime})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	measure := func(pid int) float64 {
		time.Sleep(3 * time.Second) // connected and settled
		c0, w0 := cpuTicks(t, pid), time.Now()
		time.Sleep(d)
		c1, w1 := cpuTicks(t, pid), time.Now()
		return 100 * float64(c1-c0) / 100 / w1.Sub(w0).Seconds()
	}
	for _, tc := range []struct {
		name                 string
		windowArgs, talkArgs []string
	}{
		{name: "not sharing"},
		{name: "sharing a static screen", windowArgs: []string{"--share", "screen:0"}, talkArgs: []string{"--screen", "0"}},
	} {
		a := startApp(t, []string{"GEMINI_API_KEY=" + testKey}, append([]string{"--endpoint", srv.URL(), "--connect"}, tc.windowArgs...)...)
		a.waitLog("msg=state state=live")
		window := measure(a.cmd.Process.Pid)
		a.cmd.Process.Signal(os.Interrupt)
		a.cmd.Wait()

		cmd := exec.Command(buildBinary(t), append([]string{"talk", "--endpoint", srv.URL(), "--duration", (d + 10*time.Second).String()}, tc.talkArgs...)...)
		cmd.Env = append(os.Environ(), "GEMINI_API_KEY="+testKey)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		talk := measure(cmd.Process.Pid)
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		t.Logf("live and silent for %s, %s: window %.1f%% of a core, talk %.1f%% (window − talk = %.1f points)", d, tc.name, window, talk, window-talk)
	}
}

// TestWindowHiddenFromSharedScreen: the window shares the screen it is on, in default
// settings; every frame the fake server receives has the window's own area flat gray (nothing
// of its transcript or preview), and the rest of the screen as it is. The window is found by
// the _NET_WM_PID that GLFW sets on it.
func TestWindowHiddenFromSharedScreen(t *testing.T) {
	requireTestEnv(t)
	var mu sync.Mutex
	var last image.Image
	srv, err := livetest.Start(livetest.Options{APIKey: testKey, OnFrame: func(f livetest.Frame, data []byte) {
		if m, _, err := image.Decode(bytes.NewReader(data)); err == nil {
			mu.Lock()
			last = m
			mu.Unlock()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a := startApp(t, []string{"GEMINI_API_KEY=" + testKey}, "--endpoint", srv.URL(), "--connect", "--share", "screen:0")
	a.waitLog("msg=state state=live")
	out, err := exec.Command("xdotool", "getwindowgeometry", "--shell", a.win).Output()
	if err != nil {
		t.Fatalf("xdotool getwindowgeometry: %v", err)
	}
	geo := map[string]int{}
	for _, line := range strings.Fields(string(out)) {
		if k, v, ok := strings.Cut(line, "="); ok {
			geo[k], _ = strconv.Atoi(v)
		}
	}
	win := image.Rect(geo["X"], geo["Y"], geo["X"]+geo["WIDTH"], geo["Y"]+geo["HEIGHT"])
	if win.Dx() < 100 || win.Dy() < 100 {
		t.Fatalf("window geometry %v from %q", win, out)
	}
	var frame image.Image
	a.waitFor("a frame at the server", func() bool {
		mu.Lock()
		defer mu.Unlock()
		frame = last
		return frame != nil
	})
	b := frame.Bounds()
	px := func(x, y int) [3]uint8 { // screen coordinates (1920×1080) → the frame's
		r, g, bl, _ := frame.At(b.Min.X+x*b.Dx()/1920, b.Min.Y+y*b.Dy()/1080).RGBA()
		return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
	}
	near := func(c [3]uint8, v uint8) bool {
		for _, x := range c {
			if d := int(x) - int(v); d < -6 || d > 6 {
				return false
			}
		}
		return true
	}
	c := win.Min.Add(win.Max).Div(2)
	for _, p := range []image.Point{c, win.Min.Add(image.Pt(20, 20)), win.Max.Sub(image.Pt(20, 20))} {
		if got := px(p.X, p.Y); !near(got, capture.MaskGray) {
			t.Errorf("the window's own area at %v came to the server as %v, want flat gray", p, got)
		}
	}
	if got := px(1910, 1070); near(got, capture.MaskGray) {
		t.Errorf("outside the window (1910,1070) is gray too: the mask is not where the window is")
	}
	t.Logf("window %v masked in a %v frame", win, b.Size())
}
