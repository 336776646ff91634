package livetest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
)

const (
	vertexPath   = "/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent"
	vertexPrefix = "projects/p/locations/us-central1/publishers/google/models/"
	nativeAudio  = "gemini-live-2.5-flash-native-audio"
	halfCascade  = "gemini-live-2.5-flash"
)

var bearer = http.Header{"Authorization": {"Bearer k"}}

// vertexSetup is a setup of model (full OAuth resource name) with extra fields.
func vertexSetup(model, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return fmt.Sprintf(`{"setup":{"model":"%s%s","generationConfig":{"responseModalities":["AUDIO"]}%s}}`, vertexPrefix, model, extra)
}

func dialVertex(t testing.TB, s *Server, hdr http.Header) *client {
	t.Helper()
	c, _, err := dialPath(t, s, vertexPath, hdr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

// connectVertex dials the Vertex AI route with a bearer token, sends setup and
// reads setupComplete.
func connectVertex(t testing.TB, s *Server, setup string) *client {
	t.Helper()
	c := dialVertex(t, s, bearer)
	c.sendRaw(setup)
	if m := c.recv(); !has(m, "setupComplete") {
		t.Fatalf("first message = %v, want setupComplete", m)
	}
	return c
}

// pending returns the messages read so far, without waiting.
func (c *client) pending() []msg {
	c.t.Helper()
	c.mu.Lock()
	frames := c.frames
	c.frames = nil
	c.mu.Unlock()
	var out []msg
	for _, f := range frames {
		var m msg
		if err := json.Unmarshal(f.data, &m); err != nil {
			c.t.Fatalf("server sent non-JSON %q: %v", f.data, err)
		}
		out = append(out, m)
	}
	return out
}

func TestVertexRouting(t *testing.T) {
	tests := []struct {
		name       string
		opt        Options
		path       string
		hdr        http.Header
		wantStatus int // 0 = upgrade succeeds
		wantBody   string
		wantCred   CredentialKind
		wantVer    string
	}{
		{"go sdk path, bearer", Options{APIKey: "k"}, vertexPath, bearer, 0, "", CredBearerHeader, "v1beta1"},
		{"v1, prefix and double slash", Options{}, "/prefix//ws/google.cloud.aiplatform.v1.LlmBidiService/BidiGenerateContent", bearer, 0, "", CredBearerHeader, "v1"},
		{"express mode, x-goog-api-key", Options{APIKey: "k"}, vertexPath, http.Header{"X-Goog-Api-Key": {"k"}}, 0, "", CredKeyHeader, "v1beta1"},
		{"express mode, ?key=", Options{APIKey: "k"}, vertexPath + "?key=k", nil, 0, "", CredKeyQuery, "v1beta1"},
		{"wrong API key", Options{APIKey: "k"}, vertexPath, http.Header{"X-Goog-Api-Key": {"nope"}}, http.StatusForbidden, "API key not valid", "", ""},
		{"wrong bearer token", Options{APIKey: "k"}, vertexPath, http.Header{"Authorization": {"Bearer nope"}}, http.StatusUnauthorized, invalidOAuth, "", ""},
		{"no credential", Options{}, vertexPath, nil, http.StatusUnauthorized, "unregistered callers", "", ""},
		{"ephemeral token, Authorization: Token", Options{}, vertexPath, http.Header{"Authorization": {"Token auth_tokens/x"}}, http.StatusUnauthorized, invalidOAuth, "", ""},
		{"ephemeral token, ?access_token=", Options{}, vertexPath + "?access_token=auth_tokens/x", nil, http.StatusUnauthorized, invalidOAuth, "", ""},
		{"ephemeral token as a key", Options{}, vertexPath, http.Header{"X-Goog-Api-Key": {"auth_tokens/x"}}, http.StatusUnauthorized, invalidOAuth, "", ""},
		{"v1beta", Options{}, "/ws/google.cloud.aiplatform.v1beta.LlmBidiService/BidiGenerateContent", bearer, http.StatusNotFound, "", "", ""},
		{"dot before the method", Options{}, "/ws/google.cloud.aiplatform.v1beta1.LlmBidiService.BidiGenerateContent", bearer, http.StatusNotFound, "", "", ""},
		{"other service", Options{}, "/ws/google.cloud.aiplatform.v1beta1.PredictionService/BidiGenerateContent", bearer, http.StatusNotFound, "", "", ""},
		{"constrained", Options{}, "/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContentConstrained", bearer, http.StatusNotFound, "", "", ""},
		{"bare method", Options{}, "/BidiGenerateContent", bearer, http.StatusNotFound, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, tt.opt)
			c, resp, err := dialPath(t, s, tt.path, tt.hdr)
			if tt.wantStatus != 0 {
				if err == nil || resp == nil || resp.StatusCode != tt.wantStatus {
					t.Fatalf("dial: %v (resp %v), want HTTP %d", err, resp, tt.wantStatus)
				}
				var body strings.Builder
				if resp.Body != nil {
					b := make([]byte, 1024)
					n, _ := resp.Body.Read(b)
					body.Write(b[:n])
				}
				if !strings.Contains(body.String(), tt.wantBody) {
					t.Errorf("body %q, want %q in it", body.String(), tt.wantBody)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			model := vertexPrefix + nativeAudio
			if tt.wantCred != CredBearerHeader {
				model = "publishers/google/models/" + nativeAudio
			}
			c.send(msg{"setup": msg{"model": model}})
			if m := c.recv(); !has(m, "setupComplete") {
				t.Fatalf("got %v, want setupComplete", m)
			}
			ci := s.Conns()[0]
			if ci.Backend != BackendVertex || ci.Credential != tt.wantCred || ci.Version != tt.wantVer || ci.Method != "BidiGenerateContent" {
				t.Errorf("backend, credential, version, method = %q, %q, %q, %q; want vertex, %q, %q, BidiGenerateContent",
					ci.Backend, ci.Credential, ci.Version, ci.Method, tt.wantCred, tt.wantVer)
			}
		})
	}
}

func TestBearerTokenServer(t *testing.T) {
	ts := startTokenServer(t, time.Hour)
	key := newAccount(t, ts, "p")
	token := grant(t, ts, key, nil)
	s := start(t, Options{APIKey: "k", Bearer: ts})
	auth := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

	for _, path := range []string{vertexPath, livePath} {
		if _, _, err := dialPath(t, s, path, auth(token)); err != nil {
			t.Errorf("%s: a token the server issued: %v", path, err)
		}
		// With Options.Bearer, bearer tokens are not compared with APIKey.
		if _, resp, err := dialPath(t, s, path, auth("k")); err == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: a token the server did not issue: %v, %v; want HTTP 401", path, err, resp)
		}
	}
	if _, _, err := dialPath(t, s, vertexPath, http.Header{"X-Goog-Api-Key": {"k"}}); err != nil {
		t.Errorf("API key beside Options.Bearer: %v", err)
	}

	ts.mu.Lock()
	ts.now = func() time.Time { return time.Now().Add(time.Hour) }
	ts.mu.Unlock()
	if _, resp, err := dialPath(t, s, vertexPath, auth(token)); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an expired token: %v, %v; want HTTP 401", err, resp)
	}
	ts.mu.Lock()
	ts.now = time.Now
	ts.mu.Unlock()
	ts.Revoke(key.email)
	if _, resp, err := dialPath(t, s, vertexPath, auth(token)); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a revoked account's token: %v, %v; want HTTP 401", err, resp)
	}
}

