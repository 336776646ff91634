package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/livedesk/livedesk/call"
)

var t0 = time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)

func TestTranscriptMerge(t *testing.T) {
	tests := []struct {
		name   string
		events []call.TranscriptEvent
		want   []Turn
	}{
		{
			name: "partials merge into a final turn",
			events: []call.TranscriptEvent{
				{Role: call.RoleModel, Text: "Hel", At: t0},
				{Role: call.RoleModel, Text: "lo", At: t0.Add(time.Second)},
				{Role: call.RoleModel, Final: true},
			},
			want: []Turn{{Role: call.RoleModel, Text: "Hello", At: t0, Final: true}},
		},
		{
			name: "interleaved input and output transcription",
			events: []call.TranscriptEvent{
				{Role: call.RoleUser, Text: "what is", At: t0},
				{Role: call.RoleModel, Text: "It is", At: t0.Add(time.Second)},
				{Role: call.RoleUser, Text: " this", Final: true},
				{Role: call.RoleModel, Text: " a cat.", Final: true},
				{Role: call.RoleUser, Text: "谢谢", At: t0.Add(2 * time.Second), Final: true},
			},
			want: []Turn{
				{Role: call.RoleUser, Text: "what is this", At: t0, Final: true},
				{Role: call.RoleModel, Text: "It is a cat.", At: t0.Add(time.Second), Final: true},
				{Role: call.RoleUser, Text: "谢谢", At: t0.Add(2 * time.Second), Final: true},
			},
		},
		{
			name:   "bare final with nothing open",
			events: []call.TranscriptEvent{{Role: call.RoleModel, Final: true}},
			want:   nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tr transcript
			for _, ev := range tt.events {
				tr.apply(ev, t0)
			}
			if diff := cmp.Diff(tt.want, tr.turns); diff != "" {
				t.Errorf("turns (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExportGolden(t *testing.T) {
	var tr transcript
	tr.apply(call.TranscriptEvent{Role: call.RoleUser, Text: "今天天气怎么样？", At: t0, Final: true}, t0)
	tr.apply(call.TranscriptEvent{Role: call.RoleModel, Text: "الطقس مشمس اليوم.", At: t0.Add(2 * time.Second), Final: true}, t0)
	tr.ground([]call.Link{{Title: "Weather [today]", URL: "https://example.com/w"}, {URL: "https://example.com/w"}}, t0)
	md := Markdown(tr.turns, t0.Add(time.Minute))
	js, err := JSON(tr.turns, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "transcript.md", []byte(md))
	golden(t, "transcript.json", js)
	var back jsonTranscript
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("export is not valid JSON: %v", err)
	}
	if got := len(back.Turns[1].Sources); got != 1 {
		t.Errorf("sources = %d, want 1 (duplicates dropped)", got)
	}
}

// golden compares got with testdata/name; UPDATE_GOLDEN=1 rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with UPDATE_GOLDEN=1 to create): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}
