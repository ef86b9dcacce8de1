// Package ledgertest is the conformance suite every custody.Ledger runs: the reference
// in-memory ledger, the SQLite ledger of the embedded mode and the DynamoDB ledger.
//
//	func TestLedger(t *testing.T) { ledgertest.Run(t, func(t *testing.T) custody.Ledger { ... }) }
//
// Each subtest gets a fresh, empty ledger from newLedger. Run the suite with -race: it races
// writers for the same sequence and appends from 64 goroutines (against the sequencer too,
// when the ledger is an [Integrator]). A ledger that is a [Crasher] also runs the crashes of
// writers and of its sequencer.
package ledgertest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// Run runs the suite against ledgers made by newLedger.
func Run(t *testing.T, newLedger func(t *testing.T) custody.Ledger) { run(t, newLedger, true) }

// RunSequential runs the suite without the cases that write from several goroutines at once,
// for an emulator that does not isolate concurrent transactions (moto_server).
func RunSequential(t *testing.T, newLedger func(t *testing.T) custody.Ledger) {
	run(t, newLedger, false)
}

func run(t *testing.T, newLedger func(t *testing.T) custody.Ledger, concurrent bool) {
	tests := []struct {
		name     string
		fn       func(t *testing.T, l custody.Ledger)
		parallel bool // writes from several goroutines at once
	}{
		{"Empty", testEmpty, false},
		{"AppendAndRead", testAppendAndRead, false},
		{"Conflicts", testConflicts, false},
		{"RejectsBadHash", testRejectsBadHash, false},
		{"RaceForSameSeq", testRaceForSameSeq, true},
		{"ConcurrentBundles", testConcurrentBundles, true},
		{"Proofs", testProofs, false},
		{"ExportVerifies", testExportVerifies, false},
		{"ReadsAreCopies", testReadsAreCopies, false},
		{"RecordAll", testRecordAll, true},
		{"Subjects", testSubjects, false},
		{"Heads", testHeads, false},
		{"Race64", testRace64, true},
		{"SequencerCrash", testSequencerCrash, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.parallel && !concurrent {
				t.Skip("concurrent writes: not run here")
			}
			tc.fn(t, newLedger(t))
		})
	}
}

// Signer returns the suite's fixed Ed25519 signer (seed: SHA-256 of "ledgertest").
func Signer() *custody.Ed25519Signer {
	seed := sha256.Sum256([]byte("ledgertest"))
	s, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		panic(err)
	}
	return s
}

// clock returns a deterministic, strictly increasing clock.
func clock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 11, 27, 8, 0, 0, 123456789, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

func keeper(l custody.Ledger) *custody.Keeper {
	return &custody.Keeper{Ledger: l, Signer: Signer(), Origin: "evx.test/custody", Now: clock(), Retries: 1000}
}

var system = custody.Actor{Kind: custody.ActorSystem, ID: "ledgertest"}

func doc(i int) custody.Document {
	h := sha256.Sum256([]byte(fmt.Sprint("document ", i)))
	return custody.Document{Name: fmt.Sprintf("data/doc-%d.pdf", i), Size: int64(1000 + i), SHA256: fmt.Sprintf("%x", h)}
}

func testEmpty(t *testing.T, l custody.Ledger) {
	ctx := context.Background()
	if n, err := l.LogSize(ctx); err != nil || n != 0 {
		t.Errorf("LogSize = %d, %v, want 0, nil", n, err)
	}
	if evs, err := l.Events(ctx, "nobundle"); err != nil || len(evs) != 0 {
		t.Errorf("Events(unknown) = %d events, %v, want 0, nil", len(evs), err)
	}
	if _, ok, err := l.Last(ctx, "nobundle"); err != nil || ok {
		t.Errorf("Last(unknown) ok = %v, %v, want false, nil", ok, err)
	}
	if _, err := l.Nodes(ctx, custody.RangeIDs(1)); err == nil {
		t.Errorf("Nodes(beyond size) succeeded, want error")
	}
}