func TestVertexModelNames(t *testing.T) {
	apiKey := http.Header{"X-Goog-Api-Key": {"k"}}
	tests := []struct {
		name       string
		path       string
		hdr        http.Header
		model      string
		wantCode   websocket.StatusCode // 0 = setupComplete
		wantReason string
	}{
		{"full name, OAuth", vertexPath, bearer, vertexPrefix + nativeAudio, 0, ""},
		{"half-cascade", vertexPath, bearer, vertexPrefix + halfCascade, 0, ""},
		{"full name, API key", vertexPath, apiKey, vertexPrefix + halfCascade, 0, ""},
		{"express name, API key", vertexPath, apiKey, "publishers/google/models/" + nativeAudio, 0, ""},
		{"express name, OAuth", vertexPath, bearer, "publishers/google/models/" + nativeAudio, 1008, ReasonVertexModelForm},
		{"Gemini API name on Vertex", vertexPath, bearer, "models/" + nativeAudio, 1008, "Publisher Model `models/" + nativeAudio + "` not found."},
		{"bare name on Vertex", vertexPath, bearer, nativeAudio, 1008, "Publisher Model `" + nativeAudio + "` not found."},
		{"unknown model", vertexPath, bearer, "projects/p/locations/l/publishers/google/models/x", 1008,
			"Publisher Model `projects/p/locations/l/publishers/google/models/x` not found."},
		{"Gemini API model on Vertex", vertexPath, bearer, vertexPrefix + "gemini-3.8-live", 1008,
			"Publisher Model `" + vertexPrefix + "gemini-3.8-live` not found."},
		{"other publisher", vertexPath, bearer, "projects/p/locations/l/publishers/acme/models/" + nativeAudio, 1008,
			"Publisher Model `projects/p/locations/l/publishers/acme/models/" + nativeAudio + "` not found."},
		{"empty project", vertexPath, bearer, "projects//locations/l/publishers/google/models/" + nativeAudio, 1008,
			"Publisher Model `projects//locations/l/publishers/google/models/" + nativeAudio + "` not found."},
		{"custom model on Vertex", vertexPath, bearer, vertexPrefix + "gemini-live-custom", 0, ""},
		{"Vertex model on the Gemini API", livePath, apiKey, "models/" + nativeAudio, 1008,
			"models/" + nativeAudio + " is not found for API version v1beta, or is not supported for bidiGenerateContent. Call ListModels to see the list of available models and their supported methods."},
		{"Vertex name on the Gemini API", livePath, apiKey, vertexPrefix + nativeAudio, 1008,
			vertexPrefix + nativeAudio + " is not found for API version v1beta, or is not supported for bidiGenerateContent. Call ListModels to see the list of available models and their supported methods."},
		{"custom model on the Gemini API", livePath, apiKey, "models/gemini-live-custom", 0, ""},
	}
	s := start(t, Options{Models: []string{"gemini-live-custom"}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := dialPath(t, s, tt.path, tt.hdr)
			if err != nil {
				t.Fatal(err)
			}
			c.send(msg{"setup": msg{"model": tt.model}})
			if tt.wantCode == 0 {
				if m := c.recv(); !has(m, "setupComplete") {
					t.Fatalf("got %v, want setupComplete", m)
				}
				return
			}
			c.expectClose(tt.wantCode, tt.wantReason)
		})
	}
	cs := s.Conns()
	for i, tt := range tests {
		if i < len(cs) && cs[i].Model != tt.model {
			t.Errorf("ConnInfo.Model %q, want %q as sent", cs[i].Model, tt.model)
		}
	}
}

