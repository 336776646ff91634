package live

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/livedesk/livedesk/catalog"
)

// DefaultEndpoint is Google's Live API host.
const DefaultEndpoint = catalog.DefaultEndpoint

// ReadLimit bounds one server message. Audio chunks are a few tens of KiB of base64; grounding
// metadata and tool calls can be larger. coder/websocket's 32 KiB default is far too small.
const ReadLimit = 16 << 20

// DialOptions says where and how to connect.
type DialOptions struct {
	// Endpoint is the base URL ("wss://host[/prefix]"). "" means DefaultEndpoint. ws:// (or
	// http://) is accepted only for loopback hosts, so a key never crosses a network in clear.
	Endpoint string
	// APIKey is an API key, or an ephemeral token starting with "auth_tokens/". It travels
	// in a header, never in the URL, so URLs can be shown and logged.
	APIKey string
	// APIVersion overrides the path version ("v1beta" for keys, "v1alpha" for tokens).
	APIVersion string
	// SetupTimeout bounds the wait for setupComplete (default 20 s).
	SetupTimeout time.Duration
	// HTTPClient is used for the upgrade request (default http.DefaultClient).
	HTTPClient *http.Client
	// Header adds request headers.
	Header http.Header
	// Keepalive tunes how a dead connection is noticed (defaults suit the real server).
	Keepalive Keepalive

	// Vertex, when set, connects to Vertex AI instead of the Gemini API: with Token (OAuth,
	// a project) or, with no project, in express mode with APIKey.
	Vertex *Vertex
	// Token returns a current OAuth 2.0 access token for Vertex AI. It is called on every
	// dial, so a reconnect or resumption gets a token that has not expired (the source
	// refreshes it); its errors say what to do in plain words.
	Token func(ctx context.Context) (string, error)
}

// Vertex says where a Vertex AI conversation goes.
type Vertex struct {
	// Project is the Google Cloud project ID; "" is express mode (an API key, no project).
	Project string
	// Location is "global" (the default), a multi-region ("us", "eu") or a region.
	Location string
}

// location returns the location, the global endpoint when none is set.
func (v *Vertex) location() string {
	if l := strings.TrimSpace(v.Location); l != "" {
		return l
	}
	return catalog.DefaultVertexLocation
}

// express reports whether the target is Vertex AI's express mode (API key, no project).
func (v *Vertex) express() bool { return strings.TrimSpace(v.Project) == "" }

// ModelResource is the model's name in the setup: "models/{m}" on the Gemini API,
// "projects/{p}/locations/{l}/publishers/google/models/{m}" on Vertex AI, and
// "publishers/google/models/{m}" in Vertex express mode (reference §1.2).
func ModelResource(v *Vertex, model string) string {
	m := ModelName(model)
	if v != nil && strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(model), "models/")) == "" {
		m = catalog.DefaultVertexModel
	}
	switch {
	case v == nil:
		return "models/" + m
	case v.express():
		return "publishers/google/models/" + m
	}
	return "projects/" + strings.TrimSpace(v.Project) + "/locations/" + v.location() + "/publishers/google/models/" + m
}

// IsEphemeralToken reports whether the credential is an ephemeral token rather than a key.
func IsEphemeralToken(credential string) bool {
	return strings.HasPrefix(credential, "auth_tokens/")
}

// EndpointURL returns the WebSocket URL for the options (it never contains the credential).
func EndpointURL(opt DialOptions) (string, error) {
	base := strings.TrimSpace(opt.Endpoint)
	if base == "" {
		base = DefaultEndpoint
		if v := opt.Vertex; v != nil {
			loc := v.location()
			if v.express() {
				loc = "global" // express mode is served by the global endpoint only
			}
			host, err := catalog.VertexHost(loc)
			if err != nil {
				return "", err
			}
			base = "wss://" + host
		}
	}
	u, err := catalog.ParseEndpoint(base)
	if err != nil {
		return "", fmt.Errorf("endpoint: %w", err)
	}
	if opt.Vertex != nil {
		// The Go SDK's default version for Vertex; transparent resumption is in it.
		version := "v1beta1"
		if opt.APIVersion != "" {
			version = opt.APIVersion
		}
		u.Path = path.Join("/", u.Path, "ws", "google.cloud.aiplatform."+version+".LlmBidiService", "BidiGenerateContent")
		return u.String(), nil
	}
	token := IsEphemeralToken(opt.APIKey)
	version, method := "v1beta", "BidiGenerateContent"
	if token {
		version, method = "v1alpha", "BidiGenerateContentConstrained"
	}
	if opt.APIVersion != "" {
		version = opt.APIVersion
	}
	u.Path = path.Join("/", u.Path, "ws", "google.ai.generativelanguage."+version+".GenerativeService."+method)
	return u.String(), nil
}

