package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// inputEntry is the text box: Enter sends, Shift+Enter starts a new line, and the window's
// shortcuts keep working while it has the focus (Fyne gives a focused entry every shortcut).
type inputEntry struct {
	widget.Entry
	shift    bool
	onSend   func()
	shortcut func(fyne.Shortcut) bool // the window's shortcuts; true if handled
}

func newInputEntry(onSend func(), shortcut func(fyne.Shortcut) bool) *inputEntry {
	e := &inputEntry{onSend: onSend, shortcut: shortcut}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.ExtendBaseWidget(e)
	return e
}

// KeyDown tracks Shift (desktop only).
func (e *inputEntry) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(k)
}

// KeyUp tracks Shift (desktop only).
func (e *inputEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

// TypedKey sends on Enter; Shift+Enter reaches the entry, which inserts a new line.
func (e *inputEntry) TypedKey(k *fyne.KeyEvent) {
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !e.shift {
		e.onSend()
		return
	}
	e.Entry.TypedKey(k)
}

// TypedShortcut offers the shortcut to the window first.
func (e *inputEntry) TypedShortcut(s fyne.Shortcut) {
	if e.shortcut != nil && e.shortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}
