package identify

import (
	"regexp"
	"strings"
)

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+`)

// checkEmail checks the form RFC 5321 allows for the dot-atom addresses people write:
// a local part of at most 64 characters without leading, trailing or doubled dots, a
// domain of at most 253 characters in labels of 1-63 letters, digits and inner hyphens,
// and a top-level label of letters. The value is lower-cased: evx matches addresses
// case-insensitively, as mail systems deliver them.
func checkEmail(s string) (verdict, bool) {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return verdict{}, false
	}
	local, domain := s[:at], s[at+1:]
	v := strings.ToLower(s)
	bad := func(r string) (verdict, bool) { return verdict{value: v, check: CheckNone, reason: r}, true }
	if len(local) > 64 {
		return bad("local part longer than 64 characters")
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return bad("misplaced dot in the local part")
	}
	if len(domain) > 253 {
		return bad("domain longer than 253 characters")
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return bad("no top-level domain")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return bad("malformed domain label " + l)
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return bad("top-level domain shorter than two letters")
	}
	for i := 0; i < len(tld); i++ {
		if c := tld[i] | 0x20; c < 'a' || c > 'z' {
			return bad("top-level domain " + tld + " is not all letters")
		}
	}
	return verdict{value: v, check: CheckNone}, true
}

func scanEmail(text string, _ Options, n int) []Finding {
	return each(text, emailRE, n, func(m []int) (Finding, bool) {
		start, end := m[0], m[1]
		// A sentence may end right after the address; quotes around the local part are text.
		for start < end && (text[start] == '.' || text[start] == '\'') {
			start++
		}
		if !boundary(text, start, end, "@") {
			return Finding{}, false
		}
		vd, ok := checkEmail(text[start:end])
		if !ok {
			return Finding{}, false
		}
		return finding(Email, text, start, end, vd.value, vd.check, vd.reason), true
	})
}
