package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/livedesk/livedesk/journal"
)

func writeConversation(t *testing.T, dir string) {
	t.Helper()
	w, err := journal.Create(dir, journal.Header{Started: testNow, Model: "gemini-3.8-live"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []journal.Entry{
		{At: testNow, Role: journal.RoleUser, Text: "what is on my screen?", Final: true},
		{At: testNow.Add(time.Second), Role: journal.RoleModel, Text: "A terminal "},
		{At: testNow.Add(2 * time.Second), Role: journal.RoleModel, Text: "with a build log.", Final: true},
	} {
		w.Add(e)
	}
	w.Close()
}

// TestHistoryReopensAndExports: a past conversation is listed, reads back as it was said, and
// exports to a file that replaces the old one whole.
func TestHistoryReopensAndExports(t *testing.T) {
	dir := t.TempDir()
	writeConversation(t, dir)
	w, _ := newTestWindow(t, Options{HistoryDir: dir})
	w.ShowHistory()
	if w.history == nil {
		t.Fatal("the history list did not open")
	}
	list, err := journal.List(dir)
	if err != nil || len(list) != 1 {
		t.Fatalf("%d conversations, %v", len(list), err)
	}
	turns := turnsOf(list[0])
	if len(turns) != 2 || turns[1].Text != "A terminal with a build log." || !turns[1].Final {
		t.Fatalf("turns = %+v", turns)
	}
	if line := historyLine(list[0], turns); !strings.Contains(line, "2 turns") || !strings.Contains(line, "what is on my screen?") {
		t.Errorf("history line %q", line)
	}
	win := w.OpenConversation(list[0])
	defer win.Close()
	if !strings.Contains(richText(win.Content()), "with a build log") {
		t.Error("the opened conversation does not show its words")
	}
	out := filepath.Join(t.TempDir(), "export.md")
	os.WriteFile(out, []byte("an older export"), 0o644)
	wc, err := storage.Writer(storage.NewFileURI(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := saveTurns(wc, turns, testNow, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "A terminal with a build log.") || strings.Contains(string(b), "older") {
		t.Errorf("export = %q", b)
	}
}

// richText collects the text of every RichText in o.
func richText(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.RichText:
			b.WriteString(x.String())
		case *container.Scroll:
			walk(x.Content)
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return b.String()
}