// noRedirects is the upgrade's HTTP client: a redirect is refused, never followed, because the
// request carries the key in a header that Go would send on to wherever the redirect points.
func noRedirects(c *http.Client) *http.Client {
	var cc http.Client
	if c != nil {
		cc = *c
	}
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// Dial connects, sends the setup and waits for setupComplete. The returned Session is ready
// for sending and receiving once Run is started.
func Dial(ctx context.Context, opt DialOptions, setup Setup) (*Session, error) {
	endpoint, err := EndpointURL(opt)
	if err != nil {
		return nil, fmt.Errorf("dial live api: %w", err)
	}
	h := http.Header{}
	for k, v := range opt.Header {
		h[k] = v
	}
	secret := opt.APIKey // what must never appear in an error
	switch v := opt.Vertex; {
	case v != nil && !v.express():
		if opt.Token == nil {
			return nil, fmt.Errorf("dial vertex ai: %w: no Google Cloud credentials (choose them in Settings, or leave the project empty to use an API key in express mode)", ErrUnauthorized)
		}
		tok, err := opt.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("dial vertex ai: %w", err)
		}
		if tok == "" {
			return nil, fmt.Errorf("dial vertex ai: %w: the credentials gave an empty access token", ErrUnauthorized)
		}
		h.Set("Authorization", "Bearer "+tok)
		secret = tok
	case v != nil:
		if strings.TrimSpace(opt.APIKey) == "" || IsEphemeralToken(opt.APIKey) {
			return nil, fmt.Errorf("dial vertex ai: %w: express mode takes a Google Cloud API key; with a project, Live Desk uses your Google Cloud credentials instead", ErrUnauthorized)
		}
		h.Set("x-goog-api-key", opt.APIKey)
	case strings.TrimSpace(opt.APIKey) == "":
		return nil, fmt.Errorf("dial live api: %w: no API key (set one in Settings or GEMINI_API_KEY)", ErrUnauthorized)
	case IsEphemeralToken(opt.APIKey):
		h.Set("Authorization", "Token "+opt.APIKey)
	default:
		h.Set("x-goog-api-key", opt.APIKey)
	}
	timeout := opt.SetupTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	conn, resp, err := websocket.Dial(hctx, endpoint, &websocket.DialOptions{
		HTTPClient: noRedirects(opt.HTTPClient),
		HTTPHeader: h,
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			body := ""
			if resp.Body != nil {
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
				body = strings.TrimSpace(string(b))
				if secret != "" {
					body = strings.ReplaceAll(body, secret, "(key)")
				}
			}
			return nil, &HandshakeError{Status: resp.StatusCode, Body: body, Err: scrub(err, secret), Vertex: opt.Vertex != nil}
		}
		if ctx.Err() == nil && hctx.Err() != nil {
			return nil, fmt.Errorf("dial live api %s: %w", endpoint, ErrSetupTimeout)
		}
		return nil, fmt.Errorf("dial live api %s: %w", endpoint, scrub(err, secret))
	}
	conn.SetReadLimit(ReadLimit)

	first, err := handshake(hctx, conn, setup)
	if err != nil {
		if ce := closeErrorFrom(err); ce != nil {
			ce.DuringSetup = true
			return nil, ce
		}
		conn.CloseNow()
		if ctx.Err() == nil && hctx.Err() != nil {
			return nil, fmt.Errorf("live api setup: %w", ErrSetupTimeout)
		}
		return nil, fmt.Errorf("live api setup: %w", err)
	}
	s := newSession(conn, endpoint, *first, opt.Keepalive)
	if sr := setup.SessionResumption; sr != nil && sr.Transparent {
		s.replay = &replayLog{next: 1} // the setup was message 0
	}
	return s, nil
}

func handshake(ctx context.Context, conn *websocket.Conn, setup Setup) (*SetupComplete, error) {
	b, err := encode(ClientMessage{Setup: &setup})
	if err != nil {
		return nil, err
	}
	if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
		return nil, fmt.Errorf("send setup: %w", err)
	}
	_, data, err := conn.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("wait for setupComplete: %w", err)
	}
	msg, err := DecodeServerMessage(data)
	if err != nil {
		return nil, err
	}
	if msg.Error != nil {
		return nil, msg.Error
	}
	if msg.SetupComplete == nil {
		return nil, fmt.Errorf("%w: expected setupComplete first, got %s", ErrMalformed, Summarize(msg))
	}
	return msg.SetupComplete, nil
}

// scrub removes the credential from an error's text (net/url errors quote the URL).
func scrub(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &scrubbed{msg: strings.ReplaceAll(err.Error(), secret, "(key)"), err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

// Error makes an in-band error object an error.
func (e *APIError) Error() string {
	if e.Status != "" {
		return fmt.Sprintf("live api error %d %s: %s", e.Code, e.Status, e.Message)
	}
	return fmt.Sprintf("live api error %d: %s", e.Code, e.Message)
}
