// Package cloudauth turns the user's choice of Google Cloud credentials into OAuth 2.0 access
// tokens for Vertex AI, through Google's OAuth 2.0 library (golang.org/x/oauth2/google):
// Application Default Credentials — GOOGLE_APPLICATION_CREDENTIALS, the file
// `gcloud auth application-default login` writes, or the metadata server on Google Cloud — or
// a service-account key file the user chose. The library caches each token and fetches a new
// one before it expires; nothing here exchanges tokens by hand.
package cloudauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// Scope is the OAuth scope Vertex AI needs.
const Scope = "https://www.googleapis.com/auth/cloud-platform"

// fetchTimeout bounds one token request: a token service that does not answer must not hold
// a connection attempt forever.
const fetchTimeout = 20 * time.Second

// Source hands out access tokens. It is safe for concurrent use.
type Source struct {
	ts      oauth2.TokenSource
	project string
	desc    string
}

// Error is a failure to get credentials or a token, in words a person can act on. Permanent
// errors (a refused or revoked credential, a file that is not a key) will not get better by
// retrying; the others (the token service unreachable) may.
type Error struct {
	msg       string
	err       error
	permanent bool
}

func (e *Error) Error() string   { return e.msg }
func (e *Error) Unwrap() error   { return e.err }
func (e *Error) Permanent() bool { return e.permanent }

// New loads credentials: from keyFile when it is set (a service-account key, or an
// authorized-user file as gcloud writes), else Application Default Credentials.
func New(keyFile string) (*Source, error) {
	// The context is kept by the library for every later refresh: it carries the HTTP
	// client with a timeout and must never be cancelled.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Timeout: fetchTimeout})
	var (
		creds *google.Credentials
		desc  string
	)
	if keyFile = strings.TrimSpace(keyFile); keyFile != "" {
		data, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, &Error{msg: fmt.Sprintf("Google Cloud key file: %v", err), err: err, permanent: true}
		}
		kind, who, err := describeKey(data)
		if err != nil {
			return nil, &Error{msg: fmt.Sprintf("Google Cloud key file %s: %v", keyFile, err), err: err, permanent: true}
		}
		// Only the two kinds a person downloads or gcloud writes: other kinds (external
		// accounts) run programs or fetch URLs named in the file, which a file picked in a
		// dialog must not be trusted to do.
		creds, err = google.CredentialsFromJSONWithType(ctx, data, kind, Scope)
		if err != nil {
			return nil, &Error{msg: fmt.Sprintf("Google Cloud key file %s: %v", keyFile, err), err: err, permanent: true}
		}
		desc = who + " (" + keyFile + ")"
	} else {
		var err error
		creds, err = google.FindDefaultCredentials(ctx, Scope)
		if err != nil {
			return nil, &Error{msg: "no Google Cloud credentials found: run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or choose a key file in Settings (" + err.Error() + ")", err: err, permanent: true}
		}
		desc = "Application Default Credentials"
		if f := os.Getenv("GOOGLE_APPLICATION_CREDENTIALS"); f != "" {
			desc += " (" + f + ")"
		}
	}
	return &Source{ts: creds.TokenSource, project: creds.ProjectID, desc: desc}, nil
}

// describeKey checks that data is a key file of an accepted kind and says whose it is.
func describeKey(data []byte) (google.CredentialsType, string, error) {
	var f struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return "", "", errors.New("not a Google Cloud key file (it is not JSON)")
	}
	switch google.CredentialsType(f.Type) {
	case google.ServiceAccount:
		return google.ServiceAccount, "service account " + f.ClientEmail, nil
	case google.AuthorizedUser:
		return google.AuthorizedUser, "your Google account (gcloud)", nil
	case "":
		return "", "", errors.New("not a Google Cloud key file (no \"type\")")
	}
	return "", "", fmt.Errorf("credentials of type %q are not accepted from a chosen file: use a service-account key, or Application Default Credentials", f.Type)
}

// Project is the project the credentials belong to ("" when they do not say): a default for
// the Vertex AI project.
func (s *Source) Project() string { return s.project }

// String says whose credentials these are, never the credentials.
func (s *Source) String() string { return s.desc }

// Token returns a valid access token, fetching a new one when the cached one is about to
// expire. ctx bounds the wait; the library's own request keeps going in the background and
// its token is cached for the next call.
func (s *Source) Token(ctx context.Context) (string, error) {
	type result struct {
		t   *oauth2.Token
		err error
	}
	ch := make(chan result, 1)
	go func() {
		t, err := s.ts.Token()
		ch <- result{t, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return "", explain(r.err)
		}
		return r.t.AccessToken, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// explain turns a token failure into plain words and says whether it is final.
func explain(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		what := re.ErrorCode
		if re.ErrorDescription != "" {
			what += ": " + re.ErrorDescription
		}
		if what == "" && re.Response != nil {
			what = re.Response.Status
		}
		switch re.ErrorCode {
		case "invalid_grant", "invalid_client", "unauthorized_client", "access_denied", "invalid_scope":
			return &Error{msg: "Google Cloud refused the credentials (" + what + "): the key or login may have been revoked or deleted; run `gcloud auth application-default login` again or choose another key file in Settings", err: err, permanent: true}
		}
		if re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 && re.Response.StatusCode != http.StatusTooManyRequests {
			return &Error{msg: "Google Cloud refused the credentials (" + what + ")", err: err, permanent: true}
		}
		return &Error{msg: "Google's token service failed (" + what + "); retrying", err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, os.ErrDeadlineExceeded) {
		return &Error{msg: "could not reach Google's token service: " + err.Error(), err: err}
	}
	return &Error{msg: "Google Cloud credentials: " + err.Error(), err: err}
}
