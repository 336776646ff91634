package livetest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// plainHTTP keeps no idle connections (and so no goroutines) after a request.
var plainHTTP = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func startTokenServer(t testing.TB, lifetime time.Duration) *TokenServer {
	t.Helper()
	ts, err := StartTokenServer(lifetime)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ts.Close(); err != nil {
			t.Error(err)
		}
	})
	return ts
}

// account is what a client reads from a key file.
type account struct {
	email, keyID, tokenURI string
	key                    *rsa.PrivateKey
}

func newAccount(t testing.TB, ts *TokenServer, project string) account {
	t.Helper()
	b, err := ts.ServiceAccountJSON(project)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]string
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("key file %s: %v", b, err)
	}
	blk, _ := pem.Decode([]byte(f["private_key"]))
	if blk == nil || blk.Type != "PRIVATE KEY" {
		t.Fatalf("private_key %q is not a PEM PRIVATE KEY", f["private_key"])
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return account{f["client_email"], f["private_key_id"], f["token_uri"], k.(*rsa.PrivateKey)}
}

// signJWT builds an RS256 JWT the way Google's client libraries do.
func signJWT(t testing.TB, key *rsa.PrivateKey, hdr, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(hdr) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// assertion is a valid grant's JWT for a, changed by edit.
func assertion(t testing.TB, a account, edit func(hdr, claims map[string]any)) string {
	t.Helper()
	now := time.Now().Add(-10 * time.Second)
	hdr := map[string]any{"alg": "RS256", "typ": "JWT", "kid": a.keyID}
	claims := map[string]any{
		"iss": a.email, "scope": CloudPlatformScope, "aud": a.tokenURI,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if edit != nil {
		edit(hdr, claims)
	}
	return signJWT(t, a.key, hdr, claims)
}

// postToken sends a token request and returns the status and decoded body.
func postToken(t testing.TB, ts *TokenServer, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := plainHTTP.PostForm(ts.URL(), form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("HTTP %d body %q: %v", resp.StatusCode, b, err)
	}
	return resp.StatusCode, m
}

func grantForm(jwt string) url.Values {
	return url.Values{"grant_type": {jwtBearerGrant}, "assertion": {jwt}}
}

// grant obtains an access token for a.
func grant(t testing.TB, ts *TokenServer, a account, edit func(hdr, claims map[string]any)) string {
	t.Helper()
	code, m := postToken(t, ts, grantForm(assertion(t, a, edit)))
	tok, _ := m["access_token"].(string)
	if code != http.StatusOK || tok == "" {
		t.Fatalf("grant: HTTP %d %v", code, m)
	}
	return tok
}

func TestServiceAccountJSON(t *testing.T) {
	ts := startTokenServer(t, 0)
	b, err := ts.ServiceAccountJSON("my-project")
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]string
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"type": "service_account", "project_id": "my-project", "token_uri": ts.URL(),
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "universe_domain": "googleapis.com",
	} {
		if f[k] != want {
			t.Errorf("%s = %q, want %q", k, f[k], want)
		}
	}
	if !strings.HasPrefix(ts.URL(), "http://127.0.0.1:") || !strings.HasSuffix(ts.URL(), "/token") {
		t.Errorf("URL %q", ts.URL())
	}
	if !strings.HasSuffix(f["client_email"], "@my-project.iam.gserviceaccount.com") || len(f["private_key_id"]) != 40 ||
		len(f["client_id"]) != 21 || f["client_x509_cert_url"] == "" || f["auth_provider_x509_cert_url"] == "" {
		t.Errorf("key file %s", b)
	}
	a := newAccount(t, ts, "my-project")
	if a.key.N.BitLen() != 2048 {
		t.Errorf("RSA key of %d bits", a.key.N.BitLen())
	}
	if b := newAccount(t, ts, "my-project"); b.email == a.email || b.keyID == a.keyID || b.key.Equal(a.key) {
		t.Error("two key files share an account or a key")
	}
	if _, err := ts.ServiceAccountJSON(""); err == nil {
		t.Error("a key file without a project")
	}
}

func TestTokenGrant(t *testing.T) {
	ts := startTokenServer(t, 90*time.Second)
	a := newAccount(t, ts, "p")
	code, m := postToken(t, ts, grantForm(assertion(t, a, nil)))
	tok, _ := m["access_token"].(string)
	if code != http.StatusOK || m["token_type"] != "Bearer" || m["expires_in"] != 90.0 || !strings.HasPrefix(tok, "ya29.") {
		t.Fatalf("grant: HTTP %d %v", code, m)
	}
	if !ts.Valid(tok) || ts.Issued() != 1 {
		t.Errorf("Valid = %v, Issued = %d after one grant", ts.Valid(tok), ts.Issued())
	}
	if tok2 := grant(t, ts, a, nil); tok2 == tok || ts.Issued() != 2 {
		t.Errorf("a second grant: same token %v, Issued %d", tok2 == tok, ts.Issued())
	}
	if ts.Valid("ya29.nope") || ts.Valid("") {
		t.Error("a token never issued is valid")
	}

	ts.mu.Lock()
	ts.now = func() time.Time { return time.Now().Add(90 * time.Second) }
	ts.mu.Unlock()
	if ts.Valid(tok) {
		t.Error("the token is valid after its lifetime")
	}
	ts.mu.Lock()
	ts.now = time.Now
	ts.mu.Unlock()

	ts.Revoke(a.email)
	if ts.Valid(tok) {
		t.Error("a revoked account's token is valid")
	}
	if code, m := postToken(t, ts, grantForm(assertion(t, a, nil))); code != http.StatusBadRequest ||
		m["error"] != "invalid_grant" || m["error_description"] != "Invalid grant: account not found" {
		t.Errorf("grant after Revoke: HTTP %d %v", code, m)
	}
}

