//go:build linux && cgo

package timerslack

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// slackOfMain reads the main thread's current timer slack, which the kernel publishes for the
// thread-group leader only.
func slackOfMain(t *testing.T) time.Duration {
	t.Helper()
	b, err := os.ReadFile("/proc/self/timerslack_ns")
	if err != nil {
		t.Skipf("no timer slack in /proc: %v", err)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(ns)
}

// TestSlack runs this test binary again with each value of the variable and reads what the
// kernel holds for the new process's main thread, which the constructor set before Go started.
func TestSlack(t *testing.T) {
	if os.Getenv("TIMERSLACK_CHILD") != "" {
		got, ok := Applied()
		t.Logf("applied=%d ok=%v kernel=%d", got, ok, slackOfMain(t))
		return
	}
	inherited := slackOfMain(t)
	if v, ok := os.LookupEnv("LIVEDESK_TIMERSLACK_NS"); ok {
		t.Logf("this process runs with LIVEDESK_TIMERSLACK_NS=%q", v)
	}
	tests := []struct {
		env         string // "" leaves the variable unset
		applied     time.Duration
		ok          bool
		kernel      time.Duration
		wantDefault bool // the child keeps the slack it inherited
	}{
		{env: "", applied: time.Millisecond, ok: true, kernel: time.Millisecond},
		{env: "2000000", applied: 2 * time.Millisecond, ok: true, kernel: 2 * time.Millisecond},
		{env: "0", applied: 0, ok: true, wantDefault: true},
		{env: "fast", applied: 0, ok: false, wantDefault: true},
		{env: "-5", applied: 0, ok: false, wantDefault: true},
		{env: "60000000", applied: 0, ok: false, wantDefault: true},
	}
	for _, tc := range tests {
		t.Run("env="+tc.env, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSlack$", "-test.v")
			cmd.Env = append(os.Environ(), "TIMERSLACK_CHILD=1")
			cmd.Env = withoutVar(cmd.Env, "LIVEDESK_TIMERSLACK_NS")
			if tc.env != "" {
				cmd.Env = append(cmd.Env, "LIVEDESK_TIMERSLACK_NS="+tc.env)
			}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			var applied, kernel int64
			var ok bool
			i := strings.Index(string(out), "applied=")
			if i < 0 {
				t.Fatalf("child printed no result:\n%s", out)
			}
			if _, err := fmt.Sscanf(string(out[i:]), "applied=%d ok=%t kernel=%d", &applied, &ok, &kernel); err != nil {
				t.Fatalf("parse %q: %v", out[i:], err)
			}
			if time.Duration(applied) != tc.applied || ok != tc.ok {
				t.Errorf("Applied() = %v, %v; want %v, %v", time.Duration(applied), ok, tc.applied, tc.ok)
			}
			want := tc.kernel
			if tc.wantDefault {
				// The child inherits this process's slack, which the constructor set here too
				// unless this process was started with the variable.
				want = inherited
				if _, set := os.LookupEnv("LIVEDESK_TIMERSLACK_NS"); !set {
					want = time.Millisecond
				}
			}
			if time.Duration(kernel) != want {
				t.Errorf("kernel slack of the child's main thread = %v, want %v", time.Duration(kernel), want)
			}
		})
	}
}

func withoutVar(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
