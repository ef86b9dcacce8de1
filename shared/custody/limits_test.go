package custody_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// TestTrailProofLimits: an inclusion proof holds at most 64 hashes and a consistency proof
// 128 (a log of 2^64 leaves needs no more); one more is a *FormatError, before any hash is
// checked.
func TestTrailProofLimits(t *testing.T) {
	good := fixture(t, "good.json")
	hash := strings.Repeat("ab", 32)
	proof := func(n int) []string {
		p := make([]string, n)
		for i := range p {
			p[i] = hash
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		edit   func(tr *custody.Trail)
		parses bool
	}{
		{"inclusion-64", func(tr *custody.Trail) { tr.Events[2].Proof = proof(64) }, true},
		{"inclusion-65", func(tr *custody.Trail) { tr.Events[2].Proof = proof(65) }, false},
		{"consistency-128", func(tr *custody.Trail) { tr.Consistency.Proof = proof(128) }, true},
		{"consistency-129", func(tr *custody.Trail) { tr.Consistency.Proof = proof(129) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := custody.ParseTrail(good)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(tr)
			data, err := json.Marshal(tr)
			if err != nil {
				t.Fatal(err)
			}
			_, err = custody.ParseTrail(data)
			if tc.parses != (err == nil) {
				t.Errorf("ParseTrail = %v, want parsed %v", err, tc.parses)
			}
			if err != nil && errorType(err) != "FormatError" {
				t.Errorf("ParseTrail = %v, want a *FormatError", err)
			}
		})
	}
}

// TestCanonicalizeDepthLimit: values nest 64 deep below the top-level one, no deeper.
func TestCanonicalizeDepthLimit(t *testing.T) {
	for _, tc := range []struct {
		open, close string
	}{
		{"[", "]"},
		{`{"a":`, "}"},
	} {
		for n, ok := range map[int]bool{64: true, 65: false} {
			in := strings.Repeat(tc.open, n) + "1" + strings.Repeat(tc.close, n)
			_, err := custody.Canonicalize([]byte(in))
			if (err == nil) != ok {
				t.Errorf("Canonicalize(%d nested %s) = %v, want ok %v", n, tc.open, err, ok)
			}
		}
	}
}
