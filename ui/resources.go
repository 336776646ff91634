package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/livedesk/livedesk/assets"
	"github.com/livedesk/livedesk/call"
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
// clipboard tool, which is opt-in) and tells the user through br what was copied. It may be
// called from any goroutine.
func Clipboard(a fyne.App, br *Bridge) func(text string) error {
	return func(text string) error {
		fyne.Do(func() { a.Clipboard().SetContent(text) })
		shown := []rune(strings.Join(strings.Fields(text), " "))
		if len(shown) > 120 {
			shown = append(shown[:120], '…')
		}
		br.Post(call.NoticeEvent{Text: lang.L("Gemini put this on your clipboard: {{.Text}}", map[string]any{"Text": string(shown)})})
		return nil
	}
}
