package hotkey_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/livedesk/livedesk/hotkey"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    hotkey.Shortcut
		str     string // canonical form
		wantErr string
	}{
		{in: "Ctrl+Alt+Space", want: hotkey.Shortcut{Mods: hotkey.Ctrl | hotkey.Alt, Key: "Space"}, str: "Ctrl+Alt+Space"},
		{in: "Super+F9", want: hotkey.Shortcut{Mods: hotkey.Super, Key: "F9"}, str: "Super+F9"},
		{in: "Ctrl+Shift+M", want: hotkey.Shortcut{Mods: hotkey.Ctrl | hotkey.Shift, Key: "M"}, str: "Ctrl+Shift+M"},
		{in: "  control + alt + space ", want: hotkey.Shortcut{Mods: hotkey.Ctrl | hotkey.Alt, Key: "Space"}, str: "Ctrl+Alt+Space"},
		{in: "shift+meta+ctrl+alt+q", want: hotkey.Shortcut{Mods: hotkey.Ctrl | hotkey.Alt | hotkey.Shift | hotkey.Super, Key: "Q"}, str: "Ctrl+Alt+Shift+Super+Q"},
		{in: "Win+1", want: hotkey.Shortcut{Mods: hotkey.Super, Key: "1"}, str: "Super+1"},
		{in: "Ctrl+Ctrl+A", want: hotkey.Shortcut{Mods: hotkey.Ctrl, Key: "A"}, str: "Ctrl+A"},
		{in: "f24", want: hotkey.Shortcut{Key: "F24"}, str: "F24"},
		{in: "F8", want: hotkey.Shortcut{Key: "F8"}, str: "F8"},
		{in: "Shift+F1", want: hotkey.Shortcut{Mods: hotkey.Shift, Key: "F1"}, str: "Shift+F1"},
		{in: "Pause", want: hotkey.Shortcut{Key: "Pause"}, str: "Pause"},
		{in: "scroll_lock", want: hotkey.Shortcut{Key: "ScrollLock"}, str: "ScrollLock"},
		{in: "Insert", want: hotkey.Shortcut{Key: "Insert"}, str: "Insert"},
		{in: "MicMute", want: hotkey.Shortcut{Key: "MicMute"}, str: "MicMute"},
		{in: "Alt+page_up", want: hotkey.Shortcut{Mods: hotkey.Alt, Key: "PageUp"}, str: "Alt+PageUp"},
		{in: "Alt+Next", want: hotkey.Shortcut{Mods: hotkey.Alt, Key: "PageDown"}, str: "Alt+PageDown"},
		{in: "Ctrl+Esc", want: hotkey.Shortcut{Mods: hotkey.Ctrl, Key: "Escape"}, str: "Ctrl+Escape"},
		{in: "Ctrl+Return", want: hotkey.Shortcut{Mods: hotkey.Ctrl, Key: "Enter"}, str: "Ctrl+Enter"},
		{in: "Super+Up", want: hotkey.Shortcut{Mods: hotkey.Super, Key: "Up"}, str: "Super+Up"},
		{in: "Ctrl+/", want: hotkey.Shortcut{Mods: hotkey.Ctrl, Key: "Slash"}, str: "Ctrl+Slash"},
		{in: "Ctrl+-", want: hotkey.Shortcut{Mods: hotkey.Ctrl, Key: "Minus"}, str: "Ctrl+Minus"},
		{in: "Alt+`", want: hotkey.Shortcut{Mods: hotkey.Alt, Key: "Grave"}, str: "Alt+Grave"},
		{in: "Ctrl+Alt+bracketleft", want: hotkey.Shortcut{Mods: hotkey.Ctrl | hotkey.Alt, Key: "BracketLeft"}, str: "Ctrl+Alt+BracketLeft"},
		{in: "", want: hotkey.Shortcut{}, str: ""},
		{in: "   ", want: hotkey.Shortcut{}, str: ""},

		{in: "Ctrl+Foo", wantErr: `unknown key "Foo"`},
		{in: "Foo", wantErr: `unknown key "Foo"`},
		{in: "F25", wantErr: `unknown key "F25"`},
		{in: "F0", wantErr: `unknown key "F0"`},
		{in: "Ctrl+Alt+Shift", wantErr: "a shortcut needs a key, not only modifiers"},
		{in: "Super", wantErr: "a shortcut needs a key, not only modifiers"},
		{in: "Hyper+A", wantErr: `unknown modifier "Hyper" (use Ctrl, Alt, Shift or Super)`},
		{in: "Ctrl+A+B", wantErr: `"A" and "B" are both keys: a shortcut has one key and any modifiers`},
		{in: "Ctrl+", wantErr: `"Ctrl+" has a "+" with no name on one side`},
		{in: "Ctrl++", wantErr: `"Ctrl++" has a "+" with no name on one side`},
		{in: "+A", wantErr: `"+A" has a "+" with no name on one side`},
		{in: "Space", wantErr: "a global Space would stop Space working in every other application: add Ctrl, Alt or Super"},
		{in: "Shift+M", wantErr: "a global Shift+M would stop Shift+M working in every other application: add Ctrl, Alt or Super"},
		{in: "Left", wantErr: "a global Left would stop Left working in every other application: add Ctrl, Alt or Super"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := hotkey.Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Parse(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
			if got.String() != tt.str {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got.String(), tt.str)
			}
			// The canonical form reads back as the same shortcut.
			again, err := hotkey.Parse(got.String())
			if err != nil || again != got {
				t.Errorf("Parse(%q) = %v, %v; want %v", got.String(), again, err, got)
			}
		})
	}
}

