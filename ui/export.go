package ui

import (
	"fmt"
	"io"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/livedesk/livedesk/atomicfile"
)

// Export formats.
const (
	FormatMarkdown = "md"
	FormatJSON     = "json"
)

// WriteTranscript writes the transcript in format (FormatMarkdown or FormatJSON) to out.
// Call on the Fyne goroutine.
func (w *Window) WriteTranscript(out io.Writer, format string) error {
	return writeTurns(out, w.tr.turns, w.now(), format)
}

func (w *Window) showExport() { w.showExportOf(w.tr.turns, w.now(), w.win) }

// writeTurns writes turns in format to out.
func writeTurns(out io.Writer, turns []Turn, exported time.Time, format string) error {
	var b []byte
	switch format {
	case FormatJSON:
		var err error
		if b, err = JSON(turns, exported); err != nil {
			return err
		}
	case FormatMarkdown:
		b = []byte(Markdown(turns, exported))
	default:
		return fmt.Errorf("unknown export format %q", format)
	}
	if _, err := out.Write(b); err != nil {
		return fmt.Errorf("writing transcript: %w", err)
	}
	return nil
}

// saveTurns writes an export where the user chose. A local file is written atomically (a
// crash or a full disk leaves the old file or the new one); Fyne's writer has already created
// it, so it is closed first and replaced.
func saveTurns(wc fyne.URIWriteCloser, turns []Turn, exported time.Time, format string) error {
	if wc.URI().Scheme() == "file" {
		if err := wc.Close(); err != nil {
			return err
		}
		return atomicfile.Write(wc.URI().Path(), 0o644, func(out io.Writer) error { return writeTurns(out, turns, exported, format) })
	}
	werr := writeTurns(wc, turns, exported, format)
	if cerr := wc.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

// showExportOf asks for a format and a file and saves turns there.
func (w *Window) showExportOf(turns []Turn, exported time.Time, parent fyne.Window) {
	var d dialog.Dialog
	pick := func(format string) func() {
		return func() {
			d.Hide()
			fd := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
				if err != nil {
					dialog.ShowError(err, parent)
					return
				}
				if wc == nil {
					return // cancelled
				}
				if err := saveTurns(wc, turns, exported, format); err != nil {
					dialog.ShowError(fmt.Errorf("%s: %w", lang.L("Export failed"), err), parent)
					return
				}
				w.appendDiag(w.now(), "transcript saved to "+wc.URI().String())
			}, parent)
			fd.SetFileName("livedesk-" + exported.Format("20060102-150405") + "." + format)
			fd.SetFilter(storage.NewExtensionFileFilter([]string{"." + format}))
			fd.Show()
		}
	}
	content := container.NewVBox(
		widget.NewLabel(lang.L("Save the conversation as")),
		widget.NewButton("Markdown (.md)", pick(FormatMarkdown)),
		widget.NewButton("JSON (.json)", pick(FormatJSON)),
	)
	d = dialog.NewCustom(lang.L("Export transcript"), lang.L("Cancel"), content, parent)
	d.Show()
}
