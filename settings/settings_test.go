package settings

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zalando/go-keyring"
)

// mapStore is a Store kept in maps; it mimics fyne.Preferences' fallback behaviour.
type mapStore struct{ m map[string]any }

func newMapStore() *mapStore { return &mapStore{m: map[string]any{}} }

func get[T any](s *mapStore, k string, fb T) T {
	if v, ok := s.m[k].(T); ok {
		return v
	}
	return fb
}
func (s *mapStore) StringWithFallback(k, fb string) string                { return get(s, k, fb) }
func (s *mapStore) SetString(k, v string)                                 { s.m[k] = v }
func (s *mapStore) BoolWithFallback(k string, fb bool) bool               { return get(s, k, fb) }
func (s *mapStore) SetBool(k string, v bool)                              { s.m[k] = v }
func (s *mapStore) IntWithFallback(k string, fb int) int                  { return get(s, k, fb) }
func (s *mapStore) SetInt(k string, v int)                                { s.m[k] = v }
func (s *mapStore) FloatWithFallback(k string, fb float64) float64        { return get(s, k, fb) }
func (s *mapStore) SetFloat(k string, v float64)                          { s.m[k] = v }
func (s *mapStore) StringListWithFallback(k string, fb []string) []string { return get(s, k, fb) }
func (s *mapStore) SetStringList(k string, v []string)                    { s.m[k] = v }

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Config)
		fields map[string]string // field → substring of the message
	}{
		{"fps too high", func(c *Config) { c.FPS = 5 }, map[string]string{"FPS": "between 0.2 and 2"}},
		{"fps zero", func(c *Config) { c.FPS = 0 }, map[string]string{"FPS": "frames per second"}},
		{"jpeg", func(c *Config) { c.JPEGQuality = 101 }, map[string]string{"JPEGQuality": "between 1 and 100"}},
		{"max size", func(c *Config) { c.MaxSize = 10 }, map[string]string{"MaxSize": "pixels"}},
		{"unknown voice", func(c *Config) { c.Voice = "Bob" }, map[string]string{"Voice": `"Bob" is not a prebuilt voice`}},
		{"language", func(c *Config) { c.Language = "xx-YY" }, map[string]string{"Language": "not a supported language"}},
		{"ptt without key", func(c *Config) { c.AutoVAD = false; c.PushToTalkKey = "" }, map[string]string{"PushToTalkKey": "push-to-talk key"}},
		{"ptt key unused with auto vad", func(c *Config) { c.PushToTalkKey = "" }, nil},
		{"endpoint scheme", func(c *Config) { c.Endpoint = "ftp://x" }, map[string]string{"Endpoint": "wss://"}},
		{"endpoint garbage", func(c *Config) { c.Endpoint = "not a url" }, map[string]string{"Endpoint": "not a URL"}},
		{"endpoint ok", func(c *Config) { c.Endpoint = "ws://127.0.0.1:9000" }, nil},
		{"endpoint remote ws", func(c *Config) { c.Endpoint = "ws://example.com:9000" }, map[string]string{"Endpoint": "only allowed to this computer"}},
		{"endpoint query", func(c *Config) { c.Endpoint = "wss://example.com/?key=abc" }, map[string]string{"Endpoint": "query string"}},
		{"endpoint user", func(c *Config) { c.Endpoint = "wss://me:pw@example.com" }, map[string]string{"Endpoint": "user name"}},
		{"fps NaN", func(c *Config) { c.FPS = math.NaN() }, map[string]string{"FPS": "between"}},
		{"fps +Inf", func(c *Config) { c.FPS = math.Inf(1) }, map[string]string{"FPS": "between"}},
		{"volume NaN", func(c *Config) { c.Volume = math.NaN() }, map[string]string{"Volume": "between"}},
		{"thinking level of another model", func(c *Config) { c.Model, c.ThinkingLevel = "gemini-3.8-live-extended-thinking", "MINIMAL" }, map[string]string{"ThinkingLevel": "LOW, MEDIUM, HIGH"}},
		{"key with newline", func(c *Config) { c.APIKey = "abc\n" }, map[string]string{"APIKey": "line breaks"}},
		{"model prefix", func(c *Config) { c.Model = "models/gemini-3.8-live" }, map[string]string{"Model": "prefix"}},
		{"several", func(c *Config) { c.FPS = 9; c.Volume = -1; c.StartSensitivity = "MAX" }, map[string]string{
			"FPS": "between", "Volume": "between 0 and 2", "StartSensitivity": "HIGH, LOW",
		}},
		{"durations", func(c *Config) { c.PrefixPaddingMs = -1; c.SilenceDurationMs = 20000 }, map[string]string{
			"PrefixPaddingMs": "0 and 10000 ms", "SilenceDurationMs": "0 and 10000 ms",
		}},
		{"tools dup", func(c *Config) { c.LocalTools = []string{"a", "a"} }, map[string]string{"LocalTools": "unique"}},
		{"enums", func(c *Config) {
			c.MediaResolution = "ULTRA"
			c.ThinkingLevel = "MAX"
			c.EchoCancellation = "maybe"
			c.ActivityHandling = "x"
			c.EndSensitivity = "x"
		}, map[string]string{
			"MediaResolution": "MEDIUM", "ThinkingLevel": "MINIMAL", "EchoCancellation": "auto",
			"ActivityHandling": "interrupt", "EndSensitivity": "HIGH",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			err := c.Validate()
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want *ValidationError", err)
			}
			if got, want := len(ve.Fields), len(tt.fields); got != want {
				t.Errorf("got %d field errors (%v), want %d", got, err, want)
			}
			for f, sub := range tt.fields {
				if msg := FieldMessage(err, f); !strings.Contains(msg, sub) {
					t.Errorf("message for %s = %q, want it to contain %q", f, msg, sub)
				}
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("errors.As(*FieldError) failed on %v", err)
			}
		})
	}
}

