//go:build integration

package dynamoledger_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/aws/dynamotest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/backend/aws/dynamoledger"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

// createTables makes the custody, log and pending tables with the keys template.yaml declares.
func createTables(t testing.TB, db dynamotest.Creator) (custodyTable, logTable, pendingTable string) {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	p := "t" + hex.EncodeToString(b[:])
	custodyTable, logTable, pendingTable = p+"-custody", p+"-log", p+"-pending"
	dynamotest.Create(t, db, dynamotest.Input(custodyTable, "bundle", "seq:N"))
	dynamotest.Create(t, db, dynamotest.Input(logTable, "id"))
	dynamotest.Create(t, db, dynamotest.Input(pendingTable, "shard", "id"))
	return custodyTable, logTable, pendingTable
}

func client(t testing.TB, endpoint string) *dynamodb.Client {
	t.Helper()
	if endpoint == "" {
		t.Skip("no emulator endpoint: run through infra/emulators.sh run")
	}
	db, err := dynamoledger.NewClient(context.Background(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// run runs the conformance suite (all of it, or its sequential cases only) and the key rule
// in layouts.
func run(t *testing.T, endpoint string, all bool, layouts ...string) {
	db := client(t, endpoint)
	open := map[string]func(t *testing.T) *dynamoledger.Ledger{
		"single": func(t *testing.T) *dynamoledger.Ledger {
			c, l, _ := createTables(t, db)
			return dynamoledger.New(db, c, l)
		},
		"sequenced": func(t *testing.T) *dynamoledger.Ledger {
			c, l, p := createTables(t, db)
			return dynamoledger.NewSequenced(db, c, l, p)
		},
	}
	for _, name := range layouts {
		t.Run(name, func(t *testing.T) {
			newLedger := func(t *testing.T) custody.Ledger {
				l := open[name](t)
				if name == "sequenced" {
					return dynamoledger.Crashable{HeadsLedger: l.WithHeads()}
				}
				return l.WithHeads()
			}
			if all {
				ledgertest.Run(t, newLedger)
			} else {
				ledgertest.RunSequential(t, newLedger)
			}
			t.Run("only-the-logs-key-appends", func(t *testing.T) { dynamoledger.TestKeyRule(t, open[name](t)) })
		})
	}
}

// The ledger conformance suite on AWS's own emulator, DynamoDB Local, in both layouts.
func TestIntegrationLedgerDynamoDBLocal(t *testing.T) {
	run(t, os.Getenv("EVX_DYNAMODB_LOCAL_URL"), true, "single", "sequenced")
}

// The suite's sequential cases on moto_server, in both layouts. moto 5.2.1 does not isolate
// concurrent transactions: it deep-copies every table a transaction names while other
// requests change them, and answers 500 (and, before the sequenced layout, lost log-head
// updates: LogSize 116 of 120 in ConcurrentBundles). DynamoDB Local, like DynamoDB,
// serializes them and runs every case.
func TestIntegrationLedgerMoto(t *testing.T) {
	run(t, os.Getenv("AWS_ENDPOINT_URL"), false, "single", "sequenced")
}

// An event DynamoDB cannot store (an item over 400 KB: a bundle of some 2,500 documents or
// more lists them all in its SubmissionAcceptance) fails with nothing written.
func TestIntegrationLedgerOversizedEvent(t *testing.T) {
	db := client(t, os.Getenv("EVX_DYNAMODB_LOCAL_URL"))
	ctx := context.Background()
	var docs []custody.Document
	for i := range 4000 {
		docs = append(docs, custody.Document{Name: fmt.Sprintf("data/scan-%05d.pdf", i), Size: 1,
			SHA256: strings.Repeat("ab", 32)})
	}
	for _, tc := range []struct {
		name string
		open func(c, lt, p string) *dynamoledger.Ledger
	}{
		{"single", func(c, lt, _ string) *dynamoledger.Ledger { return dynamoledger.New(db, c, lt) }},
		{"sequenced", func(c, lt, p string) *dynamoledger.Ledger { return dynamoledger.NewSequenced(db, c, lt, p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.open(createTables(t, db))
			k := &custody.Keeper{Ledger: l, Signer: ledgertest.Signer(), Origin: "evx.test/custody"}
			_, err := k.Record(ctx, "big", custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorSystem, ID: "t"}, custody.Details{Documents: docs})
			if err == nil {
				t.Fatal("Record of an event over 400 KB succeeded")
			}
			if n, _ := l.LogSize(ctx); n != 0 {
				t.Errorf("LogSize = %d after a failed append, want 0", n)
			}
			if evs, err := l.Events(ctx, "big"); err != nil || len(evs) != 0 {
				t.Errorf("Events = %d, %v after a failed append, want none", len(evs), err)
			}
			t.Logf("refused: %v", err)
		})
	}
}

// An event whose pending item was deleted before it was integrated (by a role that may delete
// in the pending table) is not lost: reading it puts its pending item back and integrates it.
func TestIntegrationLedgerPendingItemDeleted(t *testing.T) {
	db := client(t, os.Getenv("EVX_DYNAMODB_LOCAL_URL"))
	ctx := context.Background()
	c, lt, pt := createTables(t, db)
	l := dynamoledger.Crashable{HeadsLedger: dynamoledger.NewSequenced(db, c, lt, pt).WithHeads()}
	k := &custody.Keeper{Ledger: l, Signer: ledgertest.Signer(), Origin: "evx.test/custody"}
	e := custody.Event{BundleID: "lost", Seq: 1, Type: custody.Hashed, Time: time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC),
		Actor: custody.Actor{Kind: custody.ActorSystem, ID: "t"}}
	if err := custody.Seal(ctx, k.Signer, &e); err != nil {
		t.Fatal(err)
	}
	if err := l.StoreOnly(ctx, e); err != nil {
		t.Fatal(err)
	}
	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: &pt})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("pending table holds %d items, %v, want 1", len(out.Items), err)
	}
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &pt,
		Key: map[string]types.AttributeValue{"shard": out.Items[0]["shard"], "id": out.Items[0]["id"]}}); err != nil {
		t.Fatal(err)
	}
	es, err := l.Events(ctx, "lost")
	if err != nil || len(es) != 1 || es[0].Leaf != 0 {
		t.Fatalf("Events = %+v, %v, want the event at leaf 0", es, err)
	}
	if n, _ := l.LogSize(ctx); n != 1 {
		t.Errorf("LogSize = %d, want 1", n)
	}
	if _, err := k.Record(ctx, "lost", custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "t"}, custody.Details{}); err != nil {
		t.Errorf("Record after it: %v", err)
	}
}

