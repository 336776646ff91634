package ui

import "strings"

// PlainLocaleToEnglish makes the C and POSIX locales (the default of containers, CI machines
// and many terminals, often as "C.UTF-8") and an unset locale mean English to Fyne. Fyne reads
// the locale from LC_ALL, LC_MESSAGES or LANG and cannot parse "C", so without this it logs
// "Error parsing user locale C" several times on every start. It sets LANGUAGE=en, which only
// chooses the language of messages, and only when the user has not set LANGUAGE. Call it
// before Fyne looks at the locale, i.e. first thing in main.
func PlainLocaleToEnglish(getenv func(string) string, setenv func(key, value string) error) error {
	loc := ""
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(k); loc != "" {
			break
		}
	}
	base, _, _ := strings.Cut(loc, ".")
	base, _, _ = strings.Cut(base, "@")
	if base != "" && base != "C" && base != "POSIX" {
		return nil
	}
	if getenv("LANGUAGE") != "" {
		return nil
	}
	return setenv("LANGUAGE", "en")
}
