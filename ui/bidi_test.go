package ui

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"golang.org/x/text/unicode/bidi"

	"github.com/livedesk/livedesk/call"
)

// TestVisualOrder: labels of a right-to-left UI written out in the order Fyne must lay their
// runs from left to right (each Arabic stretch still in logical order: Fyne shapes it).
func TestVisualOrder(t *testing.T) {
	tests := []struct{ in, want string }{
		// The display picker: the Arabic word at the right, the size whole at the left.
		{"الشاشة 1 \u2066(1920×1080)\u2069", "(1920×1080) 1 الشاشة"},
		// Without the isolate the algorithm itself reverses the numbers around ×.
		{"الشاشة 1 (1920×1080)", "(1080×1920) 1 الشاشة"},
		// The region placeholder: parentheses around Arabic mirror into place.
		{"المنطقة x,y,w,h (اختياري)", "(اختياري) x,y,w,h المنطقة"},
		// A window title in Latin script after an Arabic prefix.
		{"نافذة: \u2068Firefox — Mozilla\u2069", "Firefox — Mozilla :نافذة"},
		// A shortcut hint.
		{"كتم \u2066(Ctrl+M)\u2069", "(Ctrl+M) كتم"},
		// The status bar: Arabic, a model name and a count.
		{"مباشر  ·  gemini-2.5-flash  ·  \u2066120\u2069 رمز", "رمز 120  ·  gemini-2.5-flash  ·  مباشر"},
		// Only Arabic: unchanged; only Latin: unchanged (isolates dropped).
		{"إعدادات", "إعدادات"},
		{"Screen 1 \u2066(1920×1080)\u2069", "Screen 1 (1920×1080)"},
		{"", ""},
	}
	for _, tt := range tests {
		got := visualOrder(tt.in)
		if g := strings.ReplaceAll(got, lrm, ""); g != tt.want {
			t.Errorf("visualOrder(%q)\n got %q\nwant %q", tt.in, g, tt.want)
		}
		// What Fyne does with it (go-text's segmenter: the algorithm again, paragraph
		// direction from the first strong letter, runs drawn in written order): the only
		// right-to-left runs must be the Arabic stretches, without neutral edges.
		var p bidi.Paragraph
		if _, err := p.SetString(got, bidi.DefaultDirection(bidi.LeftToRight)); err != nil {
			t.Fatal(err)
		}
		o, err := p.Order()
		if err != nil {
			t.Fatal(err)
		}
		for i := range o.NumRuns() {
			r := o.Run(i)
			if r.Direction() != bidi.RightToLeft {
				continue
			}
			text := []rune(r.String())
			if !isRTL(text[0]) || !isRTL(text[len(text)-1]) {
				t.Errorf("visualOrder(%q) = %q: Fyne would draw the right-to-left run %q, edges included", tt.in, got, r.String())
			}
		}
	}
}

// TestGoldenMarkupArabic renders the main window and the share picker in Arabic (a child test
// process started with LANG=ar_EG.UTF-8: Fyne reads the locale once) and compares them with
// golden markup: the display picker, the placeholders, the status bar, a transcript header and
// the picker's cards hold their runs in right-to-left visual order.
func TestGoldenMarkupArabic(t *testing.T) {
	if os.Getenv("LIVEDESK_UI_ARABIC_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGoldenMarkupArabic$", "-test.v")
		cmd.Env = append(os.Environ(), "LIVEDESK_UI_ARABIC_CHILD=1", "LANG=ar_EG.UTF-8", "LC_ALL=ar_EG.UTF-8", "LANGUAGE=ar")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestGoldenMarkupArabic") {
			t.Fatalf("the Arabic child test failed (%v):\n%s", err, out)
		}
		return
	}
	goldenFontsPresent(t)
	if err := LoadTranslations(); err != nil {
		t.Fatal(err)
	}
	if !rtl() {
		t.Fatalf("LANG=%s gives locale %s: not right to left", os.Getenv("LANG"), lang.SystemLocale())
	}
	var w *Window
	conv := &fakeCall{br: func() *Bridge { return w.Bridge() }, script: conversationScript()}
	w, loop := newTestWindow(t, Options{Call: conv, Devices: &pickerDevices{grabs: map[call.Share]int{}}})
	go w.Run(t.Context())
	w.SetShare(call.Share{Kind: call.ShareScreen})
	w.Connect()
	loop.until(t, "transcript", func() bool { return len(w.tr.turns) == 2 && w.tr.turns[1].Final && w.preview.Image != nil })
	if want := "(1920×1080) 1 " + lrm + "الشاشة" + lrm; w.displaySel.Selected != want {
		t.Errorf("display picker shows %q, want %q", w.displaySel.Selected, want)
	}
	test.AssertRendersToMarkup(t, "main_window_ar.xml", w.win.Canvas())

	w.ShowSharePicker()
	loop.until(t, "the thumbnails", func() bool {
		for _, c := range w.pickerCards {
			if c.img.Image == nil && (!c.note.Visible() || c.note.Text == lang.L("Loading…")) {
				return false
			}
		}
		return true
	})
	test.AssertRendersToMarkup(t, "share_picker_ar.xml", w.win.Canvas())
}
