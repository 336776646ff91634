package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/internal/xwin"
)

// The README's pictures, taken from the real binary as a user runs it. Only on demand (make
// screenshots): LIVEDESK_SCREENSHOTS is the directory for every state's picture, and
// LIVEDESK_SCREENSHOTS_DOCS, when set, the directory for the README's compressed copies.

// shotSize is the window's size in the pictures; shotAt is where it sits on the 1920×1080 Xvfb
// screen: right of and below the painted documents, so the preview shows them beside the
// window's own (masked) area.
var (
	shotSize = image.Pt(1280, 800)
	shotAt   = image.Pt(620, 240)
)

// The chart colours of the painted report: no part of the window's theme is near them, so
// finding them in a picture of the window means the preview (or a thumbnail) shows the desktop.
const (
	chartOrange = 0xf39c12
	chartPurple = 0x8e44ad
	chartGreen  = 0x27ae60
	chartTeal   = 0x1abc9c
)

// questions are typed in turn; the demo echoes a question, and answers one asking "where" by
// pointing (highlight_on_screen) and then saying it did, in the same turn.
var questions = []struct {
	text    string
	answers int // model turns it brings
	echoed  bool
}{
	{"What is on my screen?", 1, true},
	{"Where is the sales chart?", 1, false},
}

// TestScreenshots runs `livedesk` as a newcomer would (the welcome) and then `livedesk --demo
// --share screen:0` in front of a painted desktop: it types a question, waits for the demo's
// spoken answer, opens the share picker with Ctrl+Shift+P, and saves a picture of the window in
// each state.
//
//	LIVEDESK_SCREENSHOTS=testdata/artifacts/screenshots scripts/with-testenv.sh go test -count=1 -run TestScreenshots -v .
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("LIVEDESK_SCREENSHOTS")
	if dir == "" {
		t.Skip("set LIVEDESK_SCREENSHOTS=DIR to take the README's pictures (make screenshots)")
	}
	requireTestEnv(t)
	docs := os.Getenv("LIVEDESK_SCREENSHOTS_DOCS")
	for _, d := range []string{dir, docs} {
		if d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	freshData := func() []string { return []string{"XDG_DATA_HOME=" + t.TempDir()} } // no History from other runs

	// A first run: no key, so the welcome.
	w := startApp(t, freshData())
	w.waitLog(`msg="welcome shown"`)
	placeWindow(w)
	time.Sleep(time.Second) // the dialog laid out at the new size
	welcome := grabWindow(t, w.win)
	checkPicture(t, "welcome", welcome)
	savePNG(t, filepath.Join(dir, "welcome.png"), welcome)
	stopApp(w)

	// The demo, sharing the screen, in front of a desktop with two documents open.
	paintDesk := openDesk(t)
	paintDesk()
	a := startApp(t, freshData(), "--demo", "--share", "screen:0")
	a.waitLog("msg=state state=live")
	a.waitLog("msg=share kind=1")
	placeWindow(a)
	paintDesk() // what the window uncovered as it moved

	// Two questions typed into the text box (Enter sends); the demo answers each out loud, and
	// points at the middle of the screen for the second (the transcript marks it).
	answer := regexp.MustCompile(`msg=turn role=gemini chars=(\d+)`)
	a.xdotool("mousemove", "--window", a.win, "300", strconv.Itoa(shotSize.Y-80), "click", "1")
	turns := 0
	for _, q := range questions {
		a.typeSlowly(q.text)
		a.xdotool("key", "--window", a.win, "Return")
		first := turns
		turns += q.answers
		a.waitFor(fmt.Sprintf("the demo's answer to %q", q.text), func() bool { return len(answer.FindAllString(a.log.String(), -1)) >= turns })
		got := answer.FindAllStringSubmatch(a.log.String(), -1)[first][1]
		if n, _ := strconv.Atoi(got); q.echoed && n < len("You said: "+q.text) {
			t.Errorf("the answer to %q has %d characters, want the demo's echo of it (%d or more)", q.text, n, len("You said: "+q.text))
		}
	}
	a.xdotool("mousemove", "10", "10") // no hover highlight in the picture
	// The last transcript and meter frames drawn, and the demo's 6 s outline gone (it is drawn
	// over the desktop, across this window).
	time.Sleep(7 * time.Second)
	conv := grabWindow(t, a.win)
	checkPicture(t, "conversation", conv)
	for _, c := range []uint32{chartOrange, chartPurple} {
		if n := countNear(conv, conv.Bounds(), c); n < 20 {
			t.Errorf("conversation: %d pixels of the painted chart's %06x: the preview does not show the shared screen", n, c)
		}
	}
	savePNG(t, filepath.Join(dir, "conversation.png"), conv)

	// Ctrl+Shift+P opens the share picker; its thumbnails show the desktop.
	a.xdotool("key", "--window", a.win, "ctrl+shift+p")
	centre := image.Rect(shotSize.X/4, shotSize.Y/4, shotSize.X*3/4, shotSize.Y*3/4)
	// The thumbnails sit at the picker's leading side, below the toolbar; the preview, which
	// shows the same desktop, is at the right and is left out.
	thumbs := image.Rect(0, shotSize.Y/8, shotSize.X*3/4, shotSize.Y*3/4)
	var picker *image.RGBA
	shown := false
	t.Cleanup(func() { // what the window showed instead, to see why
		if !shown && picker != nil {
			savePNG(t, filepath.Join(dir, "share-picker-failed.png"), picker)
		}
	})
	a.waitFor("the share picker with its thumbnails", func() bool {
		picker = grabWindow(t, a.win)
		return differing(conv, picker, centre) > centre.Dx()*centre.Dy()/5 &&
			countNear(picker, thumbs, chartOrange) >= 10 && countNear(picker, thumbs, chartTeal) >= 10
	})
	shown = true
	time.Sleep(2 * time.Second) // every thumbnail in (they come together, every 1.5 s)
	picker = grabWindow(t, a.win)
	checkPicture(t, "share picker", picker)
	savePNG(t, filepath.Join(dir, "share-picker.png"), picker)
	a.xdotool("key", "--window", a.win, "Escape")
	closed := false
	for range 30 {
		if closed = differing(conv, grabWindow(t, a.win), centre) < centre.Dx()*centre.Dy()/5; closed {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !closed {
		t.Log("note: Escape did not close the share picker within 3 s (it stays open until the app quits)")
	}
	stopApp(a)

	if docs != "" {
		savePNG(t, filepath.Join(docs, "screenshot-conversation.png"), conv)
		savePNG(t, filepath.Join(docs, "screenshot-share-picker.png"), picker)
	}
}

// placeWindow gives the app's window the pictures' size and place (there is no window manager
// under Xvfb: the X server does as told) and waits until it is there.
func placeWindow(a *runningApp) {
	a.t.Helper()
	a.xdotool("windowsize", a.win, strconv.Itoa(shotSize.X), strconv.Itoa(shotSize.Y))
	a.xdotool("windowmove", a.win, strconv.Itoa(shotAt.X), strconv.Itoa(shotAt.Y))
	want := image.Rectangle{Min: shotAt, Max: shotAt.Add(shotSize)}
	a.waitFor(fmt.Sprintf("the window at %v", want), func() bool { return windowRect(a.t, a.win) == want })
	time.Sleep(time.Second) // laid out and drawn at the new size
}

// windowRect is where window id is on the screen, from xdotool.
func windowRect(t *testing.T, id string) image.Rectangle {
	t.Helper()
	out, err := exec.Command("xdotool", "getwindowgeometry", "--shell", id).Output()
	if err != nil {
		t.Fatalf("xdotool getwindowgeometry: %v", err)
	}
	geo := map[string]int{}
	for _, line := range strings.Fields(string(out)) {
		if k, v, ok := strings.Cut(line, "="); ok {
			geo[k], _ = strconv.Atoi(v)
		}
	}
	return image.Rect(geo["X"], geo["Y"], geo["X"]+geo["WIDTH"], geo["Y"]+geo["HEIGHT"])
}

// grabWindow is a picture of window id as it is on the screen now (the app's own window is not
// masked: a bare capture.Screen does not hide it).
func grabWindow(t *testing.T, id string) *image.RGBA {
	t.Helper()
	n, err := strconv.ParseUint(id, 10, 32)
	if err != nil {
		t.Fatalf("window id %q: %v", id, err)
	}
	s, err := capture.NewScreen(capture.ScreenTarget{Window: uint32(n)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := s.Grab(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewRGBA(image.Rectangle{Max: m.Bounds().Size()})
	draw.Draw(out, out.Bounds(), m, m.Bounds().Min, draw.Src)
	return out
}

// checkPicture fails unless m is a picture of the window at the pictures' size with something
// in it: text is drawn antialiased, so a real window has many colours.
func checkPicture(t *testing.T, name string, m *image.RGBA) {
	t.Helper()
	if got := m.Bounds().Size(); got != shotSize {
		t.Errorf("%s: picture is %v, want the window's %v", name, got, shotSize)
	}
	colours := map[[3]uint8]bool{}
	for i := 0; i+3 < len(m.Pix); i += 4 {
		colours[[3]uint8{m.Pix[i], m.Pix[i+1], m.Pix[i+2]}] = true
	}
	if len(colours) < 100 {
		t.Errorf("%s: %d distinct colours, want a drawn window (100 or more)", name, len(colours))
	}
}

// savePNG writes m to path (best compression: the README's copies are committed) and checks
// that it reads back as the same picture.
func savePNG(t *testing.T, path string, m *image.RGBA) {
	t.Helper()
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := png.Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if back.Bounds() != m.Bounds() {
		t.Errorf("%s reads back as %v, want %v", path, back.Bounds(), m.Bounds())
	}
	abs, _ := filepath.Abs(path)
	t.Logf("saved %s (%d KB)", abs, b.Len()/1024)
}

// stopApp quits the app as the desktop does (SIGTERM) and checks it exits at once with 0.
func stopApp(a *runningApp) {
	a.t.Helper()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		a.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) || err != nil {
			a.t.Errorf("app exited with %v after SIGTERM; log:\n%s", err, a.log)
		}
	case <-time.After(10 * time.Second):
		_ = a.cmd.Process.Kill()
		<-done
		a.t.Errorf("app did not exit on SIGTERM; log:\n%s", a.log)
	}
}

// countNear counts the pixels of m in r within a JPEG's error of rgb (0xRRGGBB).
func countNear(m *image.RGBA, r image.Rectangle, rgb uint32) int {
	want := [3]int{int(rgb >> 16 & 0xff), int(rgb >> 8 & 0xff), int(rgb & 0xff)}
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := m.Pix[m.PixOffset(x, y):]
			near := true
			for i, v := range want {
				if d := int(p[i]) - v; d < -30 || d > 30 {
					near = false
				}
			}
			if near {
				n++
			}
		}
	}
	return n
}

// differing counts the pixels of r that differ between a and b.
func differing(a, b *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !bytes.Equal(a.Pix[a.PixOffset(x, y):][:3], b.Pix[b.PixOffset(x, y):][:3]) {
				n++
			}
		}
	}
	return n
}

