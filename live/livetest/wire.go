package livetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Client messages, decoded from the validator's normalised (camelCase) form.

type clientMsg struct {
	Setup         *setupMsg         `json:"setup"`
	ClientContent *clientContentMsg `json:"clientContent"`
	RealtimeInput *realtimeInputMsg `json:"realtimeInput"`
	ToolResponse  *toolResponseMsg  `json:"toolResponse"`
	ContextUpdate *contextUpdateMsg `json:"contextUpdate"`
}

type setupMsg struct {
	Model                    string          `json:"model"`
	ExplicitVadSignal        bool            `json:"explicitVadSignal"` // Vertex only
	GenerationConfig         *genConfig      `json:"generationConfig"`
	SystemInstruction        *content        `json:"systemInstruction"`
	Tools                    []tool          `json:"tools"`
	RealtimeInputConfig      *rtInputConfig  `json:"realtimeInputConfig"`
	SessionResumption        *resumptionCfg  `json:"sessionResumption"`
	ContextWindowCompression *compressionCfg `json:"contextWindowCompression"`
	InputAudioTranscription  *struct{}       `json:"inputAudioTranscription"`
	OutputAudioTranscription *struct{}       `json:"outputAudioTranscription"`
	Proactivity              *struct {
		ProactiveAudio *bool `json:"proactiveAudio"`
	} `json:"proactivity"`
	HistoryConfig *struct {
		InitialHistoryInClientContent bool `json:"initialHistoryInClientContent"`
	} `json:"historyConfig"`
}

type genConfig struct {
	ResponseModalities    []string        `json:"responseModalities"`
	MediaResolution       string          `json:"mediaResolution"`
	ThinkingConfig        *thinkingConfig `json:"thinkingConfig"`
	EnableAffectiveDialog *bool           `json:"enableAffectiveDialog"`
}

type thinkingConfig struct {
	IncludeThoughts bool   `json:"includeThoughts"`
	ThinkingBudget  *int32 `json:"thinkingBudget"`
	ThinkingLevel   string `json:"thinkingLevel"`
}

type content struct {
	Role  string `json:"role"`
	Parts []part `json:"parts"`
}

type part struct {
	Text       string `json:"text"`
	InlineData *blob  `json:"inlineData"`
}

type blob struct {
	MIMEType string `json:"mimeType"`
	Data     string `json:"data"`
}

type tool struct {
	FunctionDeclarations []funcDecl `json:"functionDeclarations"`
}

type funcDecl struct {
	Name     string `json:"name"`
	Behavior string `json:"behavior"`
}

type rtInputConfig struct {
	AutomaticActivityDetection *aadConfig `json:"automaticActivityDetection"`
	ActivityHandling           string     `json:"activityHandling"`
	TurnCoverage               string     `json:"turnCoverage"`
}

type aadConfig struct {
	Disabled                 bool   `json:"disabled"`
	StartOfSpeechSensitivity string `json:"startOfSpeechSensitivity"`
	EndOfSpeechSensitivity   string `json:"endOfSpeechSensitivity"`
	PrefixPaddingMs          *int   `json:"prefixPaddingMs"`
	SilenceDurationMs        *int   `json:"silenceDurationMs"`
}

type resumptionCfg struct {
	Handle      string `json:"handle"`
	Transparent bool   `json:"transparent"` // Vertex only
}

type compressionCfg struct {
	TriggerTokens int64 `json:"triggerTokens"`
}

type clientContentMsg struct {
	Turns        []content `json:"turns"`
	TurnComplete bool      `json:"turnComplete"`
}

type realtimeInputMsg struct {
	MediaChunks    []blob    `json:"mediaChunks"`
	Audio          *blob     `json:"audio"`
	Video          *blob     `json:"video"`
	ActivityStart  *struct{} `json:"activityStart"`
	ActivityEnd    *struct{} `json:"activityEnd"`
	AudioStreamEnd bool      `json:"audioStreamEnd"`
	Text           *string   `json:"text"`
}

type toolResponseMsg struct {
	FunctionResponses []struct {
		ID           string          `json:"id"`
		Name         string          `json:"name"`
		Response     json.RawMessage `json:"response"`
		Scheduling   string          `json:"scheduling"`
		WillContinue bool            `json:"willContinue"`
	} `json:"functionResponses"`
}

type contextUpdateMsg struct {
	SystemInstruction *content `json:"systemInstruction"`
	Tools             *struct {
		Tools []tool `json:"tools"`
	} `json:"tools"`
}

// parsed is one validated client frame.
type parsed struct {
	msg  clientMsg
	raw  map[string]any // as received (for rules that care about explicit nulls)
	kind string         // "setup", "clientContent", ...
}

// parseClient validates one client frame the way the Gemini API's frontend
// does. A non-nil *payloadError means: close 1007 with its text.
func parseClient(data []byte) (*parsed, *payloadError) { return geminiSchema.parse(data) }

