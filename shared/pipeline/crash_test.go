package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/backend/local/fileblob"
	"github.com/evx-project/evx/shared/backend/local/sqlitestate"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/transparency-dev/merkle/compact"
)

var errCrash = errors.New("injected crash")

// faults counts every port call and makes call number at fail: before the call has any
// effect, or (after) once it has taken effect, as a process killed between a write and its
// acknowledgement would see it.
type faults struct {
	mu    sync.Mutex // the service makes some calls at once (Route's counterparts, Submit's records)
	n, at int
	after bool
}

// call runs do, failing it when its number comes up.
func (f *faults) call(do func() error) error {
	f.mu.Lock()
	f.n++
	hit := f.n == f.at
	f.mu.Unlock()
	if !hit {
		return do()
	}
	if f.after {
		do()
	}
	return errCrash
}

type faultyBlobs struct {
	b *fileblob.Store
	f *faults
}

func (x faultyBlobs) Put(ctx context.Context, sum string, size int64, r io.Reader) error {
	return x.f.call(func() error { return x.b.Put(ctx, sum, size, r) })
}

func (x faultyBlobs) Open(ctx context.Context, sum string) (rc io.ReadCloser, err error) {
	err = x.f.call(func() error { rc, err = x.b.Open(ctx, sum); return err })
	return rc, err
}

func (x faultyBlobs) OpenReaderAt(ctx context.Context, sum string) (r pipeline.ReaderAtCloser, size int64, err error) {
	err = x.f.call(func() error { r, size, err = x.b.OpenReaderAt(ctx, sum); return err })
	return r, size, err
}

type faultyLedger struct {
	l custody.Ledger
	f *faults
}

func (x faultyLedger) Append(ctx context.Context, e custody.Event) (leaf uint64, err error) {
	err = x.f.call(func() error { leaf, err = x.l.Append(ctx, e); return err })
	return leaf, err
}

func (x faultyLedger) Events(ctx context.Context, id string) (es []custody.Entry, err error) {
	err = x.f.call(func() error { es, err = x.l.Events(ctx, id); return err })
	return es, err
}

func (x faultyLedger) Last(ctx context.Context, id string) (e custody.Entry, ok bool, err error) {
	err = x.f.call(func() error { e, ok, err = x.l.Last(ctx, id); return err })
	return e, ok, err
}

func (x faultyLedger) LogSize(ctx context.Context) (n uint64, err error) {
	err = x.f.call(func() error { n, err = x.l.LogSize(ctx); return err })
	return n, err
}

func (x faultyLedger) Nodes(ctx context.Context, ids []compact.NodeID) (h [][]byte, err error) {
	err = x.f.call(func() error { h, err = x.l.Nodes(ctx, ids); return err })
	return h, err
}

type faultyQueue struct {
	q pipeline.Queue
	f *faults
}

func (x faultyQueue) Send(ctx context.Context, queue, dedup string, body []byte) error {
	return x.f.call(func() error { return x.q.Send(ctx, queue, dedup, body) })
}

func (x faultyQueue) Receive(ctx context.Context, queue string, max int, vis time.Duration) (m []pipeline.Message, err error) {
	err = x.f.call(func() error { m, err = x.q.Receive(ctx, queue, max, vis); return err })
	return m, err
}

func (x faultyQueue) Ack(ctx context.Context, queue, handle string) error {
	return x.f.call(func() error { return x.q.Ack(ctx, queue, handle) })
}

type faultyDeliveries struct {
	d pipeline.Deliveries
	f *faults
}

func (x faultyDeliveries) AddDelivery(ctx context.Context, d pipeline.Delivery) (out pipeline.Delivery, err error) {
	err = x.f.call(func() error { out, err = x.d.AddDelivery(ctx, d); return err })
	return out, err
}

func (x faultyDeliveries) Delivery(ctx context.Context, id string) (out pipeline.Delivery, err error) {
	err = x.f.call(func() error { out, err = x.d.Delivery(ctx, id); return err })
	return out, err
}

func (x faultyDeliveries) ListDeliveries(ctx context.Context, cp string) (out []pipeline.Delivery, err error) {
	err = x.f.call(func() error { out, err = x.d.ListDeliveries(ctx, cp); return err })
	return out, err
}

func (x faultyDeliveries) SetDeliveryState(ctx context.Context, id string, from, to pipeline.DeliveryState) error {
	return x.f.call(func() error { return x.d.SetDeliveryState(ctx, id, from, to) })
}

func (x faultyDeliveries) Due(ctx context.Context, t time.Time) (out []pipeline.Delivery, err error) {
	err = x.f.call(func() error { out, err = x.d.Due(ctx, t); return err })
	return out, err
}

type faultyUploads struct {
	u *sqlitestate.Uploads
	f *faults
}

func (x faultyUploads) AddUpload(ctx context.Context, u pipeline.Upload) (out pipeline.Upload, err error) {
	err = x.f.call(func() error { out, err = x.u.AddUpload(ctx, u); return err })
	return out, err
}

func (x faultyUploads) Upload(ctx context.Context, id string) (out pipeline.Upload, err error) {
	err = x.f.call(func() error { out, err = x.u.Upload(ctx, id); return err })
	return out, err
}

func (x faultyUploads) SetUploadState(ctx context.Context, id string, s pipeline.UploadState) error {
	return x.f.call(func() error { return x.u.SetUploadState(ctx, id, s) })
}

