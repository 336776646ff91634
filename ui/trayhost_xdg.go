//go:build linux || freebsd || openbsd || netbsd

package ui

import (
	"os"
	"path/filepath"

	"github.com/godbus/dbus/v5"
)

// TrayHost reports whether the desktop shows tray icons now: on the freedesktop desktops a
// StatusNotifierWatcher on the session bus (KDE, XFCE, LXQt, Cinnamon, most panels; GNOME
// only with the AppIndicator extension). Without one a window hidden to the tray could not be
// brought back. It never starts a bus (godbus would run dbus-launch for a missing one).
func TrayHost() bool {
	addr := sessionBusAddress()
	if addr == "" {
		return false
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}

// SessionBus reports whether there is a session bus to put a tray icon on at all.
func SessionBus() bool { return sessionBusAddress() != "" }

func sessionBusAddress() string {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		return a
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		if p := filepath.Join(d, "bus"); fileExists(p) {
			return "unix:path=" + p
		}
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
