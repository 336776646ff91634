package capture_test

import (
	"context"
	"fmt"
	"image"
	"image/color"

	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/capture/capturetest"
)

// A pipeline turns a source into paced JPEG frames; the consumer takes them
// with Next. In the app the source is capture.NewScreen or
// capture.OpenWebcam.
func ExamplePipeline() {
	src := capturetest.NewSource(image.Pt(1920, 1080), color.RGBA{30, 60, 90, 255})
	p := capture.NewPipeline(src, capture.DefaultOptions(), nil)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	f, err := p.Next(ctx)
	cancel() // stops Run
	if runErr := <-done; runErr != nil {
		fmt.Println(runErr)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("frame %d: %dx%d JPEG\n", f.Seq, f.Width, f.Height)
	// Output: frame 1: 1024x576 JPEG
}
