package live_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/livedesk/livedesk/live"
)

// args decodes a call's arguments the way the conversation does: from the wire's JSON.
func args(t *testing.T, js string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", js, err)
	}
	return m
}

func TestParseHighlight(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    live.Highlight
		wantErr string // a piece of the error the model reads; "" = valid
	}{
		{"one box, default time", `{"boxes":[{"box_2d":[100,200,300,400],"label":"gear icon"}]}`,
			live.Highlight{Boxes: []live.HighlightBox{{YMin: 100, XMin: 200, YMax: 300, XMax: 400, Label: "gear icon"}}, For: 4 * time.Second}, ""},
		{"no label, seconds", `{"boxes":[{"box_2d":[0,0,1000,1000]}],"seconds":2.5}`,
			live.Highlight{Boxes: []live.HighlightBox{{XMax: 1000, YMax: 1000}}, For: 2500 * time.Millisecond}, ""},
		{"seconds capped at 15", `{"boxes":[{"box_2d":[1,2,3,4]}],"seconds":600}`,
			live.Highlight{Boxes: []live.HighlightBox{{YMin: 1, XMin: 2, YMax: 3, XMax: 4}}, For: 15 * time.Second}, ""},
		{"seconds null is the default", `{"boxes":[{"box_2d":[1,2,3,4]}],"seconds":null}`,
			live.Highlight{Boxes: []live.HighlightBox{{YMin: 1, XMin: 2, YMax: 3, XMax: 4}}, For: 4 * time.Second}, ""},
		{"label cleaned and cut", `{"boxes":[{"box_2d":[1,2,3,4],"label":"  the\nbig   ` + strings.Repeat("x", 60) + `"}]}`,
			live.Highlight{Boxes: []live.HighlightBox{{YMin: 1, XMin: 2, YMax: 3, XMax: 4, Label: "the big " + strings.Repeat("x", 31) + "…"}}, For: 4 * time.Second}, ""},
		{"eight boxes", `{"boxes":[` + strings.TrimSuffix(strings.Repeat(`{"box_2d":[1,2,3,4]},`, 8), ",") + `]}`,
			live.Highlight{Boxes: func() []live.HighlightBox {
				b := make([]live.HighlightBox, 8)
				for i := range b {
					b[i] = live.HighlightBox{YMin: 1, XMin: 2, YMax: 3, XMax: 4}
				}
				return b
			}(), For: 4 * time.Second}, ""},

		{"missing boxes", `{}`, live.Highlight{}, `missing "boxes"`},
		{"boxes not an array", `{"boxes":{"box_2d":[1,2,3,4]}}`, live.Highlight{}, `must be an array`},
		{"boxes a string", `{"boxes":"[1,2,3,4]"}`, live.Highlight{}, `not a string`},
		{"no boxes", `{"boxes":[]}`, live.Highlight{}, `has 0 entries`},
		{"fifty boxes", `{"boxes":[` + strings.TrimSuffix(strings.Repeat(`{"box_2d":[1,2,3,4]},`, 50), ",") + `]}`, live.Highlight{}, `has 50 entries: give 1 to 8`},
		{"box not an object", `{"boxes":[[1,2,3,4]]}`, live.Highlight{}, `box 1: want an object`},
		{"three coordinates", `{"boxes":[{"box_2d":[1,2,3]}]}`, live.Highlight{}, `must be 4 numbers`},
		{"coordinates as strings", `{"boxes":[{"box_2d":["1","2","3","4"]}]}`, live.Highlight{}, `not a number from 0 to 1000`},
		{"out of range high", `{"boxes":[{"box_2d":[100,200,300,1200]}]}`, live.Highlight{}, `1200 is not a number from 0 to 1000`},
		{"out of range negative", `{"boxes":[{"box_2d":[-5,200,300,400]}]}`, live.Highlight{}, `-5 is not`},
		{"inverted", `{"boxes":[{"box_2d":[300,200,100,400]}]}`, live.Highlight{}, `empty or inverted`},
		{"empty", `{"boxes":[{"box_2d":[100,200,100,400]}]}`, live.Highlight{}, `empty or inverted`},
		{"second box bad", `{"boxes":[{"box_2d":[1,2,3,4]},{"box_2d":[1,2]}]}`, live.Highlight{}, `box 2:`},
		{"label a number", `{"boxes":[{"box_2d":[1,2,3,4],"label":7}]}`, live.Highlight{}, `"label" must be text`},
		{"seconds zero", `{"boxes":[{"box_2d":[1,2,3,4]}],"seconds":0}`, live.Highlight{}, `"seconds" must be a number above 0`},
		{"seconds text", `{"boxes":[{"box_2d":[1,2,3,4]}],"seconds":"4"}`, live.Highlight{}, `"seconds" must be a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := live.ParseHighlight(args(t, tt.args))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// A bad call never reaches the screen: the tool answers with the reason and show is not called.
func TestHighlightToolRefusesBadCalls(t *testing.T) {
	shown := 0
	tool := live.HighlightTool(func(_ context.Context, h live.Highlight) (int, error) {
		shown++
		return len(h.Boxes), nil
	})
	for _, js := range []string{`{"boxes":[{"box_2d":[1,2,3,2000]}]}`, `{"boxes":5}`, `{}`} {
		if _, err := tool.Run(t.Context(), args(t, js)); err == nil {
			t.Errorf("%s: no error", js)
		}
	}
	if shown != 0 {
		t.Fatalf("show called %d times for bad calls", shown)
	}
	res, err := tool.Run(t.Context(), args(t, `{"boxes":[{"box_2d":[1,2,3,4]},{"box_2d":[5,6,7,8]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]any{"shown": 2}, res.Response); d != "" {
		t.Errorf("response (-want +got)\n%s", d)
	}
	var decl map[string]any
	if err := json.Unmarshal(tool.Decl.Parameters, &decl); err != nil {
		t.Fatalf("parameters are not JSON: %v", err)
	}
}
