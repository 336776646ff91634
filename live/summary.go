package live

import (
	"fmt"
	"strings"
)

// Summarize describes a server message in one short line for logs and the diagnostics panel.
// It never includes audio or image data.
func Summarize(m *ServerMessage) string {
	if m == nil {
		return "(nil)"
	}
	var parts []string
	add := func(f string, a ...any) { parts = append(parts, fmt.Sprintf(f, a...)) }
	if m.SetupComplete != nil {
		add("setupComplete")
	}
	if sc := m.ServerContent; sc != nil {
		if sc.ModelTurn != nil {
			audio, text := 0, 0
			for _, p := range sc.ModelTurn.Parts {
				if p.InlineData != nil {
					audio += len(p.InlineData.Data)
				}
				text += len(p.Text)
			}
			if audio > 0 {
				add("audio %d B", audio)
			}
			if text > 0 {
				add("text %d chars", text)
			}
		}
		if t := sc.InputTranscription; t != nil {
			add("you: %q", clip(t.Text))
		}
		if t := sc.OutputTranscription; t != nil {
			add("gemini: %q", clip(t.Text))
		}
		if sc.Interrupted {
			add("interrupted")
		}
		if sc.GenerationComplete {
			add("generationComplete")
		}
		if sc.TurnComplete {
			add("turnComplete")
		}
		if sc.TurnCompleteReason != "" {
			add("reason %s", sc.TurnCompleteReason)
		}
		if sc.GroundingMetadata != nil {
			add("grounding %d sources", len(sc.GroundingMetadata.GroundingChunks))
		}
		if sc.WaitingForInput {
			add("waitingForInput")
		}
	}
	if tc := m.ToolCall; tc != nil {
		for _, fc := range tc.FunctionCalls {
			add("toolCall %s(%s)", fc.Name, fc.ID)
		}
	}
	if c := m.ToolCallCancellation; c != nil {
		add("toolCallCancellation %v", c.IDs)
	}
	if g := m.GoAway; g != nil {
		add("goAway in %s", g.TimeLeft.Std())
	}
	if r := m.SessionResumptionUpdate; r != nil {
		add("resumption resumable=%t handle=%t", r.Resumable, r.NewHandle != "")
	}
	if u := m.UsageMetadata; u != nil {
		add("usage total=%d", int64(u.TotalTokenCount))
	}
	if v := m.VoiceActivity; v != nil {
		add("voiceActivity %s", v.Type)
	}
	if m.Error != nil {
		add("error %d %s", m.Error.Code, clip(m.Error.Message))
	}
	if len(parts) == 0 {
		return "(empty)"
	}
	return strings.Join(parts, ", ")
}

func clip(s string) string {
	r := []rune(s)
	if len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
