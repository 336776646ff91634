//go:build linux && cgo

package timerslack

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livedesk/livedesk/internal/timerslack/slacktest"
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

// TestSysmonCalms is the effect at the boundary: with the default slack, Go's monitor thread
// wakes far less often while a goroutine keeps entering long system calls (as the audio
// callbacks and GLFW's polling make it do), than with the kernel's usual 50 µs. Each variant runs
// in a child process; the thread with the most voluntary context switches is sysmon.
func TestSysmonCalms(t *testing.T) {
	if os.Getenv("TIMERSLACK_SYSMON_CHILD") != "" {
		sysmonWorkload(t)
		return
	}
	if testing.Short() {
		t.Skip("takes 3 s")
	}
	wakeups := func(slack string) int64 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSysmonCalms$", "-test.v")
		cmd.Env = append(withoutVar(os.Environ(), "LIVEDESK_TIMERSLACK_NS"), "TIMERSLACK_SYSMON_CHILD=1", "LIVEDESK_TIMERSLACK_NS="+slack)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		i := strings.Index(string(out), "busiest=")
		if i < 0 {
			t.Fatalf("child printed no result:\n%s", out)
		}
		var n int64
		if _, err := fmt.Sscanf(string(out[i:]), "busiest=%d", &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	usual, ours := wakeups("50000"), wakeups("")
	t.Logf("busiest thread's wakeups in 1.5 s: %d with 50 µs slack, %d with the default", usual, ours)
	if ours*2 > usual {
		t.Errorf("the default slack should at least halve sysmon's wakeups: %d against %d", ours, usual)
	}
}

// sysmonWorkload has a C thread call into Go every 10 ms for 1.5 s, as the microphone does,
// and prints the most voluntary context switches any thread
// made meanwhile.
func sysmonWorkload(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Like the microphone's path: the callback hands a chunk to a goroutine, which writes it
	// to a socket that another goroutine reads.
	chunks := make(chan struct{}, 4)
	go func() {
		buf := make([]byte, 640)
		for range chunks {
			w.Write(buf)
		}
		w.Close()
	}()
	go io.Copy(io.Discard, r)
	before := switches(t)
	stop, err := slacktest.Callbacks(10*time.Millisecond, func() {
		select {
		case chunks <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	stop()
	close(chunks)
	after := switches(t)
	var busiest int64
	for tid, n := range after {
		busiest = max(busiest, n-before[tid])
	}
	t.Logf("busiest=%d", busiest)
}

// switches reads the voluntary context switches of every thread.
func switches(t *testing.T) map[string]int64 {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/status")
		if err != nil {
			continue // the thread ended
		}
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				out[task.Name()], _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
		}
	}
	return out
}
