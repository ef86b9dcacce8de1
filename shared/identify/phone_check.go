//go:build !evx.nophone

package identify

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// phoneChecks: phone numbers are found and checked against libphonenumber's metadata.
const phoneChecks = true

// checkPhone returns the E.164 form of raw if libphonenumber's metadata says it is a valid
// number: raw in international form ("+", or "00" then a country code), or in the national
// form of one of regions, tried in order.
func checkPhone(raw string, regions []string) (string, bool) {
	try := func(s, region string) (string, bool) {
		num, err := phonenumbers.Parse(s, region)
		if err != nil || !phonenumbers.IsValidNumber(num) {
			return "", false
		}
		return phonenumbers.Format(num, phonenumbers.E164), true
	}
	// "+31 (0)20 ...": the trunk prefix in brackets is dialled only from inside the country.
	if i := strings.Index(raw, "(0)"); i > 0 && (raw[0] == '+' || strings.HasPrefix(raw, "00")) {
		raw = raw[:i] + raw[i+3:]
	}
	switch {
	case strings.HasPrefix(raw, "+"):
		return try(raw, phoneRegion)
	case strings.HasPrefix(raw, "00"):
		return try("+"+raw[2:], phoneRegion)
	}
	for _, r := range regions {
		if v, ok := try(raw, strings.ToUpper(r)); ok {
			return v, true
		}
	}
	return "", false
}
