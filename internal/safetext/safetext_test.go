package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"plain", "Invalid grant type", 64, "Invalid grant type"},
		{"newline forges no second line", "bad\nentityauth: ok", 64, "bad entityauth: ok"},
		{"ANSI escape", "\x1b[31mred\x1b[0m", 64, "[31mred [0m"},
		{"C1 CSI", "a\u009b2Jb", 64, "a 2Jb"},
		{"bidi override", "abc\u202edcba", 64, "abc dcba"},
		{"line separator", "a\u2028b", 64, "a b"},
		{"invalid UTF-8", "a\xffb", 64, "a b"},
		{"trimmed", "  \t x \r\n", 64, "x"},
		{"cut", "abcdefgh", 4, "abcd…"},
		{"cut never splits a rune", "ab€€", 4, "ab…"},
		{"cut drops trailing space", "ab  cd", 3, "ab…"},
		{"negative n", "abc", -1, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.in, tt.n); got != tt.want {
				t.Errorf("Line(%q, %d) = %q; want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func FuzzLine(f *testing.F) {
	f.Add("a\nb\x1b[2J", 8)
	f.Add("€€€", 4)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 1 << 10
		got := Line(s, n)
		if max := max(n, 0) + len(Ellipsis); len(got) > max {
			t.Errorf("len(Line(%q, %d)) = %d; want at most %d", s, n, len(got), max)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Line(%q, %d) = %q: not valid UTF-8", s, n, got)
		}
		for _, r := range got {
			if unsafe(r) {
				t.Errorf("Line(%q, %d) = %q holds %U", s, n, got, r)
			}
		}
		if strings.TrimSpace(got) != got {
			t.Errorf("Line(%q, %d) = %q: not trimmed", s, n, got)
		}
	})
}
