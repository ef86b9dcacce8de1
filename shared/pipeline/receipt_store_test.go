package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
)

// faultyStores wraps a node's receipt store and delivery index with faults to inject: the
// next puts of a receipt fail, the next state changes fail, reads of a stored receipt return
// garbage or an error.
type faultyStores struct {
	pipeline.Receipts
	pipeline.Deliveries
	mu        sync.Mutex
	failPuts  int
	failSets  int
	readWith  []byte // returned by Receipt instead of the stored bytes, when set
	readError error  // returned by Receipt, when set
	log       *slog.Logger
	logged    syncBuffer // the service's warnings
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var errInjected = errors.New("injected fault")

func (f *faultyStores) PutReceipt(ctx context.Context, id string, raw []byte) ([]byte, error) {
	f.mu.Lock()
	fail := f.failPuts > 0
	if fail {
		f.failPuts--
	}
	f.mu.Unlock()
	if fail {
		return nil, errInjected
	}
	return f.Receipts.PutReceipt(ctx, id, raw)
}

func (f *faultyStores) Receipt(ctx context.Context, id string) ([]byte, error) {
	f.mu.Lock()
	with, rerr := f.readWith, f.readError
	f.mu.Unlock()
	if rerr != nil {
		return nil, rerr
	}
	if with != nil {
		return with, nil
	}
	return f.Receipts.Receipt(ctx, id)
}

func (f *faultyStores) SetDeliveryState(ctx context.Context, id string, from, to pipeline.DeliveryState) error {
	f.mu.Lock()
	fail := f.failSets > 0
	if fail {
		f.failSets--
	}
	f.mu.Unlock()
	if fail {
		return errInjected
	}
	return f.Deliveries.SetDeliveryState(ctx, id, from, to)
}

func (f *faultyStores) set(fn func(f *faultyStores)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

// faultyService is the node's service over its own stores, with the receipt store and the
// delivery index behind faults.
func faultyService(t *testing.T, n *local.Node, clock *testClock) (*pipeline.Service, *faultyStores) {
	t.Helper()
	f := &faultyStores{Receipts: n.Receipts, Deliveries: n.Deliveries}
	f.log = slog.New(slog.NewTextHandler(&f.logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := pipeline.New(pipeline.Config{
		Blobs: n.Blobs, Ledger: n.Ledger, Signer: n.Signer, Queue: n.Queue, Directory: n.Directory,
		Deliveries: f, Uploads: n.Uploads, Bags: n.Uploads, Receipts: f, Submissions: n.Submissions,
		Origin: n.Service.Origin(), Clock: clock.Now, Log: f.log,
		Intake: pipeline.BagIntake(extract.Record(extract.DefaultLimits()), bagit.Limits{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc, f
}

// outcomes counts the receipt outcomes on the bundle's trail.
func outcomes(t *testing.T, n *local.Node, bundle string) []custody.EventType {
	t.Helper()
	es, err := n.Service.Events(context.Background(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	var out []custody.EventType
	for _, e := range es {
		switch e.Event.Type {
		case custody.ConsignmentAcceptance, custody.ConsignmentRejection, custody.AcceptanceRejectionExpiry:
			out = append(out, e.Event.Type)
		}
	}
	return out
}

func deliveryState(t *testing.T, n *local.Node, id string) pipeline.DeliveryState {
	t.Helper()
	d, err := n.Deliveries.Delivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d.State
}

// TestReceiptLostBeforeStored: when the signed receipt cannot be stored after the outcome is
// recorded, the post fails (nothing is acknowledged), the trail keeps the one outcome, and a
// retry with the same outcome gets a receipt signed afresh from the recorded event, stored
// from then on; a retry with the other outcome is a conflict, before and after.
func TestReceiptLostBeforeStored(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	svc, faults := faultyService(t, n, clock)
	f := newDelivery(t, n.Service, func(bag []byte) string { return upload(t, n, bag) }, "lost")
	accept := pipeline.ReceiptRequest{Accepted: true, Documents: f.right}
	reject := pipeline.ReceiptRequest{Accepted: false, Reasons: []string{"changed our mind"}, Documents: f.right}

	faults.set(func(f *faultyStores) { f.failPuts = 1 })
	if rc, err := svc.PostReceipt(ctx, "nl-om", f.delivery, accept); !errors.Is(err, errInjected) || rc != nil {
		t.Fatalf("PostReceipt with the store failing = %v, %v; want the store's error and no receipt", rc, err)
	}
	if got := outcomes(t, n, f.bundle); len(got) != 1 || got[0] != custody.ConsignmentAcceptance {
		t.Fatalf("trail outcomes %v, want the one acceptance", got)
	}
	if _, err := n.Receipts.Receipt(ctx, f.delivery); !errors.Is(err, pipeline.ErrNotFound) {
		t.Fatalf("stored receipt after the failed put: %v, want ErrNotFound", err)
	}
	var ce *pipeline.ReceiptConflictError
	if _, err := svc.PostReceipt(ctx, "nl-om", f.delivery, reject); !errors.As(err, &ce) || ce.Recorded != custody.ConsignmentAcceptance {
		t.Fatalf("rejection after the recorded acceptance = %v, want *ReceiptConflictError naming it", err)
	}
	if _, err := n.Receipts.Receipt(ctx, f.delivery); !errors.Is(err, pipeline.ErrNotFound) {
		t.Fatalf("stored receipt after the conflicting rejection: %v, want ErrNotFound (a refused post stores nothing)", err)
	}
	rc, err := svc.PostReceipt(ctx, "nl-om", f.delivery, accept)
	if err != nil {
		t.Fatalf("retry of the acceptance: %v", err)
	}
	last := lastEvent(t, n.Service, f.bundle)
	if !rc.Replayed || rc.Outcome != custody.ConsignmentAcceptance || rc.EventHash != last.Hash || rc.EventSeq != last.Seq {
		t.Errorf("reissued receipt: replayed %v, outcome %s, event %d %s; want replayed, the acceptance, event %d %s",
			rc.Replayed, rc.Outcome, rc.EventSeq, rc.EventHash, last.Seq, last.Hash)
	}
	if err := pipeline.VerifyReceipt(rc, n.Signer.Public()); err != nil {
		t.Errorf("VerifyReceipt(reissued) = %v", err)
	}
	if _, err := n.Receipts.Receipt(ctx, f.delivery); err != nil {
		t.Errorf("the reissued receipt was not stored: %v", err)
	}
	again, err := svc.PostReceipt(ctx, "nl-om", f.delivery, pipeline.ReceiptRequest{Accepted: true, Reasons: []string{"other notes"}, Documents: f.right})
	if err != nil || again.Signature != rc.Signature || !again.Replayed {
		t.Errorf("a later acceptance = %v; want the stored reissued receipt (its request is unknown, so the outcome decides)", err)
	}
	if _, err := svc.PostReceipt(ctx, "nl-om", f.delivery, reject); !errors.As(err, &ce) || ce.Recorded != custody.ConsignmentAcceptance {
		t.Errorf("rejection after the reissued receipt = %v, want *ReceiptConflictError", err)
	}
	if got := outcomes(t, n, f.bundle); len(got) != 1 {
		t.Errorf("trail outcomes %v, want still one", got)
	}
}

// TestReceiptServed: Service.Receipt serves the stored receipt, signs one afresh (and stores
// it) when the outcome is recorded but the receipt was lost, and refuses a delivery without
// a posted receipt, an expired one, and a stored receipt it cannot read.
func TestReceiptServed(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	svc, faults := faultyService(t, n, clock)
	up := func(bag []byte) string { return upload(t, n, bag) }
	var nr *pipeline.NoReceiptError

	a := newDelivery(t, n.Service, up, "served")
	if _, err := svc.Receipt(ctx, "nl-om", a.delivery); !errors.As(err, &nr) || nr.Recorded != "" {
		t.Fatalf("Receipt before any post = %v, want *NoReceiptError with nothing recorded", err)
	}
	posted, err := svc.PostReceipt(ctx, "nl-om", a.delivery, pipeline.ReceiptRequest{Accepted: true, Documents: a.right})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Receipt(ctx, "nl-om", a.delivery)
	if err != nil || got.Signature != posted.Signature || !got.Replayed {
		t.Fatalf("Receipt after the post = %+v, %v; want the posted receipt, replayed", got, err)
	}
	var dn *pipeline.DeliveryNotFoundError
	if _, err := svc.Receipt(ctx, "es-fge", a.delivery); !errors.As(err, &dn) {
		t.Errorf("Receipt of another counterpart's delivery = %v, want *DeliveryNotFoundError", err)
	}

	// The stored receipt unreadable, or the store failing: an error, never a receipt.
	faults.set(func(f *faultyStores) { f.readWith = []byte(`{"request": {}}`) })
	if rc, err := svc.Receipt(ctx, "nl-om", a.delivery); err == nil || !strings.Contains(err.Error(), "unreadable") {
		t.Errorf("Receipt with a stored receipt lacking its receipt = %v, %v; want an unreadable error", rc, err)
	}
	if rc, err := svc.PostReceipt(ctx, "nl-om", a.delivery, pipeline.ReceiptRequest{Accepted: true, Documents: a.right}); err == nil || !strings.Contains(err.Error(), "unreadable") {
		t.Errorf("retry with a stored receipt lacking its receipt = %v, %v; want an unreadable error", rc, err)
	}
	faults.set(func(f *faultyStores) { f.readWith = []byte("not json") })
	if _, err := svc.Receipt(ctx, "nl-om", a.delivery); err == nil || !strings.Contains(err.Error(), "unreadable") {
		t.Errorf("Receipt with a stored receipt that is not JSON = %v, want an unreadable error", err)
	}
	faults.set(func(f *faultyStores) { f.readWith, f.readError = nil, errInjected })
	if _, err := svc.Receipt(ctx, "nl-om", a.delivery); !errors.Is(err, errInjected) {
		t.Errorf("Receipt with the store failing = %v, want its error", err)
	}
	if _, err := svc.PostReceipt(ctx, "nl-om", a.delivery, pipeline.ReceiptRequest{Accepted: true, Documents: a.right}); !errors.Is(err, errInjected) {
		t.Errorf("retry with the store failing = %v, want its error", err)
	}
	faults.set(func(f *faultyStores) { f.readError = nil })

	// Recorded, receipt lost: Receipt signs it afresh from the trail and stores it.
	b := newDelivery(t, n.Service, up, "reissued")
	faults.set(func(f *faultyStores) { f.failPuts = 1 })
	if _, err := svc.PostReceipt(ctx, "nl-om", b.delivery, pipeline.ReceiptRequest{Accepted: false, Reasons: []string{"seal broken"}, Documents: b.right}); !errors.Is(err, errInjected) {
		t.Fatalf("PostReceipt with the store failing = %v", err)
	}
	faults.set(func(f *faultyStores) { f.failPuts = 1 })
	if _, err := svc.Receipt(ctx, "nl-om", b.delivery); !errors.Is(err, errInjected) {
		t.Errorf("Receipt with the store failing on the reissued receipt = %v, want its error", err)
	}
	first, err := svc.Receipt(ctx, "nl-om", b.delivery)
	if err != nil {
		t.Fatal(err)
	}
	last := lastEvent(t, n.Service, b.bundle)
	if first.Outcome != custody.ConsignmentRejection || first.EventHash != last.Hash || !first.Replayed ||
		!slices.Equal(first.Reasons, []string{"seal broken"}) {
		t.Errorf("reissued receipt %+v, want the recorded rejection (event %s) with its reason", first, last.Hash)
	}
	if err := pipeline.VerifyReceipt(first, n.Signer.Public()); err != nil {
		t.Errorf("VerifyReceipt(reissued) = %v", err)
	}
	second, err := svc.Receipt(ctx, "nl-om", b.delivery)
	if err != nil || second.Signature != first.Signature {
		t.Errorf("Receipt again = %v; want the receipt stored the first time", err)
	}

	// Past the deadline: the expiry is recorded, and there is no receipt to serve.
	c := newDelivery(t, n.Service, up, "expired")
	d, err := n.Deliveries.Delivery(ctx, c.delivery)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(d.Deadline.Sub(clock.Now()) + time.Hour)
	var ce *pipeline.ReceiptConflictError
	if _, err := svc.PostReceipt(ctx, "nl-om", c.delivery, pipeline.ReceiptRequest{Accepted: true, Documents: c.right}); !errors.As(err, &ce) || ce.Recorded != custody.AcceptanceRejectionExpiry {
		t.Fatalf("late receipt = %v, want *ReceiptConflictError naming the expiry", err)
	}
	if _, err := svc.Receipt(ctx, "nl-om", c.delivery); !errors.As(err, &nr) || nr.Recorded != custody.AcceptanceRejectionExpiry {
		t.Errorf("Receipt of an expired delivery = %v, want *NoReceiptError naming the expiry", err)
	}
	if _, err := svc.PostReceipt(ctx, "nl-om", c.delivery, pipeline.ReceiptRequest{Accepted: true, Documents: c.right}); !errors.As(err, &ce) || ce.Recorded != custody.AcceptanceRejectionExpiry {
		t.Errorf("second late receipt = %v, want *ReceiptConflictError naming the expiry", err)
	}
}

// TestReceiptStateChangeFailure: the custody trail is the record of a receipt; the delivery
// index only follows it. A state change that fails after the outcome is recorded neither
// loses the outcome nor withholds the signed receipt, and the next post (an identical retry)
// brings the index to the recorded state.
func TestReceiptStateChangeFailure(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	svc, faults := faultyService(t, n, clock)
	f := newDelivery(t, n.Service, func(bag []byte) string { return upload(t, n, bag) }, "state")
	req := pipeline.ReceiptRequest{Accepted: true, Documents: f.right}

	faults.set(func(f *faultyStores) { f.failSets = 1 })
	rc, err := svc.PostReceipt(ctx, "nl-om", f.delivery, req)
	if err != nil {
		t.Fatalf("PostReceipt with the state change failing = %v, want the receipt", err)
	}
	if err := pipeline.VerifyReceipt(rc, n.Signer.Public()); err != nil || rc.Outcome != custody.ConsignmentAcceptance {
		t.Errorf("receipt %s: %v", rc.Outcome, err)
	}
	if got := outcomes(t, n, f.bundle); len(got) != 1 || got[0] != custody.ConsignmentAcceptance {
		t.Errorf("trail outcomes %v, want the one acceptance", got)
	}
	if s := deliveryState(t, n, f.delivery); s != pipeline.DeliveryConsigned {
		t.Fatalf("delivery state %s after the failed change, want still %s", s, pipeline.DeliveryConsigned)
	}
	warned := faults.logged.String()
	if !strings.Contains(warned, "delivery state") || !strings.Contains(warned, errInjected.Error()) {
		t.Errorf("the failed state change was not logged as a warning: %q", warned)
	}
	again, err := svc.PostReceipt(ctx, "nl-om", f.delivery, req)
	if err != nil || again.Signature != rc.Signature {
		t.Fatalf("identical retry = %v; want the stored receipt", err)
	}
	if s := deliveryState(t, n, f.delivery); s != pipeline.DeliveryAccepted {
		t.Errorf("delivery state %s after the retry, want %s", s, pipeline.DeliveryAccepted)
	}
	if n := strings.Count(faults.logged.String(), "delivery state"); n != 1 {
		t.Errorf("%d state warnings after the retry, want only the failed change's: a change made is not a warning", n)
	}
	// Once the index is where the trail says, a further retry finds the state moved
	// (ErrStateConflict): a lost race, harmless, not a warning either.
	if _, err := svc.PostReceipt(ctx, "nl-om", f.delivery, req); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(faults.logged.String(), "delivery state"); n != 1 {
		t.Errorf("%d state warnings after a retry that found the state moved, want 1: %s", n, faults.logged.String())
	}
	if got := outcomes(t, n, f.bundle); len(got) != 1 {
		t.Errorf("trail outcomes %v after the retry, want still one", got)
	}
}

// TestReceiptReplayedAndDocumentsCompared: the first post's receipt is not a replay, an
// identical retry's is, and a retry with the same outcome but other documents is a conflict
// (the documents are part of what a retry must repeat).
func TestReceiptReplayedAndDocumentsCompared(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	svc, _ := faultyService(t, n, clock)
	up := func(bag []byte) string { return upload(t, n, bag) }

	a := newDelivery(t, n.Service, up, "replayed")
	first, err := svc.PostReceipt(ctx, "nl-om", a.delivery, pipeline.ReceiptRequest{Accepted: true, Documents: a.right})
	if err != nil {
		t.Fatal(err)
	}
	if first.Replayed {
		t.Errorf("first post's receipt is marked replayed")
	}
	again, err := svc.PostReceipt(ctx, "nl-om", a.delivery, pipeline.ReceiptRequest{Accepted: true, Documents: a.right})
	if err != nil || !again.Replayed || again.Signature != first.Signature {
		t.Fatalf("identical retry = %+v, %v; want the first receipt, replayed", again, err)
	}
	var conflict *pipeline.ReceiptConflictError
	other := a.right[:len(a.right)-1]
	if rc, err := svc.PostReceipt(ctx, "nl-om", a.delivery, pipeline.ReceiptRequest{Accepted: true, Documents: other}); !errors.As(err, &conflict) {
		t.Errorf("retry with documents %v instead of %v = %+v, %v; want *ReceiptConflictError", other, a.right, rc, err)
	}
}
