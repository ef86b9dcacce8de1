package identify

import (
	"fmt"
	"strings"
)

// MaxValue is the longest value Parse reads.
const MaxValue = 256

// FormError says that a value is not of the form of its type.
type FormError struct {
	Type Type
	Text string
}

func (e *FormError) Error() string {
	return fmt.Sprintf("identify: %q is not of the form of a %s identifier", e.Text, e.Type)
}

// InvalidError says that a value has the form of its type but is not an identifier: its
// check digit fails (Check is CheckFails) or another rule of the type does not hold.
type InvalidError struct {
	Type   Type
	Text   string
	Value  string // the normalised value as written
	Check  Check
	Reason string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("identify: %s %q is not valid: %s", e.Type, e.Text, e.Reason)
}

// Parse reads s, given whole (a query, a form field), as an identifier of type t and
// returns its finding with the normalised value. Spaces and hyphens inside container,
// IBAN, BIC, VIN and air waybill numbers are allowed, as is a leading "IMO"/"MMSI" label
// and "mailto:". A VIN from outside North America is taken without a check digit (the
// person typing it says it is one). regions are the phone regions for a national number.
// The error is a *FormError or an *InvalidError.
func Parse(t Type, s string, regions ...string) (Finding, error) {
	raw := s
	s = strings.TrimSpace(s)
	if len(s) > MaxValue {
		return Finding{}, &FormError{Type: t, Text: raw[:MaxValue]}
	}
	var vd verdict
	ok := false
	switch t {
	case Container:
		vd, ok = checkContainer(squeeze(s))
	case IMO:
		vd, ok = checkIMO(stripLabel(s, "IMO"))
	case MMSI:
		vd, ok = checkMMSI(stripLabel(s, "MMSI"))
	case IBAN:
		vd, ok = checkIBAN(squeeze(s))
	case BIC:
		vd, ok = checkBIC(squeeze(s))
	case Phone:
		if !phoneChecks {
			break // built without numbering plans: see phone_nocheck.go
		}
		if v, good := checkPhone(s, regions); good {
			vd, ok = verdict{value: v, check: CheckNone}, true
		} else if phoneRE.FindString(s) == s {
			vd, ok = verdict{value: squeeze(s), check: CheckNone, reason: "not a valid number in any numbering plan"}, true
		}
	case Email:
		vd, ok = checkEmail(strings.TrimPrefix(s, "mailto:"))
		ok = ok && emailRE.FindString(strings.TrimPrefix(s, "mailto:")) == strings.TrimPrefix(s, "mailto:")
	case Bitcoin:
		if strings.HasPrefix(strings.ToLower(s), "bc1") {
			vd, ok = checkBech32(s)
		} else {
			vd, ok = checkBase58(s)
		}
	case Ethereum:
		vd, ok = checkEthereum(s)
	case VIN:
		vd, ok = checkVIN(squeeze(s), true)
	case AirWaybill:
		v := squeeze(s)
		if len(v) == 11 {
			vd, ok = checkAWB(v[:3], v[3:])
		}
	case IPv4:
		vd, ok = checkIPv4(s)
	case IPv6:
		vd, ok = checkIPv6(s)
	default:
		_, err := ParseType(string(t))
		return Finding{}, err
	}
	if !ok {
		return Finding{}, &FormError{Type: t, Text: s}
	}
	f := Finding{Type: t, Value: vd.value, Text: s, Check: vd.check, Valid: vd.reason == "", Reason: vd.reason}
	if !f.Valid {
		return f, &InvalidError{Type: t, Text: s, Value: vd.value, Check: vd.check, Reason: vd.reason}
	}
	return f, nil
}

// stripLabel removes a leading label ("IMO 9074729", "IMO: 9074729").
func stripLabel(s, label string) string {
	if len(s) >= len(label) && strings.EqualFold(s[:len(label)], label) {
		s = strings.TrimLeft(s[len(label):], " :.#")
	}
	return s
}
