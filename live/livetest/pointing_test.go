package livetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/livedesk/livedesk/catalog"
)

// TestDemoPoints: asked "where", the fake points with highlight_on_screen when the client
// declared it, and only then; the answer to the call is spoken as an outline, not as JSON.
func TestDemoPoints(t *testing.T) {
	r := DefaultResponder(Turn{Text: "Where is the gear?", Tools: []string{catalog.ToolHighlight}})
	if len(r.ToolCalls) != 1 || r.ToolCalls[0].Name != catalog.ToolHighlight {
		t.Fatalf("reply %+v, want a highlight call", r)
	}
	want := map[string]any{"boxes": []any{map[string]any{"box_2d": []any{250.0, 250.0, 750.0, 750.0}, "label": "here"}}, "seconds": 6.0}
	if d := cmp.Diff(want, r.ToolCalls[0].Args); d != "" {
		t.Errorf("args (-want +got)\n%s", d)
	}
	if r := DefaultResponder(Turn{Text: "Where is the gear?"}); len(r.ToolCalls) != 0 {
		t.Errorf("pointed without the tool declared: %+v", r)
	}
	r = DefaultResponder(Turn{ToolResponses: []FunctionResponse{{Name: catalog.ToolHighlight, Response: []byte(`{"shown":1}`)}}})
	if r.Text != "I have outlined it for you." {
		t.Errorf("answer to the tool response: %q", r.Text)
	}
}
