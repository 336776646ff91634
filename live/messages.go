package live

import "encoding/json"

// This file holds the wire types of the BidiGenerateContent protocol as JSON (proto3-JSON,
// lowerCamelCase). Optional scalars are pointers so that "unset" and "false/0" differ on the
// wire: the server rejects some fields outright on some models, so absent must mean absent.

// ClientMessage is one message from client to server. Exactly one field is set.
type ClientMessage struct {
	Setup         *Setup         `json:"setup,omitempty"`
	ClientContent *ClientContent `json:"clientContent,omitempty"`
	RealtimeInput *RealtimeInput `json:"realtimeInput,omitempty"`
	ToolResponse  *ToolResponse  `json:"toolResponse,omitempty"`
}

// Setup is BidiGenerateContentSetup, the first and only setup message of a connection.
type Setup struct {
	Model                    string                    `json:"model"`
	GenerationConfig         *GenerationConfig         `json:"generationConfig,omitempty"`
	SystemInstruction        *Content                  `json:"systemInstruction,omitempty"`
	Tools                    []Tool                    `json:"tools,omitempty"`
	RealtimeInputConfig      *RealtimeInputConfig      `json:"realtimeInputConfig,omitempty"`
	SessionResumption        *SessionResumptionConfig  `json:"sessionResumption,omitempty"`
	ContextWindowCompression *ContextWindowCompression `json:"contextWindowCompression,omitempty"`
	InputAudioTranscription  *AudioTranscriptionConfig `json:"inputAudioTranscription,omitempty"`
	OutputAudioTranscription *AudioTranscriptionConfig `json:"outputAudioTranscription,omitempty"`
	Proactivity              *ProactivityConfig        `json:"proactivity,omitempty"`
	HistoryConfig            *HistoryConfig            `json:"historyConfig,omitempty"`
	ExplicitVADSignal        *bool                     `json:"explicitVadSignal,omitempty"` // Vertex only
	SafetySettings           []SafetySetting           `json:"safetySettings,omitempty"`
	Labels                   map[string]string         `json:"labels,omitempty"` // Gemini API only
}

// GenerationConfig holds the generation parameters the Live API accepts.
type GenerationConfig struct {
	ResponseModalities    []string           `json:"responseModalities,omitempty"` // "AUDIO" or "TEXT"
	SpeechConfig          *SpeechConfig      `json:"speechConfig,omitempty"`
	MediaResolution       string             `json:"mediaResolution,omitempty"` // MEDIA_RESOLUTION_LOW|MEDIUM|HIGH
	ThinkingConfig        *ThinkingConfig    `json:"thinkingConfig,omitempty"`
	EnableAffectiveDialog *bool              `json:"enableAffectiveDialog,omitempty"`
	TranslationConfig     *TranslationConfig `json:"translationConfig,omitempty"`
	Temperature           *float64           `json:"temperature,omitempty"`
	TopP                  *float64           `json:"topP,omitempty"`
	TopK                  *int32             `json:"topK,omitempty"`
	MaxOutputTokens       *int32             `json:"maxOutputTokens,omitempty"`
	Seed                  *int32             `json:"seed,omitempty"`
	CandidateCount        *int32             `json:"candidateCount,omitempty"`
	PresencePenalty       *float64           `json:"presencePenalty,omitempty"`
	FrequencyPenalty      *float64           `json:"frequencyPenalty,omitempty"`
}

// SpeechConfig selects the voice and speech language.
type SpeechConfig struct {
	VoiceConfig  *VoiceConfig `json:"voiceConfig,omitempty"`
	LanguageCode string       `json:"languageCode,omitempty"`
}

// VoiceConfig selects a prebuilt voice.
type VoiceConfig struct {
	PrebuiltVoiceConfig *PrebuiltVoiceConfig `json:"prebuiltVoiceConfig,omitempty"`
}

// PrebuiltVoiceConfig names a prebuilt voice such as "Kore".
type PrebuiltVoiceConfig struct {
	VoiceName string `json:"voiceName"`
}

// ThinkingConfig controls reasoning where the model supports it.
type ThinkingConfig struct {
	ThinkingBudget  *int32 `json:"thinkingBudget,omitempty"`
	IncludeThoughts *bool  `json:"includeThoughts,omitempty"`
	ThinkingLevel   string `json:"thinkingLevel,omitempty"` // MINIMAL|LOW|MEDIUM|HIGH
}

