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

// trn is tr for a phrase that counts n things: the phrase key+".one" when n is one and the
// table has it, so that one is never said in the plural ("1 documents").
func (l Lang) trn(key string, n int64, a ...any) string {
	if n == 1 {
		if _, ok := phrases[key+".one"]; ok {
			return l.tr(key+".one", a...)
		}
	}
	return l.tr(key, a...)
}

// value is a value recorded in a trail or a request (a status, a deadline's name, a party)
// in words of the report's language: the phrase prefix+value when the table has it, else the
// value as recorded (a value this version of evx does not know).
func (l Lang) value(prefix, v string) string {
	if _, ok := phrases[prefix+v]; ok {
		return l.tr(prefix + v)
	}
	return v
}

// valuePrefixes are the phrase prefixes of recorded values shown in words (Lang.value): each
// key under them is a value as evx records it, its phrases what the report says instead.
var valuePrefixes = []string{"reason.", "rstatus.", "clock.", "kind.", "dl.", "party.", "urgency.", "idtype."}
