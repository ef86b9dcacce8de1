package directory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/directory"
)

// review_after_days sets an agency's retention review period: 1 to 36,500 days, absent for the
// default; anything else is refused naming the field.
func TestReviewAfterDays(t *testing.T) {
	const head = "agencies:\n  - {id: es-fge, name: Fiscalía, country: ES, legal_bases: [EU-EIO], handling_codes: [H0], active: true, role: send"
	for _, tc := range []struct {
		extra string
		want  int
		field string
	}{
		{"}", 0, ""},
		{", review_after_days: 1}", 1, ""},
		{", review_after_days: 1825}", 1825, ""},
		{", review_after_days: 36500}", 36500, ""},
		{", review_after_days: 36501}", 0, "review_after_days"},
		{", review_after_days: -1}", 0, "review_after_days"},
	} {
		d, err := directory.Parse(strings.NewReader(head + tc.extra + "\n"))
		if tc.field != "" {
			var ie *directory.InvalidCounterpartError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Errorf("%s: %v, want refused naming %s", tc.extra, err, tc.field)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v, want accepted", tc.extra, err)
			continue
		}
		cp, err := d.Counterpart(context.Background(), "es-fge")
		if err != nil || cp.ReviewAfterDays != tc.want {
			t.Errorf("%s: review_after_days %d (%v), want %d", tc.extra, cp.ReviewAfterDays, err, tc.want)
		}
	}
}
