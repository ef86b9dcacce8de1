package identify

import (
	"regexp"
	"strconv"
)

// ISO 6346: owner code (3 letters), equipment category (U freight, J detachable equipment,
// Z trailer or chassis), serial (6 digits), check digit; written "CSQU3054383",
// "CSQU 305438 3", "CSQU 305438-3", or with the check digit boxed as on the door,
// "CSQU 305438 (3)".
var containerRE = regexp.MustCompile(`([A-Z]{3}[UJZ])[ \x{00a0}-]?([0-9]{6})(?:[ \x{00a0}-]?([0-9])|[ \x{00a0}]?\(([0-9])\))`)

// containerValue is ISO 6346's value of a letter: A=10, then up by one skipping the
// multiples of 11 (B=12 ... K=21, L=23 ... U=32, V=34 ... Z=38).
var containerValue = func() (v [26]int) {
	n := 10
	for i := range v {
		if n%11 == 0 {
			n++
		}
		v[i] = n
		n++
	}
	return v
}()

// containerCheck returns the ISO 6346 check digit of the first ten characters of s
// (owner code, category, serial): the sum of each value times 2^position, mod 11, mod 10.
func containerCheck(s string) int {
	sum := 0
	for i := 0; i < 10; i++ {
		c := s[i]
		v := int(c - '0')
		if c >= 'A' {
			v = containerValue[c-'A']
		}
		sum += v << i
	}
	return sum % 11 % 10
}

// containerLabel: categories J and Z are rare beside U, so a J or Z number is read only
// after a label; a stray reference of four letters and seven digits then passes as a
// container only if its fourth letter is U (1 in 26) and its check digit holds (1 in 10).
var containerLabel = labelRE(`container`, `containers`, `cntr`, `ctr`, `ctnr`, `equipment`, `chassis`,
	`trailer`, `contenedor`, `contêiner`, `conteneur`, `caja`, `unit`)

func scanContainer(text string, _ Options, n int) []Finding {
	return each(text, containerRE, n, func(m []int) (Finding, bool) {
		if !boundary(text, m[0], m[1], "") {
			return Finding{}, false
		}
		if text[m[3]-1] != 'U' && !labelled(text, m[0], containerLabel) {
			return Finding{}, false
		}
		var check string
		if m[6] >= 0 {
			check = text[m[6]:m[7]]
		} else {
			check = text[m[8]:m[9]]
		}
		v := text[m[2]:m[3]] + text[m[4]:m[5]] + check
		vd, _ := checkContainer(v)
		return finding(Container, text, m[0], m[1], v, vd.check, vd.reason), true
	})
}

type verdict struct {
	value  string
	check  Check
	reason string
}

// checkContainer checks an 11-character owner code, category, serial and check digit.
func checkContainer(v string) (verdict, bool) {
	if len(v) != 11 || containerRE.FindString(v) != v {
		return verdict{}, false
	}
	want := containerCheck(v)
	if int(v[10]-'0') != want {
		return verdict{value: v, check: CheckFails, reason: "ISO 6346 check digit is " + strconv.Itoa(want)}, true
	}
	return verdict{value: v, check: CheckHolds}, true
}

// IMO ship identification numbers are written with their label: "IMO 9074729",
// "IMO No. 9074729", "IMO number: 9074729".
var imoRE = regexp.MustCompile(`(?i:IMO)(?:[ \x{00a0}]*(?i:no\.?|nr\.?|number|n°|#))?[ \x{00a0}]*[:.]?[ \x{00a0}]*([0-9]{7})`)

// imoCheck returns the IMO check digit: the first six digits weighted 7 down to 2, mod 10.
func imoCheck(d string) int {
	sum := 0
	for i := 0; i < 6; i++ {
		sum += int(d[i]-'0') * (7 - i)
	}
	return sum % 10
}

func checkIMO(d string) (verdict, bool) {
	if len(d) != 7 || !allDigits(d) {
		return verdict{}, false
	}
	if want := imoCheck(d); int(d[6]-'0') != want {
		return verdict{value: d, check: CheckFails, reason: "IMO check digit is " + strconv.Itoa(want)}, true
	}
	return verdict{value: d, check: CheckHolds}, true
}

func scanIMO(text string, _ Options, n int) []Finding {
	return each(text, imoRE, n, func(m []int) (Finding, bool) {
		if !boundary(text, m[0], m[1], "") {
			return Finding{}, false
		}
		v, _ := checkIMO(text[m[2]:m[3]])
		return finding(IMO, text, m[0], m[1], v.value, v.check, v.reason), true
	})
}

var mmsiRE = regexp.MustCompile(`(?i:MMSI)(?:[ \x{00a0}]*(?i:no\.?|nr\.?|number|#))?[ \x{00a0}]*[:.]?[ \x{00a0}]*([0-9]{9})`)

// mid returns the maritime identification digits of a 9-digit MMSI by its leading digits
// (ITU-R M.585): ship stations MIDxxxxxx, group calls 0MIDxxxxx, coast stations 00MIDxxxx,
// SAR aircraft 111MIDxxx, craft associated with a parent ship 98MIDxxxx, aids to navigation
// 99MIDxxxx, and 8MIDxxxxx for handheld VHF with DSC and GNSS.
func mid(d string) (int, bool) {
	var s string
	switch {
	case d[:3] == "111":
		s = d[3:6]
	case d[:2] == "00":
		s = d[2:5]
	case d[:2] == "98" || d[:2] == "99":
		s = d[2:5]
	case d[0] == '0' || d[0] == '8':
		s = d[1:4]
	case '2' <= d[0] && d[0] <= '7':
		s = d[:3]
	default:
		return 0, false
	}
	n, _ := strconv.Atoi(s)
	return n, true
}

// checkMMSI checks the form and that the MID lies in the ranges ITU allocates to
// administrations (201-775: Europe 2xx, the Americas 3xx, Asia 4xx, Oceania 5xx,
// Africa 6xx, South America 7xx).
func checkMMSI(d string) (verdict, bool) {
	if len(d) != 9 || !allDigits(d) {
		return verdict{}, false
	}
	m, ok := mid(d)
	if !ok || m < 201 || m > 775 {
		return verdict{value: d, check: CheckNone, reason: "no maritime identification digits in 201-775"}, true
	}
	return verdict{value: d, check: CheckNone}, true
}

func scanMMSI(text string, _ Options, n int) []Finding {
	return each(text, mmsiRE, n, func(m []int) (Finding, bool) {
		if !boundary(text, m[0], m[1], "") {
			return Finding{}, false
		}
		v, _ := checkMMSI(text[m[2]:m[3]])
		return finding(MMSI, text, m[0], m[1], v.value, v.check, v.reason), true
	})
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
