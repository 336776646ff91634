package call

import (
	"context"
	"strings"
	"sync"

	"github.com/livedesk/livedesk/catalog"
	"github.com/livedesk/livedesk/cloudauth"
	"github.com/livedesk/livedesk/live"
	"github.com/livedesk/livedesk/settings"
)

// DialOptions maps saved settings onto where and how to connect: the Gemini API with an API
// key, or Vertex AI with Google Cloud credentials (or an API key in express mode). The window,
// talk and ask all go through it, so the backends differ in one place.
func DialOptions(s settings.Config) live.DialOptions {
	d := live.DialOptions{Endpoint: s.Endpoint, APIKey: s.APIKey.Reveal()}
	if s.BackendOf() != catalog.BackendVertex {
		return d
	}
	d.Vertex = &live.Vertex{Project: strings.TrimSpace(s.VertexProject), Location: strings.TrimSpace(s.VertexLocation)}
	if d.Vertex.Project != "" {
		d.APIKey = "" // OAuth: an API key would never be sent, so keep it out of the dial
		d.Token = (&lazyCredentials{keyFile: s.VertexKeyFile}).token
	}
	return d
}

// lazyCredentials loads the Google Cloud credentials on the first dial, on the conversation's
// goroutine (looking for Application Default Credentials can take seconds off Google Cloud),
// and keeps them for the run, so every reconnect and resumption asks the same source, which
// refreshes the token before it expires.
type lazyCredentials struct {
	keyFile string
	mu      sync.Mutex
	src     *cloudauth.Source
}

func (l *lazyCredentials) token(ctx context.Context) (string, error) {
	l.mu.Lock()
	src := l.src
	if src == nil {
		var err error
		if src, err = cloudauth.New(l.keyFile); err != nil {
			l.mu.Unlock()
			return "", err
		}
		l.src = src
	}
	l.mu.Unlock()
	return src.Token(ctx)
}
