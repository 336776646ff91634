//go:build linux

package hotkey

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jezek/xgb/xproto"
)

// testKeymap is a small keymap from keycode 8, two keysyms per keycode.
var testKeymap = keymap{first: 8, per: 2, syms: []xproto.Keysym{
	0x31, 0x21, // 8: 1 !
	0xffb1, 0xff9c, // 9: KP_1 KP_End — "1" here only on the second level
	0x26, 0x31, // 10: ampersand 1 (a French top row)
	0xff61, 0, // 11: Print
	0xff61, 0xff15, // 12: Print Sys_Req
	0xffe9, 0xffe7, // 13: Alt_L Meta_L
	0xffeb, 0, // 14: Super_L
	0xff7f, 0, // 15: Num_Lock
	0x61, 0x41, // 16: a A
}}

func TestKeycodes(t *testing.T) {
	tests := []struct {
		name string
		sym  uint32
		want []byte
	}{
		{"first level wins over a later level", 0x31, []byte{8}},
		{"second level when no first level has it", 0x21, []byte{8}},
		{"on several keycodes", 0xff61, []byte{11, 12}},
		{"lower-case letter", 0x61, []byte{16}},
		{"not on the keyboard", 0xffd5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, testKeymap.keycodes(tt.sym)); diff != "" {
				t.Errorf("keycodes(%#x) (-want +got):\n%s", tt.sym, diff)
			}
		})
	}
}

func TestModifiersOf(t *testing.T) {
	tests := []struct {
		name string
		rows [8][]xproto.Keycode // Shift, Lock, Control, Mod1..Mod5
		want modifiers
	}{
		{"usual", [8][]xproto.Keycode{3: {13}, 4: {15}, 6: {14}},
			modifiers{alt: xproto.ModMask1, super: xproto.ModMask4, numLock: xproto.ModMask2}},
		{"unusual places", [8][]xproto.Keycode{5: {15}, 7: {0, 13}, 3: {14}},
			modifiers{alt: xproto.ModMask5, super: xproto.ModMask1, numLock: xproto.ModMask3}},
		{"nothing mapped: the usual bits, no NumLock", [8][]xproto.Keycode{},
			modifiers{alt: xproto.ModMask1, super: xproto.ModMask4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const per = 2
			codes := make([]xproto.Keycode, 8*per)
			for mod, row := range tt.rows {
				copy(codes[mod*per:], row)
			}
			if diff := cmp.Diff(tt.want, modifiersOf(testKeymap, per, codes), cmp.AllowUnexported(modifiers{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLockVariants(t *testing.T) {
	tests := []struct {
		base, numLock uint16
		want          []uint16
	}{
		{12, 16, []uint16{12, 14, 28, 30}},
		{12, 0, []uint16{12, 14}},  // no NumLock modifier
		{64, 64, []uint16{64, 66}}, // NumLock shares a bit with a modifier of the shortcut
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, lockVariants(tt.base, tt.numLock)); diff != "" {
			t.Errorf("lockVariants(%d, %d) (-want +got):\n%s", tt.base, tt.numLock, diff)
		}
	}
}
