package bagit

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// bag-info.txt labels of the evx fields.
const (
	LabelCounterpart      = "EVX-Counterpart" // repeatable: one per receiving agency
	LabelRequestReference = "EVX-Request-Reference"
	LabelRequestingState  = "EVX-Requesting-State"
	LabelRequestedState   = "EVX-Requested-State"
	LabelLegalBasis       = "EVX-Legal-Basis"
	LabelHandlingCode     = "EVX-Handling-Code" // H0, H1, H2 or H3
	// LabelHandlingRestriction is H3's restriction, free text: given exactly when the
	// handling code is H3, at most MaxHandlingRestriction characters.
	LabelHandlingRestriction = "EVX-Handling-Restriction"
	LabelExternalIdentifier  = "External-Identifier"
)

// Fields are evx's fields of bag-info.txt.
type Fields struct {
	Counterparts        []string `json:"counterparts"`
	RequestReference    string   `json:"request_reference,omitempty"`
	RequestingState     string   `json:"requesting_state,omitempty"`
	RequestedState      string   `json:"requested_state,omitempty"`
	LegalBasis          string   `json:"legal_basis,omitempty"`
	HandlingCode        string   `json:"handling_code,omitempty"`
	HandlingRestriction string   `json:"handling_restriction,omitempty"` // with H3 only
	ExternalIdentifier  string   `json:"external_identifier,omitempty"`  // the case reference
}

// HandlingCodes are the values EVX-Handling-Code may take.
var HandlingCodes = []string{"H0", "H1", "H2", "H3"}

// MaxHandlingRestriction is the most characters EVX-Handling-Restriction may hold: it is
// printed on every page of the court report, so it is a sentence or two, not a document.
const MaxHandlingRestriction = 300

// ParseFields extracts the evx fields from bag-info.txt. The errors it returns are
// *[PolicyError]s: a missing EVX-Counterpart, an empty counterpart, a handling code
// other than H0-H3, a single-valued field given twice.
func ParseFields(info Info) (Fields, []error) {
	var f Fields
	var errs []error
	const where = "bag-info.txt"
	for _, v := range info.Get(LabelCounterpart) {
		if v == "" || strings.ContainsAny(v, " \t") {
			errs = append(errs, &PolicyError{Path: where, Reason: fmt.Sprintf("%s %q must be a counterpart identifier without spaces", LabelCounterpart, v)})
			continue
		}
		f.Counterparts = append(f.Counterparts, v)
	}
	if len(info.Get(LabelCounterpart)) == 0 {
		errs = append(errs, &PolicyError{Path: where, Reason: "names no " + LabelCounterpart + "; add one line \"EVX-Counterpart: ID\" for each agency that is to receive the bundle"})
	}
	single := func(label string, dst *string) {
		vs := info.Get(label)
		if len(vs) > 1 {
			errs = append(errs, &PolicyError{Path: where, Reason: fmt.Sprintf("gives %s %d times; give it once", label, len(vs))})
		}
		if len(vs) > 0 {
			*dst = vs[0]
		}
	}
	single(LabelRequestReference, &f.RequestReference)
	single(LabelRequestingState, &f.RequestingState)
	single(LabelRequestedState, &f.RequestedState)
	single(LabelLegalBasis, &f.LegalBasis)
	single(LabelHandlingCode, &f.HandlingCode)
	single(LabelExternalIdentifier, &f.ExternalIdentifier)
	single(LabelHandlingRestriction, &f.HandlingRestriction)
	switch r := f.HandlingRestriction; {
	case f.HandlingCode == "H3" && strings.TrimSpace(r) == "":
		errs = append(errs, &PolicyError{Path: where, Reason: fmt.Sprintf("gives %s H3 without %s; H3 means other restrictions, so state them, e.g. \"%s: not to be passed to tax authorities\"", LabelHandlingCode, LabelHandlingRestriction, LabelHandlingRestriction)})
	case r != "" && f.HandlingCode != "H3":
		errs = append(errs, &PolicyError{Path: where, Reason: fmt.Sprintf("gives %s with handling code %q; a restriction in free text is handling code H3", LabelHandlingRestriction, f.HandlingCode)})
	case utf8.RuneCountInString(r) > MaxHandlingRestriction:
		errs = append(errs, &PolicyError{Path: where, Reason: fmt.Sprintf("%s has %d characters; at most %d", LabelHandlingRestriction, utf8.RuneCountInString(r), MaxHandlingRestriction)})
	case !utf8.ValidString(r) || strings.ContainsFunc(r, unicode.IsControl):
		errs = append(errs, &PolicyError{Path: where, Reason: LabelHandlingRestriction + " must be text on one line, in UTF-8"})
	}
	if f.HandlingCode != "" {
		ok := false
		for _, c := range HandlingCodes {
			ok = ok || f.HandlingCode == c
		}
		if !ok {
			errs = append(errs, &PolicyError{Path: where, Reason: fmt.Sprintf("%s %q is not one of H0, H1, H2, H3", LabelHandlingCode, f.HandlingCode)})
		}
	}
	return f, errs
}
