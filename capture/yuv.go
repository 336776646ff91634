package capture

import (
	"fmt"
	"image"
)

// YUYVToRGBA converts a packed YUYV 4:2:2 frame (V4L2_PIX_FMT_YUYV: Y0 U Y1 V
// per two pixels, rows of w*2 bytes) to RGB in dst, which must be w×h. UVC
// cameras send YUYV as BT.601 limited range (Y 16..235, Cb/Cr 16..240), so
// that is the matrix used here; MJPEG frames are full range and are decoded by
// image/jpeg instead.
func YUYVToRGBA(dst *image.RGBA, src []byte, w, h int) error {
	if w <= 0 || h <= 0 || w%2 != 0 {
		return fmt.Errorf("yuyv frame size %dx%d: width must be even and positive", w, h)
	}
	if len(src) < w*h*2 {
		return fmt.Errorf("yuyv frame is %d bytes, want %d for %dx%d", len(src), w*h*2, w, h)
	}
	if dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		return fmt.Errorf("yuyv destination is %v, want %dx%d", dst.Rect.Size(), w, h)
	}
	for y := range h {
		in := src[y*w*2 : (y+1)*w*2]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+w*4]
		for len(in) >= 4 && len(out) >= 8 {
			d := int32(in[1]) - 128
			e := int32(in[3]) - 128
			// Fixed-point BT.601 limited range, coefficients × 256.
			rc := 409*e + 128
			gc := -100*d - 208*e + 128
			bc := 516*d + 128
			c0 := 298 * (int32(in[0]) - 16)
			c1 := 298 * (int32(in[2]) - 16)
			out[0] = clamp8((c0 + rc) >> 8)
			out[1] = clamp8((c0 + gc) >> 8)
			out[2] = clamp8((c0 + bc) >> 8)
			out[3] = 0xff
			out[4] = clamp8((c1 + rc) >> 8)
			out[5] = clamp8((c1 + gc) >> 8)
			out[6] = clamp8((c1 + bc) >> 8)
			out[7] = 0xff
			in, out = in[4:], out[8:]
		}
	}
	return nil
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
