package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livedesk/livedesk/live/livetest"
)

// vertexFake starts the fake Live server with its Vertex AI route checking OAuth tokens from a
// fake Google token endpoint, and writes a service-account key file (generated now) whose
// token_uri points at that endpoint: what the Go OAuth library reads, unchanged.
func vertexFake(t *testing.T, lifetime time.Duration, opt livetest.Options) (*livetest.Server, *livetest.TokenServer, string) {
	t.Helper()
	tokens, err := livetest.StartTokenServer(lifetime)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tokens.Close() })
	keyFile, err := tokens.ServiceAccountFile(t.TempDir(), "acme-live")
	if err != nil {
		t.Fatal(err)
	}
	opt.Bearer = tokens
	srv, err := livetest.Start(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, tokens, keyFile
}

// TestVertexAskAndTalk: `ask` and `talk` reach the Vertex AI route with a service-account key
// file, the model named in the project, and bearer tokens from the (fake) token endpoint; talk
// outlives its 2 s tokens across goAway swaps, so each new connection needs a refreshed one
// (the fake refuses an expired token).
func TestVertexAskAndTalk(t *testing.T) {
	srv, tokens, keyFile := vertexFake(t, 2*time.Second, livetest.Options{GoAwayAfter: 1500 * time.Millisecond, ConnLifetime: 2500 * time.Millisecond})
	vertex := []string{"--endpoint", srv.URL(), "--api", "vertex", "--project", "acme-live", "--location", "us-central1", "--credentials", keyFile}

	var stdout, stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "a.wav")
	if code := Ask(t.Context(), append(vertex, "--text", "capital of Peru?", "--out", out), &stdout, &stderr, mapEnv{}); code != 0 {
		t.Fatalf("ask: exit %d: %s", code, stderr.String())
	}
	c := srv.Conns()[0]
	if c.Backend != "vertex" || c.Credential != livetest.CredBearerHeader || c.Model != "projects/acme-live/locations/us-central1/publishers/google/models/gemini-live-2.5-flash-native-audio" {
		t.Errorf("ask connected as backend %q, credential %q, model %q", c.Backend, c.Credential, c.Model)
	}

	stdout.Reset()
	stderr.Reset()
	code := Talk(t.Context(), append(vertex, "--backend", "null", "--text", "hello there", "--duration", "6s"), &stdout, &stderr, mapEnv{})
	if code != 0 {
		t.Fatalf("talk: exit %d; stderr %s; stdout %s", code, stderr.String(), stdout.String())
	}
	cs := srv.Conns()[1:]
	if len(cs) < 3 {
		t.Fatalf("talk made %d connections in 6 s with goAway every 1.5 s; want at least 3", len(cs))
	}
	for _, c := range cs {
		if c.Backend != "vertex" || c.Credential != livetest.CredBearerHeader || !c.SetupDone {
			t.Errorf("connection %d: backend %q, credential %q, setup done %v", c.ID, c.Backend, c.Credential, c.SetupDone)
		}
		if c.ID > cs[0].ID && c.ResumedHandle == "" {
			t.Errorf("connection %d did not resume the session", c.ID)
		}
	}
	if n := tokens.Issued(); n < 3 {
		t.Errorf("%d tokens issued for %d connections over 6 s with 2 s tokens: they were not refreshed", n, len(cs)+1)
	}
	if !strings.Contains(stdout.String(), "gemini: ") {
		t.Errorf("talk printed no answer:\n%s", stdout.String())
	}
	for _, tok := range tokens.Tokens() {
		if strings.Contains(stdout.String()+stderr.String(), tok) {
			t.Error("talk printed an access token")
		}
	}
}

// TestVertexErrors: a revoked key, a missing key file, and no project and no key stop with one
// line that says what to do.
func TestVertexErrors(t *testing.T) {
	srv, tokens, keyFile := vertexFake(t, time.Minute, livetest.Options{})
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	email := between(string(data), `"client_email": "`, `"`)
	if email == "" {
		email = between(string(data), `"client_email":"`, `"`)
	}
	tokens.Revoke(email)
	base := []string{"--endpoint", srv.URL(), "--api", "vertex", "--location", "us-central1", "--text", "hi", "--out", filepath.Join(t.TempDir(), "x.wav")}
	tests := []struct {
		name string
		args []string
		env  mapEnv
		want string
	}{
		{"revoked key", append([]string{"--project", "acme-live", "--credentials", keyFile}, base...), mapEnv{}, "Google Cloud refused the credentials"},
		{"missing key file", append([]string{"--project", "acme-live", "--credentials", filepath.Join(t.TempDir(), "none.json")}, base...), mapEnv{}, "no such file"},
		{"no project, no key", base, mapEnv{}, "no Google Cloud project and no API key"},
		{"bad location", append(append([]string{"--project", "acme-live"}, base...), "--location", "us central"), mapEnv{}, "not a Vertex AI location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Ask(t.Context(), tt.args, &stdout, &stderr, tt.env)
			if code != 1 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 mentioning %q", code, stderr.String(), tt.want)
			}
			if strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
				t.Errorf("error is not one line: %q", stderr.String())
			}
			if strings.Contains(stderr.String(), "PRIVATE KEY") {
				t.Error("the error shows the private key")
			}
		})
	}
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}
