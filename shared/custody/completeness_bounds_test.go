package custody

import (
	"context"
	"maps"
	"strings"
	"testing"
)

// headFixture is a heads tree of three bundles and the trail of "b": events at leaves 0, 1
// and 2 (seqs 1-3), its head in the tree at leaf 1 (seq 2): the log of size 2.
func headFixture(t *testing.T, leaf uint64) (*Trail, *HeadProof, HeadsCommitment) {
	t.Helper()
	hash := func(c string) string { return strings.Repeat(c, 64) }
	hs := []Head{{BundleID: "a", Seq: 1, Hash: hash("1"), Leaf: 0}, {BundleID: "b", Seq: 2, Hash: hash("b"), Leaf: leaf}, {BundleID: "c", Seq: 1, Hash: hash("3"), Leaf: 0}}
	tree, err := NewHeadsTree(hs)
	if err != nil {
		t.Fatal(err)
	}
	hp, ok, err := tree.Proof("b")
	if err != nil || !ok {
		t.Fatalf("Proof(b) = %v, %v", ok, err)
	}
	tr := &Trail{BundleID: "b", Events: []TrailEvent{
		{Event: Event{Seq: 1, Hash: hash("a")}, Leaf: 0},
		{Event: Event{Seq: 2, Hash: hash("b")}, Leaf: 1},
		{Event: Event{Seq: 3, Hash: hash("c")}, Leaf: 2},
	}}
	return tr, hp, HeadsCommitment{Size: tree.Size(), Root: tree.Root()}
}

// checkHead at its bounds: the events of the log of size 2 end at the head (the event at leaf
// 2 is outside it); a head at the log's size, an index at the tree's size and a proof over 64
// hashes are each refused for that reason.
func TestCheckHeadBounds(t *testing.T) {
	tr, hp, hc := headFixture(t, 1)
	if err := checkHead(tr, hp, hc, 2, "test"); err != nil {
		t.Fatalf("checkHead(head at leaf 1, log size 2) = %v, want nil: the event at leaf 2 is not in that log", err)
	}
	for _, tc := range []struct {
		name   string
		leaf   uint64
		size   uint64
		mutate func(*HeadProof)
		want   string // in the error
	}{
		{"head at the log size", 2, 2, nil, "beyond the log size 2"},
		{"index at the tree size", 1, 2, func(p *HeadProof) { p.Index = hc.Size }, "beyond the 3 heads"},
		{"proof of 65 hashes", 1, 2, func(p *HeadProof) {
			for len(p.Proof) < maxProofLen+1 {
				p.Proof = append(p.Proof, strings.Repeat("0", 64))
			}
		}, "malformed"},
		{"proof of 64 hashes", 1, 2, func(p *HeadProof) {
			for len(p.Proof) < maxProofLen {
				p.Proof = append(p.Proof, strings.Repeat("0", 64))
			}
		}, "wrong proof size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, hp, hc := headFixture(t, tc.leaf)
			if tc.mutate != nil {
				tc.mutate(hp)
			}
			err := checkHead(tr, hp, hc, tc.size, "test")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("checkHead = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// Leaves of an empty range is an empty list; a range past the log or backwards an error.
func TestMemLedgerLeavesBounds(t *testing.T) {
	k := &Keeper{Ledger: NewMemLedger(), Signer: newTestSigner(t), Origin: "evx.test/custody"}
	for range 3 {
		if _, err := k.Record(context.Background(), "B", SubmissionAcceptance, Actor{Kind: ActorSystem, ID: "x"}, Details{}); err != nil {
			t.Fatal(err)
		}
	}
	m := k.Ledger.(*MemLedger)
	for _, tc := range []struct {
		from, to uint64
		n        int
		ok       bool
	}{{3, 3, 0, true}, {0, 3, 3, true}, {1, 2, 1, true}, {2, 1, 0, false}, {0, 4, 0, false}} {
		got, err := m.Leaves(context.Background(), tc.from, tc.to)
		if (err == nil) != tc.ok || len(got) != tc.n {
			t.Errorf("Leaves(%d, %d) = %d leaves, %v; want %d, ok %v", tc.from, tc.to, len(got), err, tc.n, tc.ok)
		}
	}
}

// earlier and later of two key bounds, "" meaning unbounded, an unparsable one kept.
func TestEarlierLater(t *testing.T) {
	const a, b = "2026-01-01T00:00:00.000000000Z", "2026-06-01T00:00:00.000000000Z"
	for _, tc := range []struct{ x, y, earlier, later string }{
		{"", "", "", ""},
		{"", b, b, b},
		{a, "", a, a},
		{a, b, a, b},
		{b, a, a, b},
		{a, a, a, a},
		{"never", b, "never", b},
	} {
		if got := earlier(tc.x, tc.y); got != tc.earlier {
			t.Errorf("earlier(%q, %q) = %q, want %q", tc.x, tc.y, got, tc.earlier)
		}
		if got := later(tc.x, tc.y); got != tc.later {
			t.Errorf("later(%q, %q) = %q, want %q", tc.x, tc.y, got, tc.later)
		}
	}
}

// TestReplayHeadsOrder: a feed of heads must list leaves from next, in order, each the next
// seq of its bundle; the heads it accepts are the bundles' latest.
func TestReplayHeadsOrder(t *testing.T) {
	h := func(bundle string, seq, leaf uint64) Head {
		return Head{BundleID: bundle, Seq: seq, Hash: strings.Repeat("ab", 32), Leaf: leaf}
	}
	heads := map[string]Head{}
	if err := ReplayHeads(heads, 5, []Head{h("A", 1, 5), h("B", 1, 6), h("A", 2, 7)}); err != nil || heads[BundleKey("A")].Seq != 2 || len(heads) != 2 {
		t.Fatalf("ReplayHeads(in order) = %v, heads %+v", err, heads)
	}
	for _, tc := range []struct {
		name   string
		leaves []Head
		want   string
	}{
		{"a leaf skipped", []Head{h("C", 1, 9)}, "leaf 8 listed as leaf 9"},
		{"a leaf again", []Head{h("C", 1, 7)}, "leaf 8 listed as leaf 7"},
		{"second out of order", []Head{h("C", 1, 8), h("D", 1, 8)}, "leaf 9 listed as leaf 8"},
		{"a seq skipped", []Head{h("A", 4, 8)}, "seq 4, want seq 3"},
		{"a new bundle not from 1", []Head{h("E", 2, 8)}, "seq 2, want seq 1"},
		{"a short hash", []Head{{BundleID: "F", Seq: 1, Hash: "ab", Leaf: 8}}, "64-digit hashes"},
	} {
		cp := maps.Clone(heads)
		if err := ReplayHeads(cp, 8, tc.leaves); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ReplayHeads = %v, want %q", tc.name, err, tc.want)
		}
	}
}
