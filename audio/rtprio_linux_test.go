package audio

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCallbackThreadsRealtime checks, at the operating system, that the player's and the
// microphone's callback threads run at SCHED_FIFO callbackPriority when the process may ask for
// it (root here; RLIMIT_RTPRIO for a user in the audio group), and that without that right the
// devices still work at normal priority.
func TestCallbackThreadsRealtime(t *testing.T) {
	c := pulseContext(t)
	p, err := c.OpenPlayer(PlayerConfig{Device: "Speaker"})
	if err != nil {
		t.Fatalf("OpenPlayer: %v", err)
	}
	defer p.Close()
	m, err := c.OpenMic(MicConfig{Device: "VirtualMic"})
	if err != nil {
		t.Fatalf("OpenMic: %v", err)
	}
	defer m.Close()
	waitFor(t, "callbacks on both devices", 10*time.Second, func() bool {
		return p.Stats().Callbacks > 5 && m.Stats().Callbacks > 5
	})
	allowed := mayUseRealtime()
	fifo := 0
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tasks {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if a, err := unix.SchedGetAttr(tid, 0); err == nil && a.Policy == unix.SCHED_FIFO && a.Priority == callbackPriority {
			fifo++
		}
	}
	ps, ms := p.Stats(), m.Stats()
	t.Logf("allowed %v: player real-time %v, mic real-time %v, %d threads at SCHED_FIFO %d", allowed, ps.Realtime, ms.Realtime, fifo, callbackPriority)
	if allowed && (!ps.Realtime || !ms.Realtime || fifo < 2) {
		t.Errorf("real-time scheduling allowed, but player %v, mic %v, %d threads at SCHED_FIFO %d (want 2)", ps.Realtime, ms.Realtime, fifo, callbackPriority)
	}
	if !allowed && (ps.Realtime || ms.Realtime || fifo != 0) {
		t.Errorf("real-time scheduling not allowed, yet reported: player %v, mic %v, %d threads", ps.Realtime, ms.Realtime, fifo)
	}
}

// mayUseRealtime asks for SCHED_FIFO on a thread of its own and gives it back: whether this
// process has the right (root with CAP_SYS_NICE, or RLIMIT_RTPRIO).
func mayUseRealtime() bool {
	ok := make(chan bool)
	go func() {
		runtime.LockOSThread() // the thread exits with the goroutine, priority and all
		ok <- unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_FIFO, Priority: callbackPriority}, 0) == nil
	}()
	return <-ok
}
