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

// Clipboard returns a function that puts text on the system clipboard (for the model's
// clipboard tool). It may be called from any goroutine.
func Clipboard(a fyne.App) func(text string) error {
	return func(text string) error {
		fyne.Do(func() { a.Clipboard().SetContent(text) })
		return nil
	}
}
