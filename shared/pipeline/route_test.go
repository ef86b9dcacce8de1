package pipeline_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestDeliveryIDKnownAnswers: the delivery id is "d-" and the first 16 bytes of
// SHA-256(bundle, NUL, counterpart), in hex:
//
//	printf 'EVX-2026-0001\0nl-om' | sha256sum | cut -c1-32
//	printf 'ab\0c' | sha256sum | cut -c1-32
//
// The separator keeps "ab"+"c" and "a"+"bc" apart.
func TestDeliveryIDKnownAnswers(t *testing.T) {
	for _, tc := range []struct{ bundle, cp, want string }{
		{"EVX-2026-0001", "nl-om", "d-23b3c6e352710d4de16d7916e7620586"},
		{"ab", "c", "d-6c032e631d39a14d85aff7e319546af7"},
	} {
		if got := pipeline.DeliveryID(tc.bundle, tc.cp); got != tc.want {
			t.Errorf("DeliveryID(%q, %q) = %s, want %s", tc.bundle, tc.cp, got, tc.want)
		}
	}
	if pipeline.DeliveryID("ab", "c") == pipeline.DeliveryID("a", "bc") {
		t.Errorf("DeliveryID(ab, c) = DeliveryID(a, bc): the parts are not separated")
	}
}

// countingQueue counts the notices sent, by queue.
type countingQueue struct {
	pipeline.Queue
	mu   *sync.Mutex
	sent map[string]int
}

func (q countingQueue) Send(ctx context.Context, queue, dedup string, body []byte) error {
	q.mu.Lock()
	q.sent[queue]++
	q.mu.Unlock()
	return q.Queue.Send(ctx, queue, dedup, body)
}

// routeFixture is a node whose service counts notices and whose ledger may serve one stale
// trail read.
type routeFixture struct {
	svc    *pipeline.Service
	queue  countingQueue
	ledger *switchLedger
}

// switchLedger serves, once armed, one read of the bundle's trail as it was before (stale).
type switchLedger struct {
	custody.Ledger
	mu    sync.Mutex
	stale []custody.Entry
	armed bool
	reads int
}

func (l *switchLedger) Events(ctx context.Context, id string) ([]custody.Entry, error) {
	l.mu.Lock()
	if l.armed {
		l.armed = false
		l.reads++
		s := l.stale
		l.mu.Unlock()
		return s, nil
	}
	l.mu.Unlock()
	return l.Ledger.Events(ctx, id)
}

