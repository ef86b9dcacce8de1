package dynamosearch

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"":                        nil,
		"Acta de incautación":     {"acta", "de", "incautacion"},
		"MSCU1234566, Rotterdam.": {"mscu1234566", "rotterdam"},
		"MLA-2026-0042":           {"mla", "2026", "0042"},
		`NEAR(x y) OR "z`:         {"near", "x", "y", "or", "z"},
		"Ñandú ÇA":                {"nandu", "ca"},
		"東京 2026":                 {"東京", "2026"},
	} {
		if got := Words(in); !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
	if w := Words(strings.Repeat("a", 200)); len(w) != 1 || len(w[0]) != MaxWordLen {
		t.Errorf("a long run: %v, want one word of %d", len(w), MaxWordLen)
	}
}

func TestQueryTerms(t *testing.T) {
	words, prefixes := queryTerms("vessel banan* Rotterdam vessel")
	if !slices.Equal(words, []string{"rotterdam", "vessel"}) || !slices.Equal(prefixes, []string{"banan"}) {
		t.Errorf("queryTerms = %v, %v", words, prefixes)
	}
}

// FuzzQueryTerms: whatever a person types, the terms are words as indexed (lowercase letters
// and digits, at most MaxWordLen runes), nothing panics.
func FuzzQueryTerms(f *testing.F) {
	for _, s := range []string{"cocaine", "a*", "*", `"x`, "É*", "\x00", "MSCU 123*", strings.Repeat("z", 100) + "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		words, prefixes := queryTerms(q)
		for _, w := range append(words, prefixes...) {
			if w == "" || utf8.RuneCountInString(w) > MaxWordLen {
				t.Fatalf("term %q of %q", w, q)
			}
			for _, r := range w {
				if !(unicode.IsLetter(r) || unicode.IsDigit(r)) || unicode.IsUpper(r) && unicode.ToLower(r) != r {
					t.Fatalf("term %q of %q has %q", w, q, r)
				}
			}
		}
	})
}
