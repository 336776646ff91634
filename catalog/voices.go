package catalog

// Voices are the 30 prebuilt voices of the native-audio Live models (reference §7), in
// display order.
var Voices = []string{
	"Achernar", "Achird", "Algenib", "Algieba", "Alnilam", "Aoede", "Autonoe", "Callirrhoe",
	"Charon", "Despina", "Enceladus", "Erinome", "Fenrir", "Gacrux", "Iapetus", "Kore",
	"Laomedeia", "Leda", "Orus", "Pulcherrima", "Puck", "Rasalgethi", "Sadachbia", "Sadaltager",
	"Schedar", "Sulafat", "Umbriel", "Vindemiatrix", "Zephyr", "Zubenelgenubi",
}

// DefaultVoice is the voice a new user hears.
const DefaultVoice = "Kore"

// Languages are the speech language codes the API documents for speechConfig.languageCode.
// "" (not listed) lets the model choose, which native-audio models do anyway.
var Languages = []string{
	"ar-XA", "bn-IN", "cmn-CN", "de-DE", "en-AU", "en-GB", "en-IN", "en-US", "es-ES", "es-US",
	"fr-CA", "fr-FR", "gu-IN", "hi-IN", "id-ID", "it-IT", "ja-JP", "kn-IN", "ko-KR", "ml-IN",
	"mr-IN", "nl-NL", "pl-PL", "pt-BR", "ru-RU", "ta-IN", "te-IN", "th-TH", "tr-TR", "vi-VN",
}