// Two writers over one sequenced log, one of which remembers its last event and the log's key:
// a sequence the other took meanwhile is still a conflict (the write's condition), a key the
// other rotated to is checked against the head, and a key read over KeyFresh ago is read again.
func TestIntegrationLedgerRememberingWriter(t *testing.T) {
	db := client(t, os.Getenv("EVX_DYNAMODB_LOCAL_URL"))
	ctx := context.Background()
	c, lt, pt := createTables(t, db)
	a, b := dynamoledger.NewSequenced(db, c, lt, pt), dynamoledger.NewSequenced(db, c, lt, pt)
	ka, kb := ledgertest.Signer(), newSigner(t)
	at := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	event := func(s custody.Signer, bundle string, seq uint64, prev, note string) custody.Event {
		at = at.Add(time.Second)
		e := custody.Event{BundleID: bundle, Seq: seq, Prev: prev, Type: custody.Hashed, Time: at,
			Actor: custody.Actor{Kind: custody.ActorSystem, ID: "t" + note}}
		if err := custody.Seal(ctx, s, &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	x1 := event(ka, "x", 1, "", "")
	if _, err := a.Append(ctx, x1); err != nil {
		t.Fatal(err)
	}
	// b takes x/2; a, remembering x/1 as the last, tries x/2 too.
	if _, err := b.Append(ctx, event(ka, "x", 2, x1.Hash, "by b")); err != nil {
		t.Fatal(err)
	}
	var ce *custody.ConflictError
	if _, err := a.Append(ctx, event(ka, "x", 2, x1.Hash, "by a")); !errors.As(err, &ce) {
		t.Errorf("Append(x/2) after another writer took it = %v, want *custody.ConflictError", err)
	}
	// b rotates the log's key; a, remembering the old key, appends by the new one.
	k := &custody.Keeper{Ledger: b, Signer: ka, Origin: "evx.test/custody", Now: func() time.Time { return at.Add(time.Minute) }}
	if _, err := k.RotateKey(ctx, kb.Public(), custody.Actor{Kind: custody.ActorSystem, ID: "key-rotate"}, ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(dynamoledger.KeyFresh + 50*time.Millisecond)
	var ke *dynamoledger.KeyError
	if _, err := a.Append(ctx, event(ka, "z", 1, "", "")); !errors.As(err, &ke) || ke.Want != kb.KeyID() {
		t.Errorf("Append by the retired key, its remembered key stale = %v, want *KeyError wanting the new key", err)
	}
	if _, err := a.Append(ctx, event(kb, "y", 1, "", "")); err != nil {
		t.Errorf("Append by the new key through a writer that remembered the old one: %v", err)
	}
	if evs, err := a.Events(ctx, "x"); err != nil || len(evs) != 2 || evs[1].Event.Actor.ID != "tby b" {
		t.Errorf("Events(x) = %+v, %v, want x/1 and b's x/2", evs, err)
	}
}

func newSigner(t *testing.T) *custody.Ed25519Signer {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := custody.NewEd25519Signer(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A batch planned while the one before it is written, on the head that one would leave, is
// refused by the head's condition should that one fail: no leaf lands on a position the log
// does not have, none is integrated twice, and the next batches integrate them all.
func TestIntegrationLedgerPlannedBatchAfterAFailedOne(t *testing.T) {
	db := client(t, os.Getenv("EVX_DYNAMODB_LOCAL_URL"))
	ctx := context.Background()
	c, lt, pt := createTables(t, db)
	l := dynamoledger.Crashable{HeadsLedger: dynamoledger.NewSequenced(db, c, lt, pt).WithHeads()}
	signer := ledgertest.Signer()
	at := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	event := func(bundle string, seq uint64, prev string) custody.Event {
		at = at.Add(time.Second)
		e := custody.Event{BundleID: bundle, Seq: seq, Prev: prev, Type: custody.Hashed, Time: at,
			Actor: custody.Actor{Kind: custody.ActorSystem, ID: "t"}}
		if err := custody.Seal(ctx, signer, &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	a1, b1 := event("a", 1, ""), event("b", 1, "")
	a2 := event("a", 2, a1.Hash)
	for _, e := range []custody.Event{a1, b1} {
		if err := l.StoreOnly(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	lost, n, err := l.CommitSecondOnly(ctx, func() {
		if err := l.StoreOnly(ctx, a2); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil || !lost || n != 0 {
		t.Fatalf("second batch written without the first = lost %v, %d leaves, %v; want lost, none", lost, n, err)
	}
	if size, _ := l.LogSize(ctx); size != 0 {
		t.Errorf("LogSize = %d after the refused batch, want 0", size)
	}
	if n, err := l.Integrate(ctx); err != nil || n != 3 {
		t.Errorf("Integrate = %d, %v, want 3", n, err)
	}
	evs, err := l.Events(ctx, "a")
	if err != nil || len(evs) != 2 || evs[0].Leaf >= evs[1].Leaf {
		t.Errorf("Events(a) = %+v, %v, want a/1 before a/2", evs, err)
	}
	k := &custody.Keeper{Ledger: l, Signer: signer, Origin: "evx.test/custody"}
	tr, err := k.Export(ctx, "a", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.Verify(tr, signer.Public(), custody.VerifyOptions{}); err != nil {
		t.Errorf("Verify(a) = %v, want nil", err)
	}
}
