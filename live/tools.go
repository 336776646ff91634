package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/livedesk/livedesk/catalog"
)

// ToolResult is what a local tool returns. Image, when set, is sent to the model as a video
// frame right after the function response (the Live API takes images as realtime video, and
// aborts a session that sends realtime input while a blocking call is unanswered).
type ToolResult struct {
	Response map[string]any
	Image    []byte // JPEG
}

// LocalTool is a function on this computer that the model may call.
type LocalTool struct {
	Decl FunctionDeclaration
	// Scheduling tells a NON_BLOCKING call's response when to be spoken (SILENT,
	// WHEN_IDLE or INTERRUPT); ignored for blocking calls.
	Scheduling string
	Run        func(ctx context.Context, args map[string]any) (ToolResult, error)
}

// Toolbox is an immutable registry of local tools.
type Toolbox struct {
	byName map[string]LocalTool
	order  []string
}

// NewToolbox builds a registry; a later tool with the same name replaces an earlier one.
func NewToolbox(tools ...LocalTool) *Toolbox {
	t := &Toolbox{byName: map[string]LocalTool{}}
	for _, tool := range tools {
		if _, dup := t.byName[tool.Decl.Name]; !dup {
			t.order = append(t.order, tool.Decl.Name)
		}
		t.byName[tool.Decl.Name] = tool
	}
	return t
}

// Declarations lists the function declarations for the setup.
func (t *Toolbox) Declarations() []FunctionDeclaration {
	if t == nil {
		return nil
	}
	out := make([]FunctionDeclaration, 0, len(t.order))
	for _, n := range t.order {
		out = append(out, t.byName[n].Decl)
	}
	return out
}

// Lookup finds a tool by name.
func (t *Toolbox) Lookup(name string) (LocalTool, bool) {
	if t == nil {
		return LocalTool{}, false
	}
	tool, ok := t.byName[name]
	return tool, ok
}

// TimeTool answers with the local date, time and time zone.
func TimeTool(now func() time.Time) LocalTool {
	return LocalTool{
		Decl: FunctionDeclaration{
			Name:        catalog.ToolCurrentTime,
			Description: "Returns the user's current local date, time, weekday and time zone. Use it whenever the answer depends on the current time or date.",
			Parameters:  json.RawMessage(`{"type":"object","properties":{}}`),
			Behavior:    BehaviorBlocking,
		},
		Run: func(ctx context.Context, _ map[string]any) (ToolResult, error) {
			t := now()
			zone, offset := t.Zone()
			return ToolResult{Response: map[string]any{"output": map[string]any{
				"local_time": t.Format(time.RFC3339),
				"weekday":    t.Weekday().String(),
				"time_zone":  t.Location().String(),
				"zone_abbr":  zone,
				"utc_offset": fmt.Sprintf("%+03d:%02d", offset/3600, abs(offset%3600)/60),
			}}}, nil
		},
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// SnapshotTool sends a full-resolution image of what is being shared, for when the model
// needs to read small text. snap returns a JPEG and its size; it fails when nothing is shared.
func SnapshotTool(snap func(ctx context.Context) (jpeg []byte, w, h int, err error)) LocalTool {
	return LocalTool{
		Decl: FunctionDeclaration{
			Name:        catalog.ToolSnapshot,
			Description: "Sends one full-resolution image of the screen or camera the user is sharing. Use it when small text or details in the shared view are hard to read.",
			Parameters:  json.RawMessage(`{"type":"object","properties":{}}`),
			Behavior:    BehaviorBlocking,
		},
		Run: func(ctx context.Context, _ map[string]any) (ToolResult, error) {
			j, w, h, err := snap(ctx)
			if err != nil {
				return ToolResult{}, err
			}
			return ToolResult{
				Response: map[string]any{"output": fmt.Sprintf("A full-resolution %dx%d image of the shared view follows as the next video frame.", w, h)},
				Image:    j,
			}, nil
		},
	}
}

// MaxClipboardText bounds what the model can put on the clipboard.
const MaxClipboardText = 20000

// ClipboardTool copies text the model produced (code, a command, an address) to the user's
// clipboard. Writing is safe without asking; the tool never reads the clipboard.
func ClipboardTool(set func(text string) error) LocalTool {
	return LocalTool{
		Decl: FunctionDeclaration{
			Name:        catalog.ToolClipboard,
			Description: "Copies text to the user's clipboard so they can paste it. Use it when the user asks to copy something, such as code, a command, a link or an address.",
			Parameters:  json.RawMessage(`{"type":"object","properties":{"text":{"type":"string","description":"The exact text to copy."}},"required":["text"]}`),
			Behavior:    BehaviorBlocking,
		},
		Run: func(ctx context.Context, args map[string]any) (ToolResult, error) {
			text, _ := args["text"].(string)
			if strings.TrimSpace(text) == "" {
				return ToolResult{}, errors.New("no text given: pass the text to copy in 'text'")
			}
			if len(text) > MaxClipboardText || !utf8.ValidString(text) {
				return ToolResult{}, fmt.Errorf("text must be valid UTF-8 and at most %d bytes", MaxClipboardText)
			}
			if err := set(text); err != nil {
				return ToolResult{}, fmt.Errorf("clipboard: %w", err)
			}
			return ToolResult{Response: map[string]any{"output": fmt.Sprintf("Copied %d characters to the clipboard.", utf8.RuneCountInString(text))}}, nil
		},
	}
}
