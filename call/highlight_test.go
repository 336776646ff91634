package call

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/livedesk/livedesk/capture"
	"github.com/livedesk/livedesk/capture/capturetest"
	"github.com/livedesk/livedesk/catalog"
	"github.com/livedesk/livedesk/live/livetest"
	"github.com/livedesk/livedesk/overlay"
	"github.com/livedesk/livedesk/settings"
)

// fakeHighlighter records what the call asks the overlay to show.
type fakeHighlighter struct {
	mu    sync.Mutex
	shown [][]overlay.Box
	hides int
	err   error // what Show returns
}

func (f *fakeHighlighter) Show(boxes []overlay.Box, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.shown = append(f.shown, boxes)
	return nil
}

func (f *fakeHighlighter) Hide() {
	f.mu.Lock()
	f.hides++
	f.mu.Unlock()
}

func (f *fakeHighlighter) Covered() []*image.RGBA { return nil }

func (f *fakeHighlighter) calls() ([][]overlay.Box, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]overlay.Box(nil), f.shown...), f.hides
}

// placedSource is a test picture that says where on the desktop it was grabbed (Bounds) and
// where its target is now (Locate), as a shared display or window does.
type placedSource struct {
	*capturetest.Source
	area, now image.Rectangle
}

func (p *placedSource) Bounds() image.Rectangle          { return p.area }
func (p *placedSource) Locate() (image.Rectangle, error) { return p.now, nil }

// pointHarness shares spec (its source built by open) with a fake overlay, and waits until a
// frame reached the server.
func pointHarness(t *testing.T, spec Share, open func(Share) (capture.Source, error), hl *fakeHighlighter) (*harness, uint64) {
	t.Helper()
	h := newHarnessWith(t, livetest.Options{}, nil, func(o *Options) { o.Highlighter = hl })
	h.src.screen = open
	h.src.camera = func() (capture.Source, error) { return capturetest.NewPatternSource(image.Pt(1280, 720)), nil }
	if spec.Kind != ShareNone {
		h.c.SetShare(spec)
	}
	run := h.c.Start(h.cfg)
	h.rec.wait(t, "live", hasState(run, StateLive))
	if spec.Kind != ShareNone {
		h.waitServer("a frame", func(cs []livetest.ConnInfo) bool { return cs[0].Frames >= 1 })
	}
	return h, run
}

// answer sends the fake model's highlight call and returns the client's response to it.
func (h *harness) answer(tc livetest.ToolCall, n int) map[string]any {
	h.t.Helper()
	h.srv.SendToolCall(tc.Name, tc.Args)
	cs := h.waitServer("the tool response", func(cs []livetest.ConnInfo) bool { return len(cs[0].ToolResponses) >= n })
	var resp map[string]any
	if err := json.Unmarshal(cs[0].ToolResponses[n-1].Response, &resp); err != nil {
		h.t.Fatal(err)
	}
	return resp
}

var cmpIgnoreAt = cmpopts.IgnoreFields(HighlightEvent{}, "At")

func highlights(evs []Event) []HighlightEvent {
	var out []HighlightEvent
	for _, ev := range evs {
		if he, ok := ev.(HighlightEvent); ok {
			out = append(out, he)
		}
	}
	return out
}

