package report

import (
	"regexp"
	"slices"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// verbs are the fmt verbs of a phrase, in order.
var verbs = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// TestEveryPhraseInEveryLanguage: each string of the report exists in English and Spanish,
// the two differ where they are words (not a copy left untranslated), and both take the same
// format verbs in the same order.
func TestEveryPhraseInEveryLanguage(t *testing.T) {
	// Phrases that are the same in both languages on purpose.
	same := map[string]bool{"no": true}
	check := func(key string, p phrase) {
		t.Helper()
		if p.en == "" || p.es == "" {
			t.Errorf("phrase %q: en %q, es %q, want both", key, p.en, p.es)
			return
		}
		if p.en == p.es && !same[key] {
			t.Errorf("phrase %q: the Spanish is the English %q", key, p.en)
		}
		if ge, gs := verbs.FindAllString(p.en, -1), verbs.FindAllString(p.es, -1); !slices.Equal(ge, gs) {
			t.Errorf("phrase %q: verbs en %v, es %v, want the same", key, ge, gs)
		}
	}
	for k, p := range phrases {
		check(k, p)
	}
	for k, p := range explanations {
		check("explain "+string(k), p)
	}
	for k, p := range requestExplanations {
		check("explain "+string(k), p)
	}
	for _, c := range custody.ReasonCodes {
		if _, ok := phrases["reason."+c]; !ok {
			t.Errorf("reason code %q has no phrase", c)
		}
	}
	for _, k := range actorKinds {
		if _, ok := phrases[k]; !ok {
			t.Errorf("actor kind phrase %q missing", k)
		}
	}
}

func TestParseLang(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Lang
		ok   bool
	}{{"", English, true}, {"en", English, true}, {"ES", Spanish, true}, {" es ", Spanish, true}, {"fr", "", false}, {"english", "", false}} {
		got, err := ParseLang(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseLang(%q) = %q, %v, want %q (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestDescribeInSpanish: every failure custody can report is described in Spanish words of
// its own, never the English fallback.
func TestDescribeInSpanish(t *testing.T) {
	for _, err := range []error{
		&custody.BreakError{Seq: 3}, &custody.EventHashError{Seq: 2}, &custody.QuorumError{Want: 2, Got: []string{"w1"}},
	} {
		en, es := DescribeIn(err, English), DescribeIn(err, Spanish)
		if en.Summary == es.Summary || en.Kind != es.Kind || es.Summary == "" {
			t.Errorf("DescribeIn(%T) = en %q, es %q, want two languages of one kind", err, en.Summary, es.Summary)
		}
	}
}
