package journal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)

func TestWriteReadList(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "conversations")
	w, err := Create(dir, Header{Started: t0, Model: "gemini-3.8-live"})
	if err != nil {
		t.Fatal(err)
	}
	entries := []Entry{
		{At: t0.Add(time.Second), Role: RoleUser, Text: "这是什么", Final: true},
		{At: t0.Add(2 * time.Second), Role: RoleModel, Text: "هذه "},
		{At: t0.Add(3 * time.Second), Role: RoleModel, Text: "شاشة.", Final: true},
		{At: t0.Add(4 * time.Second), Sources: []Source{{Title: "Example", URL: "https://example.com"}}},
	}
	for _, e := range entries {
		if err := w.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(w.Path()); fi.Mode().Perm() != 0o600 {
		t.Errorf("conversation file mode %v, want 0600", fi.Mode().Perm())
	}
	// An empty conversation leaves no file.
	empty, _ := Create(dir, Header{Started: t0.Add(time.Hour)})
	empty.Close()
	list, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("%d conversations, want 1", len(list))
	}
	c := list[0]
	if diff := cmp.Diff(entries, c.Entries); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if c.Header.Model != "gemini-3.8-live" || c.Title() != "这是什么" || c.Torn {
		t.Errorf("header %+v, title %q, torn %v", c.Header, c.Title(), c.Torn)
	}
}

// TestTornLastLine: a crash in the middle of a line (the process was killed while writing)
// loses that line only.
func TestTornLastLine(t *testing.T) {
	dir := t.TempDir()
	w, _ := Create(dir, Header{Started: t0})
	w.Add(Entry{At: t0, Role: RoleUser, Text: "first", Final: true})
	w.Close()
	f, _ := os.OpenFile(w.Path(), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"at":"2026-12-02T09:30:01Z","role":"model","text":"cut of`)
	f.Close()
	c, err := Read(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Entries) != 1 || c.Entries[0].Text != "first" || !c.Torn {
		t.Errorf("entries %+v, torn %v", c.Entries, c.Torn)
	}
}

func TestListSkipsOtherFilesNewestFirst(t *testing.T) {
	dir := t.TempDir()
	for i := range 3 {
		w, _ := Create(dir, Header{Started: t0.Add(time.Duration(i) * time.Hour)})
		w.Add(Entry{At: t0, Role: RoleUser, Text: strings.Repeat("x", i+1), Final: true})
		w.Close()
	}
	os.WriteFile(filepath.Join(dir, "notes.jsonl"), []byte("not a conversation\n"), 0o600)
	list, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Header.Started.Before(list[2].Header.Started) {
		t.Fatalf("list = %d conversations, not newest first", len(list))
	}
	if missing, err := List(filepath.Join(dir, "none")); err != nil || len(missing) != 0 {
		t.Errorf("a missing directory: %v, %v", missing, err)
	}
}
