package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/bidi"
)

// Fyne shapes each run of a label (an Arabic word comes out right to left) but lays the runs
// out left to right in the order they are written: it has no paragraph direction. In an
// Arabic label that holds numbers, Latin names or parentheses ("الشاشة 1 (1920×1080)") the
// Arabic word then sits at the left, and the parts after it follow in the wrong order. So in
// a right-to-left UI, labels go through visualOrder first: the Unicode bidirectional algorithm
// with a right-to-left paragraph gives the runs, and they are written out in the order they
// must appear from left to right. Each Arabic stretch stays in its logical order (Fyne shapes
// and reverses it, joining the letters); the neutral characters around it (spaces,
// parentheses) are reversed and mirrored here, as the algorithm would display them.
//
// Limits: one line (a label Fyne wraps is reordered as a whole, so wrapped transcript bodies
// are left alone), and embedding levels up to 2 (right-to-left text with left-to-right runs in
// it, the case of every label in this UI).

// bidiText is s as it must be written for Fyne to display it right: reordered in a
// right-to-left UI, untouched otherwise.
func bidiText(s string) string {
	if !rtl() {
		return s
	}
	return visualOrder(s)
}

// isolate marks s (a number, a size, a shortcut) as one left-to-right unit inside
// right-to-left text, so that "1920×1080" does not come out as "1080×1920".
func isolate(s string) string {
	if !rtl() {
		return s
	}
	return "\u2066" + s + "\u2069"
}

// visualOrder reorders s, a one-line label in a right-to-left paragraph, for Fyne's
// left-to-right run layout (see above). Directional isolates in s are honoured and dropped.
func visualOrder(s string) string {
	if s == "" || !strings.ContainsFunc(s, isRTL) {
		return stripIsolates(s)
	}
	var p bidi.Paragraph
	if _, err := p.SetString(s, bidi.DefaultDirection(bidi.RightToLeft)); err != nil {
		return stripIsolates(s)
	}
	o, err := p.Order()
	if err != nil {
		return stripIsolates(s)
	}
	var b strings.Builder
	for i := o.NumRuns() - 1; i >= 0; i-- {
		r := o.Run(i)
		text := r.String()
		if r.Direction() == bidi.LeftToRight {
			b.WriteString(text)
			continue
		}
		// A right-to-left run: its neutral edges reversed and mirrored here, its core (first
		// to last right-to-left letter) as written, for Fyne to shape right to left.
		first := strings.IndexFunc(text, isRTL)
		last := strings.LastIndexFunc(text, isRTL)
		if first < 0 {
			b.WriteString(mirrorReverse(text))
			continue
		}
		_, size := utf8.DecodeRuneInString(text[last:])
		b.WriteString(mirrorReverse(text[last+size:]))
		// Fyne runs the algorithm again on what it is given (go-text's segmenter), with the
		// paragraph direction of the first strong letter, then shapes each run with its
		// direction (mirroring brackets in right-to-left ones) and lays them out in written
		// order. Left-to-right marks around each core make that second pass see a
		// left-to-right paragraph in which exactly the cores are right to left: no bracket
		// is mirrored twice and no number after Arabic turns into an Arabic number that
		// pulls the space beside it into the Arabic run.
		b.WriteString(lrm)
		b.WriteString(text[first : last+size])
		b.WriteString(lrm)
		b.WriteString(mirrorReverse(text[:first]))
	}
	return stripIsolates(b.String())
}

// lrm is U+200E LEFT-TO-RIGHT MARK: a strong left-to-right character that draws nothing.
const lrm = "\u200e"

// isRTL reports a letter of a right-to-left script.
func isRTL(r rune) bool {
	return unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko)
}

// mirrorReverse reverses s and mirrors its brackets: neutral characters displayed right to
// left.
func mirrorReverse(s string) string {
	if s == "" {
		return s
	}
	return string(bidi.AppendReverse(nil, []byte(s)))
}

func stripIsolates(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\u2066', '\u2067', '\u2068', '\u2069':
			return -1
		}
		return r
	}, s)
}

// joinParts joins the parts of a status line with sep: in a right-to-left UI each part is
// ordered on its own and the first part goes at the right (as the bidirectional algorithm
// would, had every part been isolated; x/text's algorithm does not do first-strong isolates
// of right-to-left text beyond two levels).
func joinParts(parts []string, sep string) string {
	if !rtl() {
		return strings.Join(parts, sep)
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		out[len(parts)-1-i] = visualOrder(p)
	}
	return strings.Join(out, sep)
}
