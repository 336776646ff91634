package ui

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// levelMeter is a thin level bar: a dim track and a green fill that turns amber near full
// scale. It redraws only when the fill moves by a pixel or more, so a steady or silent level
// costs nothing (a ProgressBar redraws its whole box and text on every value).
type levelMeter struct {
	widget.BaseWidget
	Value float64 // 0..1

	track, fill *canvas.Rectangle
	drawn       float32 // the fill width last laid out
}

// meterHot is the level from which the fill warns that the sound is close to clipping.
const meterHot = 0.9

func newMeter() *levelMeter {
	m := &levelMeter{
		track: canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)),
		fill:  canvas.NewRectangle(theme.Color(theme.ColorNameSuccess)),
	}
	m.track.CornerRadius, m.fill.CornerRadius = 3, 3
	m.ExtendBaseWidget(m)
	return m
}

// SetValue shows v (clamped to 0..1).
func (m *levelMeter) SetValue(v float64) {
	v = min(max(v, 0), 1)
	if math.IsNaN(v) || v == m.Value {
		return
	}
	hot := (v >= meterHot) != (m.Value >= meterHot)
	m.Value = v
	w := m.fillWidth(m.Size().Width)
	if !hot && math.Abs(float64(w-m.drawn)) < 1 {
		return
	}
	m.Refresh()
}

func (m *levelMeter) fillWidth(width float32) float32 { return float32(m.Value) * width }

func (m *levelMeter) fillColor() color.Color {
	if m.Value >= meterHot {
		return theme.Color(theme.ColorNameWarning)
	}
	return theme.Color(theme.ColorNameSuccess)
}

// CreateRenderer implements fyne.Widget.
func (m *levelMeter) CreateRenderer() fyne.WidgetRenderer { return &meterRenderer{m: m} }

type meterRenderer struct{ m *levelMeter }

// meterBar is the bar's height; the widget is as tall as a button so it lines up with the
// toolbar, and the bar sits in its middle.
const meterBar = 8

func (r *meterRenderer) Layout(size fyne.Size) {
	m := r.m
	y := (size.Height - meterBar) / 2
	m.track.Move(fyne.NewPos(0, y))
	m.track.Resize(fyne.NewSize(size.Width, meterBar))
	m.drawn = m.fillWidth(size.Width)
	m.fill.Move(fyne.NewPos(0, y))
	m.fill.Resize(fyne.NewSize(m.drawn, meterBar))
}

func (r *meterRenderer) MinSize() fyne.Size {
	return fyne.NewSize(40, theme.Size(theme.SizeNameInputBorder)*2+theme.TextSize()+2*theme.InnerPadding())
}

func (r *meterRenderer) Refresh() {
	m := r.m
	m.track.FillColor = theme.Color(theme.ColorNameInputBackground)
	m.fill.FillColor = m.fillColor()
	if m.Value == 0 {
		m.fill.Hide()
	} else {
		m.fill.Show()
	}
	r.Layout(m.Size())
	m.track.Refresh()
	m.fill.Refresh()
}

func (r *meterRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.m.track, r.m.fill}
}

func (r *meterRenderer) Destroy() {}
