package capture

import (
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