func TestLoadSaveRoundTrip(t *testing.T) {
	s := newMapStore()
	if diff := cmp.Diff(Default(), Load(s)); diff != "" {
		t.Errorf("Load(empty) differs from Default() (-want +got):\n%s", diff)
	}
	want := Config{
		Endpoint: "ws://localhost:1", Model: "gemini-3.1-flash-live-preview", Voice: "Puck",
		Language: "ja-JP", SystemInstruction: "答えは短く。", InputTranscription: false,
		OutputTranscription: true, AutoVAD: false, StartSensitivity: "LOW", EndSensitivity: "HIGH",
		PrefixPaddingMs: 300, SilenceDurationMs: 800, ActivityHandling: ActivityNoInterruption,
		PushToTalkKey: "Space", FPS: 0.5, MaxSize: 768, JPEGQuality: 60, MediaResolution: "LOW",
		SkipUnchanged: false, FramePolicy: FramesWhenAsked, IdleFrameSeconds: 0, MicDevice: "VirtualMic",
		SpeakerDevice: "Speaker", Headphones: true, SpeakerMode: false, EchoCancellation: EchoOff,
		Volume: 0.7, Compression: false, ProactiveAudio: true, AffectiveDialog: true,
		ThinkingLevel: "LOW", GoogleSearch: true, LocalTools: []string{},
	}
	Save(s, want)
	got := Load(s)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	want.APIKey = "secret"
	Save(s, want)
	for k, v := range s.m {
		if v == "secret" {
			t.Errorf("Save stored the API key under %q", k)
		}
	}
}

type fakeRing struct {
	m   map[string]string
	err error
}

func (f *fakeRing) Get(s, u string) (string, error) {
	if f.err != nil {
		return "", f.err
	}
	v, ok := f.m[s+"/"+u]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeRing) Set(s, u, p string) error {
	if f.err != nil {
		return f.err
	}
	f.m[s+"/"+u] = p
	return nil
}

func (f *fakeRing) Delete(s, u string) error {
	if f.err != nil {
		return f.err
	}
	if _, ok := f.m[s+"/"+u]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.m, s+"/"+u)
	return nil
}

