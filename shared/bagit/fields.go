package bagit

import (
	"fmt"
	"strings"
)

// bag-info.txt labels of the evx fields.
const (
	LabelCounterpart        = "EVX-Counterpart" // repeatable: one per receiving agency
	LabelRequestReference   = "EVX-Request-Reference"
	LabelRequestingState    = "EVX-Requesting-State"
	LabelRequestedState     = "EVX-Requested-State"
	LabelLegalBasis         = "EVX-Legal-Basis"
	LabelHandlingCode       = "EVX-Handling-Code" // H0, H1, H2 or H3
	LabelExternalIdentifier = "External-Identifier"
)

// Fields are evx's fields of bag-info.txt.
type Fields struct {
	Counterparts       []string `json:"counterparts"`
	RequestReference   string   `json:"request_reference,omitempty"`
	RequestingState    string   `json:"requesting_state,omitempty"`
	RequestedState     string   `json:"requested_state,omitempty"`
	LegalBasis         string   `json:"legal_basis,omitempty"`
	HandlingCode       string   `json:"handling_code,omitempty"`
	ExternalIdentifier string   `json:"external_identifier,omitempty"` // the case reference
}

// HandlingCodes are the values EVX-Handling-Code may take.
var HandlingCodes = []string{"H0", "H1", "H2", "H3"}

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
