package live

import (
	"errors"
	"fmt"
	"strings"

	"github.com/coder/websocket"
)

// Sentinel errors. A *CloseError matches the sentinel for its class with errors.Is.
var (
	ErrBadRequest      = errors.New("request rejected")                    // 1007: fix the setup, never retry as is
	ErrAborted         = errors.New("operation aborted")                   // 1008 "The operation was aborted."
	ErrNotFound        = errors.New("not found or not supported")          // 1008 model/entity not found
	ErrSessionNotFound = errors.New("session to resume not found")         // 1008 stale resumption handle
	ErrUnsupported     = errors.New("operation not supported")             // 1008 not implemented/enabled
	ErrInternal        = errors.New("internal server error")               // 1011
	ErrQuota           = errors.New("quota exceeded")                      // 1011 quota text, or HTTP 429
	ErrDeadline        = errors.New("connection lifetime ended")           // 1011 deadline expired
	ErrUnauthorized    = errors.New("credentials rejected")                // HTTP 401/403 on upgrade, expired key
	ErrConnectionLost  = errors.New("connection lost")                     // 1006 or a broken socket
	ErrClosed          = errors.New("session closed")                      // closed by us
	ErrMalformed       = errors.New("malformed server message")            // one bad frame; the session goes on
	ErrSetupTimeout    = errors.New("no setupComplete before the timeout") // handshake timeout
)

// CloseError is the server closing the connection with a WebSocket close code and reason.
type CloseError struct {
	Code   websocket.StatusCode
	Reason string // the server's text (Google truncates it to 123 bytes)
	// DuringSetup is set when the close answered the setup (before setupComplete): a "not
	// found" then means the model or route does not exist; later it is a transient server fault.
	DuringSetup bool
}

func (e *CloseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "live api closed the session: %d", int(e.Code))
	if e.Reason != "" {
		b.WriteString(" " + e.Reason)
	}
	if h := e.Hint(); h != "" {
		b.WriteString(" (" + h + ")")
	}
	return b.String()
}

// Is maps the close to its sentinel class.
func (e *CloseError) Is(target error) bool { return e.class() == target }

func (e *CloseError) class() error {
	r := strings.ToLower(e.Reason)
	switch e.Code {
	case websocket.StatusInvalidFramePayloadData: // 1007
		if strings.Contains(r, "api key") {
			return ErrUnauthorized
		}
		return ErrBadRequest
	case websocket.StatusPolicyViolation: // 1008
		switch {
		case strings.Contains(r, "session not found"):
			return ErrSessionNotFound
		case strings.Contains(r, "not found"):
			return ErrNotFound
		case strings.Contains(r, "not implemented") || strings.Contains(r, "not supported"):
			return ErrUnsupported
		default:
			return ErrAborted
		}
	case websocket.StatusInternalError: // 1011
		switch {
		case strings.Contains(r, "quota"):
			return ErrQuota
		case strings.Contains(r, "deadline"):
			return ErrDeadline
		default:
			return ErrInternal
		}
	case websocket.StatusNormalClosure, websocket.StatusGoingAway:
		return ErrClosed
	default:
		return ErrConnectionLost
	}
}

// Hint says in words what the person can do about it.
func (e *CloseError) Hint() string {
	r := strings.ToLower(e.Reason)
	switch e.class() {
	case ErrBadRequest:
		switch {
		case strings.Contains(r, "cannot extract voices"):
			return "this model only answers with audio: turn off text responses"
		case strings.Contains(r, "unknown name"):
			return "the setup has a field this model does not accept: check the model name and options"
		default:
			return "the request was rejected: check the model name and options"
		}
	case ErrUnauthorized:
		return "renew the API key in Settings"
	case ErrNotFound:
		if !e.Permanent() {
			return "a temporary server fault; the conversation resumes"
		}
		return "check the model name"
	case ErrSessionNotFound:
		return "the previous session expired; a new one will start"
	case ErrUnsupported:
		return "this model does not support a feature in use: turn it off in Settings"
	case ErrQuota:
		return "the API quota is used up: check your plan and billing, or wait and try again"
	case ErrDeadline, ErrAborted:
		return "the connection reached its time limit"
	case ErrInternal:
		return "a temporary server problem"
	}
	return ""
}

// Permanent reports whether retrying the same request cannot help. A 1008 "Requested entity
// was not found" in the middle of a session (the real server sends it at random after a
// toolResponse) is not: the session is resumed. Only a not-found that answers the setup, or
// that names the model, is.
func (e *CloseError) Permanent() bool {
	switch e.class() {
	case ErrBadRequest, ErrUnauthorized, ErrUnsupported, ErrQuota:
		return true
	case ErrNotFound:
		return e.DuringSetup || strings.Contains(strings.ToLower(e.Reason), "model")
	}
	return false
}

// IsPermanent reports whether err means a reconnect would fail the same way (bad request,
// rejected key, unknown model, unsupported feature, quota).
func IsPermanent(err error) bool {
	// *CloseError, *HandshakeError and the errors of credential sources (package cloudauth)
	// say for themselves.
	var p interface{ Permanent() bool }
	if errors.As(err, &p) {
		return p.Permanent()
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return true // the SDKs end the session on an in-band error; a retry repeats the request
	}
	return errors.Is(err, ErrBadRequest) || errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrQuota)
}

// HandshakeError is an HTTP refusal of the WebSocket upgrade.
type HandshakeError struct {
	Status int
	Body   string // first bytes of the response body, if any
	Err    error
	// Vertex: the refusal came from Vertex AI, where credentials are Google Cloud's.
	Vertex bool
}

func (e *HandshakeError) Error() string {
	msg := fmt.Sprintf("dial live api: server refused the connection (HTTP %d)", e.Status)
	switch e.Status {
	case 400:
		msg += ": bad request (check the endpoint URL)"
	case 401:
		if e.Vertex {
			msg += ": Google Cloud did not accept the credentials (expired or revoked: run `gcloud auth application-default login` again, or choose a valid service-account key in Settings)"
		} else {
			msg += ": the API key was rejected (check it in Settings)"
		}
	case 403:
		if e.Vertex {
			msg += ": Google Cloud refused access (check that the Vertex AI API is enabled in the project and the account has the Vertex AI User role)"
		} else {
			msg += ": the API key was rejected (check it in Settings)"
		}
	case 404:
		msg += ": endpoint not found (check the endpoint URL and API version)"
	case 429:
		msg += ": quota exceeded (check your plan and billing, or wait)"
	}
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// Is maps HTTP statuses onto the sentinels.
func (e *HandshakeError) Is(target error) bool {
	switch e.Status {
	case 401, 403:
		return target == ErrUnauthorized
	case 429:
		return target == ErrQuota
	case 404:
		return target == ErrNotFound
	case 400:
		return target == ErrBadRequest
	}
	return false
}

// Permanent reports whether retrying cannot help.
func (e *HandshakeError) Permanent() bool {
	switch e.Status {
	case 400, 401, 403, 404, 429:
		return true
	}
	return false
}

// closeErrorFrom converts a websocket read/write error into a *CloseError when the peer sent a
// close frame; otherwise it returns nil.
func closeErrorFrom(err error) *CloseError {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return &CloseError{Code: ce.Code, Reason: ce.Reason}
	}
	return nil
}