func (x faultyUploads) Pending(ctx context.Context) (out []pipeline.Upload, err error) {
	err = x.f.call(func() error { out, err = x.u.Pending(ctx); return err })
	return out, err
}

func (x faultyUploads) OpenBag(ctx context.Context, id string, lim bagit.Limits) (b *bagit.Bag, err error) {
	err = x.f.call(func() error { b, err = x.u.OpenBag(ctx, id, lim); return err })
	return b, err
}

// faulty returns a service over n's backends whose port calls fail as f says.
func faulty(t testing.TB, n *local.Node, clock *testClock, f *faults) *pipeline.Service {
	fu := faultyUploads{n.Uploads, f}
	svc, err := pipeline.New(pipeline.Config{
		Blobs: faultyBlobs{n.Blobs, f}, Ledger: faultyLedger{n.Ledger, f}, Signer: n.Signer,
		Queue: faultyQueue{n.Queue, f}, Directory: n.Directory, Deliveries: faultyDeliveries{n.Deliveries, f},
		Uploads: fu, Bags: fu, Origin: local.DefaultOrigin, Clock: clock.Now,
		Intake: pipeline.BagIntake(extract.Record(extract.DefaultLimits()), bagit.Limits{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestCrashAtEveryStep stops processing at every port call in turn, before and after the
// call takes effect, then resumes as a restarted node would: every run must end with the
// bundle accepted once, delivered once per counterpart, and a verifying trail. The same is
// done for a receipt: one outcome, whatever call failed.
func TestCrashAtEveryStep(t *testing.T) {
	bag := makeBag(t, evidence(t), info("nl-om", "es-fge"))
	cps := []string{"nl-om", "es-fge"}
	ctx := context.Background()

	// A run without faults counts the calls.
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	id := upload(t, n, bag)
	probe := &faults{}
	if _, err := faulty(t, n, clock, probe).Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	total := probe.n
	if total < 20 {
		t.Fatalf("processing made %d port calls; the probe is not wired", total)
	}
	crashed := 0
	for _, after := range []bool{false, true} {
		for at := 1; at <= total; at++ {
			t.Run(fmt.Sprintf("after=%v/call-%d", after, at), func(t *testing.T) {
				clock := newClock()
				dir := t.TempDir()
				n := openNode(t, dir, clock)
				id := upload(t, n, bag)
				f := &faults{at: at, after: after}
				if _, err := faulty(t, n, clock, f).Process(ctx, id); err != nil {
					if !errors.Is(err, errCrash) {
						t.Fatalf("Process = %v, want the injected crash", err)
					}
					crashed++
				}
				n.Close()
				// Restart: a fresh node on the same data folder resumes the pending upload.
				n2 := openNode(t, dir, clock)
				if _, err := n2.Service.Resume(ctx); err != nil {
					t.Fatalf("Resume = %v", err)
				}
				assertDeliveredOnce(t, n2, id, cps)
			})
		}
	}
	t.Logf("%d port calls per bundle, %d runs crashed", total, crashed)
	if crashed == 0 {
		t.Fatal("no injected fault surfaced")
	}

	// Receipts: a crash at any call of PostReceipt, then a retry, records one outcome.
	clock = newClock()
	n = openNode(t, t.TempDir(), clock)
	id = upload(t, n, bag)
	if _, err := n.Service.Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	d := onlyDelivery(t, n.Service, "nl-om")
	_, docs := pull(t, n.Service, "nl-om", d.ID)
	req := pipeline.ReceiptRequest{Accepted: true, Documents: hashes(docs)}
	probe = &faults{}
	// Count on a copy of the work: a second node on another folder.
	{
		c2 := newClock()
		n2 := openNode(t, t.TempDir(), c2)
		id2 := upload(t, n2, bag)
		if _, err := n2.Service.Process(ctx, id2); err != nil {
			t.Fatal(err)
		}
		d2 := onlyDelivery(t, n2.Service, "es-fge")
		if _, err := faulty(t, n2, c2, probe).PostReceipt(ctx, "es-fge", d2.ID, pipeline.ReceiptRequest{Accepted: true, Documents: hashes(docs)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, after := range []bool{false, true} {
		for at := 1; at <= probe.n; at++ {
			clock := newClock()
			n := openNode(t, t.TempDir(), clock)
			id := upload(t, n, bag)
			if _, err := n.Service.Process(ctx, id); err != nil {
				t.Fatal(err)
			}
			d := onlyDelivery(t, n.Service, "nl-om")
			_, err := faulty(t, n, clock, &faults{at: at, after: after}).PostReceipt(ctx, "nl-om", d.ID, req)
			if err == nil {
				continue
			}
			_, err = n.Service.PostReceipt(ctx, "nl-om", d.ID, req)
			if err != nil && !errors.As(err, new(*pipeline.ReceiptConflictError)) {
				t.Fatalf("after=%v call %d: retried receipt = %v", after, at, err)
			}
			got := types(t, n.Service, id)
			if c := count(got, custody.ConsignmentAcceptance); c != 1 {
				t.Fatalf("after=%v call %d: %d ConsignmentAcceptance, want 1", after, at, c)
			}
			if st := onlyDelivery(t, n.Service, "nl-om").State; st != pipeline.DeliveryAccepted {
				t.Fatalf("after=%v call %d: delivery state %s, want accepted", after, at, st)
			}
			verifyTrail(t, n, id)
		}
	}
}