func TestKeys(t *testing.T) {
	noBus := errors.New("org.freedesktop.secrets was not provided by any .service files")
	tests := []struct {
		name       string
		ringErr    error
		env        string
		envAlt     string
		allowFile  bool
		wantSave   KeySource
		wantNoRing bool
		wantLoad   KeySource
		wantKey    Secret
	}{
		{name: "keyring", wantSave: KeyKeyring, wantLoad: KeyKeyring, wantKey: "k1"},
		{name: "env overrides keyring", env: "envkey", wantSave: KeyKeyring, wantLoad: KeyEnv, wantKey: "envkey"},
		{name: "alternative env", envAlt: "altkey", wantSave: KeyKeyring, wantLoad: KeyEnv, wantKey: "altkey"},
		{name: "no keyring, session only", ringErr: noBus, wantSave: KeySession, wantNoRing: true, wantLoad: KeySession, wantKey: "k1"},
		{name: "no keyring, file", ringErr: noBus, allowFile: true, wantSave: KeyFile, wantNoRing: true, wantLoad: KeyFile, wantKey: "k1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sub", "api-key")
			k := &Keys{
				Keyring:  &fakeRing{m: map[string]string{}, err: tt.ringErr},
				FilePath: path,
				Getenv: func(name string) string {
					return map[string]string{EnvAPIKey: tt.env, EnvAPIKeyAlt: tt.envAlt}[name]
				},
			}
			if key, src, err := k.Load(); tt.env == "" && tt.envAlt == "" && (key != "" || src != KeyNone || (err != nil) != (tt.ringErr != nil)) {
				t.Errorf("Load() before save = %q, %v, %v", key.Reveal(), src, err)
			}
			src, err := k.Save("k1", tt.allowFile)
			if src != tt.wantSave || errors.Is(err, ErrNoKeyring) != tt.wantNoRing {
				t.Fatalf("Save() = %v, %v; want %v, ErrNoKeyring=%v", src, err, tt.wantSave, tt.wantNoRing)
			}
			key, src, err := k.Load()
			if err != nil || src != tt.wantLoad || key != tt.wantKey {
				t.Fatalf("Load() = %q, %v, %v; want %q, %v", key.Reveal(), src, err, tt.wantKey.Reveal(), tt.wantLoad)
			}
			if tt.wantSave == KeyFile {
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if perm := fi.Mode().Perm(); perm != 0o600 {
					t.Errorf("key file mode = %v, want 0600", perm)
				}
				// A second Keys (the next run) finds it too.
				k2 := &Keys{Keyring: &fakeRing{err: tt.ringErr}, FilePath: path, Getenv: func(string) string { return "" }}
				if key, src, err := k2.Load(); key != "k1" || src != KeyFile || err != nil {
					t.Errorf("next run Load() = %q, %v, %v", key.Reveal(), src, err)
				}
			} else if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("key file exists without consent: %v", err)
			}
			if err := k.Delete(); err != nil && tt.ringErr == nil {
				t.Fatalf("Delete() = %v", err)
			}
			if key, src, _ := k.Load(); key != "" && src != KeyEnv {
				t.Errorf("after Delete, Load() = %v from %v", key, src)
			}
		})
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	c := Default()
	c.APIKey = "AIzaSECRET"
	for _, s := range []string{c.APIKey.String(), c.APIKey.GoString()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("secret leaked: %s", s)
		}
	}
}

// TestFramePolicyCarriedOver: the old "send frames only while I speak" switch becomes the
// policy that replaced it; without it the default policy applies.
func TestFramePolicyCarriedOver(t *testing.T) {
	s := newMapStore()
	s.SetBool("media.frames_only_while_speaking", true)
	if got := Load(s).FramePolicy; got != FramesWhenAsked {
		t.Errorf("old switch on: policy %q, want %q", got, FramesWhenAsked)
	}
	if got := Load(newMapStore()).FramePolicy; got != FramesWhileTalking {
		t.Errorf("fresh: policy %q, want %q", got, FramesWhileTalking)
	}
	c := Default()
	c.FramePolicy, c.IdleFrameSeconds = "sometimes", 90
	if err := c.Validate(); FieldMessage(err, "FramePolicy") == "" || FieldMessage(err, "IdleFrameSeconds") == "" {
		t.Errorf("Validate = %v", err)
	}
}