func newRouteFixture(t *testing.T) (routeFixture, string) {
	t.Helper()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	id := upload(t, n, makeBag(t, evidence(t), info("nl-om", "es-fge")))
	q := countingQueue{Queue: n.Queue, mu: &sync.Mutex{}, sent: map[string]int{}}
	l := &switchLedger{Ledger: n.Ledger}
	svc, err := pipeline.New(pipeline.Config{
		Blobs: n.Blobs, Ledger: l, Signer: n.Signer, Queue: q, Directory: n.Directory,
		Deliveries: n.Deliveries, Uploads: n.Uploads, Bags: n.Uploads, Origin: "evx.test/route", Clock: clock.Now,
		Intake: pipeline.BagIntake(extract.Record(extract.DefaultLimits()), bagit.Limits{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return routeFixture{svc: svc, queue: q, ledger: l}, id
}

func consignments(t *testing.T, svc *pipeline.Service, bundle string) map[string][]custody.Event {
	t.Helper()
	es, err := svc.Events(context.Background(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]custody.Event{}
	for _, e := range es {
		if e.Event.Type == custody.ContentConsignment {
			out[e.Event.Details.Counterpart] = append(out[e.Event.Details.Counterpart], e.Event)
		}
	}
	return out
}

// TestRouteRecordsConsignment: each counterpart gets one notice and one ContentConsignment that
// carries the acceptance's documents and reference and the delivery's deadline; routing again
// sends no notice and records nothing.
func TestRouteRecordsConsignment(t *testing.T) {
	ctx := context.Background()
	f, id := newRouteFixture(t)
	st, err := f.svc.Process(ctx, id)
	if err != nil || !st.Ingest.Accepted || len(st.Deliveries) != 2 {
		t.Fatalf("Process = %+v, %v; want accepted, two deliveries", st, err)
	}
	es, err := f.svc.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	acc := es[0].Event
	if acc.Type != custody.SubmissionAcceptance || acc.Details.Reference == "" {
		t.Fatalf("first event %s, reference %q; want an acceptance with a reference", acc.Type, acc.Details.Reference)
	}
	cons := consignments(t, f.svc, id)
	for _, d := range st.Deliveries {
		if d.ID != pipeline.DeliveryID(id, d.Counterpart) {
			t.Errorf("delivery id %s, want DeliveryID(%s, %s)", d.ID, id, d.Counterpart)
		}
		c := cons[d.Counterpart]
		if len(c) != 1 {
			t.Fatalf("%d consignments to %s, want 1", len(c), d.Counterpart)
		}
		e := c[0]
		if e.Details.Reference != acc.Details.Reference || e.Details.Deadline != d.Deadline.UTC().Format(custody.TimeFormat) ||
			!slices.Equal(names(e.Details.Documents), names(acc.Details.Documents)) || e.Actor != (custody.Actor{Kind: custody.ActorSystem, ID: "route"}) {
			t.Errorf("consignment to %s = %+v by %+v; want reference %q, deadline %v, the accepted documents, by route",
				d.Counterpart, e.Details, e.Actor, acc.Details.Reference, d.Deadline)
		}
		if got := f.queue.sent[pipeline.QueueName(d.Counterpart)]; got != 1 {
			t.Errorf("%d notices to %s, want 1", got, d.Counterpart)
		}
	}
	again, err := f.svc.Route(ctx, id)
	if err != nil || len(again) != 2 {
		t.Fatalf("Route again = %d deliveries, %v; want 2", len(again), err)
	}
	for _, cp := range []string{"nl-om", "es-fge"} {
		if got := f.queue.sent[pipeline.QueueName(cp)]; got != 1 {
			t.Errorf("after a retry, %d notices to %s, want 1: a consigned delivery is not notified again", got, cp)
		}
		if got := len(consignments(t, f.svc, id)[cp]); got != 1 {
			t.Errorf("after a retry, %d consignments to %s, want 1", got, cp)
		}
	}
}

// TestRouteRaceRecordsOneConsignment: a Route that read the trail before another Route
// recorded the consignments notifies again (harmless: the queue deduplicates) but records
// nothing, by the check made again inside the append.
func TestRouteRaceRecordsOneConsignment(t *testing.T) {
	ctx := context.Background()
	f, id := newRouteFixture(t)
	if _, err := f.svc.Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	es, err := f.svc.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(es, func(e custody.Entry) bool { return e.Event.Type == custody.ContentConsignment })
	if i < 0 {
		t.Fatal("no consignment recorded")
	}
	f.ledger.mu.Lock()
	f.ledger.stale, f.ledger.armed = es[:i], true
	f.ledger.mu.Unlock()
	if _, err := f.svc.Route(ctx, id); err != nil {
		t.Fatal(err)
	}
	if f.ledger.reads != 1 {
		t.Fatalf("stale reads served %d, want 1", f.ledger.reads)
	}
	for cp, c := range consignments(t, f.svc, id) {
		if len(c) != 1 {
			t.Errorf("%d consignments to %s after a racing Route, want 1", len(c), cp)
		}
	}
	after, err := f.svc.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(es) {
		t.Errorf("racing Route recorded %d events, want 0", len(after)-len(es))
	}
}

// TestRouteUnknownBundle: routing a bundle with no acceptance is a *BundleNotFoundError.
func TestRouteUnknownBundle(t *testing.T) {
	f, _ := newRouteFixture(t)
	_, err := f.svc.Route(context.Background(), "EVX-0000-NONE")
	if _, ok := err.(*pipeline.BundleNotFoundError); !ok {
		t.Errorf("Route(unknown) = %v, want *BundleNotFoundError", err)
	}
}
