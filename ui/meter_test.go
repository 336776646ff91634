package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// TestLevelMeter: the fill is the level's share of the width, hidden at silence, amber near
// full scale; a change of less than a pixel leaves the drawing as it was.
func TestLevelMeter(t *testing.T) {
	test.NewTempApp(t)
	m := newMeter()
	w := test.NewWindow(m)
	defer w.Close()
	m.Resize(fyne.NewSize(100, 36))
	tests := []struct {
		v       float64
		width   float32
		visible bool
		hot     bool
	}{
		{0.4, 40, true, false},
		{0.404, 40, true, false}, // under a pixel: not redrawn
		{0.95, 95, true, true},
		{2, 100, true, true}, // clamped
		{0, 0, false, false},
	}
	for _, tt := range tests {
		m.SetValue(tt.v)
		if got := m.fill.Size().Width; got != tt.width {
			t.Errorf("SetValue(%v): fill %v px wide, want %v", tt.v, got, tt.width)
		}
		if m.fill.Visible() != tt.visible {
			t.Errorf("SetValue(%v): fill visible = %v", tt.v, m.fill.Visible())
		}
		want := theme.Color(theme.ColorNameSuccess)
		if tt.hot {
			want = theme.Color(theme.ColorNameWarning)
		}
		if tt.visible && m.fill.FillColor != want {
			t.Errorf("SetValue(%v): colour %v, want %v", tt.v, m.fill.FillColor, want)
		}
		if h := m.fill.Size().Height; tt.visible && h != meterBar {
			t.Errorf("bar %v px high, want %v", h, meterBar)
		}
	}
}
