package custody_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// noHeads hides MemLedger's HeadLister: exports without a heads line, the reference.
type noHeads struct{ custody.Ledger }

// BenchmarkExportHeads measures what committing to every bundle's head costs one export, on
// a log of 10,000 bundles of 3 events, against the same export without heads.
func BenchmarkExportHeads(b *testing.B) {
	ctx := context.Background()
	seed := sha256.Sum256([]byte("bench"))
	s, _ := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	l := custody.NewMemLedger()
	k := &custody.Keeper{Ledger: l, Signer: s, Origin: "evx.bench/custody"}
	const bundles = 10000
	for i := range bundles {
		drafts := make([]custody.Draft, 3)
		for j := range drafts {
			drafts[j] = custody.Draft{Type: custody.Hashed, Actor: custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}}
		}
		if _, err := k.RecordAll(ctx, fmt.Sprintf("B%05d", i), drafts); err != nil {
			b.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		l    custody.Ledger
	}{{"without-heads", noHeads{l}}, {"with-heads", l}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := custody.Export(ctx, tc.l, s, "evx.bench/custody", "B04242", custody.ExportOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