// Every key name Parse documents is accepted and is its own canonical form.
func TestParseEveryKey(t *testing.T) {
	names := []string{"Space", "Enter", "Tab", "Escape", "Backspace", "Delete", "Insert", "Home", "End",
		"PageUp", "PageDown", "Up", "Down", "Left", "Right", "Pause", "ScrollLock", "PrintScreen", "Menu",
		"MicMute", "Minus", "Equal", "Comma", "Period", "Slash", "Backslash", "Semicolon", "Apostrophe",
		"Grave", "BracketLeft", "BracketRight"}
	for c := 'A'; c <= 'Z'; c++ {
		names = append(names, string(c))
	}
	for c := '0'; c <= '9'; c++ {
		names = append(names, string(c))
	}
	for i := 1; i <= 24; i++ {
		names = append(names, fmt.Sprintf("F%d", i))
	}
	for _, name := range names {
		s := "Ctrl+Alt+" + name
		got, err := hotkey.Parse(s)
		if err != nil {
			t.Errorf("Parse(%q): %v", s, err)
			continue
		}
		if got.String() != s {
			t.Errorf("Parse(%q).String() = %q", s, got.String())
		}
	}
}

func TestGrabErrorMessage(t *testing.T) {
	ptt := hotkey.Shortcut{Mods: hotkey.Ctrl | hotkey.Alt, Key: "Space"}
	tests := []struct {
		err  hotkey.GrabError
		want string
		is   error
	}{
		{hotkey.GrabError{Name: "ptt", Shortcut: ptt, Err: hotkey.ErrTaken}, "Ctrl+Alt+Space is taken by another application", hotkey.ErrTaken},
		{hotkey.GrabError{Name: "stop", Shortcut: hotkey.Shortcut{Key: "F24"}, Err: hotkey.ErrNoKey}, "F24 cannot be pressed: this keyboard has no F24 key", hotkey.ErrNoKey},
		{hotkey.GrabError{Name: "mute", Shortcut: ptt, Err: errors.New(`already used for "ptt"`)}, `Ctrl+Alt+Space for "mute": already used for "ptt"`, nil},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if tt.is != nil && !errors.Is(&tt.err, tt.is) {
			t.Errorf("%v is not %v", &tt.err, tt.is)
		}
	}
}
