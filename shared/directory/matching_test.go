package directory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/directory"
)

// evidence_matching says whether others may match the evidence an agency sends: by-bundle
// (also when absent), none or allowed; anything else is refused naming the field.
func TestEvidenceMatching(t *testing.T) {
	const head = "agencies:\n  - {id: es-fge, name: Fiscalía, country: ES, legal_bases: [EU-EIO], handling_codes: [H0], active: true, role: send"
	for _, tc := range []struct {
		extra, want string
		refused     bool
	}{
		{"}", "", false},
		{", evidence_matching: by-bundle}", "by-bundle", false},
		{", evidence_matching: none}", "none", false},
		{", evidence_matching: allowed}", "allowed", false},
		{", evidence_matching: yes}", "", true},
		{", evidence_matching: None}", "", true},
	} {
		d, err := directory.Parse(strings.NewReader(head + tc.extra + "\n"))
		if tc.refused {
			var ie *directory.InvalidCounterpartError
			if !errors.As(err, &ie) || ie.Field != "evidence_matching" {
				t.Errorf("%s: %v, want refused naming evidence_matching", tc.extra, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v, want accepted", tc.extra, err)
			continue
		}
		cp, err := d.Counterpart(context.Background(), "es-fge")
		if err != nil || cp.EvidenceMatching != tc.want {
			t.Errorf("%s: evidence_matching %q (%v), want %q", tc.extra, cp.EvidenceMatching, err, tc.want)
		}
	}
}
