package directory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/directory"
)

// TestServiceProviders: a service provider's designated establishment or legal representative
// is a party of the directory with service_provider and representation; either alone, or a
// representation of another kind, is refused naming the field.
func TestServiceProviders(t *testing.T) {
	const head = "counterparts:\n  - {id: nl-telco-lr, name: Telco LR, country: NL, legal_bases: [EU-EPOC], handling_codes: [H0], active: true"
	for _, tc := range []struct {
		extra, field string
	}{
		{", service_provider: Telco B.V., representation: legal-representative}", ""},
		{", service_provider: Telco B.V., representation: designated-establishment}", ""},
		{", service_provider: Telco B.V.}", "representation"},
		{", representation: legal-representative}", "representation"},
		{", service_provider: Telco B.V., representation: subsidiary}", "representation"},
		{", service_provider: \"Telco\\u0007\", representation: legal-representative}", "service_provider"},
	} {
		d, err := directory.Parse(strings.NewReader(head + tc.extra + "\n"))
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v, want accepted", tc.extra, err)
				continue
			}
			cp, err := d.Counterpart(context.Background(), "nl-telco-lr")
			if err != nil || cp.ServiceProvider != "Telco B.V." || cp.Representation == "" {
				t.Errorf("%s: counterpart %+v, %v; want the provider and its representation", tc.extra, cp, err)
			}
			continue
		}
		var ie *directory.InvalidCounterpartError
		if !errors.As(err, &ie) || ie.Field != tc.field {
			t.Errorf("%s: %v, want an *InvalidCounterpartError on %s", tc.extra, err, tc.field)
		}
	}
}
