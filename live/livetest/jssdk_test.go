package livetest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJSSDKFidelity runs jssdk/fidelity.mjs, which drives the official JS SDK
// (@google/genai 3.1.0) through a full audio turn, a tool call, a resumption
// and a barge-in against this fake. CI runs `npm ci --prefix live/livetest/jssdk` first.
func TestJSSDKFidelity(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Node")
	}
	inTestEnv := os.Getenv("LIVEDESK_TESTENV") != ""
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("jssdk", "node_modules", "@google", "genai", "package.json"))
	}
	if err != nil {
		if inTestEnv {
			t.Fatalf("LIVEDESK_TESTENV is set but the JS SDK cannot run (%v): install Node and run `npm ci --prefix live/livetest/jssdk`", err)
		}
		t.Skipf("JS SDK not installed (%v); run `npm ci --prefix live/livetest/jssdk`", err)
	}

	// The script's barge-in needs a long reply that is still playing when its
	// speech arrives: pace 10 plays ~27 s of story in ~2.7 s.
	story := func(t Turn) Reply {
		if strings.Contains(t.Text, "long story") {
			return Reply{Text: strings.Repeat("Once upon a time there was a fake server. ", 10)}
		}
		return DefaultResponder(t)
	}
	tests := []struct {
		name     string
		opt      Options
		wantPass bool
	}{
		{"binary pretty frames", Options{APIKey: "test-key", Responder: story, Pace: 10}, true},
		{"text compact frames", Options{APIKey: "test-key", Responder: story, Pace: 10, TextFrames: true, Compact: true}, true},
		// The oracle must be able to fail: a fake that answers wrongly is caught.
		{"wrong answers are caught", Options{APIKey: "test-key", Responder: func(Turn) Reply { return Reply{Text: "Something else."} }}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runFidelity(t, node, tt.opt, tt.wantPass)
		})
	}
}

func runFidelity(t *testing.T, node string, opt Options, wantPass bool) {
	s := start(t, opt)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "fidelity.mjs", s.HTTPURL())
	cmd.Dir = "jssdk"
	out, err := cmd.CombinedOutput()
	t.Logf("node fidelity.mjs:\n%s", out)
	if !wantPass {
		if err == nil || !strings.Contains(string(out), "FIDELITY MISMATCH") {
			t.Fatalf("the script did not report the mismatch (err %v)", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("JS SDK fidelity run failed: %v", err)
	}
	if !strings.Contains(string(out), "PASS") {
		t.Fatalf("no PASS line")
	}
	cs := s.Conns()
	if len(cs) < 4 {
		t.Fatalf("the JS SDK opened %d connections, want at least 4", len(cs))
	}
	for _, c := range cs {
		if !strings.HasPrefix(c.Path, "//ws/") || c.Version != "v1" || c.Credential != CredKeyQuery {
			t.Errorf("conn %d: path %q version %q credential %q; want the JS SDK's //ws/…v1…?key=", c.ID, c.Path, c.Version, c.Credential)
		}
	}
}
