package ledgertest

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/transparency-dev/merkle/compact"
)

// Integrator is a ledger that integrates its global log in batches apart from the event's own
// write (a sequencer, as the DynamoDB ledger's sequenced layout): Integrate integrates every
// leaf still pending and returns how many it integrated.
type Integrator interface {
	Integrate(ctx context.Context) (int, error)
}

// Crasher lets the suite leave a sequenced ledger in the states a crash leaves it in. Test
// code only: the DynamoDB ledger's tests wrap it in one.
type Crasher interface {
	// StoreOnly stores e in its bundle, conditional as Append, and returns before its leaf is
	// integrated: a writer that crashes right after its event's transaction.
	StoreOnly(ctx context.Context, e custody.Event) error
	// CrashIntegrate runs one batch of the sequencer and stops where a crashed sequencer
	// would: before its transaction (afterCommit false) or after it, before it removes what
	// marked the batch's leaves pending (afterCommit true).
	CrashIntegrate(ctx context.Context, afterCommit bool) error
}

// testRace64 races 64 writers, each with a bundle of its own and a bundle shared with seven
// others, and (on an Integrator) a sequencer integrating all along; then checks that no leaf is
// lost, duplicated or out of its bundle's order, that each leaf is its event's hash, and that
// the exported trails verify.
func testRace64(t *testing.T, l custody.Ledger) {
	ctx := context.Background()
	k := keeper(l)
	const writers, own, shared = 64, 4, 8
	stop := make(chan struct{})
	var seqWG sync.WaitGroup
	if in, ok := l.(Integrator); ok {
		seqWG.Add(1)
		go func() {
			defer seqWG.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := in.Integrate(ctx); err != nil {
					t.Errorf("Integrate during the race: %v", err)
					return
				}
			}
		}()
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*(own+1))
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actor := custody.Actor{Kind: custody.ActorSystem, ID: fmt.Sprint("writer-", w)}
			for i := range own + 1 {
				b := fmt.Sprint("race64-own-", w)
				if i == own/2 {
					b = fmt.Sprint("race64-shared-", w%shared)
				}
				if _, err := k.Record(ctx, b, custody.Hashed, actor, custody.Details{Reference: fmt.Sprint(w, "/", i)}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	seqWG.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Record: %v", err)
	}
	const total = writers * (own + 1)
	var bundles []string
	for w := range writers {
		bundles = append(bundles, fmt.Sprint("race64-own-", w))
	}
	for s := range shared {
		bundles = append(bundles, fmt.Sprint("race64-shared-", s))
	}
	checkLog(t, l, bundles, total)
	for _, b := range append(bundles[len(bundles)-shared:], bundles[:2]...) {
		tr, err := k.Export(ctx, b, custody.ExportOptions{})
		if err != nil {
			t.Fatalf("Export(%s): %v", b, err)
		}
		if _, err := custody.Verify(tr, k.Signer.Public(), custody.VerifyOptions{}); err != nil {
			t.Errorf("Verify(%s) = %v, want nil", b, err)
		}
	}
}

// checkLog checks that the bundles' events are exactly the log's total leaves: each leaf
// once, a bundle's leaves rising with its seq, each leaf node its event's hash.
func checkLog(t *testing.T, l custody.Ledger, bundles []string, total int) {
	t.Helper()
	ctx := context.Background()
	if size, err := l.LogSize(ctx); err != nil || size != uint64(total) {
		t.Fatalf("LogSize = %d, %v, want %d", size, err, total)
	}
	byLeaf := map[uint64]custody.Event{}
	for _, b := range bundles {
		evs, err := l.Events(ctx, b)
		if err != nil {
			t.Fatalf("Events(%s): %v", b, err)
		}
		for i, en := range evs {
			if en.Event.Seq != uint64(i+1) {
				t.Errorf("%s: event %d has seq %d", b, i, en.Event.Seq)
			}
			if i > 0 && en.Leaf <= evs[i-1].Leaf {
				t.Errorf("%s seq %d: leaf %d not after seq %d's leaf %d", b, en.Event.Seq, en.Leaf, en.Event.Seq-1, evs[i-1].Leaf)
			}
			if prev, dup := byLeaf[en.Leaf]; dup {
				t.Errorf("leaf %d is both %s/%d and %s/%d", en.Leaf, prev.BundleID, prev.Seq, b, en.Event.Seq)
			}
			byLeaf[en.Leaf] = en.Event
		}
	}
	if len(byLeaf) != total {
		t.Fatalf("%d leaves hold the bundles' events, want %d", len(byLeaf), total)
	}
	var ids []compact.NodeID
	for leaf := range uint64(total) {
		if _, ok := byLeaf[leaf]; !ok {
			t.Fatalf("leaf %d holds none of the bundles' events", leaf)
		}
		ids = append(ids, compact.NewNodeID(0, leaf))
	}
	hs, err := l.Nodes(ctx, ids)
	if err != nil {
		t.Fatalf("Nodes(leaves): %v", err)
	}
	for leaf, h := range hs {
		e := byLeaf[uint64(leaf)]
		if want, _ := hex.DecodeString(e.Hash); !bytes.Equal(h, want) {
			t.Errorf("leaf %d = %x, want %s/%d's hash %s", leaf, h, e.BundleID, e.Seq, e.Hash)
		}
	}
}

