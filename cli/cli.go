// Package cli is Live Desk's terminal modes: `livedesk ask` (one question from files to a
// spoken answer in a WAV file) and `livedesk talk` (a whole spoken conversation in the
// terminal, on the same call core as the window).
package cli

// Env reads the process environment; tests pass their own.
type Env interface {
	Getenv(key string) string
}

// APIKey returns the key from GEMINI_API_KEY, falling back to GOOGLE_API_KEY.
func APIKey(e Env) string {
	if k := e.Getenv("GEMINI_API_KEY"); k != "" {
		return k
	}
	return e.Getenv("GOOGLE_API_KEY")
}
