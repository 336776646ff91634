package ui

import (
	"fmt"
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
)

// Export formats.
const (
	FormatMarkdown = "md"
	FormatJSON     = "json"
)

// WriteTranscript writes the transcript in format (FormatMarkdown or FormatJSON) to out.
// Call on the Fyne goroutine.
func (w *Window) WriteTranscript(out io.Writer, format string) error {
	var b []byte
	switch format {
	case FormatJSON:
		var err error
		if b, err = JSON(w.tr.turns, w.now()); err != nil {
			return err
		}
	case FormatMarkdown:
		b = []byte(Markdown(w.tr.turns, w.now()))
	default:
		return fmt.Errorf("unknown export format %q", format)
	}
	if _, err := out.Write(b); err != nil {
		return fmt.Errorf("writing transcript: %w", err)
	}
	return nil
}

func (w *Window) showExport() {
	var d dialog.Dialog
	pick := func(format string) func() {
		return func() {
			d.Hide()
			fd := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
				if err != nil {
					dialog.ShowError(err, w.win)
					return
				}
				if wc == nil {
					return // cancelled
				}
				werr := w.WriteTranscript(wc, format)
				cerr := wc.Close()
				if werr == nil {
					werr = cerr
				}
				if werr != nil {
					dialog.ShowError(fmt.Errorf("%s: %w", lang.L("Export failed"), werr), w.win)
					return
				}
				w.appendDiag(w.now(), "transcript saved to "+wc.URI().String())
			}, w.win)
			fd.SetFileName("livedesk-" + w.now().Format("20060102-150405") + "." + format)
			fd.SetFilter(storage.NewExtensionFileFilter([]string{"." + format}))
			fd.Show()
		}
	}
	content := container.NewVBox(
		widget.NewLabel(lang.L("Save the conversation as")),
		widget.NewButton("Markdown (.md)", pick(FormatMarkdown)),
		widget.NewButton("JSON (.json)", pick(FormatJSON)),
	)
	d = dialog.NewCustom(lang.L("Export transcript"), lang.L("Cancel"), content, w.win)
	d.Show()
}
