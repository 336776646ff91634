package live

import (
	"errors"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

func TestCloseErrorMapping(t *testing.T) {
	tests := []struct {
		code      websocket.StatusCode
		reason    string
		want      error
		permanent bool
		hint      string
	}{
		{1007, `Invalid JSON payload received. Unknown name "config": Cannot find field.`, ErrBadRequest, true, "check the model name"},
		{1007, "Cannot extract voices from a non-audio request.", ErrBadRequest, true, "only answers with audio"},
		{1007, "Request contains an invalid argument.", ErrBadRequest, true, "check the model name"},
		{1007, "API key expired. Please renew the API key.", ErrUnauthorized, true, "renew the API key"},
		{1008, "The operation was aborted.", ErrAborted, false, "time limit"},
		{1008, "BidiGenerateContent session not found", ErrSessionNotFound, false, "expired"},
		{1008, "models/gemini-9 is not found for API version v1beta, or is not supported for bidiGenerateContent", ErrNotFound, true, "check the model name"},
		{1008, "Operation is not implemented, or supported, or enabled.", ErrUnsupported, true, "turn it off"},
		{1011, "Internal error encountered.", ErrInternal, false, "temporary"},
		{1011, "Deadline expired before operation could complete.", ErrDeadline, false, "time limit"},
		{1011, "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: h", ErrQuota, true, "quota"},
		{1006, "", ErrConnectionLost, false, ""},
		{1000, "", ErrClosed, false, ""},
	}
	for _, tt := range tests {
		e := &CloseError{Code: tt.code, Reason: tt.reason}
		var err error = e
		if !errors.Is(err, tt.want) {
			t.Errorf("%d %q: errors.Is(%v) = false", tt.code, tt.reason, tt.want)
		}
		if got := IsPermanent(err); got != tt.permanent {
			t.Errorf("%d %q: IsPermanent = %t, want %t", tt.code, tt.reason, got, tt.permanent)
		}
		if !strings.Contains(e.Hint(), tt.hint) {
			t.Errorf("%d %q: Hint() = %q, want it to contain %q", tt.code, tt.reason, e.Hint(), tt.hint)
		}
		if !strings.Contains(err.Error(), tt.reason) || !strings.HasPrefix(err.Error(), "live api closed the session: ") {
			t.Errorf("Error() = %q", err.Error())
		}
	}
}

func TestHandshakeErrorMapping(t *testing.T) {
	tests := []struct {
		status    int
		want      error
		permanent bool
	}{
		{401, ErrUnauthorized, true},
		{403, ErrUnauthorized, true},
		{429, ErrQuota, true},
		{404, ErrNotFound, true},
		{502, nil, false},
	}
	for _, tt := range tests {
		err := error(&HandshakeError{Status: tt.status})
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("HTTP %d: not %v", tt.status, tt.want)
		}
		if IsPermanent(err) != tt.permanent {
			t.Errorf("HTTP %d: IsPermanent = %t", tt.status, !tt.permanent)
		}
	}
}

func TestEndpointURL(t *testing.T) {
	tests := []struct {
		opt     DialOptions
		want    string
		wantErr string
	}{
		{DialOptions{APIKey: "k"}, "wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent", ""},
		{DialOptions{APIKey: "auth_tokens/abc"}, "wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained", ""},
		{DialOptions{Endpoint: "ws://127.0.0.1:8080", APIKey: "k"}, "ws://127.0.0.1:8080/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent", ""},
		{DialOptions{Endpoint: "http://localhost:9/prefix/", APIKey: "k"}, "ws://localhost:9/prefix/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent", ""},
		{DialOptions{Endpoint: "ws://[::1]:9", APIKey: "k", APIVersion: "v1"}, "ws://[::1]:9/ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent", ""},
		{DialOptions{Endpoint: "https://proxy.example.com/live", APIKey: "k"}, "wss://proxy.example.com/live/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent", ""},
		{DialOptions{Endpoint: "https://proxy.example.com/live?key=leak", APIKey: "k"}, "", "query string"},
		{DialOptions{Endpoint: "ws://example.com", APIKey: "k"}, "", "only allowed to this computer"},
		{DialOptions{Endpoint: "ws://10.0.0.1:80", APIKey: "k"}, "", "only allowed to this computer"},
		{DialOptions{Endpoint: "ftp://x", APIKey: "k"}, "", "must start with wss://"},
		{DialOptions{Endpoint: "wss://example.com/?key=secret", APIKey: "k"}, "", "query string"},
		{DialOptions{Endpoint: "wss://u:p@example.com", APIKey: "k"}, "", "user name"},
		{DialOptions{Endpoint: "localhost:80", APIKey: "k"}, "", ""},
		// Vertex AI (reference §1.2): regional, global and multi-region hosts; express mode
		// always goes to the global one; a fake keeps its prefix.
		{DialOptions{Vertex: &Vertex{Project: "p", Location: "us-central1"}}, "wss://us-central1-aiplatform.googleapis.com/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent", ""},
		{DialOptions{Vertex: &Vertex{Project: "p"}}, "wss://aiplatform.googleapis.com/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent", ""},
		{DialOptions{Vertex: &Vertex{Project: "p", Location: "eu"}}, "wss://aiplatform.eu.rep.googleapis.com/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent", ""},
		{DialOptions{Vertex: &Vertex{Location: "europe-west4"}, APIKey: "k"}, "wss://aiplatform.googleapis.com/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent", ""},
		{DialOptions{Vertex: &Vertex{Project: "p", Location: "us-central1"}, APIVersion: "v1"}, "wss://us-central1-aiplatform.googleapis.com/ws/google.cloud.aiplatform.v1.LlmBidiService/BidiGenerateContent", ""},
		{DialOptions{Endpoint: "ws://127.0.0.1:9/x", Vertex: &Vertex{Project: "p", Location: "us-central1"}}, "ws://127.0.0.1:9/x/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent", ""},
		{DialOptions{Vertex: &Vertex{Project: "p", Location: "evil.example.com/"}}, "", "not a Vertex AI location"},
	}
	for _, tt := range tests {
		got, err := EndpointURL(tt.opt)
		if tt.wantErr != "" || (tt.want == "" && err != nil) {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("EndpointURL(%q) err = %v, want %q", tt.opt.Endpoint, err, tt.wantErr)
			}
			continue
		}
		if tt.want == "" {
			t.Errorf("EndpointURL(%q) = %q, want an error", tt.opt.Endpoint, got)
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("EndpointURL(%q) = %q, %v; want %q", tt.opt.Endpoint, got, err, tt.want)
		}
	}
}
