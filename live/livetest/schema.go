package livetest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// This file holds the proto field tree of BidiGenerateContentClientMessage as the
// server's proto3-JSON parser sees it, and a validator that mirrors what the real
// frontend does with a client frame: camelCase and snake_case names are both
// accepted, int64 may be a string or a number, enums are names (or numbers), bytes
// are base64, null means "unset", and an unknown name is fatal with a close 1007
// whose reason names the field and its snake_case path.
//
// The validator also normalises the value (camelCase keys, numbers for integers,
// enum names) so the rest of the package can decode it into typed structs.

type kind uint8

const (
	kString kind = iota
	kBool
	kInt32
	kInt64
	kFloat
	kBytes
	kEnum
	kMsg
	kAny    // google.protobuf.Value, or a message not modelled here: anything goes
	kStruct // google.protobuf.Struct: a JSON object
	kMapStr // map<string,string>
	kMapMsg // map<string, message>
)

type field struct {
	camel    string
	snake    string
	kind     kind
	repeated bool
	ref      string // message or enum name for kMsg, kMapMsg, kEnum
}

type msgType struct {
	name   string
	fields map[string]*field // keyed by camel and snake names
}

// A schema is the message tree one backend's parser knows: the Gemini API's
// and Vertex AI's differ in a few fields (those the Go SDK's converters refuse
// for the other backend).
type schema struct {
	msgs map[string]*msgType
	pkg  string // type URL prefix of messages and enums in "Invalid value" reasons
}

type enumType struct {
	name     string
	values   []string
	foldCase bool // Schema.type is accepted in any case by the real server
}

const protoPkg = "type.googleapis.com/google.ai.generativelanguage.v1beta."

var (
	schemaErrs     []string
	messages       = map[string]*msgType{} // the Gemini API's
	vertexMessages = map[string]*msgType{} // Vertex AI's
	enums          = map[string]*enumType{}

	geminiSchema = &schema{msgs: messages, pkg: protoPkg}
)

// vertexSchema is Vertex AI's parser for an API version ("v1", "v1beta1").
func vertexSchema(version string) *schema {
	return &schema{msgs: vertexMessages, pkg: "type.googleapis.com/google.cloud.aiplatform." + version + "."}
}

func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// f declares a field: "name:kind" where kind is one of str, bool, i32, i64, f, bytes,
// any, struct, mapstr, or "E=Enum", "M=Message", "MM=Message" (map value); a leading "[]"
// marks a repeated field. A trailing "@vertex" or "@gemini" keeps the field to
// that backend's schema (see defMsg).
func f(spec string) *field {
	spec, _, _ = strings.Cut(spec, "@")
	name, t, _ := strings.Cut(spec, ":")
	fd := &field{camel: name, snake: snakeCase(name)}
	if rest, ok := strings.CutPrefix(t, "[]"); ok {
		fd.repeated = true
		t = rest
	}
	switch {
	case t == "str":
		fd.kind = kString
	case t == "bool":
		fd.kind = kBool
	case t == "i32":
		fd.kind = kInt32
	case t == "i64":
		fd.kind = kInt64
	case t == "f":
		fd.kind = kFloat
	case t == "bytes":
		fd.kind = kBytes
	case t == "any":
		fd.kind = kAny
	case t == "struct":
		fd.kind = kStruct
	case t == "mapstr":
		fd.kind = kMapStr
	case strings.HasPrefix(t, "E="):
		fd.kind, fd.ref = kEnum, t[2:]
	case strings.HasPrefix(t, "MM="):
		fd.kind, fd.ref = kMapMsg, t[3:]
	case strings.HasPrefix(t, "M="):
		fd.kind, fd.ref = kMsg, t[2:]
	default:
		schemaErrs = append(schemaErrs, spec) // a mistake in the table below; a test checks for none
		fd.kind = kAny
	}
	return fd
}

// defMsg declares a message of both schemas. A field spec ending in "@vertex"
// exists only in Vertex AI's, one ending in "@gemini" only in the Gemini
// API's: the other backend's parser refuses it as an unknown name.
func defMsg(name string, specs ...string) {
	gm := &msgType{name: name, fields: map[string]*field{}}
	vm := &msgType{name: name, fields: map[string]*field{}}
	for _, s := range specs {
		fd := f(s)
		_, only, _ := strings.Cut(s, "@")
		switch only {
		case "", "gemini", "vertex":
		default:
			schemaErrs = append(schemaErrs, s)
		}
		if only != "vertex" {
			gm.fields[fd.camel] = fd
			gm.fields[fd.snake] = fd
		}
		if only != "gemini" {
			vm.fields[fd.camel] = fd
			vm.fields[fd.snake] = fd
		}
	}
	messages[name] = gm
	vertexMessages[name] = vm
}

