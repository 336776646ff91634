package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/livedesk/livedesk/call"
	"github.com/livedesk/livedesk/journal"
)

// turnsOf rebuilds a journaled conversation's turns with the window's own merging, so a
// conversation reads back exactly as it was shown.
func turnsOf(c *journal.Conversation) []Turn {
	var tr transcript
	for _, e := range c.Entries {
		if len(e.Sources) > 0 {
			links := make([]call.Link, 0, len(e.Sources))
			for _, s := range e.Sources {
				links = append(links, call.Link{Title: s.Title, URL: s.URL})
			}
			tr.ground(links, e.At)
			continue
		}
		if e.Note != "" {
			tr.note(e.Note, e.At)
			continue
		}
		role := call.RoleUser
		if e.Role == journal.RoleModel {
			role = call.RoleModel
		}
		tr.apply(call.TranscriptEvent{Role: role, Text: e.Text, Final: e.Final, Interrupted: e.Interrupted, At: e.At}, e.At)
	}
	return tr.turns
}

// historyLine describes a past conversation in the list.
func historyLine(c *journal.Conversation, turns []Turn) string {
	var d time.Duration
	if n := len(c.Entries); n > 0 {
		d = c.Entries[n-1].At.Sub(c.Header.Started).Round(time.Minute)
	}
	return fmt.Sprintf("%s · %s · %s", c.Header.Started.Local().Format("2006-01-02 15:04"),
		lang.L("{{.N}} turns, {{.Min}} min", map[string]any{"N": len(turns), "Min": int(d.Minutes())}), c.Title())
}

// ShowHistory lists the past conversations, newest first; picking one opens it.
func (w *Window) ShowHistory() {
	convs, err := journal.List(w.opts.HistoryDir)
	if err != nil {
		dialog.ShowError(err, w.win)
		return
	}
	if len(convs) == 0 {
		dialog.ShowInformation(lang.L("Past conversations"), lang.L("No conversations yet: they are kept here as they happen."), w.win)
		return
	}
	lines := make([]string, len(convs))
	for i, c := range convs {
		lines[i] = historyLine(c, turnsOf(c))
	}
	var d dialog.Dialog
	list := widget.NewList(
		func() int { return len(lines) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(lines[i]) },
	)
	list.OnSelected = func(i widget.ListItemID) {
		d.Hide()
		w.OpenConversation(convs[i])
	}
	d = dialog.NewCustom(lang.L("Past conversations"), lang.L("Close"), container.NewGridWrap(fyne.NewSize(640, 360), list), w.win)
	d.Show()
	w.history = d
}

// OpenConversation shows a past conversation in a window of its own, with export and delete.
func (w *Window) OpenConversation(c *journal.Conversation) fyne.Window {
	turns := turnsOf(c)
	win := w.app.NewWindow(lang.L("Conversation of {{.When}}", map[string]any{"When": c.Header.Started.Local().Format("2006-01-02 15:04")}))
	body := widget.NewRichTextFromMarkdown(Markdown(turns, c.Header.Started))
	body.Wrapping = fyne.TextWrapWord
	note := widget.NewLabel("")
	if c.Torn {
		note.SetText(lang.L("The app stopped while this conversation was being written: the last words may be missing."))
	}
	export := widget.NewButtonWithIcon(lang.L("Export"), theme.DocumentSaveIcon(), func() { w.showExportOf(turns, c.Header.Started, win) })
	del := widget.NewButtonWithIcon(lang.L("Delete"), theme.DeleteIcon(), func() {
		dialog.ShowConfirm(lang.L("Delete this conversation?"), lang.L("It is removed from this computer."), func(ok bool) {
			if !ok {
				return
			}
			if err := journal.Remove(c.Path); err != nil {
				dialog.ShowError(err, win)
				return
			}
			win.Close()
		}, win)
	})
	win.SetContent(container.NewBorder(note, container.NewHBox(export, del), nil, nil, container.NewVScroll(body)))
	win.Resize(fyne.NewSize(720, 600))
	win.Show()
	return win
}
