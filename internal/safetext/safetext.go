// Package safetext makes text from a server fit to print: on one line,
// without terminal escapes, and bounded. The root package uses it for the
// token endpoint's messages and package ssi for the SSI API's, so that both
// kinds of error read alike.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ellipsis ends a text that [Line] cut.
const Ellipsis = "…"

// Line returns s printable on one line and at most n bytes long, plus
// [Ellipsis] when it was cut: every control character (newlines, ESC and so
// every ANSI escape, C1 controls), line and paragraph separator, bidirectional
// override or isolate, and invalid UTF-8 byte becomes a space; leading and
// trailing spaces are trimmed; a cut never splits a character.
func Line(s string, n int) string {
	if n < 0 {
		n = 0
	}
	s = strings.Map(func(r rune) rune {
		if unsafe(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimRightFunc(s[:cut], unicode.IsSpace) + Ellipsis
	}
	return s
}

// unsafe reports whether r could move the cursor, start a new line, change
// how a terminal reads what follows, or reorder the text around it.
func unsafe(r rune) bool {
	switch {
	case r == utf8.RuneError, unicode.IsControl(r):
		return true
	case r == '\u2028', r == '\u2029': // line and paragraph separators
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f', r == '\u061c':
		return true // bidirectional embeddings, overrides, isolates and marks
	}
	return false
}
