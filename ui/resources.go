package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/livedesk/livedesk/assets"
)

// Icon is the application icon as a Fyne resource.
var Icon = fyne.NewStaticResource("icon.png", assets.Icon)

// LoadTranslations registers the embedded UI translations (English, Simplified and Traditional
// Chinese, Arabic) with Fyne. Call it once before building windows.
func LoadTranslations() error {
	if err := lang.AddTranslationsFS(assets.Translations, assets.TranslationsDir); err != nil {
		return fmt.Errorf("loading translations: %w", err)
	}
	return nil
}