func defEnum(name string, values ...string) {
	enums[name] = &enumType{name: name, values: values}
}

func init() {
	defMsg("ClientMessage", "setup:M=Setup", "clientContent:M=ClientContent", "realtimeInput:M=RealtimeInput",
		"toolResponse:M=ToolResponse", "contextUpdate:M=ContextUpdate")
	defMsg("Setup", "model:str", "generationConfig:M=GenerationConfig", "systemInstruction:M=Content",
		"tools:[]M=Tool", "realtimeInputConfig:M=RealtimeInputConfig", "sessionResumption:M=SessionResumptionConfig",
		"contextWindowCompression:M=ContextWindowCompressionConfig",
		"inputAudioTranscription:M=AudioTranscriptionConfig", "outputAudioTranscription:M=AudioTranscriptionConfig",
		"proactivity:M=ProactivityConfig", "historyConfig:M=HistoryConfig", "avatarConfig:any",
		"safetySettings:[]M=SafetySetting", "labels:mapstr@gemini", "explicitVadSignal:bool@vertex")
	defMsg("GenerationConfig", "candidateCount:i32", "maxOutputTokens:i32", "temperature:f", "topP:f", "topK:i32",
		"presencePenalty:f", "frequencyPenalty:f", "seed:i32", "responseModalities:[]E=Modality",
		"speechConfig:M=SpeechConfig", "mediaResolution:E=MediaResolution", "thinkingConfig:M=ThinkingConfig",
		"enableAffectiveDialog:bool", "translationConfig:M=TranslationConfig",
		// Present in the proto but documented as unsupported by Live; parsed, then ignored.
		"stopSequences:[]str", "responseMimeType:str", "responseSchema:M=Schema", "responseJsonSchema:any",
		"responseLogprobs:bool", "logprobs:i32", "audioTimestamp:bool", "enableEnhancedCivicAnswers:bool@gemini")
	defMsg("SpeechConfig", "voiceConfig:M=VoiceConfig", "languageCode:str", "multiSpeakerVoiceConfig:any")
	defMsg("VoiceConfig", "prebuiltVoiceConfig:M=PrebuiltVoiceConfig", "replicatedVoiceConfig:M=ReplicatedVoiceConfig")
	defMsg("PrebuiltVoiceConfig", "voiceName:str")
	defMsg("ReplicatedVoiceConfig", "mimeType:str", "voiceSampleAudio:bytes", "consentAudio:bytes@gemini",
		"voiceConsentSignature:M=VoiceConsentSignature@gemini")
	defMsg("VoiceConsentSignature", "signature:str")
	defMsg("ThinkingConfig", "includeThoughts:bool", "thinkingBudget:i32", "thinkingLevel:E=ThinkingLevel")
	defMsg("TranslationConfig", "targetLanguageCode:str", "echoTargetLanguage:bool")
	defMsg("Content", "role:str", "parts:[]M=Part")
	defMsg("Part", "text:str", "inlineData:M=Blob", "fileData:M=FileData", "functionCall:M=FunctionCall",
		"functionResponse:M=FunctionResponse", "executableCode:any", "codeExecutionResult:any", "thought:bool",
		"thoughtSignature:bytes", "videoMetadata:any", "partMetadata:any@gemini")
	defMsg("Blob", "mimeType:str", "data:bytes")
	defMsg("FileData", "mimeType:str", "fileUri:str")
	defMsg("FunctionCall", "id:str", "name:str", "args:struct", "partialArgs:[]any@vertex", "willContinue:bool@vertex")
	defMsg("FunctionResponse", "id:str", "name:str", "response:struct", "parts:[]any", "willContinue:bool@gemini",
		"scheduling:E=Scheduling")
	defMsg("Tool", "functionDeclarations:[]M=FunctionDeclaration", "googleSearch:M=GoogleSearch",
		"codeExecution:M=Empty", "urlContext:M=Empty", "googleSearchRetrieval:any", "computerUse:any",
		"googleMaps:any", "fileSearch:any@gemini", "retrieval:any@vertex", "enterpriseWebSearch:any@vertex",
		"parallelAiSearch:any@vertex", "exaAiSearch:any@vertex")
	defMsg("GoogleSearch", "timeRangeFilter:any")
	defMsg("Empty")
	defMsg("FunctionDeclaration", "name:str", "description:str", "parameters:M=Schema", "parametersJsonSchema:any",
		"response:M=Schema", "responseJsonSchema:any", "behavior:E=Behavior")
	defMsg("Schema", "type:E=Type", "format:str", "title:str", "description:str", "nullable:bool", "enum:[]str",
		"maxItems:i64", "minItems:i64", "items:M=Schema", "properties:MM=Schema", "propertyOrdering:[]str",
		"required:[]str", "minProperties:i64", "maxProperties:i64", "minLength:i64", "maxLength:i64",
		"pattern:str", "example:any", "anyOf:[]M=Schema", "default:any", "minimum:f", "maximum:f")
	defMsg("RealtimeInputConfig", "automaticActivityDetection:M=AutomaticActivityDetection",
		"activityHandling:E=ActivityHandling", "turnCoverage:E=TurnCoverage", "interimTranscriptTimestampEnabled:bool")
	defMsg("AutomaticActivityDetection", "disabled:bool", "startOfSpeechSensitivity:E=StartSensitivity",
		"endOfSpeechSensitivity:E=EndSensitivity", "prefixPaddingMs:i32", "silenceDurationMs:i32")
	defMsg("SessionResumptionConfig", "handle:str", "transparent:bool@vertex")
	defMsg("ContextWindowCompressionConfig", "triggerTokens:i64", "slidingWindow:M=SlidingWindow")
	defMsg("SlidingWindow", "targetTokens:i64")
	defMsg("AudioTranscriptionConfig", "languageCodes:[]str", "customVocabulary:[]str", "diarization:bool",
		"wordTimestamp:bool", "mode:str")
	defMsg("ProactivityConfig", "proactiveAudio:bool")
	defMsg("HistoryConfig", "initialHistoryInClientContent:bool")
	defMsg("SafetySetting", "category:str", "threshold:str", "method:str@vertex")
	defMsg("ClientContent", "turns:[]M=Content", "turnComplete:bool")
	defMsg("RealtimeInput", "mediaChunks:[]M=Blob", "audio:M=Blob", "video:M=Blob", "activityStart:M=Empty",
		"activityEnd:M=Empty", "audioStreamEnd:bool", "text:str")
	defMsg("ToolResponse", "functionResponses:[]M=FunctionResponse")
	defMsg("ContextUpdate", "systemInstruction:M=Content", "tools:M=ToolList")
	defMsg("ToolList", "tools:[]M=Tool")

	defEnum("Modality", "MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO", "VIDEO")
	defEnum("MediaResolution", "MEDIA_RESOLUTION_UNSPECIFIED", "MEDIA_RESOLUTION_LOW", "MEDIA_RESOLUTION_MEDIUM",
		"MEDIA_RESOLUTION_HIGH")
	defEnum("ThinkingLevel", "THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH")
	defEnum("Scheduling", "SCHEDULING_UNSPECIFIED", "SILENT", "WHEN_IDLE", "INTERRUPT")
	defEnum("Behavior", "UNSPECIFIED", "BLOCKING", "NON_BLOCKING")
	defEnum("Type", "TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL")
	enums["Type"].foldCase = true
	defEnum("ActivityHandling", "ACTIVITY_HANDLING_UNSPECIFIED", "START_OF_ACTIVITY_INTERRUPTS", "NO_INTERRUPTION")
	defEnum("TurnCoverage", "TURN_COVERAGE_UNSPECIFIED", "TURN_INCLUDES_ONLY_ACTIVITY", "TURN_INCLUDES_ALL_INPUT",
		"TURN_INCLUDES_AUDIO_ACTIVITY_AND_ALL_VIDEO")
	defEnum("StartSensitivity", "START_SENSITIVITY_UNSPECIFIED", "START_SENSITIVITY_HIGH", "START_SENSITIVITY_LOW")
	defEnum("EndSensitivity", "END_SENSITIVITY_UNSPECIFIED", "END_SENSITIVITY_HIGH", "END_SENSITIVITY_LOW")
}

