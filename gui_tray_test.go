package main

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/livedesk/livedesk/live/livetest"
)

// watcher is a StatusNotifierWatcher, the D-Bus service a desktop's panel runs to show tray
// icons: it records the items that register.
type watcher struct{ items chan string }

func (w *watcher) RegisterStatusNotifierItem(sender dbus.Sender, path string) *dbus.Error {
	w.items <- string(sender)
	return nil
}

// sessionBus starts a private D-Bus session bus for the test and returns its address.
func sessionBus(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Fatalf("LIVEDESK_TESTENV is set but dbus-daemon is missing (scripts/install-deps.sh test): %v", err)
	}
	addr := "unix:path=" + filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--address="+addr, "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(line)
}

// menuItem is one entry of a com.canonical.dbusmenu layout.
type menuItem struct {
	id      int32
	label   string
	enabled bool
	checked bool
}

// trayMenu reads the tray menu an app exports on the bus.
func trayMenu(t *testing.T, conn *dbus.Conn, app string) []menuItem {
	t.Helper()
	var rev uint32
	var layout struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	obj := conn.Object(app, "/StatusNotifierMenu")
	if err := obj.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{}).Store(&rev, &layout); err != nil {
		t.Fatalf("GetLayout: %v", err)
	}
	var items []menuItem
	for _, c := range layout.Children {
		f, ok := c.Value().([]any)
		if !ok || len(f) < 2 {
			continue
		}
		id, _ := f[0].(int32)
		props, _ := f[1].(map[string]dbus.Variant)
		it := menuItem{id: id, enabled: true}
		if v, ok := props["label"]; ok {
			it.label, _ = v.Value().(string)
		}
		if v, ok := props["enabled"]; ok {
			it.enabled, _ = v.Value().(bool)
		}
		if v, ok := props["toggle-state"]; ok {
			s, _ := v.Value().(int32)
			it.checked = s == 1
		}
		if it.label != "" {
			items = append(items, it)
		}
	}
	return items
}

// TestTrayOverDBus runs the app in a desktop session with a tray (a private session bus and a
// StatusNotifierWatcher, as a panel provides) and uses its tray menu the way the panel does,
// over D-Bus: the icon registers, Mute stops the audio the fake server receives, Hide and
// Show unmap and map the window, and Quit ends the app cleanly.
func TestTrayOverDBus(t *testing.T) {
	requireTestEnv(t)
	addr := sessionBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the test bus: %v", err)
	}
	defer conn.Close()
	w := &watcher{items: make(chan string, 4)}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own org.kde.StatusNotifierWatcher: %v %v", reply, err)
	}

	srv, err := livetest.Start(livetest.Options{APIKey: testKey, Pace: livetest.RealTime})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	a := startApp(t, []string{"GEMINI_API_KEY=" + testKey, "DBUS_SESSION_BUS_ADDRESS=" + addr}, "--endpoint", srv.URL(), "--connect")
	var item string
	select {
	case item = <-w.items:
	case <-time.After(30 * time.Second):
		t.Fatalf("the app registered no tray icon; log:\n%s", a.log)
	}
	a.waitLog("msg=state state=live")
	click := func(label string) {
		t.Helper()
		for _, it := range trayMenu(t, conn, item) {
			if it.label == label {
				if !it.enabled {
					t.Fatalf("tray item %q is disabled", label)
				}
				if err := conn.Object(item, "/StatusNotifierMenu").Call("com.canonical.dbusmenu.Event", 0, it.id, "clicked", dbus.MakeVariant(""), uint32(0)).Err; err != nil {
					t.Fatalf("click %q: %v", label, err)
				}
				return
			}
		}
		t.Fatalf("the tray menu has no %q: %+v", label, trayMenu(t, conn, item))
	}
	find := func(label string) (menuItem, bool) {
		for _, it := range trayMenu(t, conn, item) {
			if it.label == label {
				return it, true
			}
		}
		return menuItem{}, false
	}
	chunks := func() int { return srv.Conns()[0].AudioChunks }
	a.waitFor("microphone audio at the server", func() bool { return chunks() > 10 })

	click("Mute microphone")
	a.waitFor("the tray to show Unmute, checked", func() bool { it, ok := find("Unmute microphone"); return ok && it.checked })
	time.Sleep(500 * time.Millisecond) // chunks already on their way
	n := chunks()
	time.Sleep(1500 * time.Millisecond)
	if got := chunks(); got != n {
		t.Errorf("muted from the tray, the server still received %d audio messages in 1.5 s", got-n)
	}
	click("Unmute microphone")
	a.waitFor("audio again after unmuting from the tray", func() bool { return chunks() > n+10 })

	visible := func() bool {
		out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Live Desk$").Output()
		return len(strings.TrimSpace(string(out))) > 0
	}
	click("Hide Live Desk")
	a.waitFor("the window to be unmapped", func() bool { return !visible() })
	click("Show Live Desk")
	a.waitFor("the window to be mapped again", visible)

	done := make(chan error, 1)
	go func() { done <- a.cmd.Wait() }()
	click("Quit")
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after Quit from the tray the app exited with %v; log:\n%s", err, a.log)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("Quit from the tray did not end the app; log:\n%s", a.log)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := srv.Wait(ctx, func(cs []livetest.ConnInfo) bool { return cs[0].Closed }); err != nil {
		t.Errorf("the conversation was not closed: %v", err)
	} else if by := srv.Conns()[0].ClosedBy; by != "client" {
		t.Errorf("the conversation was closed by the %s, want the client", by)
	}
}