// parse validates one client frame the way the backend's frontend does. A
// non-nil *payloadError means: close 1007 with its text.
func (sc *schema) parse(data []byte) (*parsed, *payloadError) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, &payloadError{"Invalid JSON payload received. Unexpected token."}
	}
	if dec.More() {
		return nil, &payloadError{"Invalid JSON payload received. Unexpected token."}
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, &payloadError{fmt.Sprintf("Invalid JSON payload received. Expected an object, got %s.", truncate(strings.TrimSpace(string(data)), 40))}
	}
	norm, perr := sc.validate(sc.msgs["ClientMessage"], obj, "")
	if perr != nil {
		return nil, perr
	}
	set := make([]string, 0, 1)
	for k := range norm.(map[string]any) {
		set = append(set, k)
	}
	if len(set) == 0 {
		return nil, &payloadError{"Request contains an invalid argument."}
	}
	if len(set) > 1 {
		// Behaviour with two oneof members set is not documented; the proto3 JSON
		// parser refuses a second member of a oneof.
		return nil, &payloadError{"Invalid JSON payload received. Multiple oneof fields set for 'message_type'."}
	}
	p := &parsed{raw: obj, kind: set[0]}
	if p.kind == "realtimeInput" {
		// The hot path (audio every 20–100 ms): build the struct directly.
		p.msg.RealtimeInput = realtimeFromMap(norm.(map[string]any)["realtimeInput"].(map[string]any))
		return p, nil
	}
	b, err := json.Marshal(norm)
	if err != nil {
		return nil, &payloadError{"Request contains an invalid argument."}
	}
	if err := json.Unmarshal(b, &p.msg); err != nil {
		return nil, &payloadError{"Request contains an invalid argument."}
	}
	return p, nil
}

// realtimeFromMap converts a validated, normalised realtimeInput.
func realtimeFromMap(m map[string]any) *realtimeInputMsg {
	toBlob := func(v any) *blob {
		bm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		b := &blob{}
		b.MIMEType, _ = bm["mimeType"].(string)
		b.Data, _ = bm["data"].(string)
		return b
	}
	ri := &realtimeInputMsg{Audio: toBlob(m["audio"]), Video: toBlob(m["video"])}
	if chunks, ok := m["mediaChunks"].([]any); ok {
		for _, c := range chunks {
			if b := toBlob(c); b != nil {
				ri.MediaChunks = append(ri.MediaChunks, *b)
			}
		}
	}
	if _, ok := m["activityStart"]; ok {
		ri.ActivityStart = &struct{}{}
	}
	if _, ok := m["activityEnd"]; ok {
		ri.ActivityEnd = &struct{}{}
	}
	ri.AudioStreamEnd, _ = m["audioStreamEnd"].(bool)
	if t, ok := m["text"].(string); ok {
		ri.Text = &t
	}
	return ri
}

// Server messages. Field order follows the proto; empty fields are omitted.

type serverMsg struct {
	SetupComplete           *struct{}         `json:"setupComplete,omitempty"`
	ServerContent           *serverContent    `json:"serverContent,omitempty"`
	ToolCall                *toolCallMsg      `json:"toolCall,omitempty"`
	ToolCallCancellation    *toolCancelMsg    `json:"toolCallCancellation,omitempty"`
	GoAway                  *goAwayMsg        `json:"goAway,omitempty"`
	SessionResumptionUpdate *resumptionUpdate `json:"sessionResumptionUpdate,omitempty"`
	VoiceActivity           *voiceActivity    `json:"voiceActivity,omitempty"`
	VADSignal               *vadSignal        `json:"voiceActivityDetectionSignal,omitempty"`
	UsageMetadata           *usageMetadata    `json:"usageMetadata,omitempty"`
}

type serverContent struct {
	ModelTurn                 *outContent        `json:"modelTurn,omitempty"`
	GenerationComplete        bool               `json:"generationComplete,omitempty"`
	TurnComplete              bool               `json:"turnComplete,omitempty"`
	Interrupted               bool               `json:"interrupted,omitempty"`
	GroundingMetadata         *groundingMetadata `json:"groundingMetadata,omitempty"`
	InputTranscription        *transcription     `json:"inputTranscription,omitempty"`
	InterimInputTranscription *transcription     `json:"interimInputTranscription,omitempty"`
	OutputTranscription       *transcription     `json:"outputTranscription,omitempty"`
	TurnCompleteReason        string             `json:"turnCompleteReason,omitempty"`
}

type outContent struct {
	Role  string    `json:"role,omitempty"`
	Parts []outPart `json:"parts"`
}

type outPart struct {
	Text       string   `json:"text,omitempty"`
	Thought    bool     `json:"thought,omitempty"`
	InlineData *outBlob `json:"inlineData,omitempty"`
}

type outBlob struct {
	MIMEType string `json:"mimeType"`
	Data     []byte `json:"data"` // encoding/json writes standard base64
}

