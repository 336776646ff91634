package capture

import (
	"errors"
	"fmt"
	"image"
	"os"
	"syscall"
	"testing"
)

func TestCameraErrorMapping(t *testing.T) {
	tests := []struct {
		err  error
		want error
	}{
		{syscall.ENOENT, ErrNoCamera},
		{&os.PathError{Op: "open", Path: "/dev/video0", Err: syscall.ENOENT}, ErrNoCamera},
		{syscall.EBUSY, ErrCameraBusy},
		{errors.New("Failed to map request buffers: " + syscall.EBUSY.Error()), ErrCameraBusy},
		{syscall.EACCES, ErrPermission},
		{syscall.EPERM, ErrPermission},
		{syscall.ENODEV, ErrCameraUnplugged},
		{syscall.EIO, ErrCameraUnplugged},
		{fmt.Errorf("dqbuf: %w", syscall.ENODEV), ErrCameraUnplugged},
	}
	sentinels := []error{ErrNoCamera, ErrCameraBusy, ErrPermission, ErrCameraUnplugged}
	for _, tt := range tests {
		got := cameraError("/dev/video0", "open", tt.err)
		for _, s := range sentinels {
			if errors.Is(got, s) != (s == tt.want) {
				t.Errorf("cameraError(%v) = %v; errors.Is(%v) = %v", tt.err, got, s, errors.Is(got, s))
			}
		}
	}
	if got := cameraError("/dev/video0", "open", syscall.EINVAL); !errors.Is(got, syscall.EINVAL) {
		t.Errorf("unmapped errors must stay wrapped: %v", got)
	}
}

func TestChooseFormat(t *testing.T) {
	d := func(w, h int) FrameSize { return FrameSize{Min: image.Pt(w, h), Max: image.Pt(w, h)} }
	common := []FrameSize{d(640, 480), d(1280, 720), d(1920, 1080), d(320, 240)}
	tests := []struct {
		name    string
		formats map[PixelFormat][]FrameSize
		want    image.Point
		wantC   Choice
		wantErr error
	}{
		{"mjpeg preferred", map[PixelFormat][]FrameSize{FormatYUYV: common, FormatMJPEG: common},
			image.Pt(1280, 720), Choice{FormatMJPEG, image.Pt(1280, 720)}, nil},
		{"yuyv fallback", map[PixelFormat][]FrameSize{FormatYUYV: common, formatH264: common},
			image.Pt(1280, 720), Choice{FormatYUYV, image.Pt(1280, 720)}, nil},
		{"jpeg counts as mjpeg", map[PixelFormat][]FrameSize{FormatJPEG: common},
			image.Pt(1280, 720), Choice{FormatJPEG, image.Pt(1280, 720)}, nil},
		{"nearest by area and aspect", map[PixelFormat][]FrameSize{FormatMJPEG: {d(640, 480), d(1024, 768), d(1280, 800), d(1920, 1080)}},
			image.Pt(1280, 720), Choice{FormatMJPEG, image.Pt(1280, 800)}, nil},
		{"zero want means 720p", map[PixelFormat][]FrameSize{FormatMJPEG: common},
			image.Point{}, Choice{FormatMJPEG, image.Pt(1280, 720)}, nil},
		{"stepwise snaps onto grid", map[PixelFormat][]FrameSize{FormatYUYV: {{Min: image.Pt(160, 120), Max: image.Pt(1600, 1200), Step: image.Pt(16, 8)}}},
			image.Pt(1280, 720), Choice{FormatYUYV, image.Pt(1280, 720)}, nil},
		{"stepwise clamps to max", map[PixelFormat][]FrameSize{FormatYUYV: {{Min: image.Pt(160, 120), Max: image.Pt(640, 480), Step: image.Pt(2, 2)}}},
			image.Pt(1280, 720), Choice{FormatYUYV, image.Pt(640, 480)}, nil},
		{"odd yuyv widths skipped", map[PixelFormat][]FrameSize{FormatYUYV: {d(1279, 720), d(640, 360)}},
			image.Pt(1280, 720), Choice{FormatYUYV, image.Pt(640, 360)}, nil},
		{"nothing usable", map[PixelFormat][]FrameSize{formatH264: common},
			image.Pt(1280, 720), Choice{}, ErrNoFormat},
		{"no formats", nil, image.Pt(1280, 720), Choice{}, ErrNoFormat},
	}
	for _, tt := range tests {
		got, err := ChooseFormat(tt.formats, tt.want)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if got != tt.wantC {
			t.Errorf("%s: ChooseFormat = %v %v, want %v %v", tt.name, got.Format, got.Size, tt.wantC.Format, tt.wantC.Size)
		}
	}
}

const formatH264 PixelFormat = 'H' | '2'<<8 | '6'<<16 | '4'<<24

func TestPixelFormatString(t *testing.T) {
	for f, want := range map[PixelFormat]string{FormatMJPEG: "MJPG", FormatJPEG: "JPEG", FormatYUYV: "YUYV", formatH264: "H264"} {
		if got := f.String(); got != want {
			t.Errorf("PixelFormat(%#x).String() = %q, want %q", uint32(f), got, want)
		}
	}
}
