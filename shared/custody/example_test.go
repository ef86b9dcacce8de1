package custody_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// Record events of a bundle, export its trail, verify it offline, and see a tampered copy fail.
func Example() {
	ctx := context.Background()
	seed := sha256.Sum256([]byte("example key"))
	signer, _ := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	clock := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	k := &custody.Keeper{
		Ledger: custody.NewMemLedger(), // sqliteledger.New(ctx, db) in the embedded mode
		Signer: signer,
		Origin: "evx.example/custody",
		Now:    func() time.Time { clock = clock.Add(time.Second); return clock },
	}
	doc := custody.Document{Name: "data/report.pdf", Size: 1024, SHA256: fmt.Sprintf("%x", sha256.Sum256([]byte("report")))}
	k.Record(ctx, "BUNDLE-1", custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorUser, ID: "j.doe"}, custody.Details{Documents: []custody.Document{doc}})
	k.Record(ctx, "BUNDLE-1", custody.ContentConsignment, custody.Actor{Kind: custody.ActorSystem, ID: "route"}, custody.Details{Counterpart: "NL-OM"})

	trail, _ := k.Export(ctx, "BUNDLE-1", custody.ExportOptions{})
	file, _ := json.MarshalIndent(trail, "", "  ") // what legal staff receive

	rep, err := custody.VerifyTrail(file, signer.Public(), custody.VerifyOptions{})
	fmt.Println(rep.Events, "events, valid:", err == nil)

	trail.Events[0].Event.Details.Documents[0].Size = 999 // tamper with the record
	_, err = custody.Verify(trail, signer.Public(), custody.VerifyOptions{})
	var he *custody.EventHashError
	fmt.Println("tampered:", errors.As(err, &he), "at seq", he.Seq)
	// Output:
	// 2 events, valid: true
	// tampered: true at seq 1
}

// Canonical JSON as RFC 8785 defines it: sorted members, ECMAScript numbers, minimal escaping.
func ExampleCanonicalize() {
	out, _ := custody.Canonicalize([]byte(`{"b": 1E3, "a": [4.50, "\u00e9"]}`))
	fmt.Println(string(out))
	// Output: {"a":[4.5,"é"],"b":1000}
}