type transcription struct {
	Text     string `json:"text"`
	Finished bool   `json:"finished,omitempty"`
}

type groundingMetadata struct {
	WebSearchQueries []string         `json:"webSearchQueries,omitempty"`
	GroundingChunks  []groundingChunk `json:"groundingChunks,omitempty"`
}

type groundingChunk struct {
	Web struct {
		URI    string `json:"uri"`
		Title  string `json:"title,omitempty"`
		Domain string `json:"domain,omitempty"`
	} `json:"web"`
}

type toolCallMsg struct {
	FunctionCalls []functionCall `json:"functionCalls"`
}

type functionCall struct {
	ID   string         `json:"id"`
	Name string         `json:"name"`
	Args map[string]any `json:"args"`
}

type toolCancelMsg struct {
	IDs []string `json:"ids"`
}

type goAwayMsg struct {
	TimeLeft string `json:"timeLeft"`
}

// resumptionUpdate: Resumable nil renders the bare "{}" the real server sends
// to sessions that did not ask for resumption (reference §5.5).
type resumptionUpdate struct {
	NewHandle string `json:"newHandle,omitempty"`
	Resumable *bool  `json:"resumable,omitempty"`
	// LastConsumedClientMessageIndex (int64, so a JSON string) is sent to
	// sessions with transparent resumption only (Vertex AI, reference §5.5).
	LastConsumedClientMessageIndex string `json:"lastConsumedClientMessageIndex,omitempty"`
}

// voiceActivity is the server VAD's report (reference §5.7); the wire key is "type".
type voiceActivity struct {
	Type        string `json:"type"`
	AudioOffset string `json:"audioOffset,omitempty"`
}

// vadSignal is the explicit VAD signal Vertex AI sends to sessions that set
// explicitVadSignal (reference §5.7).
type vadSignal struct {
	VADSignalType string `json:"vadSignalType"`
}

// usageMetadata: the Gemini API names the output "response…", Vertex AI
// "candidates…" (reference §1.2, §5.6); exactly one of each pair is set.
type usageMetadata struct {
	PromptTokenCount        int            `json:"promptTokenCount"`
	ResponseTokenCount      *int           `json:"responseTokenCount,omitempty"`
	CandidatesTokenCount    *int           `json:"candidatesTokenCount,omitempty"`
	ThoughtsTokenCount      int            `json:"thoughtsTokenCount,omitempty"`
	TotalTokenCount         int            `json:"totalTokenCount"`
	PromptTokensDetails     []modalityUsed `json:"promptTokensDetails,omitempty"`
	ResponseTokensDetails   []modalityUsed `json:"responseTokensDetails,omitempty"`
	CandidatesTokensDetails []modalityUsed `json:"candidatesTokensDetails,omitempty"`
	TrafficType             string         `json:"trafficType,omitempty"` // Vertex AI
}

type modalityUsed struct {
	Modality   string `json:"modality"`
	TokenCount int    `json:"tokenCount"`
}

// encode renders a server message like Google does: pretty-printed with a
// two-space indent and a trailing newline, or compact when asked.
func encode(m *serverMsg, compact bool) ([]byte, error) {
	if compact {
		return json.Marshal(m)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// kinds lists the parts a server message carries, e.g. "serverContent.modelTurn",
// for ConnInfo.Sent.
func (m *serverMsg) kinds() []string {
	var k []string
	if m.SetupComplete != nil {
		k = append(k, "setupComplete")
	}
	if sc := m.ServerContent; sc != nil {
		if sc.InputTranscription != nil {
			k = append(k, "serverContent.inputTranscription")
		}
		if sc.InterimInputTranscription != nil {
			k = append(k, "serverContent.interimInputTranscription")
		}
		if sc.ModelTurn != nil {
			k = append(k, "serverContent.modelTurn")
		}
		if sc.OutputTranscription != nil {
			k = append(k, "serverContent.outputTranscription")
		}
		if sc.GroundingMetadata != nil {
			k = append(k, "serverContent.groundingMetadata")
		}
		if sc.Interrupted {
			k = append(k, "serverContent.interrupted")
		}
		if sc.GenerationComplete {
			k = append(k, "serverContent.generationComplete")
		}
		if sc.TurnComplete {
			k = append(k, "serverContent.turnComplete")
		}
	}
	if m.ToolCall != nil {
		k = append(k, "toolCall")
	}
	if m.ToolCallCancellation != nil {
		k = append(k, "toolCallCancellation")
	}
	if m.GoAway != nil {
		k = append(k, "goAway")
	}
	if m.SessionResumptionUpdate != nil {
		k = append(k, "sessionResumptionUpdate")
	}
	if m.VoiceActivity != nil {
		k = append(k, "voiceActivity")
	}
	if m.VADSignal != nil {
		k = append(k, "voiceActivityDetectionSignal")
	}
	if m.UsageMetadata != nil {
		k = append(k, "usageMetadata")
	}
	return k
}
