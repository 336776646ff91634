//go:build !(linux || freebsd || openbsd || netbsd)

package ui

// TrayHost reports whether the desktop shows tray icons now: always on Windows and macOS.
func TrayHost() bool { return true }

// SessionBus is true where the tray needs no session bus (Windows, macOS).
func SessionBus() bool { return true }