func testAppendAndRead(t *testing.T, l custody.Ledger) {
	ctx := context.Background()
	k := keeper(l)
	types := []custody.EventType{custody.SubmissionAcceptance, custody.Hashed, custody.ContentConsignment}
	var want []custody.Entry
	for i, typ := range types {
		for _, b := range []string{"bundle-a", "bundle-b"} {
			en, err := k.Record(ctx, b, typ, system, custody.Details{Documents: []custody.Document{doc(i)}, Reasons: []string{"é \"quoted\" \n"}})
			if err != nil {
				t.Fatalf("Record: %v", err)
			}
			if b == "bundle-a" {
				want = append(want, en)
			}
		}
	}
	got, err := l.Events(ctx, "bundle-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("Events = %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		if !equalEntry(got[i], want[i]) {
			t.Errorf("Events[%d] = %+v, want %+v", i, got[i], want[i])
		}
		if got[i].Event.Seq != uint64(i+1) || got[i].Leaf != uint64(2*i) {
			t.Errorf("Events[%d] seq %d leaf %d, want seq %d leaf %d", i, got[i].Event.Seq, got[i].Leaf, i+1, 2*i)
		}
	}
	last, ok, err := l.Last(ctx, "bundle-a")
	if err != nil || !ok || !equalEntry(last, want[len(want)-1]) {
		t.Errorf("Last = %+v, %v, %v, want %+v", last, ok, err, want[len(want)-1])
	}
	if n, _ := l.LogSize(ctx); n != 6 {
		t.Errorf("LogSize = %d, want 6", n)
	}
}

func equalEntry(a, b custody.Entry) bool {
	ja, _ := a.Event.MarshalJSON()
	jb, _ := b.Event.MarshalJSON()
	return string(ja) == string(jb) && a.Leaf == b.Leaf && a.Event.Time.Equal(b.Event.Time)
}

