package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/livedesk/livedesk/catalog"
)

// Limits of a highlight_on_screen call.
const (
	HighlightMaxBoxes    = 8
	HighlightDefaultTime = 4 * time.Second
	HighlightMaxTime     = 15 * time.Second
	// HighlightMaxLabel bounds a label, in characters: it is drawn next to a box, so a longer
	// one would hide what it points at. Longer labels are cut with an ellipsis.
	HighlightMaxLabel = 40
)

// HighlightInstruction is added to the system instruction while the highlight tool is offered:
// the tool description alone does not make models use it when they give directions.
const HighlightInstruction = "When you tell the user where something is on the screen or camera image they share " +
	"(a button, a menu, a field, an icon, a line of text), also call highlight_on_screen with a box around it, " +
	"so they see where you mean. Boxes are [ymin, xmin, ymax, xmax] normalised to 0-1000 over the most recent image you received."

// HighlightBox is one box of a highlight_on_screen call, normalised to 0..1000 over the most
// recent frame the model received (the convention Gemini uses for 2-D boxes).
type HighlightBox struct {
	YMin, XMin, YMax, XMax float64
	Label                  string
}

// Highlight is a validated highlight_on_screen call.
type Highlight struct {
	Boxes []HighlightBox
	For   time.Duration // how long to show them
}

// ParseHighlight validates a highlight_on_screen call's arguments. Its errors are written for
// the model, which reads them and can call again correctly.
func ParseHighlight(args map[string]any) (Highlight, error) {
	h := Highlight{For: HighlightDefaultTime}
	raw, ok := args["boxes"]
	if !ok {
		return Highlight{}, errors.New(`missing "boxes": pass 1 to 8 objects {"box_2d": [ymin, xmin, ymax, xmax], "label": "..."}`)
	}
	list, ok := raw.([]any)
	if !ok {
		return Highlight{}, fmt.Errorf(`"boxes" must be an array of 1 to %d objects, not %s`, HighlightMaxBoxes, jsonKind(raw))
	}
	if len(list) == 0 || len(list) > HighlightMaxBoxes {
		return Highlight{}, fmt.Errorf(`"boxes" has %d entries: give 1 to %d`, len(list), HighlightMaxBoxes)
	}
	for i, item := range list {
		b, err := parseHighlightBox(item)
		if err != nil {
			return Highlight{}, fmt.Errorf("box %d: %w", i+1, err)
		}
		h.Boxes = append(h.Boxes, b)
	}
	if s, ok := args["seconds"]; ok && s != nil {
		n, ok := s.(float64)
		if !ok || math.IsNaN(n) || n <= 0 {
			return Highlight{}, fmt.Errorf(`"seconds" must be a number above 0 (at most %d), not %s`, int(HighlightMaxTime.Seconds()), jsonText(s))
		}
		h.For = min(time.Duration(n*float64(time.Second)), HighlightMaxTime)
	}
	return h, nil
}

func parseHighlightBox(item any) (HighlightBox, error) {
	obj, ok := item.(map[string]any)
	if !ok {
		return HighlightBox{}, fmt.Errorf(`want an object {"box_2d": [...], "label": "..."}, not %s`, jsonKind(item))
	}
	coords, ok := obj["box_2d"].([]any)
	if !ok || len(coords) != 4 {
		return HighlightBox{}, fmt.Errorf(`"box_2d" must be 4 numbers [ymin, xmin, ymax, xmax] from 0 to 1000, not %s`, jsonText(obj["box_2d"]))
	}
	var v [4]float64
	for i, c := range coords {
		n, ok := c.(float64)
		if !ok || math.IsNaN(n) || n < 0 || n > 1000 {
			return HighlightBox{}, fmt.Errorf(`"box_2d" value %s is not a number from 0 to 1000 (coordinates are normalised to 0-1000 over the image)`, jsonText(c))
		}
		v[i] = n
	}
	b := HighlightBox{YMin: v[0], XMin: v[1], YMax: v[2], XMax: v[3]}
	if b.YMin >= b.YMax || b.XMin >= b.XMax {
		return HighlightBox{}, fmt.Errorf(`"box_2d" %s is empty or inverted: the order is [ymin, xmin, ymax, xmax] with ymin < ymax and xmin < xmax`, jsonText(obj["box_2d"]))
	}
	if l, ok := obj["label"]; ok && l != nil {
		s, ok := l.(string)
		if !ok {
			return HighlightBox{}, fmt.Errorf(`"label" must be text, not %s`, jsonKind(l))
		}
		b.Label = shortLabel(s)
	}
	return b, nil
}

// shortLabel keeps one line of at most HighlightMaxLabel characters of valid text.
func shortLabel(s string) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "")), " ")
	if utf8.RuneCountInString(s) <= HighlightMaxLabel {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:HighlightMaxLabel-1])) + "…"
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil || len(b) > 80 {
		return jsonKind(v)
	}
	return string(b)
}

// HighlightTool lets the model point at things in the image it sees: show draws the boxes (on
// the screen, or on the camera preview) and reports how many it could show. It is answered at
// once, so the model goes on speaking.
func HighlightTool(show func(ctx context.Context, h Highlight) (int, error)) LocalTool {
	return LocalTool{
		Decl: FunctionDeclaration{
			Name: catalog.ToolHighlight,
			Description: "Points at things in the image the user shares (their screen or camera): draws an outline with a short label " +
				"around each box, on the user's real screen, for a few seconds. Use it whenever you tell the user where something is " +
				"or what to click. Each box_2d is [ymin, xmin, ymax, xmax] normalised to 0-1000 over the most recent image you received.",
			Parameters: json.RawMessage(`{"type":"object","properties":{` +
				`"boxes":{"type":"array","minItems":1,"maxItems":8,"description":"What to point at, 1 to 8 boxes.","items":{"type":"object","properties":{` +
				`"box_2d":{"type":"array","minItems":4,"maxItems":4,"items":{"type":"number"},"description":"[ymin, xmin, ymax, xmax], each from 0 to 1000 over the most recent image."},` +
				`"label":{"type":"string","description":"A few words naming the thing, e.g. \"Settings gear\"."}},"required":["box_2d"]}},` +
				`"seconds":{"type":"number","description":"How long to show the boxes: default 4, at most 15."}},"required":["boxes"]}`),
			Behavior: BehaviorBlocking,
		},
		Run: func(ctx context.Context, args map[string]any) (ToolResult, error) {
			h, err := ParseHighlight(args)
			if err != nil {
				return ToolResult{}, err
			}
			n, err := show(ctx, h)
			if err != nil {
				return ToolResult{}, err
			}
			// The whole response is the output when it has neither "output" nor "error".
			return ToolResult{Response: map[string]any{"shown": n}}, nil
		},
	}
}
