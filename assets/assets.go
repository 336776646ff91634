// Package assets holds Live Desk's embedded resources: the application icon and the UI
// translations. It does not import Fyne; ui wraps these bytes in Fyne resources.
package assets

import (
	"embed"
)

// Icon is the 512×512 application icon (PNG).
//
//go:embed icon.png
var Icon []byte

// Translations holds one go-i18n JSON file per language under TranslationsDir, named
// <language tag>.json (en, zh-Hans, zh-Hant, ar). English is the fallback.
//
//go:embed translations/*.json
var Translations embed.FS

// TranslationsDir is the directory of Translations that holds the files.
const TranslationsDir = "translations"
