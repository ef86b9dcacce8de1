package identify

import (
	"net/netip"
	"regexp"
	"strings"
)

var (
	ipv4RE = regexp.MustCompile(`[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}`)
	ipv6RE = regexp.MustCompile(`[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}`)
)

// numberingLabel: a dotted quad after one of these is a version or a section number.
var numberingLabel = labelRE(`v`, `version`, `versión`, `versão`, `versie`, `ver`, `rev`, `release`, `build`,
	`section`, `sección`, `secção`, `sectie`, `art`, `article`, `artículo`, `artigo`, `artikel`, `§`, `para`,
	`paragraph`, `clause`, `cláusula`, `chapter`, `capítulo`, `hoofdstuk`, `no`, `nr`, `item`, `punto`, `point`)

// checkIPv4 reads a dotted quad; octets above 255 and leading zeros (ambiguous: octal to
// some parsers) make a look-alike.
func checkIPv4(s string) (verdict, bool) {
	if ipv4RE.FindString(s) != s {
		return verdict{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return verdict{value: s, check: CheckNone, reason: "not an IPv4 address"}, true
	}
	return verdict{value: a.String(), check: CheckNone}, true
}

func scanIPv4(text string, _ Options, n int) []Finding {
	return each(text, ipv4RE, n, func(m []int) (Finding, bool) {
		start, end := m[0], m[1]
		// Part of a longer dotted run (a version, a section number): not an address.
		if !boundary(text, start, end, "") || start > 0 && text[start-1] == '.' ||
			end+1 < len(text) && text[end] == '.' && '0' <= text[end+1] && text[end+1] <= '9' {
			return Finding{}, false
		}
		if labelled(text, start, numberingLabel) {
			return Finding{}, false
		}
		vd, _ := checkIPv4(text[start:end])
		return finding(IPv4, text, start, end, vd.value, vd.check, vd.reason), true
	})
}

// checkIPv6 reads an IPv6 address (no zone); the value is RFC 5952's form.
func checkIPv6(s string) (verdict, bool) {
	if ipv6RE.FindString(s) != s || strings.Count(s, ":") < 2 {
		return verdict{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return verdict{value: strings.ToLower(s), check: CheckNone, reason: "not an IPv6 address"}, true
	}
	return verdict{value: a.String(), check: CheckNone}, true
}

func scanIPv6(text string, _ Options, n int) []Finding {
	return each(text, ipv6RE, n, func(m []int) (Finding, bool) {
		start, end := m[0], m[1]
		if !boundary(text, start, end, ":") {
			return Finding{}, false
		}
		s := text[start:end]
		vd, ok := checkIPv6(s)
		if !ok {
			return Finding{}, false
		}
		// Times (12:30:45), MAC addresses and ratios fail to parse; only a run that looks
		// like an address (a "::" or eight groups, and a hex letter or a long group) is a
		// look-alike worth listing.
		if !vd.valid() && !(strings.Contains(s, "::") || strings.Count(s, ":") == 7) {
			return Finding{}, false
		}
		if vd.valid() && !strings.ContainsAny(s, "abcdefABCDEF") && !strings.Contains(s, "::") {
			// Eight groups of decimal digits only: a table of numbers more likely than an address.
			return Finding{}, false
		}
		if s == "::" {
			return Finding{}, false
		}
		return finding(IPv6, text, start, end, vd.value, vd.check, vd.reason), true
	})
}

func (v verdict) valid() bool { return v.reason == "" }