func TestTokenGrantRefusals(t *testing.T) {
	ts := startTokenServer(t, time.Hour)
	a := newAccount(t, ts, "p")
	other := newAccount(t, ts, "p")
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	timeframe := "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	tests := []struct {
		name     string
		form     url.Values
		wantErr  string
		wantDesc string
	}{
		{"another key", grantForm(signJWT(t, stranger, map[string]any{"alg": "RS256", "typ": "JWT", "kid": a.keyID},
			map[string]any{"iss": a.email, "scope": CloudPlatformScope, "aud": ts.URL(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})),
			"invalid_grant", "Invalid JWT Signature."},
		{"another account's key id", grantForm(assertion(t, a, func(h, _ map[string]any) { h["kid"] = other.keyID })),
			"invalid_grant", "Invalid JWT Signature."},
		{"alg none", grantForm(assertion(t, a, func(h, _ map[string]any) { h["alg"] = "none" })),
			"invalid_grant", "Invalid JWT Signature."},
		{"tampered claims", grantForm(func() string {
			p := strings.Split(assertion(t, a, nil), ".")
			c, _ := json.Marshal(map[string]any{"iss": other.email, "scope": CloudPlatformScope, "aud": ts.URL(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
			return p[0] + "." + base64.RawURLEncoding.EncodeToString(c) + "." + p[2]
		}()), "invalid_grant", "Invalid JWT Signature."},
		{"unknown account", grantForm(assertion(t, a, func(_, c map[string]any) { c["iss"] = "x@p.iam.gserviceaccount.com" })),
			"invalid_grant", "Invalid grant: account not found"},
		{"wrong audience", grantForm(assertion(t, a, func(_, c map[string]any) { c["aud"] = "https://oauth2.googleapis.com/token" })),
			"invalid_grant", "Invalid JWT: Failed audience check. The right audience is " + ts.URL()},
		{"expired", grantForm(assertion(t, a, func(_, c map[string]any) {
			c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		})), "invalid_grant", timeframe},
		{"longer than an hour", grantForm(assertion(t, a, func(_, c map[string]any) { c["exp"] = now.Add(2 * time.Hour).Unix() })),
			"invalid_grant", timeframe},
		{"issued in the future", grantForm(assertion(t, a, func(_, c map[string]any) {
			c["iat"], c["exp"] = now.Add(time.Hour).Unix(), now.Add(90*time.Minute).Unix()
		})), "invalid_grant", timeframe},
		{"no scope", grantForm(assertion(t, a, func(_, c map[string]any) { delete(c, "scope") })),
			"invalid_scope", "Empty or missing scope not allowed."},
		{"no cloud-platform scope", grantForm(assertion(t, a, func(_, c map[string]any) {
			c["scope"] = "https://www.googleapis.com/auth/userinfo.email"
		})), "invalid_scope", "Invalid OAuth scope or ID token audience provided."},
		{"not a JWT", grantForm("abc"), "invalid_grant", errMalformed},
		{"no assertion", url.Values{"grant_type": {jwtBearerGrant}}, "invalid_request", "Missing required parameter: assertion"},
		{"other grant", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, "unsupported_grant_type", "Invalid grant_type: refresh_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m := postToken(t, ts, tt.form)
			if code != http.StatusBadRequest || m["error"] != tt.wantErr || m["error_description"] != tt.wantDesc {
				t.Errorf("HTTP %d %v\nwant 400 %s %q", code, m, tt.wantErr, tt.wantDesc)
			}
		})
	}
	// Several scopes, cloud-platform among them, are fine.
	grant(t, ts, a, func(_, c map[string]any) {
		c["scope"] = "https://www.googleapis.com/auth/userinfo.email " + CloudPlatformScope
	})
	if ts.Issued() != 1 {
		t.Errorf("Issued = %d, want only the good grant", ts.Issued())
	}

	resp, err := plainHTTP.Get(ts.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: HTTP %d", resp.StatusCode)
	}
	if _, err := StartTokenServer(2 * time.Hour); err == nil {
		t.Error("a token lifetime over an hour")
	}
}
