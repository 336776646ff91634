package catalog

import (
	"fmt"
	"strings"
	"time"
)

// Backend is the service a conversation goes to. Each difference between the two that the app
// must know — models, endpoints, model names in the setup, authentication, setup fields, server
// defaults, usage field names — is written here or in the code that reads BackendRules.
type Backend string

const (
	// BackendGemini is the Gemini API (generativelanguage.googleapis.com), reached with an API
	// key from Google AI Studio or an ephemeral token.
	BackendGemini Backend = "gemini"
	// BackendVertex is Vertex AI on Google Cloud: the user's project and region, OAuth
	// credentials (or an API key in express mode).
	BackendVertex Backend = "vertex"
)

// Backends lists the backends, the default first.
func Backends() []Backend { return []Backend{BackendGemini, BackendVertex} }

// ParseBackend reads a backend name as typed on a command line or stored in settings; "" is
// the Gemini API.
func ParseBackend(s string) (Backend, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "gemini", "gemini-api", "ai-studio", "aistudio":
		return BackendGemini, nil
	case "vertex", "vertex-ai", "vertexai":
		return BackendVertex, nil
	}
	return "", fmt.Errorf("unknown backend %q: use gemini (an AI Studio API key) or vertex (Google Cloud)", s)
}

// Title is the backend's name as people know it.
func (b Backend) Title() string {
	if b == BackendVertex {
		return "Vertex AI (Google Cloud)"
	}
	return "Gemini API (Google AI Studio)"
}

// Rules are what differs between the backends beyond their model lists.
type Rules struct {
	// DefaultModel is what a new user of the backend gets.
	DefaultModel string
	// TransparentResumption: the server reports which client messages a resumption handle
	// includes (sessionResumption.transparent), so a client can resend exactly the rest.
	TransparentResumption bool
	// ServerStartSensitivity and ServerEndSensitivity are the voice activity detection
	// sensitivities the server uses when the setup leaves them out (reference §4.1: the
	// Vertex end default is documented both ways; its model page says HIGH).
	ServerStartSensitivity, ServerEndSensitivity string
	// HandleValidity is how long a resumption handle stays usable after a session's last
	// connection ends.
	HandleValidity time.Duration
	// SessionCap is how long a session without context-window compression may last (audio
	// only; with video the Gemini API allows 2 minutes).
	SessionCap time.Duration
}

// RulesFor returns the rules of a backend.
func RulesFor(b Backend) Rules {
	if b == BackendVertex {
		return Rules{DefaultModel: DefaultVertexModel, TransparentResumption: true,
			ServerStartSensitivity: "LOW", ServerEndSensitivity: "HIGH",
			HandleValidity: 24 * time.Hour, SessionCap: 10 * time.Minute}
	}
	return Rules{DefaultModel: DefaultModel,
		ServerStartSensitivity: "HIGH", ServerEndSensitivity: "HIGH",
		HandleValidity: 2 * time.Hour, SessionCap: 15 * time.Minute}
}

// DefaultVertexModel is the generally available Live model on Vertex AI (Nov 2026).
const DefaultVertexModel = "gemini-live-2.5-flash-native-audio"

// ModelsFor lists the known Live models of a backend, its default first.
func ModelsFor(b Backend) []string {
	if b == BackendVertex {
		return []string{DefaultVertexModel, "gemini-live-2.5-flash"}
	}
	return Models()
}

// ModelBackend says which backend serves a known model; ok is false for a model not in the
// catalog (a newer one the user typed), which is then tried wherever the user chose.
func ModelBackend(model string) (b Backend, ok bool) {
	m := strings.TrimPrefix(model, "models/")
	for _, b := range Backends() {
		for _, x := range ModelsFor(b) {
			if x == m {
				return b, true
			}
		}
	}
	return "", false
}

// DefaultVertexLocation is where a Vertex conversation goes unless the user says otherwise:
// the global endpoint, which Google routes to a region with capacity.
const DefaultVertexLocation = "global"

// VertexLocations are the locations offered in Settings: the global endpoint, the
// multi-region ones (data kept in the US or the EU) and regions that serve Live models. Any
// other region name may be typed.
func VertexLocations() []string {
	return []string{"global", "us", "eu", "us-central1", "us-east1", "us-east4", "us-west1",
		"europe-west1", "europe-west4", "asia-northeast1", "asia-southeast1"}
}

// VertexHost returns the host name of a location's Vertex AI endpoint (reference §1.2):
// aiplatform.googleapis.com for global, aiplatform.{us|eu}.rep.googleapis.com for the
// multi-regions, {region}-aiplatform.googleapis.com otherwise.
func VertexHost(location string) (string, error) {
	loc := strings.TrimSpace(location)
	if err := CheckVertexLocation(loc); err != nil {
		return "", err
	}
	switch loc {
	case "global":
		return "aiplatform.googleapis.com", nil
	case "us", "eu":
		return "aiplatform." + loc + ".rep.googleapis.com", nil
	}
	return loc + "-aiplatform.googleapis.com", nil
}

// CheckVertexLocation accepts "global", "us", "eu" or a region name such as "us-central1".
// The name becomes part of a host name, so nothing else is let through.
func CheckVertexLocation(loc string) error {
	if loc == "" {
		return fmt.Errorf("no Vertex AI location: use global, us, eu or a region such as us-central1")
	}
	for _, r := range loc {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("%q is not a Vertex AI location: use global, us, eu or a region such as us-central1", loc)
		}
	}
	if loc[0] == '-' || loc[len(loc)-1] == '-' || len(loc) > 40 {
		return fmt.Errorf("%q is not a Vertex AI location: use global, us, eu or a region such as us-central1", loc)
	}
	return nil
}

// CheckProject accepts a Google Cloud project ID (6–30 lowercase letters, digits and hyphens,
// starting with a letter) or a project number; it ends up in the model's resource name.
func CheckProject(p string) error {
	if p == "" {
		return fmt.Errorf("no Google Cloud project: type its ID (as in the console's project picker)")
	}
	digits := true
	for _, r := range p {
		if r < '0' || r > '9' {
			digits = false
		}
	}
	if digits && len(p) <= 20 {
		return nil
	}
	ok := len(p) >= 6 && len(p) <= 30 && p[0] >= 'a' && p[0] <= 'z' && p[len(p)-1] != '-'
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("%q is not a Google Cloud project ID (6–30 lowercase letters, digits and hyphens, starting with a letter)", p)
	}
	return nil
}
