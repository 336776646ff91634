package sdktest

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"google.golang.org/genai"

	"github.com/livedesk/livedesk/live/livetest"
)

// The official Go SDK in Vertex AI mode against livetest's Vertex route, with
// OAuth tokens from livetest's TokenServer obtained the way Google's client
// libraries obtain them for a service-account key file.

const (
	vertexModel   = "gemini-live-2.5-flash-native-audio"
	vertexProject = "p"
	vertexRegion  = "us-central1"
)

func startTokenServer(t *testing.T, lifetime time.Duration) *livetest.TokenServer {
	t.Helper()
	ts, err := livetest.StartTokenServer(lifetime)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ts.Close(); err != nil {
			t.Errorf("TokenServer.Close: %v", err)
		}
	})
	return ts
}

// serviceAccount returns credentials read from a key file the token server
// issued (cloud.google.com/go/auth signs a JWT and trades it at token_uri),
// and the account's client_email.
func serviceAccount(t *testing.T, ts *livetest.TokenServer) (*auth.Credentials, string) {
	t.Helper()
	key, err := ts.ServiceAccountJSON(vertexProject)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := credentials.DetectDefault(&credentials.DetectOptions{
		CredentialsJSON: key,
		Scopes:          []string{livetest.CloudPlatformScope},
	})
	if err != nil {
		t.Fatalf("DetectDefault: %v", err)
	}
	var f struct {
		ClientEmail string `json:"client_email"`
	}
	if err := json.Unmarshal(key, &f); err != nil {
		t.Fatal(err)
	}
	return creds, f.ClientEmail
}

func vertexClient(t *testing.T, s *livetest.Server, creds *auth.Credentials) *genai.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		Backend:     genai.BackendVertexAI,
		Project:     vertexProject,
		Location:    vertexRegion,
		Credentials: creds,
		HTTPOptions: genai.HTTPOptions{BaseURL: s.URL(), APIVersion: "v1beta1"},
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return client
}