// TestVertexSetupFields: the fields the Go SDK's converters keep to one
// backend are unknown names to the other's parser.
func TestVertexSetupFields(t *testing.T) {
	unknown := func(name, at string) string {
		return fmt.Sprintf("Invalid JSON payload received. Unknown name %q at '%s': Cannot find field.", name, at)
	}
	tests := []struct {
		name       string
		vertex     bool
		extra      string
		wantReason string // "" = accepted
	}{
		{"transparent on Vertex", true, `"sessionResumption":{"transparent":true}`, ""},
		{"transparent on the Gemini API", false, `"sessionResumption":{"transparent":true}`, unknown("transparent", "setup.session_resumption")},
		{"explicitVadSignal on Vertex", true, `"explicitVadSignal":true`, ""},
		{"explicit_vad_signal on the Gemini API", false, `"explicit_vad_signal":true`, unknown("explicit_vad_signal", "setup")},
		{"labels on the Gemini API", false, `"labels":{"team":"a"}`, ""},
		{"labels on Vertex", true, `"labels":{"team":"a"}`, unknown("labels", "setup")},
		{"safety method on Vertex", true, `"safetySettings":[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE","method":"SEVERITY"}]`, ""},
		{"safety method on the Gemini API", false, `"safetySettings":[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE","method":"SEVERITY"}]`,
			unknown("method", "setup.safety_settings[0]")},
		{"fileSearch on Vertex", true, `"tools":[{"fileSearch":{}}]`, unknown("fileSearch", "setup.tools[0]")},
		{"enterpriseWebSearch on Vertex", true, `"tools":[{"enterpriseWebSearch":{}}]`, ""},
		{"enterpriseWebSearch on the Gemini API", false, `"tools":[{"enterpriseWebSearch":{}}]`, unknown("enterpriseWebSearch", "setup.tools[0]")},
		{"bad enum names Vertex's type", true, `"realtimeInputConfig":{"activityHandling":"BOGUS"}`,
			`Invalid value at 'setup.realtime_input_config.activity_handling' (type.googleapis.com/google.cloud.aiplatform.v1beta1.ActivityHandling), "BOGUS"`},
	}
	s := start(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *client
			if tt.vertex {
				c = dialVertex(t, s, bearer)
				c.sendRaw(vertexSetup(nativeAudio, tt.extra))
			} else {
				c = dial(t, s)
				c.sendRaw(setupJSON("gemini-2.5-flash-native-audio-preview-12-2025", tt.extra))
			}
			if tt.wantReason != "" {
				c.expectClose(websocket.StatusInvalidFramePayloadData, tt.wantReason)
				return
			}
			if m := c.recv(); !has(m, "setupComplete") {
				t.Fatalf("got %v, want setupComplete", m)
			}
		})
	}

	// willContinue on a function response is the Gemini API's only.
	c := connectVertex(t, s, vertexSetup(nativeAudio, ""))
	c.sendRaw(`{"toolResponse":{"functionResponses":[{"id":"x","name":"f","response":{},"willContinue":true}]}}`)
	c.expectClose(websocket.StatusInvalidFramePayloadData, unknown("willContinue", "tool_response.function_responses[0]"))
}

