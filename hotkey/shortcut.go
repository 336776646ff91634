// Package hotkey listens for global keyboard shortcuts — keys that reach Live Desk while
// another application has the focus (push-to-talk, mute, stop sharing).
//
// Shortcuts are written like "Ctrl+Alt+Space" and read with Parse; Listen grabs them on the
// X server and reports presses and releases. Only X11 is supported for now; elsewhere Listen
// returns ErrUnsupported.
package hotkey

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnsupported: global shortcuts cannot be listened for on this system or session.
var ErrUnsupported = errors.New("global shortcuts work on X11 only for now")

// Mod is a set of modifier keys.
type Mod uint8

// The modifiers, in the order String writes them.
const (
	Ctrl Mod = 1 << iota
	Alt
	Shift
	Super // the Windows/Command key; Meta and Win are read as Super
)

var modNames = [...]struct {
	mod  Mod
	name string
}{{Ctrl, "Ctrl"}, {Alt, "Alt"}, {Shift, "Shift"}, {Super, "Super"}}

// modAliases maps lower-case modifier names to their modifier.
var modAliases = map[string]Mod{
	"ctrl": Ctrl, "control": Ctrl,
	"alt":   Alt,
	"shift": Shift,
	"super": Super, "win": Super, "meta": Super,
}

// Shortcut is a key with modifiers. The zero Shortcut means "no shortcut" (disabled).
type Shortcut struct {
	Mods Mod
	Key  string // canonical key name, as Parse writes it ("Space", "F9", "M")
}

// String gives the canonical form, which Parse reads back: modifiers in the order Ctrl, Alt,
// Shift, Super, then the key ("Ctrl+Alt+Space"). The zero Shortcut gives "".
func (s Shortcut) String() string {
	if s == (Shortcut{}) {
		return ""
	}
	var b strings.Builder
	for _, m := range modNames {
		if s.Mods&m.mod != 0 {
			b.WriteString(m.name)
			b.WriteByte('+')
		}
	}
	b.WriteString(s.Key)
	return b.String()
}

// Event is a press (Down) or release of the shortcut bound to Name.
type Event struct {
	Name string
	Down bool
}

// Parse reads a shortcut written like "Ctrl+Alt+Space", "Super+F9" or "Ctrl+Shift+M". Names
// are case-insensitive and may be surrounded by spaces. Modifiers: Ctrl (Control), Alt,
// Shift, Super (Win, Meta). Keys: A–Z, 0–9, F1–F24, Space, Enter, Tab, Escape, Backspace,
// Delete, Insert, Home, End, PageUp, PageDown, Up, Down, Left, Right, Pause, ScrollLock,
// PrintScreen, Menu, MicMute and the punctuation keys Minus, Equal, Comma, Period, Slash,
// Backslash, Semicolon, Apostrophe, Grave, BracketLeft, BracketRight (or the character itself,
// such as "Ctrl+/").
//
// An empty (or all-space) string is the zero Shortcut: no shortcut. A key that types or edits
// text (a letter, Space, an arrow...) needs Ctrl, Alt or Super: grabbed on its own it would no
// longer reach any other application.
func Parse(s string) (Shortcut, error) {
	if strings.TrimSpace(s) == "" {
		return Shortcut{}, nil
	}
	parts := strings.Split(s, "+")
	var sc Shortcut
	var keyPart string
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return Shortcut{}, fmt.Errorf("%q has a \"+\" with no name on one side", s)
		}
		if m, ok := modAliases[strings.ToLower(p)]; ok {
			sc.Mods |= m
			continue
		}
		k, ok := lookupKey(p)
		if !ok {
			if i < len(parts)-1 {
				return Shortcut{}, fmt.Errorf("unknown modifier %q (use Ctrl, Alt, Shift or Super)", p)
			}
			return Shortcut{}, fmt.Errorf("unknown key %q", p)
		}
		if sc.Key != "" {
			return Shortcut{}, fmt.Errorf("%q and %q are both keys: a shortcut has one key and any modifiers", keyPart, p)
		}
		sc.Key, keyPart = k.name, p
	}
	if sc.Key == "" {
		return Shortcut{}, errors.New("a shortcut needs a key, not only modifiers")
	}
	if k, _ := lookupKey(sc.Key); !k.alone && sc.Mods&^Shift == 0 {
		return Shortcut{}, fmt.Errorf("a global %s would stop %s working in every other application: add Ctrl, Alt or Super", sc, sc)
	}
	return sc, nil
}

