package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/livedesk/livedesk/call"
)

// Turn is one speaker's contribution to the conversation.
type Turn struct {
	Role  call.Role
	Text  string
	At    time.Time // when the turn started
	Final bool
	Links []call.Link
	// Notes are things shown in the turn that were not said, e.g. "Pointed at: Settings gear".
	Notes []string
}

// transcript merges transcript deltas into turns. It is not safe for concurrent use: the window
// touches it only on the Fyne goroutine.
type transcript struct {
	turns []Turn
}

// openLookback is how many recent turns are searched for an open turn of the same role: input
// and output transcriptions interleave, so the user's turn may finish after Gemini's began.
const openLookback = 4

// apply merges ev and returns the index of the turn it changed.
func (t *transcript) apply(ev call.TranscriptEvent, now time.Time) int {
	at := ev.At
	if at.IsZero() {
		at = now
	}
	for i := len(t.turns) - 1; i >= 0 && i >= len(t.turns)-openLookback; i-- {
		tr := &t.turns[i]
		if tr.Role == ev.Role && !tr.Final {
			tr.Text += ev.Text
			tr.Final = ev.Final
			return i
		}
	}
	if ev.Text == "" && ev.Final {
		return -1 // closes nothing: no open turn
	}
	t.turns = append(t.turns, Turn{Role: ev.Role, Text: ev.Text, At: at, Final: ev.Final})
	return len(t.turns) - 1
}

// ground attaches links to the latest model turn, skipping URLs it already has.
func (t *transcript) ground(links []call.Link, now time.Time) int {
	i := len(t.turns) - 1
	for ; i >= 0 && t.turns[i].Role != call.RoleModel; i-- {
	}
	if i < 0 {
		t.turns = append(t.turns, Turn{Role: call.RoleModel, At: now})
		i = len(t.turns) - 1
	}
	tr := &t.turns[i]
	for _, l := range links {
		dup := false
		for _, have := range tr.Links {
			dup = dup || have.URL == l.URL
		}
		if !dup && l.URL != "" {
			tr.Links = append(tr.Links, l)
		}
	}
	return i
}

// note attaches a marker to the latest model turn (opening one when there is none).
func (t *transcript) note(text string, now time.Time) int {
	i := len(t.turns) - 1
	for ; i >= 0 && t.turns[i].Role != call.RoleModel; i-- {
	}
	if i < 0 {
		t.turns = append(t.turns, Turn{Role: call.RoleModel, At: now})
		i = len(t.turns) - 1
	}
	t.turns[i].Notes = append(t.turns[i].Notes, text)
	return i
}

func roleTitle(r call.Role) string {
	if r == call.RoleModel {
		return "Gemini"
	}
	return "You"
}

// Markdown renders turns as a Markdown document.
func Markdown(turns []Turn, exported time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Live Desk conversation\n\n_Exported %s_\n", exported.Format(time.RFC3339))
	for _, t := range turns {
		fmt.Fprintf(&b, "\n**%s** · %s\n\n", roleTitle(t.Role), t.At.Format("2006-01-02 15:04:05"))
		text := strings.TrimSpace(t.Text)
		if text == "" {
			text = "_(no transcript)_"
		}
		b.WriteString(text)
		b.WriteString("\n")
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "\n_(%s)_\n", strings.ReplaceAll(n, "_", "\\_"))
		}
		if len(t.Links) > 0 {
			b.WriteString("\nSources:\n")
			for _, l := range t.Links {
				title := l.Title
				if title == "" {
					title = l.URL
				}
				fmt.Fprintf(&b, "- [%s](%s)\n", strings.ReplaceAll(title, "]", "\\]"), l.URL)
			}
		}
	}
	return b.String()
}

type jsonLink struct {
	Title string `json:"title,omitempty"`
	URL   string `json:"url"`
}

type jsonTurn struct {
	Role    string     `json:"role"`
	Text    string     `json:"text"`
	At      time.Time  `json:"at"`
	Final   bool       `json:"final"`
	Sources []jsonLink `json:"sources,omitempty"`
	Notes   []string   `json:"notes,omitempty"`
}

type jsonTranscript struct {
	Exported time.Time  `json:"exported"`
	Turns    []jsonTurn `json:"turns"`
}

// JSON renders turns as an indented JSON document.
func JSON(turns []Turn, exported time.Time) ([]byte, error) {
	doc := jsonTranscript{Exported: exported, Turns: make([]jsonTurn, 0, len(turns))}
	for _, t := range turns {
		jt := jsonTurn{Role: t.Role.String(), Text: t.Text, At: t.At, Final: t.Final, Notes: t.Notes}
		for _, l := range t.Links {
			jt.Sources = append(jt.Sources, jsonLink(l))
		}
		doc.Turns = append(doc.Turns, jt)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding transcript: %w", err)
	}
	return append(b, '\n'), nil
}