// openDesk puts a desktop on the screen behind the app: a wallpaper, a report open in a word
// processor on the left and a sales dashboard in a browser at the top right, both listed as
// the window manager would list them, so the share picker offers them as windows. It returns
// paint, which draws their content: Xvfb keeps no backing store, so what a window moving away
// uncovers comes back blank until painted again.
func openDesk(t *testing.T) (paint func()) {
	t.Helper()
	open := func(r image.Rectangle, bg uint32) *xwin.Window {
		w, err := xwin.Open(r, bg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Close)
		return w
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wall := open(image.Rect(0, 0, 1920, 1080), 0x1e3c72)
	report := open(image.Rect(40, 40, 700, 1040), 0xffffff)
	must(report.SetTitle("Q3 report.odt — Writer"))
	must(report.SetIcon(32, 0xff2a7ae2))
	dash := open(image.Rect(730, 30, 1890, 560), 0xf5f6fa)
	must(dash.SetTitle("Sales dashboard — Browser"))
	must(dash.SetIcon(32, 0xffe67e22))
	must(xwin.SetClientList(report, dash))
	t.Cleanup(func() { _ = xwin.SetClientList() })

	// The wallpaper: a vertical gradient from deep to lighter blue.
	m := image.NewRGBA(image.Rect(0, 0, 1920, 1080))
	for y := range 1080 {
		c := color.RGBA{uint8(0x1e + (0x3a-0x1e)*y/1080), uint8(0x3c + (0x6a-0x3c)*y/1080), uint8(0x72 + (0xa8-0x72)*y/1080), 0xff}
		draw.Draw(m, image.Rect(0, y, 1920, y+1), image.NewUniform(c), image.Point{}, draw.Src)
	}
	fill := func(w *xwin.Window, x, y, dx, dy int, rgb uint32) { must(w.Fill(image.Rect(x, y, x+dx, y+dy), rgb)) }
	return func() {
		must(wall.Put(m))
		fill(report, 0, 0, 660, 34, 0x2b2b2b)   // title bar
		fill(report, 620, 11, 12, 12, 0xe74c3c) // close
		fill(report, 600, 11, 12, 12, 0x7f8c8d)
		fill(report, 0, 34, 660, 40, 0xe9ecef) // toolbar
		for x := 12; x < 400; x += 34 {
			fill(report, x, 44, 22, 20, 0xadb5bd)
		}
		fill(report, 0, 74, 660, 926, 0xdee2e6)  // around the page
		fill(report, 30, 90, 600, 900, 0xffffff) // the page
		fill(report, 70, 125, 330, 28, 0x1f4e79) // title
		fill(report, 70, 168, 210, 12, 0x7f8c8d) // subtitle
		// A paragraph: n lines of text, the last one short.
		line := func(y, n int) {
			for i := range n {
				w := 440 + (i*137)%80
				if i == n-1 {
					w -= 200
				}
				fill(report, 70, y+i*20, w, 9, 0x555555)
			}
		}
		line(205, 6)
		// A bar chart: four quarters, two series.
		fill(report, 70, 345, 500, 2, 0x888888) // the axes
		fill(report, 70, 145, 2, 200, 0x888888)
		for i, h := range []int{90, 120, 150, 185} {
			x := 100 + i*115
			fill(report, x, 345-h, 40, h, chartOrange)
			fill(report, x+44, 345-h*2/3, 40, h*2/3, chartPurple)
		}
		line(375, 5)
		// A table with a coloured header.
		fill(report, 70, 490, 500, 26, chartTeal)
		for r := range 5 {
			c := uint32(0xf4f6f7)
			if r%2 == 1 {
				c = 0xffffff
			}
			fill(report, 70, 516+r*26, 500, 26, c)
			for col := range 3 {
				fill(report, 82+col*165, 525+r*26, 70+(r*31+col*47)%60, 8, 0x555555)
			}
		}
		line(665, 8)
		fill(report, 70, 840, 500, 120, 0xeaf5ea) // a highlighted note
		fill(report, 70, 840, 6, 120, chartGreen)
		line(860, 4)

		fill(dash, 0, 0, 1160, 34, 0x2b2b2b)
		fill(dash, 1120, 11, 12, 12, 0xe74c3c)
		fill(dash, 10, 6, 220, 28, 0x3c3f41) // a tab
		fill(dash, 24, 17, 150, 8, 0xbdc3c7)
		fill(dash, 0, 34, 1160, 40, 0x3c3f41) // the address bar
		fill(dash, 60, 41, 700, 26, 0xffffff)
		fill(dash, 74, 50, 260, 8, 0x95a5a6)
		for i, c := range []uint32{chartOrange, chartPurple, chartGreen, chartTeal} {
			x := 24 + i*282
			fill(dash, x, 94, 262, 120, 0xffffff)
			fill(dash, x, 94, 262, 6, c)
			fill(dash, x+18, 118, 110, 9, 0x95a5a6)
			fill(dash, x+18, 144, 150+(i*53)%70, 28, 0x2c3e50)
			fill(dash, x+18, 186, 80, 9, c)
		}
		fill(dash, 24, 234, 1110, 300, 0xffffff) // a chart under the cards
		for i := range 36 {
			h := 60 + (i*47)%130 + i*3
			fill(dash, 50+i*30, 510-h, 18, h, chartTeal)
		}
	}
}