// key is a key Parse knows.
type key struct {
	name  string // canonical
	sym   uint32 // X keysym
	alone bool   // fine as a global shortcut without Ctrl, Alt or Super: types and edits nothing
}

// namedKeys are the keys with word names, the canonical name first among its aliases.
var namedKeys = []struct {
	names []string
	sym   uint32
	alone bool
}{
	{[]string{"Space"}, 0x20, false},
	{[]string{"Enter", "Return"}, 0xff0d, false},
	{[]string{"Tab"}, 0xff09, false},
	{[]string{"Escape", "Esc"}, 0xff1b, false},
	{[]string{"Backspace"}, 0xff08, false},
	{[]string{"Delete", "Del"}, 0xffff, false},
	{[]string{"Insert", "Ins"}, 0xff63, true},
	{[]string{"Home"}, 0xff50, false},
	{[]string{"End"}, 0xff57, false},
	{[]string{"PageUp", "PgUp", "Prior"}, 0xff55, false},
	{[]string{"PageDown", "PgDn", "Next"}, 0xff56, false},
	{[]string{"Left", "ArrowLeft"}, 0xff51, false},
	{[]string{"Up", "ArrowUp"}, 0xff52, false},
	{[]string{"Right", "ArrowRight"}, 0xff53, false},
	{[]string{"Down", "ArrowDown"}, 0xff54, false},
	{[]string{"Pause", "Break"}, 0xff13, true},
	{[]string{"ScrollLock"}, 0xff14, true},
	{[]string{"PrintScreen", "Print", "PrtSc"}, 0xff61, true},
	{[]string{"Menu"}, 0xff67, true},
	{[]string{"MicMute"}, 0x1008ffb2, true}, // XF86AudioMicMute, on many laptops
	{[]string{"Minus", "-"}, 0x2d, false},
	{[]string{"Equal", "="}, 0x3d, false},
	{[]string{"Comma", ","}, 0x2c, false},
	{[]string{"Period", "."}, 0x2e, false},
	{[]string{"Slash", "/"}, 0x2f, false},
	{[]string{"Backslash", `\`}, 0x5c, false},
	{[]string{"Semicolon", ";"}, 0x3b, false},
	{[]string{"Apostrophe", "Quote", "'"}, 0x27, false},
	{[]string{"Grave", "Backtick", "`"}, 0x60, false},
	{[]string{"BracketLeft", "["}, 0x5b, false},
	{[]string{"BracketRight", "]"}, 0x5d, false},
}

// keyAliases maps normalized names (see normalize) to keys.
var keyAliases = func() map[string]key {
	m := make(map[string]key)
	for _, k := range namedKeys {
		for _, n := range k.names {
			m[normalize(n)] = key{name: k.names[0], sym: k.sym, alone: k.alone}
		}
	}
	return m
}()

// normalize folds case and drops the separators people write inside names ("Page_Up",
// "page-up", "Scroll Lock"), leaving one-character names (" ", "-") alone.
func normalize(s string) string {
	if len(s) <= 1 {
		return s
	}
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
}

// lookupKey finds the key named s (any case, any alias).
func lookupKey(s string) (key, bool) {
	if len(s) == 1 {
		switch c := s[0] | 0x20; { // lower case for letters
		case c >= 'a' && c <= 'z':
			// The lower-case keysym: it is the one on the unshifted level of the key.
			return key{name: string(c - 0x20), sym: uint32(c)}, true
		case s[0] >= '0' && s[0] <= '9':
			return key{name: s, sym: uint32(s[0])}, true
		}
	}
	n := normalize(s)
	if k, ok := keyAliases[n]; ok {
		return k, true
	}
	if len(n) >= 2 && n[0] == 'f' {
		if i, err := strconv.Atoi(n[1:]); err == nil && i >= 1 && i <= 24 && n[1] != '0' {
			return key{name: "F" + n[1:], sym: 0xffbe + uint32(i-1), alone: true}, true
		}
	}
	return key{}, false
}
