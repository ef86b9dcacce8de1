package dynamoledger

import (
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/compact"
)

func TestHexHash(t *testing.T) {
	good := strings.Repeat("0f", 32)
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{good, true},
		{strings.ToUpper(good), false},
		{good[:62], false},
		{good + "00", false},
		{"+f" + good[2:], false},
		{"zz" + good[2:], false},
		{"", false},
	} {
		b, err := hexHash(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("hexHash(%q) = %x, %v, want ok %v", tc.in, b, err, tc.ok)
		}
		if tc.ok && (len(b) != 32 || b[0] != 0x0f) {
			t.Errorf("hexHash(%q) = %x", tc.in, b)
		}
	}
}

// Node keys are part of the stored layout.
func TestNodeID(t *testing.T) {
	if got, want := nodeID(compact.NewNodeID(3, 17)), "n/3/17"; got != want {
		t.Errorf("nodeID(3, 17) = %q, want %q", got, want)
	}
}
