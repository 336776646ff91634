// Package sdktest proves livetest's fidelity with the official Go SDK
// (google.golang.org/genai), on the Gemini API's route and on Vertex AI's
// (with OAuth tokens from livetest.TokenServer via cloud.google.com/go/auth). It is a separate module so the SDK stays out of
// the app's dependency graph: run it with `cd live/livetest/sdktest && go test -race ./...`.
package sdktest
