package settings

import (
	"slices"

	"github.com/livedesk/livedesk/catalog"
)

// Store is where settings persist: the subset of fyne.Preferences this package uses, so
// Fyne's preferences satisfy it without this package importing Fyne.
type Store interface {
	StringWithFallback(key, fallback string) string
	SetString(key, value string)
	BoolWithFallback(key string, fallback bool) bool
	SetBool(key string, value bool)
	IntWithFallback(key string, fallback int) int
	SetInt(key string, value int)
	FloatWithFallback(key string, fallback float64) float64
	SetFloat(key string, value float64)
	StringListWithFallback(key string, fallback []string) []string
	SetStringList(key string, value []string)
}

// Preference keys. They are stable: renaming one loses users' settings.
const (
	keyEndpoint            = "endpoint"
	keyBackend             = "backend"
	keyVertexProject       = "vertex.project"
	keyVertexLocation      = "vertex.location"
	keyVertexKeyFile       = "vertex.key_file"
	keyModel               = "model"
	keyVoice               = "voice"
	keyLanguage            = "language"
	keySystemInstruction   = "system_instruction"
	keyInputTranscription  = "input_transcription"
	keyOutputTranscription = "output_transcription"
	keyAutoVAD             = "vad.auto"
	keyStartSensitivity    = "vad.start_sensitivity"
	keyEndSensitivity      = "vad.end_sensitivity"
	keyPrefixPaddingMs     = "vad.prefix_padding_ms"
	keySilenceDurationMs   = "vad.silence_duration_ms"
	keyActivityHandling    = "vad.activity_handling"
	keyPushToTalkKey       = "vad.push_to_talk_key"
	keyGlobalPushToTalk    = "shortcuts.global_push_to_talk"
	keyGlobalMute          = "shortcuts.global_mute"
	keyGlobalStopShare     = "shortcuts.global_stop_share"
	keyFPS                 = "media.fps"
	keyMaxSize             = "media.max_size"
	keyJPEGQuality         = "media.jpeg_quality"
	keyMediaResolution     = "media.resolution"
	keySkipUnchanged       = "media.skip_unchanged"
	keyFramesWhileSpeaking = "media.frames_only_while_speaking" // read once to carry it over to keyFramePolicy
	keyFramePolicy         = "media.frame_policy"
	keyIdleFrameSeconds    = "media.idle_frame_seconds"
	keyHideOwnWindows      = "media.hide_own_windows"
	keyMicDevice           = "audio.mic"
	keySpeakerDevice       = "audio.speaker"
	keyHeadphones          = "audio.headphones"
	keySpeakerMode         = "audio.speaker_mode"
	keyEchoCancellation    = "audio.echo_cancellation"
	keyVolume              = "audio.volume"
	keyCompression         = "session.compression"
	keyProactiveAudio      = "session.proactive_audio"
	keyAffectiveDialog     = "session.affective_dialog"
	keyThinkingLevel       = "session.thinking_level"
	keyGoogleSearch        = "tools.google_search"
	keyLocalTools          = "tools.local"
	// keyLocalToolsSet tells an empty tool list the user chose apart from "never saved".
	keyLocalToolsSet = "tools.local_saved"
	// keyLocalToolsKnown lists the tools there were when the list was saved: a tool added to
	// Live Desk since then takes its default (highlight_on_screen is on), one the user switched
	// off stays off.
	keyLocalToolsKnown = "tools.local_known"
)

// toolsBeforeKnown are the tools that existed before keyLocalToolsKnown was saved.
var toolsBeforeKnown = []string{catalog.ToolCurrentTime, catalog.ToolSnapshot, catalog.ToolClipboard}

