package live

import (
	"fmt"
	"testing"
)

// TestReplayLog: the log keeps exactly the ordered messages after the newest handle's index,
// numbers video without keeping it, and stays bounded when acknowledgements stop.
func TestReplayLog(t *testing.T) {
	msg := func(i int) outItem {
		return outItem{b: fmt.Appendf(nil, "m%d", i), kind: kindAudio, pcm: []byte{byte(i), 0}}
	}
	l := &replayLog{next: 1} // the setup was 0
	for i := 1; i <= 5; i++ {
		l.wrote(msg(i), true)
	}
	l.wrote(outItem{}, false) // a video frame: index 6
	l.wrote(msg(7), true)
	l.ack("h1", 3)
	got := pendingNames(l)
	if want := "[m4 m5 m7]"; got != want {
		t.Fatalf("after ack 3: pending %s, want %s", got, want)
	}
	l.ack("h2", 6) // covers the frame and everything before it
	if got, want := pendingNames(l), "[m7]"; got != want {
		t.Fatalf("after ack 6: pending %s, want %s", got, want)
	}
	if l.handle != "h2" {
		t.Errorf("handle %q, want h2", l.handle)
	}
	l.ack("h3", 7)
	if len(l.items) != 0 || l.bytes != 0 {
		t.Errorf("after ack 7: %d items, %d bytes left", len(l.items), l.bytes)
	}

	// No acknowledgements: the oldest fall off at the bound and are counted.
	b := &replayLog{next: 1}
	for i := range replayMaxItems + 10 {
		b.wrote(msg(i), true)
	}
	if len(b.items) != replayMaxItems || b.dropped != 10 {
		t.Errorf("unacknowledged: %d items kept, %d dropped; want %d, 10", len(b.items), b.dropped, replayMaxItems)
	}
}

func pendingNames(l *replayLog) string {
	var names []string
	for _, x := range l.items {
		names = append(names, string(x.it.b))
	}
	return fmt.Sprint(names)
}

// TestBuildSetupVertex: on Vertex AI the model is a resource in the project (or the
// publisher's in express mode) and resumption is transparent; on the Gemini API neither.
func TestBuildSetupVertex(t *testing.T) {
	tests := []struct {
		name        string
		vertex      *Vertex
		model       string
		wantModel   string
		transparent bool
	}{
		{"gemini", nil, "gemini-3.8-live", "models/gemini-3.8-live", false},
		{"vertex", &Vertex{Project: "acme-1", Location: "us-central1"}, "gemini-live-2.5-flash-native-audio",
			"projects/acme-1/locations/us-central1/publishers/google/models/gemini-live-2.5-flash-native-audio", true},
		{"vertex default location and model", &Vertex{Project: "acme-1"}, "",
			"projects/acme-1/locations/global/publishers/google/models/gemini-live-2.5-flash-native-audio", true},
		{"express", &Vertex{}, "gemini-live-2.5-flash-native-audio", "publishers/google/models/gemini-live-2.5-flash-native-audio", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := BuildSetup(Config{Model: tt.model}, SetupOptions{Vertex: tt.vertex, Handle: "h"})
			if s.Model != tt.wantModel {
				t.Errorf("model %q, want %q", s.Model, tt.wantModel)
			}
			if s.SessionResumption == nil || s.SessionResumption.Handle != "h" || s.SessionResumption.Transparent != tt.transparent {
				t.Errorf("sessionResumption %+v, want handle h, transparent %v", s.SessionResumption, tt.transparent)
			}
		})
	}
}
