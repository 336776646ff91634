package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/zalando/go-keyring"
)

// EnvAPIKey names the environment variable that overrides any stored key. EnvAPIKeyAlt is read
// when it is unset (the name Google's SDKs also accept).
const (
	EnvAPIKey    = "GEMINI_API_KEY"
	EnvAPIKeyAlt = "GOOGLE_API_KEY"
)

// Keyring entry the API key is stored under.
const (
	KeyringService = "io.github.livedesk.livedesk"
	KeyringUser    = "gemini-api-key"
)

// ErrNoKeyring means the OS keyring cannot be used (e.g. no D-Bus Secret Service on Linux).
var ErrNoKeyring = errors.New("no OS keyring available")

// KeySource says where the API key came from or went to.
type KeySource int

// Key sources, from strongest to weakest.
const (
	KeyNone    KeySource = iota // no key anywhere
	KeyEnv                      // GEMINI_API_KEY
	KeyKeyring                  // OS keyring
	KeyFile                     // the 0600 fallback file the user agreed to
	KeySession                  // memory only, lost when the app exits
)

func (s KeySource) String() string {
	switch s {
	case KeyEnv:
		return "environment variable " + EnvAPIKey + " or " + EnvAPIKeyAlt
	case KeyKeyring:
		return "OS keyring"
	case KeyFile:
		return "file"
	case KeySession:
		return "this session only"
	default:
		return "none"
	}
}

// Keyring is the OS credential store; the zero Keys uses go-keyring.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

type osKeyring struct{}

func (osKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (osKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (osKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

// Keys finds and stores the API key: GEMINI_API_KEY overrides; otherwise the OS keyring; where
// there is none, a 0600 file (only if the user agreed) or memory for this run. Safe for
// concurrent use.
type Keys struct {
	Keyring  Keyring             // nil = the OS keyring via go-keyring
	FilePath string              // fallback file; "" disables the file fallback
	Getenv   func(string) string // nil = os.Getenv

	mu      sync.Mutex
	session Secret
}

// DefaultKeyFile returns the fallback file path under the user's config directory.
func DefaultKeyFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory: %w", err)
	}
	return filepath.Join(dir, "livedesk", "api-key"), nil
}

func (k *Keys) ring() Keyring {
	if k.Keyring == nil {
		return osKeyring{}
	}
	return k.Keyring
}

func (k *Keys) getenv(name string) string {
	if k.Getenv == nil {
		return os.Getenv(name)
	}
	return k.Getenv(name)
}

// Load returns the API key and where it came from. A missing key is (""/KeyNone, nil). When
// the keyring is unusable and no other source has a key, the error wraps ErrNoKeyring so
// the UI can say so.
func (k *Keys) Load() (Secret, KeySource, error) {
	for _, name := range []string{EnvAPIKey, EnvAPIKeyAlt} {
		if v := strings.TrimSpace(k.getenv(name)); v != "" {
			return Secret(v), KeyEnv, nil
		}
	}
	k.mu.Lock()
	session := k.session
	k.mu.Unlock()
	if session != "" {
		return session, KeySession, nil
	}
	v, ringErr := k.ring().Get(KeyringService, KeyringUser)
	if ringErr == nil && v != "" {
		return Secret(v), KeyKeyring, nil
	}
	if k.FilePath != "" {
		b, err := os.ReadFile(k.FilePath)
		switch {
		case err == nil && strings.TrimSpace(string(b)) != "":
			return Secret(strings.TrimSpace(string(b))), KeyFile, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", KeyNone, fmt.Errorf("reading the API key file: %w", err)
		}
	}
	if ringErr != nil && !errors.Is(ringErr, keyring.ErrNotFound) {
		return "", KeyNone, fmt.Errorf("%w: %w", ErrNoKeyring, ringErr)
	}
	return "", KeyNone, nil
}

// Save stores key. It tries the OS keyring first. If there is none, it writes the 0600 file
// when allowFile is true (and FilePath is set), otherwise keeps the key in memory for this
// run; either way the returned error wraps ErrNoKeyring so the UI can explain. An empty key
// deletes the stored one.
func (k *Keys) Save(key Secret, allowFile bool) (KeySource, error) {
	if key == "" {
		return KeyNone, k.Delete()
	}
	ringErr := k.ring().Set(KeyringService, KeyringUser, key.Reveal())
	if ringErr == nil {
		k.mu.Lock()
		k.session = ""
		k.mu.Unlock()
		k.removeFile()
		return KeyKeyring, nil
	}
	noRing := fmt.Errorf("%w: %w", ErrNoKeyring, ringErr)
	if allowFile && k.FilePath != "" {
		if err := writeKeyFile(k.FilePath, key); err != nil {
			return KeyNone, fmt.Errorf("saving the API key to %s: %w", k.FilePath, err)
		}
		k.mu.Lock()
		k.session = ""
		k.mu.Unlock()
		return KeyFile, noRing
	}
	k.mu.Lock()
	k.session = key
	k.mu.Unlock()
	return KeySession, noRing
}

// Delete forgets the key in every store this type writes to (not the environment).
func (k *Keys) Delete() error {
	k.mu.Lock()
	k.session = ""
	k.mu.Unlock()
	k.removeFile()
	err := k.ring().Delete(KeyringService, KeyringUser)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("deleting the API key from the keyring: %w", err)
	}
	return nil
}

func (k *Keys) removeFile() {
	if k.FilePath != "" {
		_ = os.Remove(k.FilePath) // absent is fine; a stale file is overridden by the keyring anyway
	}
}

func writeKeyFile(path string, key Secret) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".api-key-*")
	if err != nil {
		return fmt.Errorf("creating temp file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("restricting permissions: %w", err)
	}
	if _, err := tmp.WriteString(key.Reveal() + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("writing: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming: %w", err)
	}
	return nil
}