// payloadError is what the validator reports; it becomes a close 1007.
type payloadError struct{ reason string }

func (e *payloadError) Error() string { return e.reason }

func unknownName(name, path string) *payloadError {
	if path == "" {
		return &payloadError{fmt.Sprintf("Invalid JSON payload received. Unknown name %q: Cannot find field.", name)}
	}
	return &payloadError{fmt.Sprintf("Invalid JSON payload received. Unknown name %q at '%s': Cannot find field.", name, path)}
}

func invalidValue(path, typ string, v any) *payloadError {
	b, _ := json.Marshal(v)
	return &payloadError{fmt.Sprintf("Invalid value at '%s' (%s), %s", path, typ, b)}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// validate checks v (decoded with UseNumber) against the Gemini API's message
// type m and returns a normalised copy.
func validate(m *msgType, v any, path string) (any, *payloadError) {
	return geminiSchema.validate(m, v, path)
}

// validate checks v (decoded with UseNumber) against message type m of the
// schema and returns a normalised copy.
func (sc *schema) validate(m *msgType, v any, path string) (any, *payloadError) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalidValue(path, sc.pkg+m.name, v)
	}
	out := make(map[string]any, len(obj))
	for k, fv := range obj {
		fd, ok := m.fields[k]
		if !ok {
			return nil, unknownName(k, path)
		}
		if fv == nil {
			continue // proto3 JSON: null is the default value
		}
		fpath := joinPath(path, fd.snake)
		if fd.repeated {
			list, ok := fv.([]any)
			if !ok {
				return nil, &payloadError{fmt.Sprintf("Invalid JSON payload received. Unknown name %q at '%s': Proto field is not repeating, cannot start list.", k, path)}
			}
			nl := make([]any, 0, len(list))
			for i, el := range list {
				nv, err := sc.validateValue(fd, el, fmt.Sprintf("%s[%d]", fpath, i))
				if err != nil {
					return nil, err
				}
				nl = append(nl, nv)
			}
			out[fd.camel] = nl
			continue
		}
		if _, isList := fv.([]any); isList && fd.kind != kAny {
			return nil, &payloadError{fmt.Sprintf("Invalid JSON payload received. Unknown name %q at '%s': Proto field is not repeating, cannot start list.", k, path)}
		}
		nv, err := sc.validateValue(fd, fv, fpath)
		if err != nil {
			return nil, err
		}
		out[fd.camel] = nv
	}
	return out, nil
}

