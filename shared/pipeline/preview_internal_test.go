package pipeline

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCutText(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
		cut  bool
	}{
		{"short", 10, "short", false},
		{"exactly", 7, "exactly", false},
		{"abcdef", 3, "abc", true},
		{"añb", 2, "a", true}, // ñ is two bytes: not split
		{"€uro", 2, "", true},
		{strings.Repeat("é", 10), 5, "éé", true},
	} {
		got, cut := cutText(c.in, c.max)
		if got != c.want || cut != c.cut || !utf8.ValidString(got) {
			t.Errorf("cutText(%q, %d) = %q, %v, want %q, %v", c.in, c.max, got, cut, c.want, c.cut)
		}
	}
}
