package dynamoledger

import (
	"fmt"
	"hash/fnv"
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

// The sequenced layout's keys are part of the stored layout too: the shard is FNV-1a of the
// bundle (hash/fnv's), the pending id sorts by seq within a bundle.
func TestSequencedKeys(t *testing.T) {
	for _, b := range []string{"", "bundle-1", "log:keys", "request:a/b", "ü"} {
		h := fnv.New32a()
		h.Write([]byte(b))
		if got, want := shardOf(b), fmt.Sprintf("s%d", h.Sum32()%PendingShards); got != want {
			t.Errorf("shardOf(%q) = %s, want %s", b, got, want)
		}
	}
	for _, tc := range []struct {
		got, want string
	}{
		{indexID("a/b", 12), "e/a/b/12"},
		{pendingID("a/b", 12), "a/b/00000000000000000012"},
	} {
		if tc.got != tc.want {
			t.Errorf("key = %q, want %q", tc.got, tc.want)
		}
	}
	if pendingID("b", 9) >= pendingID("b", 10) {
		t.Errorf("pendingID(b, 9) sorts after pendingID(b, 10)")
	}
}