// testSequencerCrash: writers that crash after storing their event, and a sequencer that
// crashes before and after its batch's transaction, lose no leaf and integrate none twice; a
// pending event is integrated before Events or Last return it.
func testSequencerCrash(t *testing.T, l custody.Ledger) {
	c, ok := l.(Crasher)
	if !ok {
		t.Skip("the ledger has no sequencer to crash")
	}
	ctx := context.Background()
	a1 := sealed(t, "crash-a", 1, "", "a1")
	a2 := sealed(t, "crash-a", 2, a1.Hash, "a2")
	b1 := sealed(t, "crash-b", 1, "", "b1")
	for _, e := range []custody.Event{a1, a2, b1} {
		if err := c.StoreOnly(ctx, e); err != nil {
			t.Fatalf("StoreOnly(%s/%d): %v", e.BundleID, e.Seq, err)
		}
	}
	// Storing is conditional as Append is: the sequence stays taken.
	if err := c.StoreOnly(ctx, sealed(t, "crash-a", 2, a1.Hash, "a2 again")); err == nil {
		t.Errorf("StoreOnly(crash-a/2 again) succeeded, want *ConflictError")
	}
	if n, _ := l.LogSize(ctx); n != 0 {
		t.Errorf("LogSize after crashed writers = %d, want 0", n)
	}
	if err := c.CrashIntegrate(ctx, false); err != nil {
		t.Fatalf("CrashIntegrate(before commit): %v", err)
	}
	if n, _ := l.LogSize(ctx); n != 0 {
		t.Errorf("LogSize after a sequencer crashed before its commit = %d, want 0", n)
	}
	if err := c.CrashIntegrate(ctx, true); err != nil {
		t.Fatalf("CrashIntegrate(after commit): %v", err)
	}
	if n, _ := l.LogSize(ctx); n != 3 {
		t.Errorf("LogSize after a sequencer crashed after its commit = %d, want 3", n)
	}
	// The next append finds the crashed batch's leaves still marked pending: it must not
	// integrate them again.
	b2 := sealed(t, "crash-b", 2, b1.Hash, "b2")
	if leaf, err := l.Append(ctx, b2); err != nil || leaf != 3 {
		t.Errorf("Append(crash-b/2) = %d, %v, want 3, nil", leaf, err)
	}
	c1 := sealed(t, "crash-c", 1, "", "c1")
	if err := c.StoreOnly(ctx, c1); err != nil {
		t.Fatal(err)
	}
	last, ok, err := l.Last(ctx, "crash-c")
	if err != nil || !ok || last.Leaf != 4 || last.Event.Hash != c1.Hash {
		t.Errorf("Last(crash-c) = leaf %d, %v, %v, want leaf 4 (integrated first)", last.Leaf, ok, err)
	}
	c2 := sealed(t, "crash-c", 2, c1.Hash, "c2")
	if err := c.StoreOnly(ctx, c2); err != nil {
		t.Fatal(err)
	}
	if evs, err := l.Events(ctx, "crash-c"); err != nil || len(evs) != 2 || evs[1].Leaf != 5 {
		t.Errorf("Events(crash-c) = %+v, %v, want 2 events, the second at leaf 5", evs, err)
	}
	if in, ok := l.(Integrator); ok {
		if n, err := in.Integrate(ctx); err != nil || n != 0 {
			t.Errorf("Integrate with nothing pending = %d, %v, want 0, nil", n, err)
		}
	}
	checkLog(t, l, []string{"crash-a", "crash-b", "crash-c"}, 6)
	evs, _ := l.Events(ctx, "crash-a")
	if !slices.EqualFunc(custody.EntryEvents(evs), []custody.Event{a1, a2}, func(x, y custody.Event) bool { return x.Hash == y.Hash }) {
		t.Errorf("Events(crash-a) = %+v, want a1, a2", evs)
	}
	k := keeper(l)
	tr, err := k.Export(ctx, "crash-a", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.Verify(tr, k.Signer.Public(), custody.VerifyOptions{}); err != nil {
		t.Errorf("Verify(crash-a) = %v, want nil", err)
	}
}
