package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/livedesk/livedesk/live/livetest"
)

// TestTalkTyped runs `livedesk talk` on the call core with malgo's null audio backend against
// the fake server: it types, prints the answer as a line, and ends with its summary.
func TestTalkTyped(t *testing.T) {
	srv, err := livetest.Start(livetest.Options{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	code := Talk(t.Context(), []string{"--endpoint", srv.URL(), "--backend", "null", "--text", "hello there", "--duration", "3s"},
		&stdout, &stderr, mapEnv{"GEMINI_API_KEY": testKey})
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d; stderr %s; stdout %s", code, stderr.String(), out)
	}
	for _, want := range []string{"[connecting]", "[live]", "gemini: ", "hello there", "[summary: mic ", "[ended]"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "[connecting]") != 1 {
		t.Errorf("state lines repeat:\n%s", out)
	}
	if c := srv.Conns()[0]; len(c.Texts) != 1 || c.Texts[0] != "hello there" {
		t.Errorf("server got texts %q", c.Texts)
	}
}

func TestTalkErrors(t *testing.T) {
	srv, err := livetest.Start(livetest.Options{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tests := []struct {
		name     string
		args     []string
		env      mapEnv
		wantCode int
		want     string
	}{
		{"no key", []string{"--backend", "null"}, mapEnv{}, 1, "no API key"},
		{"screen and camera", []string{"--screen", "0", "--camera", "first"}, mapEnv{"GEMINI_API_KEY": testKey}, 2, "not both"},
		{"bad screen", []string{"--screen", "x"}, mapEnv{"GEMINI_API_KEY": testKey}, 2, "display must be a number"},
		{"bad setting", []string{"--fps", "9"}, mapEnv{"GEMINI_API_KEY": testKey}, 2, "FPS"},
		{"wrong key", []string{"--endpoint", srv.URL(), "--backend", "null", "--duration", "10s"}, mapEnv{"GEMINI_API_KEY": "wrong-key-123"}, 1, "403"},
		{"help", []string{"--help"}, mapEnv{}, 0, "-duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Talk(t.Context(), tt.args, &stdout, &stderr, tt.env)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr.String(), tt.wantCode, tt.want)
			}
			if strings.Contains(stdout.String()+stderr.String(), testKey) || strings.Contains(stdout.String()+stderr.String(), "wrong-key-123") {
				t.Error("output contains the API key")
			}
		})
	}
}