// sealed builds and seals event seq of bundle after prev.
func sealed(t *testing.T, bundle string, seq uint64, prev string, note string) custody.Event {
	t.Helper()
	e := custody.Event{BundleID: bundle, Seq: seq, Prev: prev, Type: custody.FixityCheck,
		Time: time.Date(2026, 11, 27, 8, 0, 0, int(seq), time.UTC), Actor: system,
		Details: custody.Details{Reasons: []string{note}}}
	if err := custody.Seal(context.Background(), Signer(), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func testConflicts(t *testing.T, l custody.Ledger) {
	ctx := context.Background()
	first := sealed(t, "b", 1, "", "first")
	if _, err := l.Append(ctx, first); err != nil {
		t.Fatalf("Append(seq 1): %v", err)
	}
	cases := []struct {
		name string
		e    custody.Event
	}{
		{"seq 1 again", sealed(t, "b", 1, "", "other")},
		{"gap", sealed(t, "b", 3, first.Hash, "gap")},
		{"wrong prev", sealed(t, "b", 2, sealed(t, "b", 1, "", "x").Hash, "wrong prev")},
		{"new bundle not at 1", sealed(t, "c", 2, first.Hash, "c")},
	}
	for _, tc := range cases {
		_, err := l.Append(ctx, tc.e)
		var ce *custody.ConflictError
		if !errors.As(err, &ce) {
			t.Errorf("Append(%s) = %v, want *ConflictError", tc.name, err)
			continue
		}
		if tc.e.BundleID == "b" && (ce.WantSeq != 2 || ce.WantPrev != first.Hash) {
			t.Errorf("Append(%s) conflict wants seq %d prev %s, want seq 2 prev %s", tc.name, ce.WantSeq, ce.WantPrev, first.Hash)
		}
	}
	if n, _ := l.LogSize(ctx); n != 1 {
		t.Errorf("LogSize after conflicts = %d, want 1", n)
	}
	if evs, _ := l.Events(ctx, "b"); len(evs) != 1 {
		t.Errorf("Events after conflicts = %d, want 1", len(evs))
	}
	if _, err := l.Append(ctx, sealed(t, "b", 2, first.Hash, "second")); err != nil {
		t.Errorf("Append(seq 2): %v", err)
	}
}

func testRejectsBadHash(t *testing.T, l custody.Ledger) {
	ctx := context.Background()
	e := sealed(t, "b", 1, "", "x")
	e.Details.Reasons = []string{"changed after sealing"}
	_, err := l.Append(ctx, e)
	var he *custody.EventHashError
	if !errors.As(err, &he) {
		t.Errorf("Append(changed event) = %v, want *EventHashError", err)
	}
	if n, _ := l.LogSize(ctx); n != 0 {
		t.Errorf("LogSize = %d, want 0", n)
	}
}

// testRaceForSameSeq lets two writers race for each sequence number: exactly one wins.
func testRaceForSameSeq(t *testing.T, l custody.Ledger) {
	ctx := context.Background()
	prev := ""
	for seq := uint64(1); seq <= 20; seq++ {
		a, b := sealed(t, "race", seq, prev, "writer a"), sealed(t, "race", seq, prev, "writer b")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, e := range []custody.Event{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = l.Append(ctx, e)
			}()
		}
		wg.Wait()
		var ce *custody.ConflictError
		switch {
		case errs[0] == nil && errors.As(errs[1], &ce):
			prev = a.Hash
		case errs[1] == nil && errors.As(errs[0], &ce):
			prev = b.Hash
		default:
			t.Fatalf("seq %d: Append errors = %v, %v, want one nil and one *ConflictError", seq, errs[0], errs[1])
		}
	}
	evs, err := l.Events(ctx, "race")
	if err != nil || len(evs) != 20 {
		t.Fatalf("Events = %d, %v, want 20", len(evs), err)
	}
	if evs[19].Event.Hash != prev {
		t.Errorf("last hash = %s, want the winner's %s", evs[19].Event.Hash, prev)
	}
	if n, _ := l.LogSize(ctx); n != 20 {
		t.Errorf("LogSize = %d, want 20", n)
	}
}

// testConcurrentBundles appends from many goroutines, several per bundle, then checks every
// chain, the log's leaves and a verified export of each bundle.
func testConcurrentBundles(t *testing.T, l custody.Ledger) {
	ctx := context.Background()
	k := keeper(l)
	const bundles, writersPer, eventsPer = 8, 3, 5
	var wg sync.WaitGroup
	errs := make(chan error, bundles*writersPer*eventsPer)
	for b := 0; b < bundles; b++ {
		for w := 0; w < writersPer; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < eventsPer; i++ {
					_, err := k.Record(ctx, fmt.Sprint("bundle-", b), custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: fmt.Sprint("writer-", w)}, custody.Details{})
					if err != nil {
						errs <- err
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Record: %v", err)
	}
	size, _ := l.LogSize(ctx)
	if size != bundles*writersPer*eventsPer {
		t.Fatalf("LogSize = %d, want %d", size, bundles*writersPer*eventsPer)
	}
	seen := map[uint64]bool{}
	for b := 0; b < bundles; b++ {
		id := fmt.Sprint("bundle-", b)
		evs, err := l.Events(ctx, id)
		if err != nil || len(evs) != writersPer*eventsPer {
			t.Fatalf("Events(%s) = %d, %v, want %d", id, len(evs), err, writersPer*eventsPer)
		}
		for _, en := range evs {
			if seen[en.Leaf] || en.Leaf >= size {
				t.Errorf("%s seq %d: leaf %d duplicated or beyond size %d", id, en.Event.Seq, en.Leaf, size)
			}
			seen[en.Leaf] = true
		}
		tr, err := k.Export(ctx, id, custody.ExportOptions{})
		if err != nil {
			t.Fatalf("Export(%s): %v", id, err)
		}
		if _, err := custody.Verify(tr, k.Signer.Public(), custody.VerifyOptions{}); err != nil {
			t.Errorf("Verify(%s) = %v, want nil", id, err)
		}
	}
}

// testProofs checks roots, inclusion and consistency proofs against an independent
// computation of the RFC 6962 tree over the appended leaves.
func testProofs(t *testing.T, l custody.Ledger) {
	ctx := context.Background()
	k := keeper(l)
	var leaves [][]byte
	const n = 37
	for i := 0; i < n; i++ {
		en, err := k.Record(ctx, fmt.Sprint("p", i%3), custody.Hashed, system, custody.Details{Documents: []custody.Document{doc(i)}})
		if err != nil {
			t.Fatal(err)
		}
		h, _ := en.Event.ComputeHash()
		leaves = append(leaves, h[:])
	}
	h := rfc6962.DefaultHasher
	for size := uint64(0); size <= n; size++ {
		got, err := custody.RootAt(ctx, l, size)
		if err != nil {
			t.Fatalf("RootAt(%d): %v", size, err)
		}
		want := refRoot(leaves[:size])
		if string(got) != string(want) {
			t.Errorf("RootAt(%d) = %x, want %x", size, got, want)
		}
		for i := uint64(0); i < size; i++ {
			p, err := custody.InclusionProof(ctx, l, i, size)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", i, size, err)
			}
			if len(p) > bits.Len64(size-1) {
				t.Errorf("InclusionProof(%d, %d) has %d hashes, want <= ceil(log2 %d) = %d", i, size, len(p), size, bits.Len64(size-1))
			}
			if err := proof.VerifyInclusion(h, i, size, leaves[i], p, want); err != nil {
				t.Errorf("VerifyInclusion(%d, %d): %v", i, size, err)
			}
		}
		for s1 := uint64(0); s1 <= size; s1++ {
			p, err := custody.ConsistencyProof(ctx, l, s1, size)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", s1, size, err)
			}
			if err := proof.VerifyConsistency(h, s1, size, p, refRoot(leaves[:s1]), want); err != nil {
				t.Errorf("VerifyConsistency(%d, %d): %v", s1, size, err)
			}
		}
	}
}

