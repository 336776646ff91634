package ui

import (
	"strings"
	"testing"

	"github.com/livedesk/livedesk/settings"
)

func TestFramesPerHour(t *testing.T) {
	tests := []struct {
		policy  string
		fps     float64
		idleSec int
		want    float64
	}{
		{settings.FramesAlways, 1, 5, 3600},
		{settings.FramesAlways, 0.5, 5, 1800},
		// 20 % of the hour talking at 1 fps (720) + 80 % silent at one per 5 s (576).
		{settings.FramesWhileTalking, 1, 5, 720 + 576},
		{settings.FramesWhileTalking, 1, 0, 720},
		{settings.FramesWhileTalking, 1, 60, 720 + 48},
		// talking at the frame rate + a fresh frame for each of 60 questions.
		{settings.FramesWhenAsked, 1, 5, 720 + 60},
	}
	for _, tt := range tests {
		if got := framesPerHour(tt.policy, tt.fps, tt.idleSec); got != tt.want {
			t.Errorf("framesPerHour(%s, %g, %d) = %g, want %g", tt.policy, tt.fps, tt.idleSec, got, tt.want)
		}
	}
}

// The note names the chosen policy's cost and every policy's, cheapest last here: always >
// while talking > only when asked at the default rate, and LOW resolution costs a quarter.
func TestFrameCostNote(t *testing.T) {
	const model = "gemini-3.8-live"
	always := frameCostPerHour(settings.FramesAlways, 1, 5, "", model)
	talking := frameCostPerHour(settings.FramesWhileTalking, 1, 5, "", model)
	asked := frameCostPerHour(settings.FramesWhenAsked, 1, 5, "", model)
	if !(always > talking && talking > asked && asked > 0) {
		t.Fatalf("costs always %g, talking %g, asked %g: want always > talking > asked > 0", always, talking, asked)
	}
	if low := frameCostPerHour(settings.FramesAlways, 1, 5, "LOW", model); low*4 != always {
		t.Errorf("LOW resolution %g an hour, want a quarter of %g", low, always)
	}
	note := frameCostNote(settings.FramesWhileTalking, 1, 5, "", model)
	for _, want := range []string{"1296 frames", "256 tokens", "while talking $", "always $", "only when I ask $"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q lacks %q", note, want)
		}
	}
	if frameCostNote(settings.FramesAlways, 0, 5, "", model) != "" {
		t.Error("a note for 0 fps")
	}
}
