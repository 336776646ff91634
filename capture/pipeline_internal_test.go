package capture

import (
	"context"
	"hash/maphash"
	"image"
	"testing"
)

func TestHashPixels(t *testing.T) {
	seed := maphash.MakeSeed()
	a := randomRGBA(image.Pt(64, 32), 5)
	ha, ok := hashPixels(seed, a)
	if !ok {
		t.Fatal("hashPixels refused an *image.RGBA")
	}
	// The same pixels inside a bigger image (stride != width) hash the same.
	big := image.NewRGBA(image.Rect(0, 0, 80, 40))
	for y := range 32 {
		copy(big.Pix[(y+3)*big.Stride+5*4:], a.Pix[y*a.Stride:(y+1)*a.Stride])
	}
	if hs, _ := hashPixels(seed, big.SubImage(image.Rect(5, 3, 69, 35))); hs != ha {
		t.Error("sub-image with the same pixels hashes differently")
	}
	a.Pix[1000] ^= 1
	if hb, _ := hashPixels(seed, a); hb == ha {
		t.Error("a one-bit change left the hash unchanged")
	}
	if _, ok := hashPixels(seed, image.NewGray(image.Rect(0, 0, 4, 4))); ok {
		t.Error("hashPixels accepted a non-RGBA image")
	}
}

// cycleSource returns its frames in turn.
type cycleSource struct {
	frames []image.Image
	i      int
}

func (s *cycleSource) Grab(context.Context) (image.Image, error) {
	s.i++
	return s.frames[(s.i-1)%len(s.frames)], nil
}

func (*cycleSource) Close() error { return nil }

// A frame that is not sent costs no allocation: the pixel hash, the
// thumbnail and the comparison reuse their buffers.
func TestPipelineSkipDoesNotAllocate(t *testing.T) {
	base, caret, _ := caretAndScroll(image.Pt(1920, 1080))
	for _, tt := range []struct {
		name   string
		frames []image.Image
	}{
		{"static screen (pixel hash)", []image.Image{base}},
		{"blinking caret (change check)", []image.Image{base, caret}},
	} {
		src := &cycleSource{frames: tt.frames}
		p := NewPipeline(src, DefaultOptions(), nil)
		for range 3 { // the first frame is sent; then the buffers are sized
			if err := p.step(t.Context(), false); err != nil {
				t.Fatal(err)
			}
		}
		sent := p.Stats().Sent
		n := testing.AllocsPerRun(10, func() {
			if err := p.step(t.Context(), false); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("%s: a skipped frame allocates %v times, want 0", tt.name, n)
		}
		if got := p.Stats().Sent; got != sent {
			t.Errorf("%s: %d frames sent during the test, want none", tt.name, got-sent)
		}
	}
}
