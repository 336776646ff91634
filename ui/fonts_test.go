package ui

import (
	"strings"
	"testing"

	"github.com/livedesk/livedesk/call"
)

// TestEverySupportedScriptHasAFont checks that the machine has a font for every script the
// app promises (its translations and speech languages): scripts/install-deps.sh must install
// them, so this fails on a machine set up by hand without them, and says what to install.
func TestEverySupportedScriptHasAFont(t *testing.T) {
	for _, s := range scripts {
		family, err := fontFor(s.Sample)
		if err != nil {
			t.Fatal(err)
		}
		if family == "" {
			t.Errorf("%s (%c): no installed font draws it; scripts/install-deps.sh run installs %s", s.Name, s.Sample, s.Package)
			continue
		}
		t.Logf("%s (%c): %s", s.Name, s.Sample, family)
	}
}

func TestMissingFontsNotice(t *testing.T) {
	if got := missingFontsNotice(nil); got != "" {
		t.Errorf("nothing missing: notice %q", got)
	}
	got := missingFontsNotice([]script{scripts[0], scripts[1], scripts[3]})
	for _, want := range []string{"Chinese, Japanese, Arabic", "fonts-noto-cjk fonts-noto-core", "sudo apt install"} {
		if !strings.Contains(got, want) {
			t.Errorf("notice %q does not contain %q", got, want)
		}
	}
}

// TestNoticeBar checks the window shows a notice once in its bar, and that closing it hides it.
func TestNoticeBar(t *testing.T) {
	w, loop := newTestWindow(t, Options{})
	go w.Run(t.Context())
	if !w.noticeBar.Hidden {
		t.Fatal("notice bar shown before any notice")
	}
	text := missingFontsNotice([]script{scripts[0]})
	w.Bridge().Post(call.NoticeEvent{Text: text})
	loop.until(t, "the notice", func() bool { return !w.noticeBar.Hidden })
	if w.noticeText.Text != text {
		t.Errorf("notice bar says %q, want %q", w.noticeText.Text, text)
	}
	if !strings.Contains(strings.Join(w.diag, "\n"), "fonts-noto-cjk") {
		t.Errorf("diagnostics do not mention the notice: %q", w.diag)
	}
}

// goldenFontsPresent fails a golden test early, with the reason, when the fonts the golden
// files were made with are not the ones this machine draws CJK with.
func goldenFontsPresent(t *testing.T) {
	t.Helper()
	family, err := fontFor('这')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(strings.ReplaceAll(strings.ToLower(family), " ", ""), "notosanscjk") {
		t.Fatalf("the golden files were made with Noto Sans CJK for Chinese; this machine uses %q: run scripts/install-deps.sh test (fonts-noto-cjk)", family)
	}
}
