// Package plainlocale makes the C and POSIX locales mean English to Fyne, before Fyne looks.
// Import it for its side effect, first thing in main:
//
//	import _ "github.com/livedesk/livedesk/ui/plainlocale"
//
// Fyne reads the locale from LC_ALL, LC_MESSAGES or LANG while its packages initialise, and
// cannot parse "C" (the default of containers, CI machines and many terminals, often as
// "C.UTF-8"), so it logs "Error parsing user locale C" several times on every start, terminal
// modes included. Go initialises packages in import-path order when their imports allow
// (Go 1.21+): this one imports only os and strings, and sorts before Fyne's own dependencies
// (github.com/nicksnyder/go-i18n, golang.org/x/text), so its init runs before Fyne's lang.
package plainlocale

import (
	"os"
	"strings"
)

func init() { _, _ = ToEnglish(os.Getenv, os.Setenv) }

// ToEnglish sets LANGUAGE=en when the locale is C, POSIX or unset and the user has not set
// LANGUAGE (which only chooses the language of messages); it reports whether it did.
func ToEnglish(getenv func(string) string, setenv func(key, value string) error) (bool, error) {
	loc := ""
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(k); loc != "" {
			break
		}
	}
	base, _, _ := strings.Cut(loc, ".")
	base, _, _ = strings.Cut(base, "@")
	if base != "" && base != "C" && base != "POSIX" {
		return false, nil
	}
	if getenv("LANGUAGE") != "" {
		return false, nil
	}
	return true, setenv("LANGUAGE", "en")
}
