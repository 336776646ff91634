package live_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/livedesk/livedesk/live"
)

// TestRedirectNeverCarriesTheKey: an endpoint that answers the upgrade with a redirect gets a
// refusal, and the host the redirect points to never hears from the client — so the key, which
// Go would copy onto the redirected request, cannot leak there.
func TestRedirectNeverCarriesTheKey(t *testing.T) {
	const sentinel = "AIza-SENTINEL-redirect-key"
	var mu sync.Mutex
	var heard []string
	second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		heard = append(heard, r.Header.Get("x-goog-api-key")+" "+r.URL.RawQuery)
		mu.Unlock()
		http.Error(w, "no", http.StatusTeapot)
	}))
	defer second.Close()
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, second.URL+r.URL.Path, code)
		}))
		_, err := live.Dial(t.Context(), live.DialOptions{Endpoint: "ws://" + first.Listener.Addr().String(), APIKey: sentinel}, live.Setup{Model: "models/gemini-3.8-live"})
		first.Close()
		var he *live.HandshakeError
		if !errors.As(err, &he) || he.Status != code {
			t.Errorf("redirect %d: Dial = %v, want a handshake error with that status", code, err)
		}
		if err != nil && strings.Contains(err.Error(), sentinel) {
			t.Errorf("redirect %d: the error shows the key: %v", code, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(heard) != 0 {
		t.Errorf("the redirect target was contacted %d times (%q): the key may have gone there", len(heard), heard)
	}
}
