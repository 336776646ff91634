package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestTerminalManners runs the real binary the way a terminal, a container or CI does (LANG=C,
// no display): help exits 0, and nothing prints toolkit noise such as Fyne's "Error parsing
// user locale C".
func TestTerminalManners(t *testing.T) {
	bin := buildBinary(t)
	tests := []struct {
		name     string
		lang     string
		args     []string
		wantCode int
	}{
		{"help", "C.UTF-8", []string{"--help"}, 0},
		{"talk help", "C.UTF-8", []string{"talk", "--help"}, 0},
		{"ask help", "C", []string{"ask", "--help"}, 0},
		{"list devices", "C.UTF-8", []string{"talk", "--list-devices", "--backend", "null"}, 0},
		{"ask nothing", "POSIX", []string{"ask"}, 2},
		{"no locale at all", "", []string{"talk", "--list-devices", "--backend", "null"}, 0},
		{"window without a display", "C.UTF-8", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = append(cleanEnv("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "DISPLAY", "WAYLAND_DISPLAY", "GEMINI_API_KEY", "GOOGLE_API_KEY"), "LANG="+tt.lang)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.wantCode, stderr.String())
			}
			if s := stderr.String(); strings.Contains(s, "Fyne error") || strings.Contains(s, "locale") || strings.Contains(s, "GLFW") {
				t.Errorf("toolkit noise on stderr:\n%s", s)
			}
			if tt.args == nil && !strings.Contains(stderr.String(), "needs a desktop session") {
				t.Errorf("without a display: %q", stderr.String())
			}
		})
	}
}

// cleanEnv is the test's environment without the named variables.
func cleanEnv(drop ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, d := range drop {
			keep = keep && k != d
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}
