package custody

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

// TestAppendLeavesLeavesInputAlone: a backend's cached compact range must survive a failed
// batch, so AppendLeaves may not write into the slice it is given.
func TestAppendLeavesLeavesInputAlone(t *testing.T) {
	l0, l1 := sha256.Sum256([]byte("0")), sha256.Sum256([]byte("1"))
	rng, _, err := AppendLeaves(0, nil, [][]byte{l0[:]})
	if err != nil {
		t.Fatal(err)
	}
	before := append([]byte(nil), rng[0]...)
	if _, _, err := AppendLeaves(1, rng, [][]byte{l1[:]}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rng[0], before) || len(rng) != 1 {
		t.Errorf("AppendLeaves changed its input range: %x, want %x", rng, before)
	}
	if _, _, err := AppendLeaves(1, rng, [][]byte{l1[:5]}); err == nil {
		t.Errorf("AppendLeaves accepted a 5-byte leaf hash")
	}
	if _, _, err := AppendLeaves(3, rng, nil); err == nil {
		t.Errorf("AppendLeaves accepted a range of the wrong shape for size 3")
	}
}
