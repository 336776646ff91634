// Package sdktest proves livetest's fidelity with the official Go SDK
// (google.golang.org/genai). It is a separate module so the SDK stays out of
// the app's dependency graph: run it with `cd live/livetest/sdktest && go test -race ./...`.
package sdktest
