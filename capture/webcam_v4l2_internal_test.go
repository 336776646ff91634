//go:build linux

package capture

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListCameras(t *testing.T) {
	sys := t.TempDir()
	for name, label := range map[string]string{
		"video0":  "Integrated Camera: Integrated C\n",
		"video1":  "Integrated Camera: Integrated C\n", // UVC metadata node
		"video10": "USB Webcam\n",
		"video2":  "\n",
	} {
		if err := os.MkdirAll(filepath.Join(sys, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sys, name, "name"), []byte(label), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	probe := func(path string) (string, bool) {
		switch filepath.Base(path) {
		case "video1":
			return "", false // not a capture device
		case "video10":
			return "HD Pro Webcam C920", true // the driver's card name wins
		}
		return "", true
	}
	got, err := listCameras(sys, "/dev", probe)
	if err != nil {
		t.Fatal(err)
	}
	want := []Camera{
		{Path: "/dev/video0", Name: "Integrated Camera: Integrated C"},
		{Path: "/dev/video2", Name: "video2"},
		{Path: "/dev/video10", Name: "HD Pro Webcam C920"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listCameras (-want +got):\n%s", diff)
	}

	// No sysfs and no device nodes: an empty list, not an error.
	got, err = listCameras(filepath.Join(sys, "missing"), t.TempDir(), probe)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("listCameras with no devices = %#v, %v; want empty list, nil", got, err)
	}
}
