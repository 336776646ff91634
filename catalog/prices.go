package catalog

import "strings"

// Price is USD per million tokens.
type Price struct {
	InputText   float64 // text prompt tokens (system instruction, transcripts, typed text)
	InputMedia  float64 // audio, image and video prompt tokens
	OutputText  float64 // text and thinking tokens
	OutputAudio float64
	Source      string
}

// prices is the one place to update when Google changes its prices. Google publishes Live
// prices at https://ai.google.dev/gemini-api/docs/pricing (paid tier); the 3.x figures below
// were not available to us offline, so they repeat the last published native-audio rates and
// are marked as estimates in the UI. Checked 2026-11-22.
var prices = map[string]Price{
	"gemini-2.5-flash-native-audio": {InputText: 0.50, InputMedia: 3.00, OutputText: 2.00, OutputAudio: 12.00,
		Source: "ai.google.dev/gemini-api/docs/pricing, Gemini 2.5 Flash Native Audio (Live API), paid tier"},
	"gemini-3.1-flash-live-preview": {InputText: 0.50, InputMedia: 3.00, OutputText: 2.00, OutputAudio: 12.00,
		Source: "estimate: 2.5 Flash Native Audio rates (3.1 Live rates not verified)"},
	"gemini-3.8-live": {InputText: 0.50, InputMedia: 3.00, OutputText: 2.00, OutputAudio: 12.00,
		Source: "estimate: 2.5 Flash Native Audio rates (3.8 Live rates not verified)"},
	// Vertex AI bills through the user's Google Cloud account; its Live rates were not
	// available to us offline either.
	"gemini-live-2.5-flash": {InputText: 0.50, InputMedia: 3.00, OutputText: 2.00, OutputAudio: 12.00,
		Source: "estimate: 2.5 Flash Native Audio rates (Vertex AI Live rates not verified)"},
}

// PriceFor returns the price of a model, matching the longest known prefix. ok is false
// for models with no entry (the cost is then an estimate from the default model's price).
func PriceFor(model string) (Price, bool) {
	m := strings.TrimPrefix(model, "models/")
	best, bestLen := Price{}, -1
	for k, p := range prices {
		if strings.HasPrefix(m, k) && len(k) > bestLen {
			best, bestLen = p, len(k)
		}
	}
	if bestLen < 0 {
		p := prices[DefaultModel]
		p.Source = "unknown model: priced like " + DefaultModel
		return p, false
	}
	return best, true
}

// FrameTokens is what one video frame costs in input tokens at a media resolution (the setting's
// word; "" is the model's default): LOW 64, MEDIUM and HIGH 256 (reference §6).
func FrameTokens(resolution string) int {
	if resolution == "LOW" {
		return 64
	}
	return 256
}
