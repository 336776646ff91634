//go:build linux

package capture

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

func TestTargetRect(t *testing.T) {
	two := []Display{
		{Index: 0, Bounds: image.Rect(0, 0, 1920, 1080), Primary: true},
		{Index: 1, Bounds: image.Rect(1920, 0, 3200, 1024)},
	}
	tests := []struct {
		name    string
		t       ScreenTarget
		want    image.Rectangle
		wantErr error
	}{
		{"first display", ScreenTarget{Display: 0}, image.Rect(0, 0, 1920, 1080), nil},
		{"second display", ScreenTarget{Display: 1}, image.Rect(1920, 0, 3200, 1024), nil},
		{"all side by side", ScreenTarget{Display: AllDisplays}, image.Rect(0, 0, 3200, 1080), nil},
		{"region of second", ScreenTarget{Display: 1, Region: image.Rect(10, 20, 110, 220)}, image.Rect(1930, 20, 2030, 220), nil},
		{"region clipped", ScreenTarget{Display: 0, Region: image.Rect(1800, 1000, 2500, 1500)}, image.Rect(1800, 1000, 1920, 1080), nil},
		{"region of all", ScreenTarget{Display: AllDisplays, Region: image.Rect(1900, 0, 2000, 10)}, image.Rect(1900, 0, 2000, 10), nil},
		{"no such display", ScreenTarget{Display: 2}, image.Rectangle{}, ErrNoSuchDisplay},
		{"negative display", ScreenTarget{Display: -2}, image.Rectangle{}, ErrNoSuchDisplay},
	}
	for _, tt := range tests {
		got, err := targetRect(two, tt.t)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.wantErr)
		}
		if got != tt.want {
			t.Errorf("%s: targetRect = %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, err := targetRect(two, ScreenTarget{Region: image.Rect(5000, 5000, 5100, 5100)}); err == nil {
		t.Errorf("a region outside the display must fail")
	}
}

func TestBGRXToRGBA(t *testing.T) {
	pix := []byte{1, 2, 3, 0, 0xff, 0x80, 0x00, 0x7f, 9, 8, 7, 6} // an odd pixel count
	bgrxToRGBA(pix)
	want := []byte{3, 2, 1, 0xff, 0x00, 0x80, 0xff, 0xff, 7, 8, 9, 0xff}
	if string(pix) != string(want) {
		t.Errorf("bgrxToRGBA = %v, want %v", pix, want)
	}
}

// TestScreenWithoutSHM checks the plain GetImage path (remote X servers)
// against the MIT-SHM path on the test environment's Xvfb, with a
// window of random pixels on top.
func TestScreenWithoutSHM(t *testing.T) {
	if os.Getenv("LIVEDESK_TESTENV") == "" {
		t.Skip("needs a real X server: run under scripts/with-testenv.sh (LIVEDESK_TESTENV unset)")
	}
	grab := func(noSHM bool) []byte {
		disableSHM = noSHM
		defer func() { disableSHM = false }()
		s, err := NewScreen(ScreenTarget{Display: 0, Region: image.Rect(0, 0, 640, 480)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if s.SharedMemory() == noSHM {
			t.Fatalf("SharedMemory() = %v with disableSHM = %v", s.SharedMemory(), noSHM)
		}
		img, err := s.Grab(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return append([]byte(nil), img.(*image.RGBA).Pix...)
	}
	paintNoise(t, image.Rect(0, 0, 640, 480))
	withSHM, without := grab(false), grab(true)
	if !bytes.Equal(withSHM, without) {
		t.Error("GetImage and MIT-SHM captures differ")
	}
	distinct := map[[4]byte]bool{}
	for i := 0; i < len(without); i += 4 {
		distinct[[4]byte(without[i:i+4])] = true
	}
	if len(distinct) < 2 {
		t.Errorf("captured a flat %d-colour image, want the random pixels painted", len(distinct))
	}
}

// paintNoise shows a window of random pixels at r until the test ends.
func paintNoise(t *testing.T, r image.Rectangle) {
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	screen := xproto.Setup(c).DefaultScreen(c)
	wid, err := xproto.NewWindowId(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreateWindowChecked(c, screen.RootDepth, wid, screen.Root,
		int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0,
		xproto.WindowClassInputOutput, screen.RootVisual, xproto.CwOverrideRedirect, []uint32{1}).Check(); err != nil {
		t.Fatal(err)
	}
	if err := xproto.MapWindowChecked(c, wid).Check(); err != nil {
		t.Fatal(err)
	}
	gc, err := xproto.NewGcontextId(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreateGCChecked(c, gc, xproto.Drawable(wid), 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const rows = 32
	data := make([]byte, r.Dx()*rows*4)
	for y := 0; y < r.Dy(); y += rows {
		for i := range data {
			data[i] = uint8(rng.IntN(256))
		}
		if err := xproto.PutImageChecked(c, xproto.ImageFormatZPixmap, xproto.Drawable(wid), gc,
			uint16(r.Dx()), rows, 0, int16(y), 0, screen.RootDepth, data).Check(); err != nil {
			t.Fatalf("put image: %v", err)
		}
	}
}

func TestBlendCursor(t *testing.T) {
	grey := color.RGBA{100, 100, 100, 255}
	dst := image.NewRGBA(image.Rect(0, 0, 4, 3))
	draw.Draw(dst, dst.Rect, image.NewUniform(grey), image.Point{}, draw.Src)
	// A 2×2 cursor: opaque red, transparent, half-transparent white
	// (premultiplied: 0x80 alpha, 0x80 channels), opaque black.
	cursor := []uint32{0xffff0000, 0x00000000, 0x80808080, 0xff000000}
	blendCursor(dst, image.Pt(3, 2), 2, 2, cursor) // only the top-left pixel lands inside
	blendCursor(dst, image.Pt(0, 0), 2, 2, cursor)
	half := uint8(0x80 + (100*0x7f+127)/255)
	want := map[image.Point]color.RGBA{
		{0, 0}: {255, 0, 0, 255},
		{1, 0}: grey,
		{0, 1}: {half, half, half, 255},
		{1, 1}: {0, 0, 0, 255},
		{3, 2}: {255, 0, 0, 255},
		{2, 2}: grey,
	}
	for p, c := range want {
		if got := dst.RGBAAt(p.X, p.Y); got != c {
			t.Errorf("pixel %v = %v, want %v", p, got, c)
		}
	}
	blendCursor(dst, image.Pt(0, 0), 4, 4, cursor) // too little data: ignored
}