// Load reads a Config from s, taking Default() for anything never saved. The API key is not in
// preferences: fill it in from Keys.
func Load(s Store) Config {
	d := Default()
	c := Config{
		Endpoint:            s.StringWithFallback(keyEndpoint, d.Endpoint),
		Backend:             s.StringWithFallback(keyBackend, d.Backend),
		VertexProject:       s.StringWithFallback(keyVertexProject, d.VertexProject),
		VertexLocation:      s.StringWithFallback(keyVertexLocation, d.VertexLocation),
		VertexKeyFile:       s.StringWithFallback(keyVertexKeyFile, d.VertexKeyFile),
		Model:               s.StringWithFallback(keyModel, d.Model),
		Voice:               s.StringWithFallback(keyVoice, d.Voice),
		Language:            s.StringWithFallback(keyLanguage, d.Language),
		SystemInstruction:   s.StringWithFallback(keySystemInstruction, d.SystemInstruction),
		InputTranscription:  s.BoolWithFallback(keyInputTranscription, d.InputTranscription),
		OutputTranscription: s.BoolWithFallback(keyOutputTranscription, d.OutputTranscription),
		AutoVAD:             s.BoolWithFallback(keyAutoVAD, d.AutoVAD),
		StartSensitivity:    s.StringWithFallback(keyStartSensitivity, d.StartSensitivity),
		EndSensitivity:      s.StringWithFallback(keyEndSensitivity, d.EndSensitivity),
		PrefixPaddingMs:     s.IntWithFallback(keyPrefixPaddingMs, d.PrefixPaddingMs),
		SilenceDurationMs:   s.IntWithFallback(keySilenceDurationMs, d.SilenceDurationMs),
		ActivityHandling:    s.StringWithFallback(keyActivityHandling, d.ActivityHandling),
		PushToTalkKey:       s.StringWithFallback(keyPushToTalkKey, d.PushToTalkKey),
		GlobalPushToTalk:    s.StringWithFallback(keyGlobalPushToTalk, d.GlobalPushToTalk),
		GlobalMute:          s.StringWithFallback(keyGlobalMute, d.GlobalMute),
		GlobalStopShare:     s.StringWithFallback(keyGlobalStopShare, d.GlobalStopShare),
		FPS:                 s.FloatWithFallback(keyFPS, d.FPS),
		MaxSize:             s.IntWithFallback(keyMaxSize, d.MaxSize),
		JPEGQuality:         s.IntWithFallback(keyJPEGQuality, d.JPEGQuality),
		MediaResolution:     s.StringWithFallback(keyMediaResolution, d.MediaResolution),
		SkipUnchanged:       s.BoolWithFallback(keySkipUnchanged, d.SkipUnchanged),
		FramePolicy:         s.StringWithFallback(keyFramePolicy, framePolicyFallback(s, d.FramePolicy)),
		IdleFrameSeconds:    s.IntWithFallback(keyIdleFrameSeconds, d.IdleFrameSeconds),
		HideOwnWindows:      s.BoolWithFallback(keyHideOwnWindows, d.HideOwnWindows),
		MicDevice:           s.StringWithFallback(keyMicDevice, d.MicDevice),
		SpeakerDevice:       s.StringWithFallback(keySpeakerDevice, d.SpeakerDevice),
		Headphones:          s.BoolWithFallback(keyHeadphones, d.Headphones),
		SpeakerMode:         s.BoolWithFallback(keySpeakerMode, d.SpeakerMode),
		EchoCancellation:    s.StringWithFallback(keyEchoCancellation, d.EchoCancellation),
		Volume:              s.FloatWithFallback(keyVolume, d.Volume),
		Compression:         s.BoolWithFallback(keyCompression, d.Compression),
		ProactiveAudio:      s.BoolWithFallback(keyProactiveAudio, d.ProactiveAudio),
		AffectiveDialog:     s.BoolWithFallback(keyAffectiveDialog, d.AffectiveDialog),
		ThinkingLevel:       s.StringWithFallback(keyThinkingLevel, d.ThinkingLevel),
		GoogleSearch:        s.BoolWithFallback(keyGoogleSearch, d.GoogleSearch),
		LocalTools:          slices.Clone(d.LocalTools),
	}
	if s.BoolWithFallback(keyLocalToolsSet, false) {
		c.LocalTools = slices.Clone(s.StringListWithFallback(keyLocalTools, nil))
		known := s.StringListWithFallback(keyLocalToolsKnown, toolsBeforeKnown)
		for _, t := range d.LocalTools {
			if !slices.Contains(known, t) && !slices.Contains(c.LocalTools, t) {
				c.LocalTools = append(c.LocalTools, t) // new since the list was saved: on by default
			}
		}
	}
	return c
}