func connectVertex(t *testing.T, client *genai.Client, cfg *genai.LiveConnectConfig) *genai.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	sess, err := client.Live.Connect(ctx, vertexModel, cfg)
	if err != nil {
		t.Fatalf("Live.Connect: %v", err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	if m := receive(t, sess); m.SetupComplete == nil {
		t.Fatalf("first Receive = %+v, want setupComplete", m)
	}
	return sess
}

func TestGoSDKVertexAudioTurn(t *testing.T) {
	ts := startTokenServer(t, time.Hour)
	s := startFake(t, livetest.Options{Bearer: ts})
	creds, _ := serviceAccount(t, ts)
	sess := connectVertex(t, vertexClient(t, s, creds), &genai.LiveConnectConfig{
		ResponseModalities:       []genai.Modality{genai.ModalityAudio},
		InputAudioTranscription:  &genai.AudioTranscriptionConfig{},
		OutputAudioTranscription: &genai.AudioTranscriptionConfig{},
		ThinkingConfig:           &genai.ThinkingConfig{ThinkingBudget: genai.Ptr[int32](256)},
		EnableAffectiveDialog:    genai.Ptr(true),
		ExplicitVADSignal:        genai.Ptr(true),
	})

	sendAudio(t, sess, append(speech16k(1.2), make([]byte, 16000)...))
	var signals []genai.VADSignalType
	tr := turn{}
	for {
		m := receive(t, sess)
		if m.VoiceActivityDetectionSignal != nil {
			signals = append(signals, m.VoiceActivityDetectionSignal.VADSignalType)
		}
		if m.UsageMetadata != nil {
			tr.usage = m.UsageMetadata
		}
		if sc := m.ServerContent; sc != nil {
			if sc.ModelTurn != nil {
				for _, p := range sc.ModelTurn.Parts {
					if p.InlineData != nil {
						tr.audio = append(tr.audio, p.InlineData.Data...)
					}
				}
			}
			if sc.OutputTranscription != nil {
				tr.output += sc.OutputTranscription.Text
			}
			if sc.TurnComplete {
				break
			}
		}
	}
	want := "I heard about 1.2 seconds of audio."
	if tr.output != want || string(tr.audio) != string(livetest.Synthesize(want)) {
		t.Errorf("answer %q with %d bytes of audio, want %q and its audio", tr.output, len(tr.audio), want)
	}
	// The wire says candidatesTokenCount / candidatesTokensDetails; the SDK's
	// usageMetadataFromVertex maps them to the Response fields.
	u := tr.usage
	if u == nil || u.ResponseTokenCount == 0 || len(u.ResponseTokensDetails) != 1 ||
		u.ResponseTokensDetails[0].Modality != genai.MediaModalityAudio || u.TrafficType != genai.TrafficTypeOnDemand ||
		u.TotalTokenCount != u.PromptTokenCount+u.ResponseTokenCount {
		t.Errorf("usage %+v", u)
	}
	if len(signals) != 2 || signals[0] != genai.VADSignalTypeSos || signals[1] != genai.VADSignalTypeEos {
		t.Errorf("explicit VAD signals %v, want SOS then EOS", signals)
	}
	ci := s.Conns()[0]
	if ci.Backend != livetest.BackendVertex || ci.Version != "v1beta1" || ci.Credential != livetest.CredBearerHeader ||
		ci.Path != "/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent" {
		t.Errorf("the SDK connected as %s %s %s at %s", ci.Backend, ci.Version, ci.Credential, ci.Path)
	}
	if want := "projects/p/locations/us-central1/publishers/google/models/" + vertexModel; ci.Model != want {
		t.Errorf("model %q, want %q", ci.Model, want)
	}
	if ts.Issued() != 1 {
		t.Errorf("%d tokens issued, want 1", ts.Issued())
	}
}

// quietChunk is 10 ms of distinct audio too quiet for the server VAD.
func quietChunk(i int) []byte {
	b := make([]byte, 0, 320)
	for j := range 160 {
		b = binary.LittleEndian.AppendUint16(b, uint16(int16((i%40+1)*(1-2*(j%2)))))
	}
	return b
}

// TestGoSDKVertexTransparentResumption plays what transparent resumption is
// for: the client keeps what it sent until a SessionResumptionUpdate's
// LastConsumedClientMessageIndex covers it, and after a drop resumes with the
// handle and sends the rest again; the session then holds every audio chunk
// exactly once.
func TestGoSDKVertexTransparentResumption(t *testing.T) {
	ts := startTokenServer(t, time.Hour)
	s := startFake(t, livetest.Options{Bearer: ts, RecordAudio: true, ResumptionInterval: 20 * time.Millisecond})
	creds, _ := serviceAccount(t, ts)
	client := vertexClient(t, s, creds)
	cfg := &genai.LiveConnectConfig{
		ResponseModalities: []genai.Modality{genai.ModalityAudio},
		SessionResumption:  &genai.SessionResumptionConfig{Transparent: true},
	}
	sess := connectVertex(t, client, cfg)
	m := receive(t, sess)
	if u := m.SessionResumptionUpdate; u == nil || !u.Resumable || u.NewHandle == "" || u.LastConsumedClientMessageIndex != 0 {
		t.Fatalf("after setupComplete: %+v, want a resumable handle naming the setup (index 0)", m)
	}
	var chunks [][]byte
	send := func(sess *genai.Session, from, to int) {
		for i := from; i < to; i++ {
			for len(chunks) <= i {
				chunks = append(chunks, quietChunk(len(chunks)))
			}
			if err := sess.SendRealtimeInput(genai.LiveRealtimeInput{Audio: &genai.Blob{MIMEType: "audio/pcm;rate=16000", Data: chunks[i]}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Messages 1-10 are chunks 0-9; wait for a periodic update that covers them all.
	send(sess, 0, 10)
	var handle string
	var index int64
	for index < 10 {
		u := receive(t, sess).SessionResumptionUpdate
		if u == nil || !u.Resumable {
			t.Fatalf("update %+v while the model is idle, want resumable ones", u)
		}
		if u.LastConsumedClientMessageIndex < index {
			t.Fatalf("LastConsumedClientMessageIndex went back from %d to %d", index, u.LastConsumedClientMessageIndex)
		}
		handle, index = u.NewHandle, u.LastConsumedClientMessageIndex
	}
	if index != 10 {
		t.Fatalf("LastConsumedClientMessageIndex %d, want 10: the setup and 10 chunks", index)
	}
	// Five more the session consumes after that handle; then the connection drops.
	send(sess, 10, 15)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if _, err := s.Wait(ctx, func(cs []livetest.ConnInfo) bool { return cs[0].AudioChunks == 15 }); err != nil {
		t.Fatal(err)
	}
	if err := sess.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitClosed(ctx, 1); err != nil {
		t.Fatal(err)
	}

	cfg.SessionResumption = &genai.SessionResumptionConfig{Handle: handle, Transparent: true}
	sess2 := connectVertex(t, client, cfg)
	if u := receive(t, sess2).SessionResumptionUpdate; u == nil || !u.Resumable || u.LastConsumedClientMessageIndex != 0 {
		t.Fatalf("after the resumed setupComplete: %+v, want index 0 (each connection counts from its setup)", u)
	}
	send(sess2, int(index), 15) // message k of the old connection was chunk k-1
	if _, err := s.Wait(ctx, func(cs []livetest.ConnInfo) bool { return cs[1].AudioChunks == 5 }); err != nil {
		t.Fatal(err)
	}
	cs := s.Conns()
	if cs[1].Session != cs[0].Session || cs[1].ResumedHandle != handle {
		t.Fatalf("the second connection did not resume session %d: %+v", cs[0].Session, cs[1])
	}
	if got, want := s.SessionAudio(cs[0].Session), strings.Join(func() []string {
		var out []string
		for _, c := range chunks {
			out = append(out, string(c))
		}
		return out
	}(), ""); string(got) != want {
		t.Errorf("session audio %d bytes, want the 15 chunks' %d, each once", len(got), len(want))
	}
}

// staticToken hands out one token, as a client that keeps a stale one does.
type staticToken struct{ tok *auth.Token }

func (p staticToken) Token(context.Context) (*auth.Token, error) { return p.tok, nil }

func TestGoSDKVertexRefusedTokens(t *testing.T) {
	ts := startTokenServer(t, time.Second)
	s := startFake(t, livetest.Options{Bearer: ts})
	creds, email := serviceAccount(t, ts)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	tok, err := creds.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stale := auth.NewCredentials(&auth.CredentialsOptions{TokenProvider: staticToken{tok}})
	connectVertex(t, vertexClient(t, s, stale), &genai.LiveConnectConfig{ResponseModalities: []genai.Modality{genai.ModalityAudio}})

	for ts.Valid(tok.Value) {
		time.Sleep(50 * time.Millisecond)
	}
	_, err = vertexClient(t, s, stale).Live.Connect(ctx, vertexModel, &genai.LiveConnectConfig{ResponseModalities: []genai.Modality{genai.ModalityAudio}})
	if err == nil || !strings.Contains(err.Error(), "bad handshake") {
		t.Errorf("Connect with an expired token = %v, want the upgrade refused", err)
	}

	// A revoked account: the token endpoint refuses it, so the SDK gets no token.
	ts.Revoke(email)
	_, err = vertexClient(t, s, creds).Live.Connect(ctx, vertexModel, &genai.LiveConnectConfig{ResponseModalities: []genai.Modality{genai.ModalityAudio}})
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("Connect after Revoke = %v, want invalid_grant from the token endpoint", err)
	}
	if n := len(s.Conns()); n != 1 {
		t.Errorf("%d connections, want only the one with the fresh token", n)
	}
}

// TestGoSDKVertexExpressMode: the SDK (v1.77.0) puts neither the Vertex path
// nor the API key on a Live connection in express mode (live.go: the path is
// the base URL's own without project and location, and only Credentials set
// Authorization); in its "proxy mode" a caller gives both, and the fake's
// express route answers.
func TestGoSDKVertexExpressMode(t *testing.T) {
	s := startFake(t, livetest.Options{APIKey: "express-key"})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		Backend: genai.BackendVertexAI,
		APIKey:  "express-key",
		HTTPOptions: genai.HTTPOptions{
			BaseURL:    s.URL() + "/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent",
			APIVersion: "v1beta1",
			Headers:    map[string][]string{"x-goog-api-key": {"express-key"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	sess := connectVertex(t, client, &genai.LiveConnectConfig{ResponseModalities: []genai.Modality{genai.ModalityAudio}})
	if err := sess.SendRealtimeInput(genai.LiveRealtimeInput{Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	if tr := collect(t, sess, false); tr.usage == nil || tr.usage.ResponseTokenCount == 0 {
		t.Errorf("usage %+v", tr.usage)
	}
	ci := s.Conns()[0]
	if ci.Credential != livetest.CredKeyHeader || ci.Model != "publishers/google/models/"+vertexModel {
		t.Errorf("express mode connected with %s, model %q", ci.Credential, ci.Model)
	}
}
