package main

import (
	"context"
	"image"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/livedesk/livedesk/internal/xwin"
	"github.com/livedesk/livedesk/live/livetest"
	"github.com/livedesk/livedesk/settings"
)

// TestGlobalPushToTalkReachesServer runs the app with push-to-talk (automatic voice detection
// off), gives the focus to another X client, and holds the global push-to-talk shortcut
// (Ctrl+Alt+Space) there: the fake server must receive activityStart while it is held and
// activityEnd once it is let go, from the real binary.
func TestGlobalPushToTalkReachesServer(t *testing.T) {
	requireTestEnv(t)
	config := t.TempDir()
	store, err := settings.OpenFileStore(filepath.Join(config, "livedesk", "settings.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := settings.Default()
	cfg.AutoVAD = false
	if err := settings.Save(store, cfg); err != nil {
		t.Fatal(err)
	}
	if err := store.Flush(); err != nil {
		t.Fatal(err)
	}
	other, err := xwin.Open(image.Rect(600, 500, 900, 700), 0x2060a0)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	srv, err := livetest.Start(livetest.Options{APIKey: testKey, Pace: livetest.RealTime})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	a := startApp(t, []string{"GEMINI_API_KEY=" + testKey, "XDG_CONFIG_HOME=" + config}, "--endpoint", srv.URL(), "--connect")
	a.waitLog("msg=state state=live")
	a.waitLog(`msg="global shortcuts" bound=3 failed=0`)
	a.xdotool("windowfocus", "--sync", strconv.Itoa(int(other.ID())))
	if out, _ := exec.Command("xdotool", "getwindowfocus").Output(); string(out) == a.win+"\n" {
		t.Fatal("the app still has the focus")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	a.xdotool("keydown", "ctrl+alt+space")
	if _, err := srv.Wait(ctx, func(cs []livetest.ConnInfo) bool { return cs[0].ActivityStarts == 1 }); err != nil {
		a.xdotool("keyup", "ctrl+alt+space")
		t.Fatalf("holding Ctrl+Alt+Space in another application: no activityStart at the server (%v); log:\n%s", err, a.log)
	}
	time.Sleep(600 * time.Millisecond) // talking
	if c := srv.Conns()[0]; c.ActivityEnds != 0 {
		t.Errorf("activityEnd while the shortcut is still held (autorepeat?): %+v", c.ActivityEnds)
	}
	a.xdotool("keyup", "ctrl+alt+space")
	if _, err := srv.Wait(ctx, func(cs []livetest.ConnInfo) bool { return cs[0].ActivityEnds == 1 }); err != nil {
		t.Fatalf("letting go of Ctrl+Alt+Space: no activityEnd at the server (%v); log:\n%s", err, a.log)
	}
	if c := srv.Conns()[0]; c.ActivityStarts != 1 || c.AudioChunks == 0 {
		t.Errorf("one push: %d activityStart, %d audio messages", c.ActivityStarts, c.AudioChunks)
	}
}