// framePolicyFallback carries the old "frames only while I speak" switch over to the policy
// that replaced it.
func framePolicyFallback(s Store, def string) string {
	if s.BoolWithFallback(keyFramesWhileSpeaking, false) {
		return FramesWhenAsked
	}
	return def
}

// Flusher is a Store that writes to disk only when asked (FileStore): Save calls Flush.
type Flusher interface{ Flush() error }

// Save writes every field of c except the API key to s, and flushes a Store that buffers.
// Validate c first: Save stores what it is given.
func Save(s Store, c Config) error {
	s.SetString(keyEndpoint, c.Endpoint)
	s.SetString(keyBackend, c.Backend)
	s.SetString(keyVertexProject, c.VertexProject)
	s.SetString(keyVertexLocation, c.VertexLocation)
	s.SetString(keyVertexKeyFile, c.VertexKeyFile)
	s.SetString(keyModel, c.Model)
	s.SetString(keyVoice, c.Voice)
	s.SetString(keyLanguage, c.Language)
	s.SetString(keySystemInstruction, c.SystemInstruction)
	s.SetBool(keyInputTranscription, c.InputTranscription)
	s.SetBool(keyOutputTranscription, c.OutputTranscription)
	s.SetBool(keyAutoVAD, c.AutoVAD)
	s.SetString(keyStartSensitivity, c.StartSensitivity)
	s.SetString(keyEndSensitivity, c.EndSensitivity)
	s.SetInt(keyPrefixPaddingMs, c.PrefixPaddingMs)
	s.SetInt(keySilenceDurationMs, c.SilenceDurationMs)
	s.SetString(keyActivityHandling, c.ActivityHandling)
	s.SetString(keyPushToTalkKey, c.PushToTalkKey)
	s.SetString(keyGlobalPushToTalk, c.GlobalPushToTalk)
	s.SetString(keyGlobalMute, c.GlobalMute)
	s.SetString(keyGlobalStopShare, c.GlobalStopShare)
	s.SetFloat(keyFPS, c.FPS)
	s.SetInt(keyMaxSize, c.MaxSize)
	s.SetInt(keyJPEGQuality, c.JPEGQuality)
	s.SetString(keyMediaResolution, c.MediaResolution)
	s.SetBool(keySkipUnchanged, c.SkipUnchanged)
	s.SetString(keyFramePolicy, c.FramePolicy)
	s.SetInt(keyIdleFrameSeconds, c.IdleFrameSeconds)
	s.SetBool(keyHideOwnWindows, c.HideOwnWindows)
	s.SetString(keyMicDevice, c.MicDevice)
	s.SetString(keySpeakerDevice, c.SpeakerDevice)
	s.SetBool(keyHeadphones, c.Headphones)
	s.SetBool(keySpeakerMode, c.SpeakerMode)
	s.SetString(keyEchoCancellation, c.EchoCancellation)
	s.SetFloat(keyVolume, c.Volume)
	s.SetBool(keyCompression, c.Compression)
	s.SetBool(keyProactiveAudio, c.ProactiveAudio)
	s.SetBool(keyAffectiveDialog, c.AffectiveDialog)
	s.SetString(keyThinkingLevel, c.ThinkingLevel)
	s.SetBool(keyGoogleSearch, c.GoogleSearch)
	s.SetStringList(keyLocalTools, slices.Clone(c.LocalTools))
	s.SetBool(keyLocalToolsSet, true)
	s.SetStringList(keyLocalToolsKnown, slices.Clone(catalog.Tools))
	if f, ok := s.(Flusher); ok {
		return f.Flush()
	}
	return nil
}
