package settings

import (
	"math"
	"testing"
)

// FuzzValidate: whatever a settings file or a form holds, Validate either refuses it with
// field errors or accepts values inside every bound — NaN and infinities included.
func FuzzValidate(f *testing.F) {
	f.Add("gemini-3.8-live", "Kore", "", "wss://example.com", 1.0, 1024, 75, 1.0, 0, 0, "", "")
	f.Add("models/x", "nobody", "xx-YY", "ws://example.com/?key=1", math.NaN(), -1, 500, math.Inf(1), -5, 99999, "LOW", "MINIMAL")
	f.Fuzz(func(t *testing.T, model, voice, lang, endpoint string, fps float64, maxSize, quality int, volume float64, pad, silence int, sens, thinking string) {
		c := Default()
		c.Model, c.Voice, c.Language, c.Endpoint = model, voice, lang, endpoint
		c.FPS, c.MaxSize, c.JPEGQuality, c.Volume = fps, maxSize, quality, volume
		c.PrefixPaddingMs, c.SilenceDurationMs, c.StartSensitivity, c.ThinkingLevel = pad, silence, sens, thinking
		if err := c.Validate(); err != nil {
			if FieldMessage(err, "FPS")+FieldMessage(err, "Volume")+FieldMessage(err, "Model")+FieldMessage(err, "Endpoint")+
				FieldMessage(err, "Voice")+FieldMessage(err, "Language")+FieldMessage(err, "MaxSize")+FieldMessage(err, "JPEGQuality")+
				FieldMessage(err, "PrefixPaddingMs")+FieldMessage(err, "SilenceDurationMs")+FieldMessage(err, "StartSensitivity")+
				FieldMessage(err, "ThinkingLevel") == "" {
				t.Fatalf("refused without naming a field: %v", err)
			}
			return
		}
		if !(c.FPS >= MinFPS && c.FPS <= MaxFPS) || !(c.Volume >= 0 && c.Volume <= MaxVolume) ||
			c.MaxSize < MinMaxSize || c.MaxSize > MaxMaxSize || c.JPEGQuality < MinJPEGQuality || c.JPEGQuality > MaxJPEGQuality {
			t.Fatalf("accepted out-of-range values: %+v", c)
		}
	})
}
