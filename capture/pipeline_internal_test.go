package capture

import (
	"context"
	"image"
	"testing"
)

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

// A frame that is not sent costs no allocation: the thumbnail and the
// comparison reuse their buffers.
func TestPipelineSkipDoesNotAllocate(t *testing.T) {
	base, caret, _ := caretAndScroll(image.Pt(1920, 1080))
	for _, tt := range []struct {
		name   string
		frames []image.Image
	}{
		{"static screen", []image.Image{base}},
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
