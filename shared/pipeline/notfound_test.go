package pipeline_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// callLog records the store calls a use case makes, by port and method.
type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (c *callLog) add(s string) {
	c.mu.Lock()
	c.calls = append(c.calls, s)
	c.mu.Unlock()
}

func (c *callLog) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = nil
	return out
}

type loggedUploads struct {
	pipeline.Uploads
	log *callLog
}

func (u loggedUploads) Upload(ctx context.Context, id string) (pipeline.Upload, error) {
	u.log.add("Uploads.Upload")
	return u.Uploads.Upload(ctx, id)
}

type loggedLedger struct {
	custody.Ledger
	log *callLog
}

func (l loggedLedger) Events(ctx context.Context, id string) ([]custody.Entry, error) {
	l.log.add("Ledger.Events")
	return l.Ledger.Events(ctx, id)
}

func (l loggedLedger) Last(ctx context.Context, id string) (custody.Entry, bool, error) {
	l.log.add("Ledger.Last")
	return l.Ledger.Last(ctx, id)
}

type loggedDeliveries struct {
	pipeline.Deliveries
	log *callLog
}

func (d loggedDeliveries) Delivery(ctx context.Context, id string) (pipeline.Delivery, error) {
	d.log.add("Deliveries.Delivery")
	return d.Deliveries.Delivery(ctx, id)
}

type loggedSubmissions struct {
	pipeline.Submissions
	log *callLog
}

func (s loggedSubmissions) Submission(ctx context.Context, id, uploader string) (pipeline.Submission, error) {
	s.log.add("Submissions.Submission")
	return s.Submissions.Submission(ctx, id, uploader)
}

// loggedService is the node's service with its stores' reads logged.
func loggedService(t testing.TB, n *local.Node) (*pipeline.Service, *callLog) {
	log := &callLog{}
	svc, err := pipeline.New(pipeline.Config{
		Blobs: n.Blobs, Ledger: loggedLedger{n.Ledger, log}, Signer: n.Signer, Queue: n.Queue, Directory: n.Directory,
		Deliveries: loggedDeliveries{n.Deliveries, log}, Uploads: loggedUploads{n.Uploads, log}, Bags: n.Uploads,
		Receipts: n.Receipts, Submissions: loggedSubmissions{n.Submissions, log}, Origin: "evx.test/custody",
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc, log
}

// An uploader asking for another uploader's bundle gets the same *BundleNotFoundError as
// for a bundle that does not exist, after the same store calls.
func TestBundleNotFoundSameCalls(t *testing.T) {
	n := openNode(t, t.TempDir(), newClock())
	id := upload(t, n, makeBag(t, evidence(t), info("nl-om")))
	if _, err := n.Service.Process(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	svc, log := loggedService(t, n)
	ctx := context.Background()
	absent := "0000000000000000000000000000000000000000000000000000000000000000"
	_, errAbsent := svc.BundleStatusFor(ctx, absent, "intruder")
	callsAbsent := log.take()
	_, errOther := svc.BundleStatusFor(ctx, id, "intruder")
	callsOther := log.take()
	var nf *pipeline.BundleNotFoundError
	if !errors.As(errAbsent, &nf) || !errors.As(errOther, &nf) {
		t.Fatalf("absent: %v; another's: %v; want *BundleNotFoundError for both", errAbsent, errOther)
	}
	if !slices.Equal(callsAbsent, callsOther) || len(callsAbsent) != 2 {
		t.Errorf("store calls: absent bundle %v, another uploader's %v; want the same two lookups", callsAbsent, callsOther)
	}
	if _, err := svc.BundleStatusFor(ctx, id, "inspector-1"); err != nil {
		t.Errorf("the uploader's own bundle: %v", err)
	}
}

// BenchmarkBundleNotFound times GET-status lookups of an absent bundle and of another
// uploader's bundle, alternately, and reports the two medians side by side
// (go test -bench BundleNotFound ./shared/pipeline/).
func BenchmarkBundleNotFound(b *testing.B) {
	n := openNode(b, b.TempDir(), newClock())
	id := upload(b, n, makeBag(b, evidence(b), info("nl-om", "es-fge")))
	if _, err := n.Service.Process(context.Background(), id); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	absent := "1111111111111111111111111111111111111111111111111111111111111111"
	var tAbsent, tOther []time.Duration
	for b.Loop() {
		t0 := time.Now()
		n.Service.BundleStatusFor(ctx, absent, "intruder")
		t1 := time.Now()
		n.Service.BundleStatusFor(ctx, id, "intruder")
		t2 := time.Now()
		tAbsent, tOther = append(tAbsent, t1.Sub(t0)), append(tOther, t2.Sub(t1))
	}
	median := func(ds []time.Duration) float64 {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[len(ds)/2].Nanoseconds())
	}
	ma, mo := median(tAbsent), median(tOther)
	b.ReportMetric(ma, "ns-median-absent")
	b.ReportMetric(mo, "ns-median-others")
	b.ReportMetric(mo/ma, "ratio")
}
