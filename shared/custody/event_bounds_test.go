package custody

import (
	"strings"
	"testing"
)

// TestCheckFieldsExactBounds holds checkFields' integer bounds to their written values, not to
// MaxSafeInteger: 2^53-1 (9007199254740991), the largest integer every JSON reader reads
// exactly, is the last seq and document size accepted, and 2^53 is refused.
func TestCheckFieldsExactBounds(t *testing.T) {
	const (
		last  = 9007199254740991 // 2^53-1: echo '2^53-1' | bc
		first = 9007199254740992 // 2^53
	)
	if MaxSafeInteger != last {
		t.Errorf("MaxSafeInteger = %d, want 2^53-1 = %d", int64(MaxSafeInteger), int64(last))
	}
	for _, tc := range []struct {
		name string
		edit func(e *Event)
		ok   bool
	}{
		{"seq-2^53-1", func(e *Event) { e.Seq = last }, true},
		{"seq-2^53", func(e *Event) { e.Seq = first }, false},
		{"size-2^53-1", func(e *Event) { e.Details.Documents[0].Size = last }, true},
		{"size-2^53", func(e *Event) { e.Details.Documents[0].Size = first }, false},
		{"seq-2-needs-prev", func(e *Event) { e.Prev = "" }, false},
		{"seq-1-without-prev", func(e *Event) { e.Seq, e.Prev = 1, "" }, true},
		{"empty-sha512-and-extraction", func(e *Event) { e.Details.Documents[0].SHA512, e.Details.Documents[0].Extraction = "", "" }, true},
		{"sha512-set", func(e *Event) { e.Details.Documents[0].SHA512 = strings.Repeat("c", 128) }, true},
		{"extraction-set", func(e *Event) { e.Details.Documents[0].Extraction = strings.Repeat("d", 64) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := validEvent()
			tc.edit(&e)
			if err := e.checkFields(); (err == nil) != tc.ok {
				t.Errorf("checkFields = %v, want accepted %v", err, tc.ok)
			}
		})
	}
}
