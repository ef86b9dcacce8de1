package report

import (
	"fmt"
	"strings"
)

// Lang is the language a report is written in: that of the court that receives it.
type Lang string

// The languages a report can be written in; every phrase of the table below has each.
const (
	English Lang = "en"
	Spanish Lang = "es"
)

// Langs lists the languages a report can be written in, the default first.
var Langs = []Lang{English, Spanish}

// ParseLang returns the language named by code ("en", "es"); "" is English.
func ParseLang(code string) (Lang, error) {
	switch l := Lang(strings.ToLower(strings.TrimSpace(code))); l {
	case "":
		return English, nil
	case English, Spanish:
		return l, nil
	}
	return "", fmt.Errorf("language %q: want one of en, es", code)
}

// phrase is one user-visible string of the report in every language; format verbs, where
// present, are the same in each, in the same order.
type phrase struct{ en, es string }

// tr returns the phrase key in l, formatted with a. An unknown key is a programming error
// the table test catches; it prints as the key itself.
func (l Lang) tr(key string, a ...any) string {
	p, ok := phrases[key]
	if !ok {
		p = phrase{key, key}
	}
	s := p.en
	if l == Spanish && p.es != "" {
		s = p.es
	}
	if len(a) == 0 {
		return s
	}
	return fmt.Sprintf(s, a...)
}