func (sc *schema) validateValue(fd *field, v any, path string) (any, *payloadError) {
	switch fd.kind {
	case kAny:
		return v, nil
	case kStruct:
		if _, ok := v.(map[string]any); ok {
			return v, nil
		}
		return nil, invalidValue(path, "type.googleapis.com/google.protobuf.Struct", v)
	case kMsg:
		return sc.validate(sc.msgs[fd.ref], v, path)
	case kMapStr, kMapMsg:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, invalidValue(path, "TYPE_MESSAGE", v)
		}
		out := make(map[string]any, len(obj))
		for k, ev := range obj {
			if fd.kind == kMapStr {
				s, ok := ev.(string)
				if !ok {
					return nil, invalidValue(path+"["+k+"]", "TYPE_STRING", ev)
				}
				out[k] = s
				continue
			}
			nv, err := sc.validate(sc.msgs[fd.ref], ev, path+"["+k+"]")
			if err != nil {
				return nil, err
			}
			out[k] = nv
		}
		return out, nil
	case kString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, invalidValue(path, "TYPE_STRING", v)
	case kBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, invalidValue(path, "TYPE_BOOL", v)
	case kBytes:
		s, ok := v.(string)
		if !ok {
			return nil, invalidValue(path, "TYPE_BYTES", v)
		}
		if _, err := decodeBase64(s); err != nil {
			return nil, &payloadError{fmt.Sprintf("Invalid value at '%s' (TYPE_BYTES), Base64 decoding failed for %q", path, truncate(s, 40))}
		}
		return s, nil
	case kInt32, kInt64:
		typ := "TYPE_INT32"
		bits := 32
		if fd.kind == kInt64 {
			typ, bits = "TYPE_INT64", 64
		}
		var s string
		switch n := v.(type) {
		case json.Number:
			s = string(n)
		case string:
			s = n
		default:
			return nil, invalidValue(path, typ, v)
		}
		i, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			// 1e3 or 5.0 are accepted when integral.
			fl, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil || fl != math.Trunc(fl) || math.Abs(fl) > math.MaxInt64/2 {
				return nil, invalidValue(path, typ, v)
			}
			i = int64(fl)
		}
		return json.Number(strconv.FormatInt(i, 10)), nil
	case kFloat:
		switch n := v.(type) {
		case json.Number:
			if _, err := n.Float64(); err != nil {
				return nil, invalidValue(path, "TYPE_FLOAT", v)
			}
			return n, nil
		case string:
			fl, err := strconv.ParseFloat(n, 64)
			if err != nil || math.IsInf(fl, 0) || math.IsNaN(fl) {
				return nil, invalidValue(path, "TYPE_FLOAT", v)
			}
			return json.Number(strconv.FormatFloat(fl, 'g', -1, 64)), nil
		}
		return nil, invalidValue(path, "TYPE_FLOAT", v)
	case kEnum:
		e := enums[fd.ref]
		switch n := v.(type) {
		case string:
			for _, name := range e.values {
				if name == n || (e.foldCase && strings.EqualFold(name, n)) {
					return name, nil
				}
			}
		case json.Number:
			i, err := strconv.Atoi(string(n))
			if err == nil && i >= 0 && i < len(e.values) {
				return e.values[i], nil
			}
		}
		return nil, invalidValue(path, sc.pkg+e.name, v)
	}
	return nil, &payloadError{"Request contains an invalid argument."}
}

// decodeBase64 accepts standard and URL-safe alphabets, padded or not, like proto3 JSON.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	if b, err := base64.URLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