// TranslationConfig is used by the live-translate models.
type TranslationConfig struct {
	TargetLanguageCode string `json:"targetLanguageCode,omitempty"`
	EchoTargetLanguage *bool  `json:"echoTargetLanguage,omitempty"`
}

// Content is a turn: a role and its parts.
type Content struct {
	Role  string `json:"role,omitempty"`
	Parts []Part `json:"parts"`
}

// Part is one piece of content. The server may send kinds this client does not model; they
// are kept raw.
type Part struct {
	Text                string          `json:"text,omitempty"`
	Thought             bool            `json:"thought,omitempty"`
	InlineData          *Blob           `json:"inlineData,omitempty"`
	ExecutableCode      json.RawMessage `json:"executableCode,omitempty"`
	CodeExecutionResult json.RawMessage `json:"codeExecutionResult,omitempty"`
}

// Blob is inline media. Data is base64 on the wire (encoding/json does that for []byte).
type Blob struct {
	MIMEType string `json:"mimeType"`
	Data     []byte `json:"data"`
}

// Tool is one entry of setup.tools.
type Tool struct {
	FunctionDeclarations []FunctionDeclaration `json:"functionDeclarations,omitempty"`
	GoogleSearch         *struct{}             `json:"googleSearch,omitempty"`
}

// FunctionDeclaration describes a function the model may call.
type FunctionDeclaration struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	Parameters           json.RawMessage `json:"parameters,omitempty"`           // OpenAPI-subset Schema
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"` // JSON Schema
	Behavior             string          `json:"behavior,omitempty"`             // BLOCKING|NON_BLOCKING
}

// Function behaviours.
const (
	BehaviorBlocking    = "BLOCKING"
	BehaviorNonBlocking = "NON_BLOCKING"
)

// RealtimeInputConfig configures voice activity detection and turn handling.
type RealtimeInputConfig struct {
	AutomaticActivityDetection *AutomaticActivityDetection `json:"automaticActivityDetection,omitempty"`
	ActivityHandling           string                      `json:"activityHandling,omitempty"` // START_OF_ACTIVITY_INTERRUPTS|NO_INTERRUPTION
	TurnCoverage               string                      `json:"turnCoverage,omitempty"`
}

// AutomaticActivityDetection holds the server VAD knobs.
type AutomaticActivityDetection struct {
	Disabled                 bool   `json:"disabled,omitempty"`
	StartOfSpeechSensitivity string `json:"startOfSpeechSensitivity,omitempty"` // START_SENSITIVITY_HIGH|LOW
	EndOfSpeechSensitivity   string `json:"endOfSpeechSensitivity,omitempty"`   // END_SENSITIVITY_HIGH|LOW
	PrefixPaddingMs          *int32 `json:"prefixPaddingMs,omitempty"`
	SilenceDurationMs        *int32 `json:"silenceDurationMs,omitempty"`
}

// SessionResumptionConfig enables resumption; Handle resumes a previous session. An empty
// handle must be omitted, never sent as null (3.x models reject null).
type SessionResumptionConfig struct {
	Handle      string `json:"handle,omitempty"`
	Transparent bool   `json:"transparent,omitempty"` // Vertex only
}

// ContextWindowCompression keeps long sessions alive by sliding the context window.
type ContextWindowCompression struct {
	TriggerTokens *Int64         `json:"triggerTokens,omitempty"`
	SlidingWindow *SlidingWindow `json:"slidingWindow,omitempty"`
}

// SlidingWindow is the compression mechanism.
type SlidingWindow struct {
	TargetTokens *Int64 `json:"targetTokens,omitempty"`
}

// AudioTranscriptionConfig enables a transcription; its presence is what counts.
type AudioTranscriptionConfig struct {
	LanguageCodes []string `json:"languageCodes,omitempty"`
}

// ProactivityConfig lets the model decide not to answer, or to speak first.
type ProactivityConfig struct {
	ProactiveAudio *bool `json:"proactiveAudio,omitempty"`
}

// HistoryConfig controls seeding history through clientContent.
type HistoryConfig struct {
	InitialHistoryInClientContent bool `json:"initialHistoryInClientContent,omitempty"`
}

// SafetySetting is a harm category threshold.
type SafetySetting struct {
	Category  string `json:"category"`
	Threshold string `json:"threshold"`
}

