package live

import (
	"strings"

	"github.com/livedesk/livedesk/catalog"
)

// Usage accumulates token counts over a conversation. The Live API bills every turn for the
// whole context it processed, and reports that turn's counts in usageMetadata, so summing the
// reports is the bill.
type Usage struct {
	Turns          int
	Prompt         int64
	Response       int64
	Thoughts       int64
	ToolUsePrompt  int64
	Cached         int64
	Total          int64
	PromptByMod    map[string]int64 // TEXT, AUDIO, IMAGE, VIDEO, DOCUMENT
	ResponseByMod  map[string]int64
	EstimatedUSD   float64
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
	u.Turns++
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
	cost := 0.0
	for mod, n := range u.PromptByMod {
		if mod == "TEXT" {
			cost += float64(n) * p.InputText
		} else {
			cost += float64(n) * p.InputMedia
		}
	}
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
