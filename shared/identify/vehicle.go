package identify

import (
	"regexp"
	"strings"
)

// ISO 3779: 17 characters of A-Z and 0-9 without I, O and Q.
var vinRE = regexp.MustCompile(`[A-HJ-NPR-Z0-9]{17}`)

// vinLabel: a VIN without a North American check digit is read only after a label.
var vinLabel = labelRE(`vin`, `v\.i\.n\.`, `chassis`, `vehicle identification`, `fahrgestell(?:nummer)?`,
	`fin`, `bastidor`, `chasis`, `châssis`, `chassisnummer`, `telaio`)

// vinValue is the transliteration of 49 CFR 565.15: A-H 1-8, J-N 1-5, P 7, R 9, S-Z 2-9.
func vinValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'H':
		return int(c-'A') + 1
	case 'J' <= c && c <= 'N':
		return int(c-'J') + 1
	case c == 'P':
		return 7
	case c == 'R':
		return 9
	case 'S' <= c && c <= 'Z':
		return int(c-'S') + 2
	}
	return 0
}

var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// vinCheck returns the check digit of position 9 (49 CFR 565.15(c)): the weighted sum mod
// 11, 10 written X.
func vinCheck(v string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += vinValue(v[i]) * vinWeights[i]
	}
	if r := sum % 11; r < 10 {
		return byte('0' + r)
	}
	return 'X'
}

// northAmerican reports whether the world manufacturer identifier is one assigned in North
// America (first character 1-5), where the check digit is mandatory.
func northAmerican(v string) bool { return '1' <= v[0] && v[0] <= '5' }

// checkVIN checks the form (letters and digits mixed, the last four characters digits as
// every manufacturer writes them) and, where it applies, the check digit and model year.
// labelled says whether the text names it a VIN, which a VIN from outside North America
// needs to count as one.
func checkVIN(v string, labelled bool) (verdict, bool) {
	if len(v) != 17 || vinRE.FindString(v) != v || !allDigits(v[13:]) {
		return verdict{}, false
	}
	letters := 0
	for i := 0; i < 17; i++ {
		if v[i] >= 'A' {
			letters++
		}
	}
	if letters < 2 {
		return verdict{}, false
	}
	want := vinCheck(v)
	holds := v[8] == want
	switch {
	case northAmerican(v) && strings.IndexByte("UZ0", v[9]) >= 0:
		return verdict{value: v, check: CheckNone, reason: "no model year " + v[9:10]}, true
	case northAmerican(v) && !holds:
		return verdict{value: v, check: CheckFails, reason: "check digit is " + string(want)}, true
	case holds:
		return verdict{value: v, check: CheckHolds}, true
	case labelled:
		return verdict{value: v, check: CheckNone}, true
	}
	return verdict{}, false
}

func scanVIN(text string, _ Options, n int) []Finding {
	return each(text, vinRE, n, func(m []int) (Finding, bool) {
		if !boundary(text, m[0], m[1], "") {
			return Finding{}, false
		}
		v := text[m[0]:m[1]]
		lab := labelled(text, m[0], vinLabel)
		vd, ok := checkVIN(v, lab)
		// Unlabelled, only a North American VIN whose check digit holds is taken: a stray
		// 17-character reference passes a mod-11 check one time in eleven.
		if !ok || !lab && !northAmerican(v) {
			return Finding{}, false
		}
		if !lab && vd.check == CheckFails && letters(v) < 4 {
			return Finding{}, false
		}
		return finding(VIN, text, m[0], m[1], vd.value, vd.check, vd.reason), true
	})
}

func letters(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			n++
		}
	}
	return n
}