// TestHighlightMapsTheBoxes: the boxes of a highlight_on_screen call, normalised over the
// frame the model saw, land on the desktop where that frame came from — a display at an
// offset, a region, a window that moved since the frame — and a camera's go to the preview
// only. The model gets {"shown": n}; the window gets the boxes in fractions of the frame.
func TestHighlightMapsTheBoxes(t *testing.T) {
	call := livetest.PointAt(2, livetest.Pointed{Box: [4]float64{100, 200, 300, 400}, Label: "gear"})
	tests := []struct {
		name      string
		spec      Share
		area, now image.Rectangle // where the frame came from, where the target is now
		want      []overlay.Box   // nil: nothing on the desktop
	}{
		{"second display", Share{Kind: ShareScreen, Display: 1},
			image.Rect(1920, 0, 3520, 1000), image.Rect(1920, 0, 3520, 1000),
			[]overlay.Box{{Rect: image.Rect(1920+320, 100, 1920+640, 300), Label: "gear"}}},
		{"region", Share{Kind: ShareScreen, Region: image.Rect(100, 50, 900, 550)},
			image.Rect(100, 50, 900, 550), image.Rect(100, 50, 900, 550),
			[]overlay.Box{{Rect: image.Rect(100+160, 50+50, 100+320, 50+150), Label: "gear"}}},
		{"window moved after the frame", Share{Kind: ShareScreen, Window: 0x400001, Title: "Editor"},
			image.Rect(0, 0, 1600, 1000), image.Rect(300, 200, 1900, 1200),
			[]overlay.Box{{Rect: image.Rect(300+320, 200+100, 300+640, 200+300), Label: "gear"}}},
		{"camera", Share{Kind: ShareCamera}, image.Rectangle{}, image.Rectangle{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hl := &fakeHighlighter{}
			h, run := pointHarness(t, tt.spec, func(Share) (capture.Source, error) {
				return &placedSource{Source: capturetest.NewPatternSource(tt.area.Size()), area: tt.area, now: tt.now}, nil
			}, hl)
			if d := cmp.Diff(map[string]any{"shown": 1.0}, h.answer(call, 1)); d != "" {
				t.Fatalf("response (-want +got)\n%s", d)
			}
			shown, _ := hl.calls()
			if tt.want == nil {
				if len(shown) != 0 {
					t.Errorf("a camera's boxes were drawn on the desktop: %v", shown)
				}
			} else if d := cmp.Diff([][]overlay.Box{tt.want}, shown); d != "" {
				t.Errorf("boxes on the desktop (-want +got)\n%s", d)
			}
			h.rec.wait(t, "the highlight event", func(evs []Event) bool { return len(highlights(evs)) > 0 })
			he := highlights(h.rec.all())[0]
			want := HighlightEvent{Run: run, Boxes: []PointedBox{{X0: 0.2, Y0: 0.1, X1: 0.4, Y1: 0.3, Label: "gear"}}, OnScreen: tt.want != nil}
			if d := cmp.Diff(want, he, cmpIgnoreAt); d != "" {
				t.Errorf("event (-want +got)\n%s", d)
			}
		})
	}
}