func TestVertexModelRules(t *testing.T) {
	nonBlocking := `"tools":[{"functionDeclarations":[{"name":"f","behavior":"NON_BLOCKING"}]}]`
	tests := []struct {
		name       string
		setup      string
		wantReason string // "" = accepted
	}{
		{"native audio: thinkingBudget", `{"setup":{"model":"` + vertexPrefix + nativeAudio + `","generationConfig":{"thinkingConfig":{"thinkingBudget":512}}}}`, ""},
		{"native audio: affective dialog, proactivity, NON_BLOCKING", vertexSetup(nativeAudio,
			`"proactivity":{"proactiveAudio":false},`+nonBlocking), ""},
		{"native audio: affective dialog", `{"setup":{"model":"` + vertexPrefix + nativeAudio + `","generationConfig":{"enableAffectiveDialog":true}}}`, ""},
		{"native audio: TEXT", `{"setup":{"model":"` + vertexPrefix + nativeAudio + `","generationConfig":{"responseModalities":["TEXT"]}}}`, ReasonNoVoices},
		{"half-cascade: TEXT", `{"setup":{"model":"` + vertexPrefix + halfCascade + `","generationConfig":{"responseModalities":["TEXT"]}}}`, ""},
		{"half-cascade: TEXT and AUDIO", `{"setup":{"model":"` + vertexPrefix + halfCascade + `","generationConfig":{"responseModalities":["TEXT","AUDIO"]}}}`, ReasonInvalidArgument},
		{"half-cascade: affective dialog", `{"setup":{"model":"` + vertexPrefix + halfCascade + `","generationConfig":{"enableAffectiveDialog":true}}}`, ReasonInvalidArgument},
		{"half-cascade: proactivity", vertexSetup(halfCascade, `"proactivity":{"proactiveAudio":true}`), ReasonInvalidArgument},
	}
	s := start(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialVertex(t, s, bearer)
			c.sendRaw(tt.setup)
			if tt.wantReason != "" {
				c.expectClose(websocket.StatusInvalidFramePayloadData, tt.wantReason)
				return
			}
			if m := c.recv(); !has(m, "setupComplete") {
				t.Fatalf("got %v, want setupComplete", m)
			}
		})
	}
}

