package witness

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

func feedOf(k *custody.Keeper) Feed {
	return func(ctx context.Context, from, to uint64) ([]custody.Head, error) {
		// Pages of at most 3 leaves, as a server pages them.
		return k.Ledger.(custody.LeafLister).Leaves(ctx, from, min(to, from+3))
	}
}

// TestAuditHonest: an auditing witness follows an honest log over several rounds, reading
// only the new leaves each time.
func TestAuditHonest(t *testing.T) {
	k := keeper(t, "log")
	w := newWitness(t, k, "auditor.example/w")
	w.Feed = feedOf(k)
	for round, bundles := range [][]string{{"B1", "B2", "B1"}, {"B3"}, {"B2", "B2", "B1", "B4"}} {
		for _, b := range bundles {
			grow(t, k, b, 1, "")
		}
		size, _ := k.Ledger.LogSize(context.Background())
		held := uint64(0)
		if round > 0 {
			held = size - uint64(len(bundles))
		}
		if _, err := w.Cosign(offer(t, k, held)); err != nil {
			t.Fatalf("round %d: Cosign = %v", round, err)
		}
		st, err := loadAudit(filepath.Join(w.state, "evx.test%2Fcustody", "audit.json"))
		if err != nil || st.Size != size || len(st.Heads) != len(st.index) {
			t.Fatalf("round %d: audit state %+v, %v; want size %d", round, st, err, size)
		}
	}
}

// TestAuditCatches: a heads line that leaves out a bundle's last event, and a feed that lies
// about a leaf, are refused with an *AuditError; the false heads line's checkpoint is kept.
func TestAuditCatches(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		lie      func(t *testing.T, k *custody.Keeper) (Offer, Feed)
		evidence bool
	}{
		{"heads-line-omits-last-event", func(t *testing.T, k *custody.Keeper) (Offer, Feed) {
			size, _ := k.Ledger.LogSize(ctx)
			heads, _ := k.Ledger.(custody.HeadLister).Heads(ctx, size)
			es, _ := k.Ledger.Events(ctx, "B1")
			prev := es[len(es)-2]
			for i := range heads {
				if heads[i].BundleID == "B1" {
					heads[i] = custody.Head{BundleID: "B1", Seq: prev.Event.Seq, Hash: prev.Event.Hash, Leaf: prev.Leaf}
				}
			}
			tree, err := custody.NewHeadsTree(heads)
			if err != nil {
				t.Fatal(err)
			}
			root, _ := custody.RootAt(ctx, k.Ledger, size)
			cp, err := custody.SignCheckpointHeads(ctx, k.Signer, origin, size, root, time.Now(), tree)
			if err != nil {
				t.Fatal(err)
			}
			o := offer(t, k, 2)
			o.Checkpoint = cp
			return o, feedOf(k)
		}, true},
		{"feed-misattributes-a-leaf", func(t *testing.T, k *custody.Keeper) (Offer, Feed) {
			honest := feedOf(k)
			return offer(t, k, 2), func(ctx context.Context, from, to uint64) ([]custody.Head, error) {
				ls, err := honest(ctx, from, to)
				for i := range ls {
					if ls[i].Leaf == 3 {
						ls[i].BundleID = "B9"
					}
				}
				return ls, err
			}
		}, false},
		{"feed-lists-other-hashes", func(t *testing.T, k *custody.Keeper) (Offer, Feed) {
			honest := feedOf(k)
			return offer(t, k, 2), func(ctx context.Context, from, to uint64) ([]custody.Head, error) {
				ls, err := honest(ctx, from, to)
				for i := range ls {
					ls[i].Hash = strings.Repeat("0", 64)
				}
				return ls, err
			}
		}, false},
		{"feed-gives-nothing", func(t *testing.T, k *custody.Keeper) (Offer, Feed) {
			return offer(t, k, 2), func(context.Context, uint64, uint64) ([]custody.Head, error) { return nil, nil }
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := keeper(t, "log")
			w := newWitness(t, k, "auditor.example/w")
			w.Feed = feedOf(k)
			grow(t, k, "B1", 2, "")
			if _, err := w.Cosign(offer(t, k, 0)); err != nil {
				t.Fatal(err)
			}
			grow(t, k, "B2", 1, "")
			grow(t, k, "B1", 2, "")
			o, feed := tc.lie(t, k)
			w.Feed = feed
			_, err := w.Cosign(o)
			var ae *AuditError
			if !errors.As(err, &ae) {
				t.Fatalf("Cosign = %v, want *AuditError", err)
			}
			if (ae.Evidence != "") != tc.evidence {
				t.Fatalf("evidence %q, want kept: %v", ae.Evidence, tc.evidence)
			}
			if tc.evidence {
				if _, err := os.Stat(filepath.Join(ae.Evidence, "heads-computed.txt")); err != nil {
					t.Fatal(err)
				}
			}
			if held, _ := w.Held(origin); !strings.Contains(string(held), "\n2\n") {
				t.Fatalf("held checkpoint changed after a refusal: %q", held)
			}
		})
	}
}