// refRoot is RFC 6962 section 2.1's MTH, computed recursively from all leaves.
func refRoot(leaves [][]byte) []byte {
	h := rfc6962.DefaultHasher
	switch len(leaves) {
	case 0:
		return h.EmptyRoot()
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return h.HashChildren(refRoot(leaves[:k]), refRoot(leaves[k:]))
}

func testExportVerifies(t *testing.T, l custody.Ledger) {
	ctx := context.Background()
	k := keeper(l)
	for i := 0; i < 5; i++ {
		if _, err := k.Record(ctx, "x", custody.Hashed, system, custody.Details{Documents: []custody.Document{doc(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	older, err := k.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		if _, err := k.Record(ctx, fmt.Sprint("y", i%2), custody.ContentAccessTracking, system, custody.Details{Counterpart: "NL-OM"}); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := k.Export(ctx, "x", custody.ExportOptions{ConsistencyFrom: 5})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := custody.Verify(tr, k.Signer.Public(), custody.VerifyOptions{Older: older})
	if err != nil {
		t.Fatalf("Verify = %v, want nil", err)
	}
	if rep.Events != 5 || rep.LogSize != 11 || rep.OlderSize != 5 {
		t.Errorf("Verify report = %+v, want 5 events, log size 11, older size 5", rep)
	}
}

// testReadsAreCopies: changing what Events or Last returned does not change the ledger.
func testReadsAreCopies(t *testing.T, l custody.Ledger) {
	ctx := context.Background()
	k := keeper(l)
	if _, err := k.Record(ctx, "r", custody.Hashed, system, custody.Details{Documents: []custody.Document{doc(1)}, Reasons: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	evs, _ := l.Events(ctx, "r")
	evs[0].Event.Details.Documents[0].Size = 1
	evs[0].Event.Details.Reasons[0] = "changed"
	last, _, _ := l.Last(ctx, "r")
	last.Event.Details.Documents[0].SHA256 = "00"
	again, _ := l.Events(ctx, "r")
	if err := custody.CheckSealed(again[0].Event); err != nil {
		t.Errorf("stored event changed through a returned value: %v", err)
	}
}

// sealedChain seals n events of bundle following prev (seq after), each chained to the last.
func sealedChain(t *testing.T, bundle string, after uint64, prev string, n int, note string) []custody.Event {
	t.Helper()
	var out []custody.Event
	for i := 0; i < n; i++ {
		e := sealed(t, bundle, after+uint64(i)+1, prev, note)
		out = append(out, e)
		prev = e.Hash
	}
	return out
}

// testRecordAll: several events of a bundle in one call; with a BatchAppender, all or none.
func testRecordAll(t *testing.T, l custody.Ledger) {
	ctx := context.Background()
	k := keeper(l)
	drafts := []custody.Draft{
		{Type: custody.SubmissionAcceptance, Actor: system},
		{Type: custody.Hashed, Actor: system, Details: custody.Details{Documents: []custody.Document{doc(1)}}},
		{Type: custody.Stored, Actor: system},
	}
	es, err := k.RecordAll(ctx, "batch", drafts)
	if err != nil || len(es) != 3 {
		t.Fatalf("RecordAll = %d entries, %v, want 3", len(es), err)
	}
	for i, en := range es {
		if en.Event.Seq != uint64(i+1) || en.Event.Type != drafts[i].Type || (i > 0 && en.Event.Prev != es[i-1].Event.Hash) {
			t.Errorf("RecordAll entry %d = seq %d type %s, want seq %d type %s chained", i, en.Event.Seq, en.Event.Type, i+1, drafts[i].Type)
		}
	}
	ba, ok := l.(custody.BatchAppender)
	if !ok {
		return
	}
	size, _ := l.LogSize(ctx)
	last := es[2].Event
	bad := [][]custody.Event{
		sealedChain(t, "batch", 3, sealed(t, "x", 1, "", "x").Hash, 2, "wrong prev"), // first does not follow
		append(sealedChain(t, "batch", 3, last.Hash, 1, "a"), sealed(t, "batch", 5, last.Hash, "not chained")),
		nil,
	}
	for i, evs := range bad {
		if _, err := ba.AppendAll(ctx, evs); err == nil {
			t.Errorf("AppendAll(bad batch %d) succeeded", i)
		}
	}
	if n, _ := l.LogSize(ctx); n != size {
		t.Errorf("LogSize after refused batches = %d, want %d (nothing written)", n, size)
	}
	// Two batches race for seq 4: one is written whole, the other not at all.
	a, b := sealedChain(t, "batch", 3, last.Hash, 3, "a"), sealedChain(t, "batch", 3, last.Hash, 2, "b")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, evs := range [][]custody.Event{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = ba.AppendAll(ctx, evs)
		}()
	}
	wg.Wait()
	var ce *custody.ConflictError
	want := 0
	switch {
	case errs[0] == nil && errors.As(errs[1], &ce):
		want = 6
	case errs[1] == nil && errors.As(errs[0], &ce):
		want = 5
	default:
		t.Fatalf("racing AppendAll errors = %v, %v, want one nil and one *ConflictError", errs[0], errs[1])
	}
	if evs, _ := l.Events(ctx, "batch"); len(evs) != want {
		t.Errorf("Events after the race = %d, want %d", len(evs), want)
	}
	if n, _ := l.LogSize(ctx); n != size+uint64(want-3) {
		t.Errorf("LogSize after the race = %d, want %d", n, size+uint64(want-3))
	}
	// A batch past the ledger's bound is written whole or refused with nothing written (a
	// *custody.BatchLimitError); RecordAll then writes its events one by one.
	const big = 40
	size, _ = l.LogSize(ctx)
	evs, err := l.Events(ctx, "batch")
	if err != nil || len(evs) != want {
		t.Fatalf("Events = %d, %v, want %d", len(evs), err, want)
	}
	tail := evs[len(evs)-1].Event
	leaves, err := ba.AppendAll(ctx, sealedChain(t, "batch", tail.Seq, tail.Hash, big, "big"))
	var limit *custody.BatchLimitError
	grown := uint64(0)
	switch {
	case err == nil:
		if len(leaves) != big {
			t.Fatalf("AppendAll of %d = %d leaves", big, len(leaves))
		}
		grown = big
	case errors.As(err, &limit):
		if limit.Events != big || limit.Limit >= big {
			t.Errorf("BatchLimitError = %+v, want %d events over a lower limit", limit, big)
		}
	default:
		t.Fatalf("AppendAll of %d events: %v, want success or a *custody.BatchLimitError", big, err)
	}
	if n, _ := l.LogSize(ctx); n != size+grown {
		t.Errorf("LogSize after a batch of %d = %d, want %d", big, n, size+grown)
	}
	many := make([]custody.Draft, big)
	for i := range many {
		many[i] = custody.Draft{Type: custody.Stored, Actor: system}
	}
	es, err = k.RecordAll(ctx, "batch-big", many)
	if err != nil || len(es) != big || es[big-1].Event.Seq != big {
		t.Fatalf("RecordAll of %d drafts = %d entries, %v", big, len(es), err)
	}
}

// testSubjects: a ledger that lists subjects by prefix (request.Lister) lists each subject
// once, in order, and only those with the prefix. Ledgers without Subjects skip it.
func testSubjects(t *testing.T, l custody.Ledger) {
	lister, ok := l.(interface {
		Subjects(ctx context.Context, prefix string) ([]string, error)
	})
	if !ok {
		t.Skip("the ledger does not list subjects")
	}
	ctx := context.Background()
	k := keeper(l)
	for _, id := range []string{"request:b", "bundle-1", "request:a", "request_z", "request0", "requesT:c", "request:b"} {
		if _, err := k.Record(ctx, id, custody.Hashed, system, custody.Details{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := lister.Subjects(ctx, "request:")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"request:a", "request:b"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Subjects(request:) = %q, want %q", got, want)
	}
	if got, err := lister.Subjects(ctx, "none:"); err != nil || len(got) != 0 {
		t.Errorf("Subjects(none:) = %q, %v, want none", got, err)
	}
}
