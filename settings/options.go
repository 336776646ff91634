package settings

// Voices are the prebuilt native-audio voices (Live API reference §7), in display order.
var Voices = []string{
	"Achernar", "Achird", "Algenib", "Algieba", "Alnilam", "Aoede", "Autonoe", "Callirrhoe",
	"Charon", "Despina", "Enceladus", "Erinome", "Fenrir", "Gacrux", "Iapetus", "Kore",
	"Laomedeia", "Leda", "Orus", "Pulcherrima", "Puck", "Rasalgethi", "Sadachbia", "Sadaltager",
	"Schedar", "Sulafat", "Umbriel", "Vindemiatrix", "Zephyr", "Zubenelgenubi",
}

// Languages are the speech language codes the API documents for speechConfig.languageCode.
// "" (not listed) lets the model choose, which native-audio models do anyway.
var Languages = []string{
	"ar-XA", "bn-IN", "cmn-CN", "de-DE", "en-AU", "en-GB", "en-IN", "en-US", "es-ES", "es-US",
	"fr-CA", "fr-FR", "gu-IN", "hi-IN", "id-ID", "it-IT", "ja-JP", "kn-IN", "ko-KR", "ml-IN",
	"mr-IN", "nl-NL", "pl-PL", "pt-BR", "ru-RU", "ta-IN", "te-IN", "th-TH", "tr-TR", "vi-VN",
}

// Sensitivities are the values of StartSensitivity and EndSensitivity ("" = server default).
var Sensitivities = []string{"", "HIGH", "LOW"}

// MediaResolutions are the values of MediaResolution ("" = server default).
var MediaResolutions = []string{"", "LOW", "MEDIUM", "HIGH"}

// ThinkingLevels are the values of ThinkingLevel ("" = model default).
var ThinkingLevels = []string{"", "MINIMAL", "LOW", "MEDIUM", "HIGH"}

// ActivityHandlings are the values of ActivityHandling.
var ActivityHandlings = []string{ActivityInterrupts, ActivityNoInterruption}

// EchoModes are the values of EchoCancellation.
var EchoModes = []string{EchoAuto, EchoOn, EchoOff}

// Limits of the numeric fields, inclusive.
const (
	MinFPS           = 0.2
	MaxFPS           = 2.0
	MinMaxSize       = 256
	MaxMaxSize       = 3840
	MinJPEGQuality   = 1
	MaxJPEGQuality   = 100
	MaxPaddingMs     = 10000
	MaxSilenceMs     = 10000
	MaxVolume        = 2.0
	MaxInstructionKB = 64
)

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
