package identify

import (
	"regexp"
	"strconv"
)

// An air waybill number: the airline's 3-digit prefix, then an 8-digit serial whose last
// digit is the first seven modulo 7 (IATA Resolution 600a); written "020-12345675",
// "020 1234 5675" or "02012345675".
var awbRE = regexp.MustCompile(`([0-9]{3})[ \x{00a0}-]?([0-9]{4})[ \x{00a0}]?([0-9]{4})`)

// awbLabel: eleven digits are read as an air waybill only after its label.
var awbLabel = labelRE(`awb`, `mawb`, `hawb`, `air ?waybill`, `air way ?bill`, `airway ?bill`, `lta`,
	`luftfrachtbrief`, `guía aérea`, `guia aerea`, `conhecimento aéreo`, `vrachtbrief`)

func checkAWB(prefix, serial string) (verdict, bool) {
	if len(prefix) != 3 || len(serial) != 8 || !allDigits(prefix+serial) {
		return verdict{}, false
	}
	v := prefix + "-" + serial
	n, _ := strconv.Atoi(serial[:7])
	if want := n % 7; int(serial[7]-'0') != want {
		return verdict{value: v, check: CheckFails, reason: "mod 7 check digit is " + strconv.Itoa(want)}, true
	}
	return verdict{value: v, check: CheckHolds}, true
}

func scanAWB(text string, _ Options, n int) []Finding {
	return each(text, awbRE, n, func(m []int) (Finding, bool) {
		if !boundary(text, m[0], m[1], "") || !labelled(text, m[0], awbLabel) {
			return Finding{}, false
		}
		vd, ok := checkAWB(text[m[2]:m[3]], text[m[4]:m[5]]+text[m[6]:m[7]])
		if !ok {
			return Finding{}, false
		}
		return finding(AirWaybill, text, m[0], m[1], vd.value, vd.check, vd.reason), true
	})
}
