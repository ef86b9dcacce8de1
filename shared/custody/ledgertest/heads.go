package ledgertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// testHeads: a ledger that lists heads (custody.HeadLister) lists, at every log size, each
// bundle's last event below that size, as custody.HeadsOf computes from its events; and the
// trail exported over it proves the bundle's completeness.
func testHeads(t *testing.T, l custody.Ledger) {
	hl, ok := l.(custody.HeadLister)
	if !ok {
		t.Skip("the ledger lists no heads")
	}
	ctx := context.Background()
	k := keeper(l)
	bundles := []string{"H-b", "H-a", "H-c"}
	for i := range 11 {
		b := bundles[i%len(bundles)]
		if i == 9 {
			b = "H-a"
		}
		if _, err := k.Record(ctx, b, custody.Hashed, system, custody.Details{Reference: fmt.Sprint("step ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	all := map[string][]custody.Entry{}
	for _, b := range bundles {
		es, err := l.Events(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		all[b] = es
	}
	size, err := l.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sortHeads := func(hs []custody.Head) []custody.Head {
		slices.SortFunc(hs, func(a, b custody.Head) int { return strings.Compare(a.BundleID, b.BundleID) })
		return hs
	}
	for s := uint64(0); s <= size; s++ {
		got, err := hl.Heads(ctx, s)
		if err != nil {
			t.Fatalf("Heads(%d) = %v", s, err)
		}
		if want := sortHeads(custody.HeadsOf(all, s)); !slices.Equal(sortHeads(got), want) {
			t.Fatalf("Heads(%d) = %+v, want %+v", s, got, want)
		}
	}
	// A ledger that lists its leaves lists each event at its leaf, and replaying them gives
	// the heads it lists.
	if ll, ok := l.(custody.LeafLister); ok {
		leaves, err := ll.Leaves(ctx, 0, size)
		if err != nil || uint64(len(leaves)) != size {
			t.Fatalf("Leaves(0, %d) = %d leaves, %v", size, len(leaves), err)
		}
		for _, es := range all {
			for _, e := range es {
				if got := leaves[e.Leaf]; got != (custody.Head{BundleID: e.Event.BundleID, Seq: e.Event.Seq, Hash: e.Event.Hash, Leaf: e.Leaf}) {
					t.Fatalf("Leaves: leaf %d is %+v, want %s/%d", e.Leaf, got, e.Event.BundleID, e.Event.Seq)
				}
			}
		}
		replayed := map[string]custody.Head{}
		if err := custody.ReplayHeads(replayed, 0, leaves[:4]); err != nil {
			t.Fatal(err)
		}
		if err := custody.ReplayHeads(replayed, 4, leaves[4:]); err != nil {
			t.Fatal(err)
		}
		var got []custody.Head
		for _, h := range replayed {
			got = append(got, h)
		}
		if want := sortHeads(custody.HeadsOf(all, size)); !slices.Equal(sortHeads(got), want) {
			t.Fatalf("replayed heads %+v, want %+v", got, want)
		}
		if part, err := ll.Leaves(ctx, 3, 5); err != nil || len(part) != 2 || part[0].Leaf != 3 {
			t.Fatalf("Leaves(3, 5) = %+v, %v", part, err)
		}
	}
	tr, err := k.Export(ctx, "H-a", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := custody.Verify(tr, Signer().Public(), custody.VerifyOptions{})
	if err != nil || rep.Complete == nil || rep.Complete.Size != size {
		t.Fatalf("Verify(export) = %+v, %v; want complete as of size %d", rep, err, size)
	}
	tr.Events = tr.Events[:len(tr.Events)-1]
	if _, err := custody.Verify(tr, Signer().Public(), custody.VerifyOptions{}); !isTruncated(err) {
		t.Fatalf("Verify(export cut at the end) = %v, want *custody.TruncatedError", err)
	}
}

func isTruncated(err error) bool {
	_, ok := err.(*custody.TruncatedError)
	return ok
}