// RealtimeInput carries one realtime item. Set exactly one field per message.
type RealtimeInput struct {
	Audio          *Blob     `json:"audio,omitempty"`
	Video          *Blob     `json:"video,omitempty"`
	Text           string    `json:"text,omitempty"`
	AudioStreamEnd bool      `json:"audioStreamEnd,omitempty"`
	ActivityStart  *struct{} `json:"activityStart,omitempty"`
	ActivityEnd    *struct{} `json:"activityEnd,omitempty"`
}

// ClientContent appends turns to the conversation history.
type ClientContent struct {
	Turns        []Content `json:"turns,omitempty"`
	TurnComplete bool      `json:"turnComplete"`
}

// ToolResponse answers function calls.
type ToolResponse struct {
	FunctionResponses []FunctionResponse `json:"functionResponses"`
}

// FunctionResponse answers one call; ID must echo the call's id.
type FunctionResponse struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	Response     map[string]any `json:"response"`             // required: never null (see MarshalJSON)
	Scheduling   string         `json:"scheduling,omitempty"` // SILENT|WHEN_IDLE|INTERRUPT (NON_BLOCKING only)
	WillContinue *bool          `json:"willContinue,omitempty"`
}

// MarshalJSON sends an empty object for a nil Response: the field is required, and the
// server rejects null.
func (r FunctionResponse) MarshalJSON() ([]byte, error) {
	type plain FunctionResponse
	if r.Response == nil {
		r.Response = map[string]any{}
	}
	return json.Marshal(plain(r))
}

// Scheduling values for NON_BLOCKING function responses.
const (
	SchedulingSilent    = "SILENT"
	SchedulingWhenIdle  = "WHEN_IDLE"
	SchedulingInterrupt = "INTERRUPT"
)

// ServerMessage is one message from the server. Several fields may be set at once (usage
// metadata travels beside anything, and newer models bundle content parts with signals), so
// consumers must look at every field.
type ServerMessage struct {
	SetupComplete                *SetupComplete                `json:"setupComplete,omitempty"`
	ServerContent                *ServerContent                `json:"serverContent,omitempty"`
	ToolCall                     *ToolCall                     `json:"toolCall,omitempty"`
	ToolCallCancellation         *ToolCallCancellation         `json:"toolCallCancellation,omitempty"`
	GoAway                       *GoAway                       `json:"goAway,omitempty"`
	SessionResumptionUpdate      *SessionResumptionUpdate      `json:"sessionResumptionUpdate,omitempty"`
	UsageMetadata                *UsageMetadata                `json:"usageMetadata,omitempty"`
	VoiceActivity                *VoiceActivity                `json:"voiceActivity,omitempty"`
	VoiceActivityDetectionSignal *VoiceActivityDetectionSignal `json:"voiceActivityDetectionSignal,omitempty"`
	Error                        *APIError                     `json:"error,omitempty"`
}

// SetupComplete acknowledges the setup.
type SetupComplete struct {
	SessionID string `json:"sessionId,omitempty"`
}

// ServerContent is model output and turn signals.
type ServerContent struct {
	ModelTurn                 *Content           `json:"modelTurn,omitempty"`
	TurnComplete              bool               `json:"turnComplete,omitempty"`
	Interrupted               bool               `json:"interrupted,omitempty"`
	GenerationComplete        bool               `json:"generationComplete,omitempty"`
	WaitingForInput           bool               `json:"waitingForInput,omitempty"`
	GroundingMetadata         *GroundingMetadata `json:"groundingMetadata,omitempty"`
	InputTranscription        *Transcription     `json:"inputTranscription,omitempty"`
	InterimInputTranscription *Transcription     `json:"interimInputTranscription,omitempty"`
	OutputTranscription       *Transcription     `json:"outputTranscription,omitempty"`
	URLContextMetadata        json.RawMessage    `json:"urlContextMetadata,omitempty"`
	TurnCompleteReason        string             `json:"turnCompleteReason,omitempty"`
	InteractionStatus         string             `json:"interactionStatus,omitempty"`
}

// Transcription is a piece of transcript. Output transcriptions are deltas.
type Transcription struct {
	Text         string `json:"text,omitempty"`
	Finished     bool   `json:"finished,omitempty"`
	LanguageCode string `json:"languageCode,omitempty"`
}

