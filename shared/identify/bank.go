package identify

import (
	"regexp"
	"strings"
)

// ibanLength is the length of the IBAN of each country in the SWIFT IBAN registry
// (ISO 13616), release 99 (2024).
var ibanLength = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
	"BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
	"DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
	"GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
	"IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
	"LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
	"MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
	"SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
	"TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

// ibanStartRE finds where an IBAN may start: country code and check digits. Upper case,
// or (the way people type one into a chat) lower case without spaces.
var ibanStartRE = regexp.MustCompile(`([A-Za-z]{2})([0-9]{2})`)

// ibanLabel marks text that says an IBAN follows, so that a wrong length is reported.
var ibanLabel = labelRE(`iban`, `account`, `konto`, `cuenta`, `rekening`, `compte`)

// mod97 returns the ISO 7064 MOD 97-10 remainder of an IBAN: the first four characters
// moved to the end, letters replaced by 10-35.
func mod97(iban string) int {
	r := 0
	for _, c := range iban[4:] + iban[:4] {
		switch {
		case '0' <= c && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case 'A' <= c && c <= 'Z':
			r = (r*100 + int(c-'A') + 10) % 97
		default:
			return -1
		}
	}
	return r
}

// checkIBAN checks an IBAN in electronic form (no spaces, upper case).
func checkIBAN(v string) (verdict, bool) {
	if len(v) < 5 || !ibanStartRE.MatchString(v[:4]) {
		return verdict{}, false
	}
	want, ok := ibanLength[v[:2]]
	if !ok {
		return verdict{}, false
	}
	for i := 4; i < len(v); i++ {
		if c := v[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
			return verdict{}, false
		}
	}
	if len(v) != want {
		return verdict{value: v, check: CheckNone, reason: "an IBAN of " + v[:2] + " has " + itoa(want) + " characters"}, true
	}
	if mod97(v) != 1 {
		return verdict{value: v, check: CheckFails, reason: "mod 97 is not 1 (check digits " + ibanDigits(v) + ")"}, true
	}
	return verdict{value: v, check: CheckHolds}, true
}

// ibanDigits returns the check digits v should have: 98 - (BBAN, country, 00) mod 97.
func ibanDigits(v string) string {
	d := 98 - mod97(v[:2]+"00"+v[4:])
	return string([]byte{byte('0' + d/10), byte('0' + d%10)})
}

func scanIBAN(text string, _ Options, n int) []Finding {
	return each(text, ibanStartRE, n, func(m []int) (Finding, bool) {
		start := m[0]
		if !boundary(text[:start], start, start, "") {
			return Finding{}, false
		}
		cc := text[m[2]:m[3]]
		lower := cc[0] >= 'a' && cc[1] >= 'a'
		if !lower && (cc[0] >= 'a' || cc[1] >= 'a') {
			return Finding{}, false
		}
		want, ok := ibanLength[strings.ToUpper(cc)]
		if !ok {
			return Finding{}, false
		}
		// Read alphanumerics; a single space may separate groups of four (paper form).
		var b strings.Builder
		b.WriteString(strings.ToUpper(text[start : start+4]))
		i := start + 4
		for b.Len() < want && i < len(text) {
			c := text[i]
			if !lower && c == ' ' && b.Len()%4 == 0 && i+1 < len(text) && isAlnum(text[i+1]) {
				i++
				continue
			}
			if !isAlnum(c) || lower && 'A' <= c && c <= 'Z' || !lower && 'a' <= c && c <= 'z' {
				break
			}
			if 'a' <= c {
				c -= 'a' - 'A'
			}
			b.WriteByte(c)
			i++
		}
		v := b.String()
		if len(v) < want || !boundary(text, start, i, "") {
			// Too short, or more characters follow: an IBAN only if labelled one.
			if !labelled(text, start, ibanLabel) || len(v) < 12 {
				return Finding{}, false
			}
			for i < len(text) && isAlnum(text[i]) {
				i++
			}
			v = squeeze(text[start:i])
		}
		vd, ok := checkIBAN(v)
		if !ok {
			return Finding{}, false
		}
		return finding(IBAN, text, start, i, vd.value, vd.check, vd.reason), true
	})
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// ISO 9362 (2014): party prefix (4 alphanumerics, letters in practice), country code
// (ISO 3166-1 alpha-2), party suffix (2 alphanumerics), optional branch (3 alphanumerics).
var bicRE = regexp.MustCompile(`[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?`)

// bicLabel: a BIC's form is too common in capitals (DOCUMENTS) to be read unlabelled.
var bicLabel = labelRE(`bic`, `swift`, `swift[ -]?code`, `bic/swift`, `swift/bic`)

func checkBIC(v string) (verdict, bool) {
	if (len(v) != 8 && len(v) != 11) || !bicRE.MatchString(v) || bicRE.FindString(v) != v {
		return verdict{}, false
	}
	switch {
	case !countries[v[4:6]]:
		return verdict{value: v, check: CheckNone, reason: "no country " + v[4:6]}, true
	case v[7] == 'O':
		return verdict{value: v, check: CheckNone, reason: "the letter O cannot be the second character of the location"}, true
	case allDigits(v[:4]):
		return verdict{value: v, check: CheckNone, reason: "the party prefix has no letter"}, true
	case len(v) == 11 && v[8] == 'X' && v[8:] != "XXX":
		return verdict{value: v, check: CheckNone, reason: "a branch code starting with X must be XXX"}, true
	}
	if len(v) == 11 && v[8:] == "XXX" {
		v = v[:8]
	}
	return verdict{value: v, check: CheckNone}, true
}

func scanBIC(text string, _ Options, n int) []Finding {
	return each(text, bicRE, n, func(m []int) (Finding, bool) {
		if !boundary(text, m[0], m[1], "") || !labelled(text, m[0], bicLabel) {
			return Finding{}, false
		}
		vd, ok := checkBIC(text[m[0]:m[1]])
		if !ok {
			return Finding{}, false
		}
		return finding(BIC, text, m[0], m[1], vd.value, vd.check, vd.reason), true
	})
}

// countries holds the ISO 3166-1 alpha-2 codes, and XK (Kosovo, used by SWIFT and the
// IBAN registry).
var countries = func() map[string]bool {
	const codes = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL " +
		"BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY " +
		"CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL " +
		"GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO " +
		"JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG " +
		"MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ " +
		"OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI " +
		"SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
		"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK"
	m := map[string]bool{}
	for _, c := range strings.Fields(codes) {
		m[c] = true
	}
	return m
}()
