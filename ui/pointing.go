package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"

	"github.com/livedesk/livedesk/call"
)

// pointColor is the outline of what Gemini points at: the same amber as the outline on the
// desktop, which shows on light and dark pictures.
var pointColor = color.NRGBA{R: 0xff, G: 0xb3, B: 0x00, A: 0xff}

// pointLayer draws the boxes Gemini points at over the preview: a camera's picture is not on
// the screen, and where the desktop cannot be drawn on the preview is the only place left. The
// boxes are fractions of the frame, placed where the preview's contain-fit puts the frame.
type pointLayer struct {
	box    *fyne.Container
	aspect float32 // the frame's width / height; 0 = unknown (the preview's own area is used)
	boxes  []call.PointedBox
}

func newPointLayer() *pointLayer {
	p := &pointLayer{}
	p.box = &fyne.Container{Layout: p}
	return p
}

// show replaces the boxes; nil clears them.
func (p *pointLayer) show(boxes []call.PointedBox, frameW, frameH int) {
	if len(boxes) == 0 && len(p.boxes) == 0 {
		return
	}
	p.boxes = boxes
	p.aspect = 0
	if frameW > 0 && frameH > 0 {
		p.aspect = float32(frameW) / float32(frameH)
	}
	objs := make([]fyne.CanvasObject, 0, 2*len(boxes))
	for _, b := range boxes {
		r := canvas.NewRectangle(color.Transparent)
		r.StrokeColor, r.StrokeWidth = pointColor, 2
		t := canvas.NewText(b.Label, pointColor)
		t.TextSize = theme.CaptionTextSize()
		t.TextStyle = fyne.TextStyle{Bold: true}
		objs = append(objs, r, t)
	}
	p.box.Objects = objs
	p.box.Refresh()
}

// Layout implements fyne.Layout: each box over the frame as the preview shows it.
func (p *pointLayer) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	fw, fh := size.Width, size.Height
	if p.aspect > 0 && fw > 0 && fh > 0 {
		if fw/fh > p.aspect {
			fw = fh * p.aspect
		} else {
			fh = fw / p.aspect
		}
	}
	ox, oy := (size.Width-fw)/2, (size.Height-fh)/2
	for i := 0; i+1 < len(objs) && i/2 < len(p.boxes); i += 2 {
		b := p.boxes[i/2]
		r := objs[i]
		r.Move(fyne.NewPos(ox+float32(b.X0)*fw, oy+float32(b.Y0)*fh))
		r.Resize(fyne.NewSize(float32(b.X1-b.X0)*fw, float32(b.Y1-b.Y0)*fh))
		t := objs[i+1]
		ts := t.MinSize()
		y := oy + float32(b.Y0)*fh - ts.Height
		if y < 0 {
			y = oy + float32(b.Y1)*fh
		}
		t.Move(fyne.NewPos(ox+float32(b.X0)*fw, y))
		t.Resize(ts)
	}
}

// MinSize implements fyne.Layout: the layer takes the preview's size, never adds to it.
func (p *pointLayer) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.Size{} }

// pointedText is the transcript's marker for a pointing.
func pointedText(boxes []call.PointedBox) string {
	return lang.L("Pointed at: {{.What}}", map[string]any{"What": call.PointedWhat(boxes)})
}