// TestVertexUsageNames: Vertex AI names the output "candidates" (reference §1.2, §5.6).
func TestVertexUsageNames(t *testing.T) {
	s := start(t, Options{})
	c := connectVertex(t, s, vertexSetup(nativeAudio, ""))
	c.send(msg{"realtimeInput": msg{"text": "hello"}})
	ms := c.recvUntil("serverContent.turnComplete")
	u, _ := get(ms[len(ms)-1], "usageMetadata")
	um, _ := u.(map[string]any)
	if um == nil {
		t.Fatalf("no usageMetadata beside turnComplete: %v", ms[len(ms)-1])
	}
	for _, k := range []string{"responseTokenCount", "responseTokensDetails"} {
		if _, ok := um[k]; ok {
			t.Errorf("Vertex usage has the Gemini API's %s: %v", k, um)
		}
	}
	n, _ := um["candidatesTokenCount"].(float64)
	details, _ := um["candidatesTokensDetails"].([]any)
	if n == 0 || len(details) != 1 || um["trafficType"] != "ON_DEMAND" {
		t.Errorf("usage %v, want candidatesTokenCount, candidatesTokensDetails and trafficType", um)
	}
	if total, _ := um["totalTokenCount"].(float64); total != um["promptTokenCount"].(float64)+n {
		t.Errorf("usage %v: total is not prompt + candidates", um)
	}
}

// TestVertexTextResponses: a half-cascade model answers a TEXT session with
// text parts and no audio.
func TestVertexTextResponses(t *testing.T) {
	s := start(t, Options{})
	c := connectVertex(t, s, `{"setup":{"model":"`+vertexPrefix+halfCascade+`","generationConfig":{"responseModalities":["TEXT"]}}}`)
	c.send(msg{"realtimeInput": msg{"text": "say something long enough for several parts"}})
	ms := c.recvUntil("serverContent.turnComplete")
	var text strings.Builder
	for _, m := range ms {
		if v, ok := get(m, "serverContent.modelTurn.parts"); ok {
			for _, p := range v.([]any) {
				pm := msg(p.(map[string]any))
				if has(pm, "inlineData") {
					t.Errorf("audio in a TEXT session: %v", pm)
				}
				text.WriteString(str(pm, "text"))
			}
		}
	}
	want := DefaultResponder(Turn{Text: "say something long enough for several parts"}).Text
	if text.String() != want {
		t.Errorf("text %q, want %q", text.String(), want)
	}
	details, _ := get(ms[len(ms)-1], "usageMetadata.candidatesTokensDetails")
	if d, _ := details.([]any); len(d) != 1 || d[0].(map[string]any)["modality"] != "TEXT" {
		t.Errorf("candidatesTokensDetails %v, want TEXT only", details)
	}
	if n := s.Conns()[0].Count("serverContent.modelTurn"); n < 2 {
		t.Errorf("%d modelTurn messages, want the text in several parts", n)
	}
}

