package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/livedesk/livedesk/atomicfile"
)

// FileStore keeps the preferences in one JSON file of its own, written atomically by Flush
// (temporary file, fsync, rename), so a crash or a full disk during a save leaves the old
// settings or the new ones, never none. Fyne's preferences file is rewritten in place, which is
// why the app does not keep its settings there. Safe for concurrent use.
type FileStore struct {
	path string
	mu   sync.Mutex
	m    map[string]any
}

// DefaultFile is where the app keeps its settings: settings.json in the user's configuration
// directory (~/.config/livedesk on Linux).
func DefaultFile() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("settings file: %w", err)
	}
	return filepath.Join(d, "livedesk", "settings.json"), nil
}

// MaxFileSize bounds the settings file read back (a system instruction is at most 64 KB).
const maxFileSize = 1 << 20

// OpenFileStore reads the settings file at path. When there is none yet, the settings are
// taken from legacy (Fyne's preferences, where earlier versions kept them; nil for none) and
// written to the file at once. A file that cannot be parsed is an error: the caller shows it and
// starts from the defaults rather than overwriting it.
func OpenFileStore(path string, legacy Store) (*FileStore, error) {
	s := &FileStore{path: path, m: map[string]any{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if legacy != nil {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return s, fmt.Errorf("settings file: %w", err)
			}
			if err := Save(s, Load(legacy)); err != nil {
				return s, err
			}
		}
		return s, nil
	case err != nil:
		return s, fmt.Errorf("read settings: %w", err)
	case len(b) > maxFileSize:
		return s, fmt.Errorf("read settings %s: larger than %d KB", path, maxFileSize>>10)
	}
	if err := json.Unmarshal(b, &s.m); err != nil {
		s.m = map[string]any{}
		return s, fmt.Errorf("read settings %s: %w (the defaults are used until you save)", path, err)
	}
	return s, nil
}

// Path is the settings file.
func (s *FileStore) Path() string { return s.path }

// Flush writes the settings file atomically.
func (s *FileStore) Flush() error {
	s.mu.Lock()
	b, err := json.MarshalIndent(s.m, "", "  ")
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return atomicfile.WriteBytes(s.path, 0o600, append(b, '\n'))
}

func (s *FileStore) get(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok
}

func (s *FileStore) set(key string, v any) {
	s.mu.Lock()
	s.m[key] = v
	s.mu.Unlock()
}

// StringWithFallback implements Store.
func (s *FileStore) StringWithFallback(key, fallback string) string {
	if v, ok := s.get(key); ok {
		if x, ok := v.(string); ok {
			return x
		}
	}
	return fallback
}

// SetString implements Store.
func (s *FileStore) SetString(key, value string) { s.set(key, value) }

// BoolWithFallback implements Store.
func (s *FileStore) BoolWithFallback(key string, fallback bool) bool {
	if v, ok := s.get(key); ok {
		if x, ok := v.(bool); ok {
			return x
		}
	}
	return fallback
}

// SetBool implements Store.
func (s *FileStore) SetBool(key string, value bool) { s.set(key, value) }

// IntWithFallback implements Store.
func (s *FileStore) IntWithFallback(key string, fallback int) int {
	if f, ok := s.number(key); ok && f == math.Trunc(f) && math.Abs(f) < 1<<31 {
		return int(f)
	}
	return fallback
}

// SetInt implements Store.
func (s *FileStore) SetInt(key string, value int) { s.set(key, float64(value)) }

// FloatWithFallback implements Store.
func (s *FileStore) FloatWithFallback(key string, fallback float64) float64 {
	if f, ok := s.number(key); ok {
		return f
	}
	return fallback
}

// SetFloat implements Store. JSON has no NaN or infinities: they are not stored (Validate
// rejects them before a save).
func (s *FileStore) SetFloat(key string, value float64) {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return
	}
	s.set(key, value)
}

func (s *FileStore) number(key string) (float64, bool) {
	v, ok := s.get(key)
	if !ok {
		return 0, false
	}
	f, ok := v.(float64)
	return f, ok && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// StringListWithFallback implements Store.
func (s *FileStore) StringListWithFallback(key string, fallback []string) []string {
	v, ok := s.get(key)
	if !ok {
		return fallback
	}
	switch x := v.(type) {
	case []string:
		return slices.Clone(x)
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			str, ok := e.(string)
			if !ok {
				return fallback
			}
			out = append(out, str)
		}
		return out
	}
	return fallback
}

// SetStringList implements Store.
func (s *FileStore) SetStringList(key string, value []string) { s.set(key, slices.Clone(value)) }
