// Package sdktest drives the official Go SDK (google.golang.org/genai) against livetest.
// It is a separate module so the SDK stays out of the app's dependency graph.
package sdktest