func TestExplicitVadSignal(t *testing.T) {
	s := start(t, Options{})
	c := connectVertex(t, s, vertexSetup(nativeAudio, `"explicitVadSignal":true`))
	c.sendAudioChunked(speech(time.Second, time.Second))
	ms := c.recvUntil("serverContent.turnComplete")
	var signals []string
	for _, m := range ms {
		if v := str(m, "voiceActivityDetectionSignal.vadSignalType"); v != "" {
			signals = append(signals, v)
		}
	}
	if !slices.Equal(signals, []string{"VAD_SIGNAL_TYPE_SOS", "VAD_SIGNAL_TYPE_EOS"}) {
		t.Errorf("signals %v, want SOS then EOS", signals)
	}
	if n := s.Conns()[0].Count("voiceActivityDetectionSignal"); n != 2 {
		t.Errorf("Sent counts %d signals", n)
	}
}

// quiet returns chunk i of a stream of distinct audio chunks too quiet for the
// server VAD (so no turn starts).
func quiet(i int) []int16 {
	pcm := make([]int16, 160)
	for j := range pcm {
		pcm[j] = int16((i%40 + 1) * (1 - 2*(j%2)))
	}
	return pcm
}

func pcmBytes(chunks ...[]int16) []byte {
	var b []byte
	for _, ch := range chunks {
		for _, v := range ch {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
	}
	return b
}

// lastHandle returns the newest resumable update in ms: its handle and
// lastConsumedClientMessageIndex, or "" and -1.
func lastHandle(t *testing.T, ms []msg) (string, int) {
	t.Helper()
	handle, index := "", -1
	for _, m := range ms {
		if r, _ := get(m, "sessionResumptionUpdate.resumable"); r != true {
			continue
		}
		s := str(m, "sessionResumptionUpdate.lastConsumedClientMessageIndex")
		i, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("lastConsumedClientMessageIndex %q in %v", s, m)
		}
		if i < index {
			t.Fatalf("lastConsumedClientMessageIndex went back from %d to %d", index, i)
		}
		handle, index = str(m, "sessionResumptionUpdate.newHandle"), i
	}
	return handle, index
}

// TestTransparentResumptionReplay plays a client of transparent resumption: it
// keeps every message it sends until an update says the session consumed it,
// drops the connection, resumes with the newest handle it has read and sends
// again what that handle's state lacks. The session must then hold every
// audio chunk exactly once, whether the handle is the first one (no periodic
// updates) or one from the middle of the stream.
func TestTransparentResumptionReplay(t *testing.T) {
	for _, interval := range []time.Duration{-1, 2 * time.Millisecond} {
		t.Run(fmt.Sprint(interval), func(t *testing.T) {
			s := start(t, Options{RecordAudio: true, ResumptionInterval: interval})
			setup := vertexSetup(nativeAudio, `"sessionResumption":{"transparent":true}`)
			c := connectVertex(t, s, setup)
			if m := c.recv(); str(m, "sessionResumptionUpdate.lastConsumedClientMessageIndex") != "0" {
				t.Fatalf("update after setupComplete %v, want lastConsumedClientMessageIndex \"0\" (the setup)", m)
			}
			var chunks [][]int16
			send := func(c *client, from, to int) {
				for i := from; i < to; i++ {
					for len(chunks) <= i {
						chunks = append(chunks, quiet(len(chunks)))
					}
					c.sendAudio(chunks[i])
				}
			}
			waitChunks := func(id, n int) {
				t.Helper()
				if _, err := s.Wait(ctxT(t), func(cs []ConnInfo) bool { return cs[id-1].AudioChunks == n }); err != nil {
					t.Fatal(err)
				}
			}
			handle, index := s.Conns()[0].Handles[0], 0
			newest := func() {
				if h, i := lastHandle(t, c.pending()); h != "" {
					if i < index {
						t.Fatalf("lastConsumedClientMessageIndex went back from %d to %d", index, i)
					}
					handle, index = h, i
				}
			}
			send(c, 0, 20)
			waitChunks(1, 20)
			if interval > 0 {
				// An update that names all 20 chunks (message 20) comes within an interval.
				for newest(); index < 20; newest() {
					time.Sleep(interval)
				}
			}
			send(c, 20, 30)
			waitChunks(1, 30)
			newest()
			if interval < 0 && index != 0 {
				t.Fatalf("without periodic updates the newest handle names message %d, want 0", index)
			}
			_ = c.ws.CloseNow()
			if _, err := s.WaitClosed(ctxT(t), 1); err != nil {
				t.Fatal(err)
			}

			c2 := connectVertex(t, s, vertexSetup(nativeAudio, `"sessionResumption":{"transparent":true,"handle":"`+handle+`"}`))
			if m := c2.recv(); str(m, "sessionResumptionUpdate.lastConsumedClientMessageIndex") != "0" {
				t.Fatalf("update after the resumed setupComplete %v, want index \"0\": each connection counts from its setup", m)
			}
			// Message index k of the old connection was chunk k-1: send chunks k… again.
			send(c2, index, 30)
			waitChunks(2, 30-index)
			cs := s.Conns()
			if cs[1].Session != cs[0].Session || cs[1].ResumedHandle != handle {
				t.Fatalf("the second connection did not resume session %d: %+v", cs[0].Session, cs[1])
			}
			if got, want := s.SessionAudio(cs[0].Session), pcmBytes(chunks...); string(got) != string(want) {
				t.Errorf("session audio: %d bytes, want the %d of the 30 chunks, each once (handle at message %d)", len(got), len(want), index)
			}
		})
	}
}

