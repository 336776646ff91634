package ui

import (
	"fmt"
	"io"
	"log"
	"strings"
	"sync"

	"fyne.io/fyne/v2/lang"

	"github.com/go-text/typesetting/fontscan"
)

// script is a writing system the app promises to display (its translations and the speech
// languages it offers), with a character to test and what to install when no font has it.
type script struct {
	Name   string
	Sample rune
	// Package is the Debian/Ubuntu package that covers the script (scripts/install-deps.sh
	// installs it); other systems ship such fonts by default.
	Package string
}

// scripts are checked once at start-up: Fyne's bundled font covers Latin (Vietnamese included),
// Greek and Cyrillic; everything else falls back to a system font glyph by glyph, and without
// one it draws boxes. The list covers the UI's translations and every speech language in
// Settings (whose transcripts come back in their own script).
var scripts = []script{
	{"Chinese", '语', "fonts-noto-cjk"},
	{"Japanese", 'こ', "fonts-noto-cjk"},
	{"Korean", '한', "fonts-noto-cjk"},
	{"Arabic", 'م', "fonts-noto-core"},
	{"Hindi and Marathi", 'ह', "fonts-noto-core"},
	{"Bengali", 'ব', "fonts-noto-core"},
	{"Gujarati", 'ગ', "fonts-noto-core"},
	{"Kannada", 'ಕ', "fonts-noto-core"},
	{"Malayalam", 'മ', "fonts-noto-core"},
	{"Tamil", 'த', "fonts-noto-core"},
	{"Telugu", 'త', "fonts-noto-core"},
	{"Thai", 'ท', "fonts-noto-core"},
}

// systemFonts is the system font index Fyne itself falls back to (go-text's fontscan, which
// keeps its index in the user's cache directory, so the second scan is cheap).
var systemFonts = sync.OnceValues(func() (*fontscan.FontMap, error) {
	fm := fontscan.NewFontMap(log.New(io.Discard, "", 0)) // its misses are our result, not news
	if err := fm.UseSystemFonts(""); err != nil {
		return nil, fmt.Errorf("scan system fonts: %w", err)
	}
	return fm, nil
})

// fontFor returns the family of the system font that draws r, or "" when none does.
func fontFor(r rune) (string, error) {
	fm, err := systemFonts()
	if err != nil {
		return "", err
	}
	fm.SetQuery(fontscan.Query{Families: []string{fontscan.SansSerif}})
	face := fm.ResolveFace(r)
	if face == nil {
		return "", nil
	}
	if _, ok := face.NominalGlyph(r); !ok {
		return "", nil // fontscan hands back an arbitrary face when nothing covers r
	}
	family, _ := fm.FontMetadata(face.Font)
	return family, nil
}

// missingScripts lists the scripts no installed font can draw. It scans the system fonts the
// first time (tens of milliseconds with a warm cache): call it off the Fyne goroutine.
func missingScripts() ([]script, error) {
	var out []script
	for _, s := range scripts {
		family, err := fontFor(s.Sample)
		if err != nil {
			return nil, err
		}
		if family == "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// missingFontsNotice is the one line the window shows when scripts cannot be drawn.
func missingFontsNotice(missing []script) string {
	if len(missing) == 0 {
		return ""
	}
	var names, pkgs []string
	for _, s := range missing {
		names = append(names, s.Name)
		if !contains(pkgs, s.Package) {
			pkgs = append(pkgs, s.Package)
		}
	}
	return lang.L("No font on this computer can show {{.Scripts}} text, so it would appear as boxes. Install {{.Packages}} (e.g. sudo apt install {{.Packages}}) and restart Live Desk.",
		map[string]any{"Scripts": strings.Join(names, ", "), "Packages": strings.Join(pkgs, " ")})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
