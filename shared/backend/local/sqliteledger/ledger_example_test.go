package sqliteledger_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/backend/local/sqliteledger"
	"github.com/evx-project/evx/shared/custody"
)

// The embedded mode's custody ledger: one SQLite file shared with the delivery queues.
func ExampleNew() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "evx-example")
	defer os.RemoveAll(dir)
	db, err := sqlitedb.Open(ctx, filepath.Join(dir, "evx.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	ledger, err := sqliteledger.New(ctx, db) // creates the custody_* tables if needed
	if err != nil {
		fmt.Println(err)
		return
	}
	seed := sha256.Sum256([]byte("example"))
	signer, _ := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	k := &custody.Keeper{Ledger: ledger, Signer: signer, Origin: "evx.example/custody"}

	system := custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}
	entries, err := k.RecordAll(ctx, "BUNDLE-1", []custody.Draft{
		{Type: custody.SubmissionAcceptance, Actor: system},
		{Type: custody.Hashed, Actor: system},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	trail, _ := k.Export(ctx, "BUNDLE-1", custody.ExportOptions{})
	_, err = custody.Verify(trail, signer.Public(), custody.VerifyOptions{})
	fmt.Println(len(entries), "events, leaves", entries[0].Leaf, entries[1].Leaf, "- verified:", err == nil)
	// Output: 2 events, leaves 0 1 - verified: true
}