// TestResumeTruncatesAudio: on either route a handle names the session as it
// was: audio after it is gone when a connection resumes with it.
func TestResumeTruncatesAudio(t *testing.T) {
	s := start(t, Options{RecordAudio: true})
	c := connect(t, s, setupJSON("gemini-3.8-live", `"sessionResumption":{}`))
	first := str(c.recv(), "sessionResumptionUpdate.newHandle")
	c.sendAudio(quiet(0))
	c.send(msg{"realtimeInput": msg{"text": "hi"}})
	ms := c.recvUntil("serverContent.turnComplete")
	ms = append(ms, c.recv())
	second, _ := get(ms[len(ms)-1], "sessionResumptionUpdate.newHandle")
	if second == nil {
		t.Fatalf("no handle after the turn: %v", ms[len(ms)-1])
	}
	if str(ms[len(ms)-1], "sessionResumptionUpdate.lastConsumedClientMessageIndex") != "" {
		t.Errorf("an index without transparent resumption: %v", ms[len(ms)-1])
	}
	c.sendAudio(quiet(1))
	if _, err := s.Wait(ctxT(t), func(cs []ConnInfo) bool { return cs[0].AudioChunks == 2 }); err != nil {
		t.Fatal(err)
	}
	if got := s.SessionAudio(1); string(got) != string(pcmBytes(quiet(0), quiet(1))) {
		t.Fatalf("session audio %d bytes before the resume", len(got))
	}
	_ = c.ws.CloseNow()
	if _, err := s.WaitClosed(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	connect(t, s, setupJSON("gemini-3.8-live", `"sessionResumption":{"handle":"`+second.(string)+`"}`))
	if got := s.SessionAudio(1); string(got) != string(pcmBytes(quiet(0))) {
		t.Errorf("after resuming with the handle of the turn's end: %d bytes, want the first chunk's %d", len(got), 2*len(quiet(0)))
	}
	// An older handle goes further back.
	s.CloseAll(websocket.StatusNormalClosure, "")
	if _, err := s.WaitClosed(ctxT(t), 2); err != nil {
		t.Fatal(err)
	}
	connect(t, s, setupJSON("gemini-3.8-live", `"sessionResumption":{"handle":"`+first+`"}`))
	if got := s.SessionAudio(1); len(got) != 0 {
		t.Errorf("after resuming with the setup's handle: %d bytes, want none", len(got))
	}
	if s.SessionAudio(99) != nil || New(Options{}).SessionAudio(1) != nil {
		t.Error("SessionAudio of no session is not nil")
	}
}

// TestTransparentResumptionUpdates: on fake time, a transparent session gets a
// resumable update every ResumptionInterval while idle, none resumable while the
// model speaks, and its indexes count every client message; the Gemini API's
// sessions get no periodic updates.
func TestTransparentResumptionUpdates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		long := func(Turn) Reply { return Reply{Text: strings.Repeat("a fairly long answer ", 20)} }
		s := New(Options{ResumptionInterval: time.Second, Pace: RealTime, Responder: long})
		t.Cleanup(func() { _ = s.Close() })
		ws, _, err := websocket.Dial(t.Context(), PipeURL+vertexPath, &websocket.DialOptions{HTTPClient: s.PipeClient(), HTTPHeader: bearer})
		if err != nil {
			t.Fatal(err)
		}
		ws.SetReadLimit(1 << 20)
		c := newClient(t, ws, 24*time.Hour)
		c.sendRaw(vertexSetup(nativeAudio, `"sessionResumption":{"transparent":true}`))
		c.recvUntil("setupComplete")
		start := time.Now()
		type upd struct {
			at        time.Duration // fake time: a read returns at the instant the fake sent
			resumable bool
			index     string
		}
		next := func() upd {
			t.Helper()
			m := c.recv()
			if !has(m, "sessionResumptionUpdate") {
				t.Fatalf("got %v, want a sessionResumptionUpdate", m)
			}
			r, _ := get(m, "sessionResumptionUpdate.resumable")
			return upd{time.Since(start), r == true, str(m, "sessionResumptionUpdate.lastConsumedClientMessageIndex")}
		}
		for i := range 3 {
			if u := next(); u != (upd{time.Duration(i) * time.Second, true, "0"}) {
				t.Fatalf("update %d before any input: %+v", i, u)
			}
		}
		time.Sleep(500 * time.Millisecond)
		// Messages 1-3: audio, a video frame, text (which starts a reply of many seconds).
		c.sendAudio(quiet(0))
		c.send(msg{"realtimeInput": msg{"video": msg{"mimeType": "image/jpeg", "data": jpegFrame(t, 8, 8)}}})
		c.send(msg{"realtimeInput": msg{"text": "go on"}})
		var during []msg
		for _, m := range c.recvUntil("serverContent.turnComplete") {
			if has(m, "sessionResumptionUpdate") {
				during = append(during, m)
			}
		}
		end := time.Since(start)
		for _, m := range during {
			if r, _ := get(m, "sessionResumptionUpdate.resumable"); r != false || has(m, "sessionResumptionUpdate.newHandle") ||
				has(m, "sessionResumptionUpdate.lastConsumedClientMessageIndex") {
				t.Errorf("while the model spoke: %v", m)
			}
		}
		if len(during) < 2 {
			t.Errorf("%d updates while the model spoke (%v), want the not-resumable ones", len(during), end)
		}
		if u := next(); u != (upd{end, true, "3"}) {
			t.Errorf("update at the turn's end: %+v, want one at %v naming message 3", u, end)
		}
		if u := next(); !u.resumable || u.index != "3" || u.at%time.Second != 0 || u.at > end+time.Second {
			t.Errorf("next periodic update %+v, want one on the ticker's beat naming message 3", u)
		}

		// The Gemini API: no periodic updates, no index.
		g, _, err := websocket.Dial(t.Context(), PipeURL+livePath+"?key=k", &websocket.DialOptions{HTTPClient: s.PipeClient()})
		if err != nil {
			t.Fatal(err)
		}
		gc := newClient(t, g, 24*time.Hour)
		gc.sendRaw(setupJSON("gemini-3.8-live", `"sessionResumption":{}`))
		time.Sleep(5 * time.Second)
		synctest.Wait()
		ms := gc.pending()
		if len(ms) != 2 || !has(ms[1], "sessionResumptionUpdate.newHandle") || has(ms[1], "sessionResumptionUpdate.lastConsumedClientMessageIndex") {
			t.Errorf("Gemini API session in 5 s: %v, want setupComplete and one update without an index", ms)
		}
		_ = ws.CloseNow()
		_ = g.CloseNow()
	})
}
