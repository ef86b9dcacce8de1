package custody_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// TestParseTrailSizeBound: a trail of exactly MaxTrailBytes is read (and here refused for its
// content, a "}" first), one byte more is refused for its size before it is read.
func TestParseTrailSizeBound(t *testing.T) {
	var fe *custody.FormatError
	at := make([]byte, custody.MaxTrailBytes)
	at[0] = '}'
	_, err := custody.ParseTrail(at)
	if !errors.As(err, &fe) || strings.Contains(err.Error(), "exceeds") {
		t.Errorf("ParseTrail(MaxTrailBytes bytes) = %v, want a *FormatError about its content, not its size", err)
	}
	_, err = custody.ParseTrail(make([]byte, custody.MaxTrailBytes+1))
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("ParseTrail(MaxTrailBytes+1 bytes) = %v, want a *FormatError about its size", err)
	}
}

// TestParseTrailWithoutEvents: a trail with no events member is refused as such.
func TestParseTrailWithoutEvents(t *testing.T) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(fixture(t, "good.json"), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "events")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	_, err = custody.ParseTrail(b)
	var fe *custody.FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "no events") {
		t.Errorf("ParseTrail(a trail without events) = %v, want a *FormatError saying it has no events", err)
	}
}
