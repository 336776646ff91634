package livetest

// A fake of Google's OAuth 2.0 token endpoint for service accounts, so that a
// client reaches the fake Vertex AI route with a real OAuth flow: it reads a
// service-account key file, signs a JWT with the key and trades it for an
// access token (the JWT-bearer grant of RFC 7523, as golang.org/x/oauth2/jwt
// and cloud.google.com/go/auth do it), which Options.Bearer then checks.

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// CloudPlatformScope is the OAuth scope a Vertex AI token must be granted for.
const CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// jwtBearerGrant is the grant_type of a service account's token request.
const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// TokenServer is a fake OAuth 2.0 token endpoint on 127.0.0.1. It issues
// service-account key files (ServiceAccountJSON) with keys it generates, and
// access tokens for JWTs signed with them. All methods are safe for concurrent
// use.
type TokenServer struct {
	lifetime  time.Duration
	ln        net.Listener
	hs        *http.Server
	serveDone chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	accounts map[string]*serviceAccount // by client_email
	tokens   map[string]issuedToken     // by access token
	issued   int
	nextAcct int
	now      func() time.Time // tests replace it
}

type serviceAccount struct {
	email, keyID string
	pub          *rsa.PublicKey
	revoked      bool
}

type issuedToken struct {
	email  string
	expiry time.Time
}

// StartTokenServer starts a token endpoint whose access tokens are valid for
// lifetime (at most 1 h, as Google's; 0 means 1 h).
func StartTokenServer(lifetime time.Duration) (*TokenServer, error) {
	if lifetime < 0 || lifetime > time.Hour {
		return nil, fmt.Errorf("livetest: token lifetime %v: want 0 < lifetime <= 1h", lifetime)
	}
	if lifetime == 0 {
		lifetime = time.Hour
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("livetest: token server: listen: %w", err)
	}
	ts := &TokenServer{
		lifetime:  lifetime,
		ln:        ln,
		serveDone: make(chan struct{}),
		accounts:  map[string]*serviceAccount{},
		tokens:    map[string]issuedToken{},
		now:       time.Now,
	}
	ts.hs = &http.Server{Handler: http.HandlerFunc(ts.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(ts.serveDone)
		_ = ts.hs.Serve(ln)
	}()
	return ts, nil
}

// URL is the token endpoint, "http://127.0.0.1:PORT/token": the token_uri of
// the key files it issues and the audience their JWTs must name.
func (ts *TokenServer) URL() string { return "http://" + ts.ln.Addr().String() + "/token" }

// Close stops the endpoint. It is idempotent.
func (ts *TokenServer) Close() error {
	var err error
	ts.closeOnce.Do(func() {
		err = ts.hs.Close()
		<-ts.serveDone
	})
	if err != nil {
		return fmt.Errorf("livetest: token server: close: %w", err)
	}
	return nil
}

// serviceAccountFile is a Google service-account key file, fields in the
// order Google writes them.
type serviceAccountFile struct {
	Type                    string `json:"type"`
	ProjectID               string `json:"project_id"`
	PrivateKeyID            string `json:"private_key_id"`
	PrivateKey              string `json:"private_key"`
	ClientEmail             string `json:"client_email"`
	ClientID                string `json:"client_id"`
	AuthURI                 string `json:"auth_uri"`
	TokenURI                string `json:"token_uri"`
	AuthProviderX509CertURL string `json:"auth_provider_x509_cert_url"`
	ClientX509CertURL       string `json:"client_x509_cert_url"`
	UniverseDomain          string `json:"universe_domain"`
}

// ServiceAccountJSON returns the key file of a new service account of
// project: a fresh RSA-2048 key (generated now, never stored anywhere else)
// and token_uri = URL(). Each call makes a new account.
func (ts *TokenServer) ServiceAccountJSON(project string) ([]byte, error) {
	if project == "" {
		return nil, errors.New("livetest: ServiceAccountJSON: empty project")
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("livetest: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("livetest: marshal key: %w", err)
	}
	keyID := make([]byte, 20)
	_, _ = rand.Read(keyID)
	clientID, err := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil))
	if err != nil {
		return nil, fmt.Errorf("livetest: client id: %w", err)
	}
	ts.mu.Lock()
	ts.nextAcct++
	acct := &serviceAccount{
		email: fmt.Sprintf("livetest-%d@%s.iam.gserviceaccount.com", ts.nextAcct, project),
		keyID: hex.EncodeToString(keyID),
		pub:   &key.PublicKey,
	}
	ts.accounts[acct.email] = acct
	ts.mu.Unlock()
	f := serviceAccountFile{
		Type:                    "service_account",
		ProjectID:               project,
		PrivateKeyID:            acct.keyID,
		PrivateKey:              string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		ClientEmail:             acct.email,
		ClientID:                "1" + fmt.Sprintf("%020d", clientID),
		AuthURI:                 "https://accounts.google.com/o/oauth2/auth",
		TokenURI:                ts.URL(),
		AuthProviderX509CertURL: "https://www.googleapis.com/oauth2/v1/certs",
		ClientX509CertURL:       "https://www.googleapis.com/robot/v1/metadata/x509/" + url.PathEscape(acct.email),
		UniverseDomain:          "googleapis.com",
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("livetest: key file: %w", err)
	}
	return append(b, '\n'), nil
}

