package livetest

import "github.com/livedesk/livedesk/catalog"

// Pointed is one box of a highlight_on_screen call: [ymin, xmin, ymax, xmax] normalised to
// 0..1000 over the most recent frame the fake received, and its label ("" = none).
type Pointed struct {
	Box   [4]float64
	Label string
}

// PointAt is the highlight_on_screen call a model makes to point at boxes for seconds (0 =
// leave the argument out, for the client's default). Put it in a Reply's ToolCalls, or send
// it now with Server.SendToolCall(c.Name, c.Args). The arguments are JSON-shaped values, as
// they arrive from the wire.
func PointAt(seconds float64, boxes ...Pointed) ToolCall {
	list := make([]any, len(boxes))
	for i, b := range boxes {
		box := map[string]any{"box_2d": []any{b.Box[0], b.Box[1], b.Box[2], b.Box[3]}}
		if b.Label != "" {
			box["label"] = b.Label
		}
		list[i] = box
	}
	args := map[string]any{"boxes": list}
	if seconds != 0 {
		args["seconds"] = seconds
	}
	return ToolCall{Name: catalog.ToolHighlight, Args: args}
}
