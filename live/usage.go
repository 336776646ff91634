package live

import (
	"strings"

	"github.com/livedesk/livedesk/catalog"
)

// Usage accumulates token counts over a conversation, as an estimate of the bill.
//
// Each usageMetadata is a per-response report, not a running total: the prompt count of a later
// turn includes the whole context processed for it (it grows turn by turn), so summing the
// reports is what is billed. Sources: a live probe in pydantic-ai PR #7269 (prompt counts
// 143 → 181 → 224 on gemini-3.1-flash-live-preview), Vertex's Provisioned Throughput page
// (session memory counted in every request), and pipecat and livekit, which both sum per-turn
// reports. On the wire totalTokenCount leaves out thoughtsTokenCount, so thoughts are priced
// on their own. The SDKs' doc comments ("usage metadata about response(s)") do not say.
type Usage struct {
	Reports        int // usageMetadata messages folded in
	Turns          int // model turns ended (set by the conversation, not counted from reports)
	Prompt         int64
	Response       int64
	Thoughts       int64
	ToolUsePrompt  int64
	Cached         int64
	Total          int64
	PromptByMod    map[string]int64 // TEXT, AUDIO, IMAGE, VIDEO, DOCUMENT
	ResponseByMod  map[string]int64
	EstimatedUSD   float64
	VideoUSD       float64 // of EstimatedUSD: image and video input (the shared screen or camera)
	PriceKnown     bool
	PriceSource    string
	lastPriceModel string
}

// Add folds one usageMetadata report in and re-estimates the cost for model.
func (u *Usage) Add(model string, m *UsageMetadata) {
	if m == nil {
		return
	}
	if u.PromptByMod == nil {
		u.PromptByMod, u.ResponseByMod = map[string]int64{}, map[string]int64{}
	}
	u.Reports++
	resp, respDetails := m.Response()
	u.Prompt += int64(m.PromptTokenCount)
	u.Response += resp
	u.Thoughts += int64(m.ThoughtsTokenCount)
	u.ToolUsePrompt += int64(m.ToolUsePromptTokenCount)
	u.Cached += int64(m.CachedContentTokenCount)
	u.Total += int64(m.TotalTokenCount)
	addDetails(u.PromptByMod, m.PromptTokensDetails, int64(m.PromptTokenCount))
	addDetails(u.ResponseByMod, respDetails, resp)
	u.lastPriceModel = model
	u.estimate()
}

// Clone returns a copy that shares nothing with u.
func (u Usage) Clone() Usage {
	c := u
	c.PromptByMod, c.ResponseByMod = map[string]int64{}, map[string]int64{}
	for k, v := range u.PromptByMod {
		c.PromptByMod[k] = v
	}
	for k, v := range u.ResponseByMod {
		c.ResponseByMod[k] = v
	}
	return c
}

// addDetails adds per-modality counts; tokens the details do not cover (the API's details
// sometimes miss a few) are counted as TEXT, the cheapest modality, so the estimate stays a
// lower bound rather than a guess upward.
func addDetails(dst map[string]int64, details []ModalityTokenCount, total int64) {
	var covered int64
	for _, d := range details {
		dst[strings.ToUpper(d.Modality)] += int64(d.TokenCount)
		covered += int64(d.TokenCount)
	}
	if rest := total - covered; rest > 0 {
		dst["TEXT"] += rest
	}
}

func (u *Usage) estimate() {
	p, ok := catalog.PriceFor(u.lastPriceModel)
	u.PriceKnown, u.PriceSource = ok, p.Source
	cost, video := 0.0, 0.0
	for mod, n := range u.PromptByMod {
		switch mod {
		case "TEXT":
			cost += float64(n) * p.InputText
		case "IMAGE", "VIDEO":
			video += float64(n) * p.InputMedia
			cost += float64(n) * p.InputMedia
		default:
			cost += float64(n) * p.InputMedia
		}
	}
	u.VideoUSD = video / 1e6
	for mod, n := range u.ResponseByMod {
		if mod == "AUDIO" {
			cost += float64(n) * p.OutputAudio
		} else {
			cost += float64(n) * p.OutputText
		}
	}
	cost += float64(u.Thoughts) * p.OutputText
	u.EstimatedUSD = cost / 1e6
}
