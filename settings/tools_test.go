package settings

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/livedesk/livedesk/catalog"
)

// TestNewToolsTakeTheirDefault: a tool added to Live Desk after the user saved their tool list
// is on if it is on by default; the tools they switched off stay off; a list saved now keeps
// the user's choice about every tool there is.
func TestNewToolsTakeTheirDefault(t *testing.T) {
	tests := []struct {
		name  string
		saved map[string]any
		want  []string
	}{
		{"never saved", map[string]any{}, Default().LocalTools},
		{"saved before the highlight tool, snapshot off", map[string]any{
			keyLocalToolsSet: true, keyLocalTools: []string{catalog.ToolCurrentTime},
		}, []string{catalog.ToolCurrentTime, catalog.ToolHighlight}},
		{"saved before, everything off", map[string]any{
			keyLocalToolsSet: true, keyLocalTools: []string{},
		}, []string{catalog.ToolHighlight}},
		{"saved with it known and switched off", map[string]any{
			keyLocalToolsSet: true, keyLocalTools: []string{catalog.ToolCurrentTime}, keyLocalToolsKnown: catalog.Tools,
		}, []string{catalog.ToolCurrentTime}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &mapStore{m: tt.saved}
			if d := cmp.Diff(tt.want, Load(s).LocalTools); d != "" {
				t.Errorf("LocalTools (-want +got)\n%s", d)
			}
		})
	}

	s := newMapStore()
	c := Default()
	c.LocalTools = []string{catalog.ToolSnapshot} // the user switches the highlight tool off
	if err := Save(s, c); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{catalog.ToolSnapshot}, Load(s).LocalTools); d != "" {
		t.Errorf("after saving, LocalTools (-want +got)\n%s", d)
	}
}
