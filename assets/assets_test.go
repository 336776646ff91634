package assets

import (
	"bytes"
	"encoding/json"
	"image/png"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIcon(t *testing.T) {
	cfg, err := png.DecodeConfig(bytes.NewReader(Icon))
	if err != nil {
		t.Fatalf("icon is not a PNG: %v", err)
	}
	if cfg.Width < 512 || cfg.Height != cfg.Width {
		t.Errorf("icon is %dx%d, want square and at least 512", cfg.Width, cfg.Height)
	}
}

func TestTranslationsComplete(t *testing.T) {
	keysOf := func(name string) []string {
		t.Helper()
		b, err := Translations.ReadFile(TranslationsDir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var keys []string
		for k, v := range m {
			if v == "" {
				t.Errorf("%s: empty translation for %q", name, k)
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys
	}
	en := keysOf("en.json")
	if len(en) < 50 {
		t.Fatalf("en.json has only %d strings", len(en))
	}
	for _, l := range []string{"zh-Hans.json", "zh-Hant.json", "ar.json"} {
		if diff := cmp.Diff(en, keysOf(l)); diff != "" {
			t.Errorf("%s keys differ from en.json (-en +%s):\n%s", l, l, diff)
		}
	}
}
