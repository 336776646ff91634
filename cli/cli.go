// Package cli is Live Desk's terminal modes: `livedesk ask` (one question from files to a
// spoken answer in a WAV file) and `livedesk talk` (a whole spoken conversation in the
// terminal, on the same call core as the window).
package cli

import (
	"errors"
	"flag"
	"strings"

	"github.com/livedesk/livedesk/catalog"
	"github.com/livedesk/livedesk/settings"
)

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

// cloudFlags are the flags that choose the service: the Gemini API (an API key) or Vertex AI
// (a Google Cloud project and credentials, or an API key in express mode). Their defaults come
// from the environment variables Google's SDKs read.
type cloudFlags struct {
	api, project, location, keyFile string
}

func addCloudFlags(fs *flag.FlagSet, e Env) *cloudFlags {
	f := &cloudFlags{}
	api := "gemini"
	if v := strings.ToLower(e.Getenv("GOOGLE_GENAI_USE_VERTEXAI")); v == "true" || v == "1" {
		api = "vertex"
	}
	loc := e.Getenv("GOOGLE_CLOUD_LOCATION")
	if loc == "" {
		loc = catalog.DefaultVertexLocation
	}
	fs.StringVar(&f.api, "api", api, "service: gemini (an API key from Google AI Studio) or vertex (Vertex AI on Google Cloud)")
	fs.StringVar(&f.project, "project", e.Getenv("GOOGLE_CLOUD_PROJECT"), "Vertex AI: Google Cloud project ID (empty: express mode with an API key)")
	fs.StringVar(&f.location, "location", loc, "Vertex AI: global, us, eu or a region such as us-central1")
	fs.StringVar(&f.keyFile, "credentials", "", "Vertex AI: service-account key file (default: Application Default Credentials, e.g. from `gcloud auth application-default login`)")
	return f
}

// apply puts the choice into cfg. modelSet says whether the user named a model; if not, the
// backend's default model is used. key is the API key from the environment.
func (f *cloudFlags) apply(cfg *settings.Config, modelSet bool, key string) error {
	b, err := catalog.ParseBackend(f.api)
	if err != nil {
		return err
	}
	cfg.Backend = string(b)
	cfg.VertexProject, cfg.VertexLocation, cfg.VertexKeyFile = strings.TrimSpace(f.project), strings.TrimSpace(f.location), strings.TrimSpace(f.keyFile)
	if !modelSet {
		cfg.Model = catalog.RulesFor(b).DefaultModel
	}
	cfg.APIKey = settings.Secret(key)
	switch {
	case b == catalog.BackendVertex && cfg.VertexProject != "":
		cfg.APIKey = "" // OAuth credentials, not a key
	case key != "":
	case b == catalog.BackendVertex:
		return errors.New("no Google Cloud project and no API key: give --project (with `gcloud auth application-default login` or --credentials FILE), or set GOOGLE_API_KEY for Vertex AI express mode")
	default:
		return errors.New("no API key: set GEMINI_API_KEY (get one at https://aistudio.google.com/apikey), or use Vertex AI with --api vertex --project ID")
	}
	return nil
}

// flagSet reports whether the named flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}