// GroundingMetadata lists the web sources behind a grounded answer.
type GroundingMetadata struct {
	WebSearchQueries  []string         `json:"webSearchQueries,omitempty"`
	GroundingChunks   []GroundingChunk `json:"groundingChunks,omitempty"`
	SearchEntryPoint  json.RawMessage  `json:"searchEntryPoint,omitempty"`
	GroundingSupports json.RawMessage  `json:"groundingSupports,omitempty"`
}

// GroundingChunk is one source.
type GroundingChunk struct {
	Web *WebSource `json:"web,omitempty"`
}

// WebSource is a web page used for grounding.
type WebSource struct {
	URI    string `json:"uri,omitempty"`
	Title  string `json:"title,omitempty"`
	Domain string `json:"domain,omitempty"`
}

// ToolCall asks the client to run functions.
type ToolCall struct {
	FunctionCalls []FunctionCall `json:"functionCalls"`
}

// FunctionCall is one requested call.
type FunctionCall struct {
	ID   string         `json:"id,omitempty"`
	Name string         `json:"name"`
	Args map[string]any `json:"args,omitempty"`
}

// ToolCallCancellation withdraws earlier calls (after a barge-in).
type ToolCallCancellation struct {
	IDs []string `json:"ids"`
}

// GoAway warns that the server will close the connection after TimeLeft.
type GoAway struct {
	TimeLeft Duration `json:"timeLeft"`
}

// SessionResumptionUpdate carries the handle to resume with.
type SessionResumptionUpdate struct {
	NewHandle                      string `json:"newHandle,omitempty"`
	Resumable                      bool   `json:"resumable,omitempty"`
	LastConsumedClientMessageIndex Int64  `json:"lastConsumedClientMessageIndex,omitempty"`
}

// UsageMetadata reports token use. Vertex spells the response fields "candidates…"; both are read.
type UsageMetadata struct {
	PromptTokenCount           Int64                `json:"promptTokenCount,omitempty"`
	CachedContentTokenCount    Int64                `json:"cachedContentTokenCount,omitempty"`
	ResponseTokenCount         Int64                `json:"responseTokenCount,omitempty"`
	CandidatesTokenCount       Int64                `json:"candidatesTokenCount,omitempty"`
	ToolUsePromptTokenCount    Int64                `json:"toolUsePromptTokenCount,omitempty"`
	ThoughtsTokenCount         Int64                `json:"thoughtsTokenCount,omitempty"`
	TotalTokenCount            Int64                `json:"totalTokenCount,omitempty"`
	PromptTokensDetails        []ModalityTokenCount `json:"promptTokensDetails,omitempty"`
	CacheTokensDetails         []ModalityTokenCount `json:"cacheTokensDetails,omitempty"`
	ResponseTokensDetails      []ModalityTokenCount `json:"responseTokensDetails,omitempty"`
	CandidatesTokensDetails    []ModalityTokenCount `json:"candidatesTokensDetails,omitempty"`
	ToolUsePromptTokensDetails []ModalityTokenCount `json:"toolUsePromptTokensDetails,omitempty"`
}

// Response returns the response token count whichever spelling the server used.
func (u *UsageMetadata) Response() (int64, []ModalityTokenCount) {
	if u.ResponseTokenCount != 0 || len(u.ResponseTokensDetails) > 0 {
		return int64(u.ResponseTokenCount), u.ResponseTokensDetails
	}
	return int64(u.CandidatesTokenCount), u.CandidatesTokensDetails
}

// ModalityTokenCount is a token count for one modality (TEXT, IMAGE, AUDIO, VIDEO, DOCUMENT).
type ModalityTokenCount struct {
	Modality   string `json:"modality"`
	TokenCount Int64  `json:"tokenCount"`
}

// VoiceActivity reports server-side speech start/end. The wire key is "type".
type VoiceActivity struct {
	Type        string   `json:"type,omitempty"` // ACTIVITY_START|ACTIVITY_END
	AudioOffset Duration `json:"audioOffset,omitempty"`
}

// VoiceActivityDetectionSignal is the allowlisted VAD signal.
type VoiceActivityDetectionSignal struct {
	VADSignalType string `json:"vadSignalType,omitempty"`
}

// APIError is an in-band error object; the SDKs treat it as fatal.
type APIError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status,omitempty"`
}
