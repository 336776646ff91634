// Package capture turns the screen or a webcam into a slow stream of small
// JPEG frames for the Live API: about one frame per second, downscaled to at
// most 1024 pixels on the longest side, and only when the picture changed.
//
// Sources:
//   - Screen captures one display, all displays side by side, or a region,
//     from an X server (Xorg, XWayland, Xvfb). It keeps one X connection and
//     one MIT-SHM segment, so a 1080p grab is one round trip plus a pixel
//     swizzle and allocates no image. Displays lists the monitors (RandR 1.5
//     monitors, else Xinerama, else the root window).
//   - Webcam reads a V4L2 camera through github.com/blackjack/webcam,
//     preferring MJPEG (inserting the standard Huffman tables that many UVC
//     cameras leave out) and falling back to YUYV (BT.601 limited range).
//     The device sits behind the small Device interface; capturetest.Camera
//     implements it with real MJPEG and YUYV frames. Cameras lists devices
//     and returns an empty list on machines without any.
//
// Pipeline paces a Source at two rates, Options.FPS while active (the user
// speaks or the model answers) and Options.IdleInterval while idle, switched
// by SetActive. It downscales with an area-average (box) filter into reused
// buffers, encodes JPEG, and hands frames to one consumer through a one-slot
// mailbox where the newest frame wins. Every frame sent costs input tokens,
// so with SkipUnchanged a frame is sent only when it changed perceptually:
// a luma thumbnail computed straight from the grabbed frame is compared
// with the last frame sent's, with a tolerance that follows the measured
// sensor noise and regions too small to matter (a blinking caret, a clock's
// seconds, a spinner) ignored.
// RequestFresh is the hook for "the user started speaking": it captures at
// once and sends the frame if it changed or the last one is older than
// Options.Refresh. Thumbnail is a small preview for the UI.
//
// The package imports neither Fyne nor the live package: live declares the
// frame-source interface it consumes (Next), and main wires a *Pipeline in.
package capture
