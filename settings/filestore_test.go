package settings

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sampleConfig() Config {
	c := Default()
	c.Model, c.Voice, c.Language = "gemini-3.1-flash-live-preview", "Puck", "ja-JP"
	c.SystemInstruction = "答えは短く。" + strings.Repeat("x", 4000)
	c.FPS, c.MaxSize, c.Volume, c.PrefixPaddingMs = 0.5, 768, 0.7, 300
	c.LocalTools = []string{"get_current_time"}
	return c
}

func TestFileStoreRoundTripAndMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "livedesk", "settings.json")
	legacy := newMapStore()
	want := sampleConfig()
	Save(legacy, want)
	s, err := OpenFileStore(path, legacy) // first run of this version: settings come along
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, Load(s)); diff != "" {
		t.Errorf("migrated (-want +got):\n%s", diff)
	}
	want.Voice, want.FPS = "Kore", 2
	if err := Save(s, want); err != nil {
		t.Fatal(err)
	}
	again, err := OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, Load(again)); diff != "" {
		t.Errorf("reopened (-want +got):\n%s", diff)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("settings file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestFileStoreDamagedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.json")
	os.WriteFile(path, []byte(`{"model": "gemini`), 0o600)
	s, err := OpenFileStore(path, nil)
	if err == nil || !strings.Contains(err.Error(), "defaults are used") {
		t.Errorf("err = %v, want it to say the defaults are used", err)
	}
	if diff := cmp.Diff(Default(), Load(s)); diff != "" {
		t.Errorf("a damaged file gives (-want +got):\n%s", diff)
	}
	if b, _ := os.ReadFile(path); string(b) != `{"model": "gemini` {
		t.Errorf("opening rewrote the damaged file: %q", b)
	}
}

// TestSaveSurvivesKill kills a process in the middle of saving, again and again: the settings
// file is always the old settings or the new ones, never missing, empty or cut off.
func TestSaveSurvivesKill(t *testing.T) {
	if path := os.Getenv("LIVEDESK_SAVE_LOOP"); path != "" {
		saveLoop(path) // the child: never returns
	}
	path := filepath.Join(t.TempDir(), "settings.json")
	a, b := sampleConfig(), sampleConfig()
	b.Voice, b.SystemInstruction = "Charon", strings.Repeat("y", 30000)
	s, _ := OpenFileStore(path, nil)
	if err := Save(s, a); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSaveSurvivesKill$")
		cmd.Env = append(os.Environ(), "LIVEDESK_SAVE_LOOP="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+i*7) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		got, err := OpenFileStore(path, nil)
		if err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		c := Load(got)
		if c.Voice != a.Voice && c.Voice != b.Voice || (c.Voice == b.Voice) != (c.SystemInstruction == b.SystemInstruction) {
			t.Fatalf("kill %d: settings are neither the old nor the new ones: voice %q", i, c.Voice)
		}
	}
}

// saveLoop alternates two settings as fast as it can until it is killed.
func saveLoop(path string) {
	s, _ := OpenFileStore(path, nil)
	a, b := sampleConfig(), sampleConfig()
	b.Voice, b.SystemInstruction = "Charon", strings.Repeat("y", 30000)
	for i := 0; ; i++ {
		c := a
		if i%2 == 1 {
			c = b
		}
		if err := Save(s, c); err != nil {
			os.Stderr.WriteString("save: " + err.Error() + " " + strconv.Itoa(i) + "\n")
		}
	}
}