// TestHighlightEnds: the pointing disappears when its time is up, when the user types, when the
// model is interrupted and when the share changes — on the desktop and in the window.
func TestHighlightEnds(t *testing.T) {
	screen := func(Share) (capture.Source, error) {
		r := image.Rect(0, 0, 1600, 1000)
		return &placedSource{Source: capturetest.NewPatternSource(r.Size()), area: r, now: r}, nil
	}
	tests := []struct {
		name    string
		seconds float64
		end     func(h *harness)
	}{
		{"time is up", 0.3, func(*harness) {}},
		{"the user types", 15, func(h *harness) {
			if err := h.c.SendText("thanks"); err != nil {
				h.t.Fatal(err)
			}
		}},
		{"interrupted", 15, func(h *harness) { h.srv.Interrupt() }},
		{"share stopped", 15, func(h *harness) { h.c.SetShare(Share{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hl := &fakeHighlighter{}
			h, _ := pointHarness(t, Share{Kind: ShareScreen}, screen, hl)
			h.answer(livetest.PointAt(tt.seconds, livetest.Pointed{Box: [4]float64{1, 2, 3, 4}}), 1)
			h.rec.wait(t, "the highlight", func(evs []Event) bool { return len(highlights(evs)) == 1 })
			tt.end(h)
			h.rec.wait(t, "the highlight to end", func(evs []Event) bool {
				hs := highlights(evs)
				return len(hs) == 2 && len(hs[1].Boxes) == 0
			})
			if _, hides := hl.calls(); hides != 1 {
				t.Errorf("the overlay was hidden %d times, want 1", hides)
			}
		})
	}
}

// TestHighlightRefuses: calls that cannot be shown get an error the model can act on, and
// nothing is drawn; a desktop that cannot be drawn on still gets the boxes on the preview,
// and the user is told why.
func TestHighlightRefuses(t *testing.T) {
	screen := func(Share) (capture.Source, error) {
		r := image.Rect(0, 0, 1600, 1000)
		return &placedSource{Source: capturetest.NewPatternSource(r.Size()), area: r, now: r}, nil
	}
	fifty := make([]livetest.Pointed, 50)
	for i := range fifty {
		fifty[i] = livetest.Pointed{Box: [4]float64{1, 2, 3, 4}}
	}
	tests := []struct {
		name    string
		share   Share
		call    livetest.ToolCall
		wantErr string
	}{
		{"nothing shared", Share{}, livetest.PointAt(0, livetest.Pointed{Box: [4]float64{1, 2, 3, 4}}), "nothing is being shared"},
		{"out of range", Share{Kind: ShareScreen}, livetest.PointAt(0, livetest.Pointed{Box: [4]float64{1, 2, 3, 1001}}), "not a number from 0 to 1000"},
		{"inverted", Share{Kind: ShareScreen}, livetest.PointAt(0, livetest.Pointed{Box: [4]float64{500, 2, 3, 4}}), "inverted"},
		{"fifty boxes", Share{Kind: ShareScreen}, livetest.PointAt(0, fifty...), "has 50 entries"},
		{"not an array", Share{Kind: ShareScreen}, livetest.ToolCall{Name: "highlight_on_screen", Args: map[string]any{"boxes": "gear"}}, "must be an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hl := &fakeHighlighter{}
			h, _ := pointHarness(t, tt.share, screen, hl)
			resp := h.answer(tt.call, 1)
			if e, _ := resp["error"].(string); !strings.Contains(e, tt.wantErr) {
				t.Fatalf("response %v, want an error containing %q", resp, tt.wantErr)
			}
			if shown, _ := hl.calls(); len(shown) != 0 {
				t.Errorf("drawn anyway: %v", shown)
			}
			if hs := highlights(h.rec.all()); len(hs) != 0 {
				t.Errorf("the window was told to draw: %v", hs)
			}
		})
	}

	t.Run("desktop unsupported", func(t *testing.T) {
		hl := &fakeHighlighter{err: fmt.Errorf("no X here: %w", overlay.ErrUnsupported)}
		h, _ := pointHarness(t, Share{Kind: ShareScreen}, screen, hl)
		if resp := h.answer(livetest.PointAt(0, livetest.Pointed{Box: [4]float64{1, 2, 3, 4}}), 1); resp["shown"] != 1.0 {
			t.Fatalf("response %v, want shown 1 (on the preview)", resp)
		}
		h.rec.wait(t, "the notice and the preview's boxes", func(evs []Event) bool {
			var notice, preview bool
			for _, ev := range evs {
				switch e := ev.(type) {
				case NoticeEvent:
					notice = notice || strings.Contains(e.Text, "cannot draw on this desktop")
				case HighlightEvent:
					preview = preview || (len(e.Boxes) == 1 && !e.OnScreen)
				}
			}
			return notice && preview
		})
		if !errors.Is(hl.err, overlay.ErrUnsupported) {
			t.Fatal("test setup")
		}
	})
}

// TestHighlightDeclared: in default settings the tool is declared and the instruction says when
// to use it; switched off in Settings, neither.
func TestHighlightDeclared(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint("on=", on), func(t *testing.T) {
			h := newHarness(t, livetest.Options{}, func(c *settings.Config) {
				if !on {
					c.LocalTools = slices.DeleteFunc(slices.Clone(c.LocalTools), func(s string) bool { return s == catalog.ToolHighlight })
				}
			})
			run := h.c.Start(h.cfg)
			h.rec.wait(t, "live", hasState(run, StateLive))
			cs := h.waitServer("setup", func(cs []livetest.ConnInfo) bool { return cs[0].SetupDone })
			setup := string(cs[0].Setup)
			if got := strings.Contains(setup, `"name":"highlight_on_screen"`); got != on {
				t.Errorf("declared = %v, want %v: %s", got, on, setup)
			}
			if got := strings.Contains(setup, "also call highlight_on_screen"); got != on {
				t.Errorf("instruction about the tool = %v, want %v", got, on)
			}
		})
	}
}