// Valid reports whether token is an access token this endpoint issued that
// has not expired, and whose account has not been revoked.
func (ts *TokenServer) Valid(token string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.tokens[token]
	return ok && ts.now().Before(t.expiry) && !ts.accounts[t.email].revoked
}

// Tokens returns every access token issued so far, so a test can check that none of them
// appears in what a client printed, logged or saved.
func (ts *TokenServer) Tokens() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	out := make([]string, 0, len(ts.tokens))
	for t := range ts.tokens {
		out = append(out, t)
	}
	return out
}

// Issued returns how many access tokens have been issued.
func (ts *TokenServer) Issued() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.issued
}

// Revoke deletes a service account (by client_email): its tokens stop being
// valid and further grants fail with invalid_grant "Invalid grant: account not found".
func (ts *TokenServer) Revoke(clientEmail string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if a := ts.accounts[clientEmail]; a != nil {
		a.revoked = true
	}
}

// Errors as Google's token endpoint words them; the fake's own where marked.
const (
	errBadSignature = "Invalid JWT Signature."
	errNoAccount    = "Invalid grant: account not found"
	errTimeframe    = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	errNoScope      = "Empty or missing scope not allowed."
	errBadScope     = "Invalid OAuth scope or ID token audience provided."
	errMalformed    = "Invalid JWT: the assertion is not a signed JWT." // the fake's
)

// jwtClockSkew is how far in the future a JWT's iat may be.
const jwtClockSkew = 5 * time.Minute

func (ts *TokenServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/token" {
		http.Error(w, "404. That's an error.", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "405. That's an error.", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request", "Bad Request")
		return
	}
	if g := r.PostForm.Get("grant_type"); g != jwtBearerGrant {
		tokenError(w, "unsupported_grant_type", "Invalid grant_type: "+g)
		return
	}
	assertion := r.PostForm.Get("assertion")
	if assertion == "" {
		tokenError(w, "invalid_request", "Missing required parameter: assertion")
		return
	}
	email, code, desc := ts.check(assertion)
	if code != "" {
		tokenError(w, code, desc)
		return
	}
	buf := make([]byte, 32)
	_, _ = rand.Read(buf)
	token := "ya29.livetest-" + base64.RawURLEncoding.EncodeToString(buf)
	ts.mu.Lock()
	ts.tokens[token] = issuedToken{email: email, expiry: ts.now().Add(ts.lifetime)}
	ts.issued++
	ts.mu.Unlock()
	secs := int64((ts.lifetime + time.Second - 1) / time.Second)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}{token, secs, "Bearer"})
}

func tokenError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, desc})
}

// check verifies a JWT-bearer assertion: an RS256 JWT signed with the key of
// the account its iss names, for this endpoint (aud), for the cloud-platform
// scope, issued now for at most an hour. It returns the account, or the OAuth
// error code and description that refuse the grant.
func (ts *TokenServer) check(assertion string) (email, code, desc string) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return "", "invalid_grant", errMalformed
	}
	var hdr struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	var claims struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
		Iat   int64  `json:"iat"`
		Exp   int64  `json:"exp"`
	}
	if decodeSegment(parts[0], &hdr) != nil || decodeSegment(parts[1], &claims) != nil {
		return "", "invalid_grant", errMalformed
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", "invalid_grant", errMalformed
	}
	ts.mu.Lock()
	acct := ts.accounts[claims.Iss]
	now := ts.now()
	ts.mu.Unlock()
	if acct == nil || acct.revoked {
		return "", "invalid_grant", errNoAccount
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if hdr.Alg != "RS256" || (hdr.Kid != "" && hdr.Kid != acct.keyID) ||
		rsa.VerifyPKCS1v15(acct.pub, crypto.SHA256, sum[:], sig) != nil {
		return "", "invalid_grant", errBadSignature
	}
	if claims.Aud != ts.URL() {
		return "", "invalid_grant", "Invalid JWT: Failed audience check. The right audience is " + ts.URL()
	}
	iat, exp := time.Unix(claims.Iat, 0), time.Unix(claims.Exp, 0)
	if claims.Iat == 0 || claims.Exp == 0 || iat.After(now.Add(jwtClockSkew)) || !exp.After(now) ||
		!exp.After(iat) || exp.Sub(iat) > time.Hour {
		return "", "invalid_grant", errTimeframe
	}
	scopes := strings.Fields(claims.Scope)
	if len(scopes) == 0 {
		return "", "invalid_scope", errNoScope
	}
	if !slices.Contains(scopes, CloudPlatformScope) {
		return "", "invalid_scope", errBadScope
	}
	return acct.email, "", ""
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// ServiceAccountFile writes ServiceAccountJSON(project) to a file in dir (mode 0600, as a real
// key is kept) and returns its path: what a user would choose in Settings or pass to
// --credentials.
func (ts *TokenServer) ServiceAccountFile(dir, project string) (string, error) {
	data, err := ts.ServiceAccountJSON(project)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "service-account.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("livetest: write key file: %w", err)
	}
	return path, nil
}
