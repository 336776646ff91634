package live

import "testing"

func TestSpaceDelta(t *testing.T) {
	tests := []struct {
		prev  rune
		delta string
		want  string
	}{
		{'.', "I have outlined it.", " I have outlined it."},
		{'?', "Yes.", " Yes."},
		{'!', "Über", " Über"},
		{'.', " I have", " I have"},                 // the space is there
		{'.', "js is a runtime", "js is a runtime"}, // "Node." + "js": one word
		{'.', "5 percent", "5 percent"},             // "3." + "5"
		{'e', "Here", "Here"},
		{'。', "次に", "次に"},
		{0, "Hello", "Hello"}, // the turn's first words
		{'.', "", ""},
	}
	for _, tc := range tests {
		if got := spaceDelta(tc.prev, tc.delta); got != tc.want {
			t.Errorf("spaceDelta(%q, %q) = %q, want %q", tc.prev, tc.delta, got, tc.want)
		}
	}
}
