package pipeline_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/backend/local/fileblob"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/statetest"
	"github.com/evx-project/evx/shared/request"
)

// preservation is a service provider's legal representative (this deployment, nl-telco-lr)
// that has received es-fge's European Preservation Order, on a clock the test moves.
type preservation struct {
	n        *local.Node
	q        request.Request
	received time.Time // the order's receipt: its period starts here
	mu       sync.Mutex
	now      time.Time
}

func (p *preservation) clock() time.Time { p.mu.Lock(); defer p.mu.Unlock(); return p.now }

func (p *preservation) advance(d time.Duration) { p.mu.Lock(); p.now = p.now.Add(d); p.mu.Unlock() }

// newPreservation opens the node (locking with ret when not nil) and records the order id
// issued and received.
func newPreservation(t *testing.T, id string, ret pipeline.Retainer) *preservation {
	t.Helper()
	p := &preservation{now: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	dir := filepath.Join(t.TempDir(), "agencies.yaml")
	if err := os.WriteFile(dir, []byte(`agencies:
  - {id: es-fge, name: Fiscalía General del Estado, country: ES, legal_bases: [EU-EPOC], handling_codes: [H0], active: true}
  - {id: nl-telco-lr, name: Telco legal representative, country: NL, legal_bases: [EU-EPOC], handling_codes: [H0], active: true, role: both, service_provider: Telco B.V., representation: legal-representative, review_after_days: 30}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	p.n, err = local.OpenNode(t.Context(), t.TempDir(), local.NodeOptions{Directory: dir, Agency: "nl-telco-lr", Clock: p.clock, Retainer: ret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.n.Close() })
	p.q = request.Request{ID: id, Type: request.EPOCPR, Issuer: "es-fge", IssuerPerson: "ana.garcia", IssuingState: "ES",
		Addressee: "nl-telco-lr", LegalBasis: "Regulation (EU) 2023/1543 art. 6", DataCategory: "subscriber", Subject: "subscriber of +34 600 000 001"}
	if _, err := p.n.Requests.Issue(t.Context(), p.q); err != nil {
		t.Fatal(err)
	}
	p.received = p.clock()
	if _, err := p.n.Requests.Act(t.Context(), id, request.Actor{Agency: "nl-telco-lr", Person: "lr.officer"}, request.Action{Type: custody.RequestReceived}); err != nil {
		t.Fatal(err)
	}
	return p
}

// submit uploads a bag of files (name to content) with info, as the legal representative's
// officer, processes it and returns its id; it must be accepted.
func (p *preservation) submit(t *testing.T, files map[string]string, info bagit.Info) string {
	t.Helper()
	ctx := t.Context()
	d := t.TempDir()
	var srcs []string
	for name, body := range files {
		f := filepath.Join(d, name)
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, f)
	}
	bag := filepath.Join(t.TempDir(), "b.zip")
	if _, err := bagit.Create(bag, srcs, bagit.CreateOptions{Info: info}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(bag)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, size, err := p.n.Uploads.Spool(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "nl-telco-lr/lr.officer", Size: size}); err != nil {
		t.Fatal(err)
	}
	st, err := p.n.Service.Process(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Ingest.Accepted {
		t.Fatalf("bundle rejected: %q", st.Ingest.Reasons)
	}
	return id
}

// TestRetentionOfPreservedBundle runs a bundle's retention through the embedded deployment's
// real request book, ledger and document store: a service provider's legal representative
// answers a European Preservation Order; the order's period (60 days from receipt, extended by
// 30) is recorded on the bundle and forbids its disposal even once legal staff authorised it;
// when the period has ended the documents are deleted, except one another bundle still holds,
// the trail stays and verifies, reads are refused, and the retention is rebuilt from the
// exported trail alone.
func TestRetentionOfPreservedBundle(t *testing.T) {
	pr := newPreservation(t, "EPOC-PR-ES-2026-3", nil)
	n, q, received, clock, advance := pr.n, pr.q, pr.received, pr.clock, pr.advance
	ctx := t.Context()
	svc := n.Service
	advance(time.Hour)
	submit := func(files map[string]string, info bagit.Info) string { t.Helper(); return pr.submit(t, files, info) }
	to := bagit.Field{Label: bagit.LabelCounterpart, Value: "es-fge"}
	basis := bagit.Field{Label: bagit.LabelLegalBasis, Value: "EU-EPOC"}
	bundle := submit(map[string]string{"subscriber.txt": "subscriber of +34 600 000 001: J. Doe", "shared.txt": "contract terms 2026"},
		bagit.Info{{Label: bagit.LabelRequestReference, Value: q.ID}, basis, to})
	other := submit(map[string]string{"terms.txt": "contract terms 2026"}, bagit.Info{basis, to})

	sync := func(want int) {
		t.Helper()
		got, err := request.SyncPreservations(ctx, n.Requests, svc.SyncRetention)
		if err != nil || got != want {
			t.Fatalf("SyncPreservations = %d, %v; want %d new", got, err, want)
		}
	}
	asLR := pipeline.ActingAs(ctx, pipeline.Party{Agency: "nl-telco-lr", Person: "lr.legal"})
	retention := func() pipeline.Retention {
		t.Helper()
		r, err := svc.Retention(asLR, bundle)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	sync(1)
	sync(0)
	r := retention()
	if len(r.Holds) != 1 || r.Holds[0].State != custody.PreservationRunning || !r.Holds[0].Until.Equal(received.Add(60*24*time.Hour)) || r.Holds[0].Request != q.ID {
		t.Fatalf("holds after the order's receipt: %+v, want running until receipt + 60 days", r.Holds)
	}
	if want := r.Accepted.Add(30 * 24 * time.Hour); !r.ReviewDue.Equal(want) {
		t.Errorf("review due %v, want acceptance + 30 days (review_after_days) = %v", r.ReviewDue, want)
	}

	// Only the sending agency reviews, with a decision it can keep.
	var nf *pipeline.BundleNotFoundError
	if _, err := svc.ReviewRetention(pipeline.ActingAs(ctx, pipeline.Party{Agency: "es-fge", Person: "x"}), bundle, custody.DecisionDispose, time.Time{}, ""); !errors.As(err, &nf) {
		t.Errorf("review by the receiving agency = %v, want *BundleNotFoundError", err)
	}
	var re *pipeline.RetentionError
	for _, bad := range []struct {
		decision string
		next     time.Time
	}{{"keep", time.Time{}}, {custody.DecisionExtend, clock().Add(-time.Hour)}, {custody.DecisionDispose, clock().Add(time.Hour)}} {
		if _, err := svc.ReviewRetention(asLR, bundle, bad.decision, bad.next, ""); !errors.As(err, &re) {
			t.Errorf("review %q next %v = %v, want *RetentionError", bad.decision, bad.next, err)
		}
	}
	if _, err := svc.Dispose(asLR, bundle); !errors.As(err, &re) {
		t.Fatalf("dispose before a review = %v, want *RetentionError", err)
	}
	en, err := svc.ReviewRetention(asLR, bundle, custody.DecisionDispose, time.Time{}, "case closed")
	if err != nil || en.Event.Type != custody.RetentionReviewed {
		t.Fatalf("review: %+v, %v", en.Event, err)
	}
	if en, err := svc.ReviewRetention(asLR, bundle, custody.DecisionDispose, time.Time{}, "case closed"); err != nil || en.Event.Seq != 0 {
		t.Errorf("the same review again: seq %d, %v; want nothing recorded", en.Event.Seq, err)
	}
	if _, err := svc.Dispose(asLR, bundle); !errors.As(err, &re) {
		t.Fatalf("dispose while preserved = %v, want *RetentionError", err)
	}

	// The issuing authority extends the period by 30 days: recorded on the bundle.
	if _, err := n.Requests.Act(ctx, q.ID, request.Actor{Agency: "es-fge", Person: "ana.garcia"},
		request.Action{Type: custody.RequestExtended, Deadline: "preservation", Extension: 30 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	sync(1)
	if h := retention().Holds[0]; !h.Until.Equal(received.Add(90 * 24 * time.Hour)) {
		t.Fatalf("after the extension: hold until %v, want receipt + 90 days", h.Until)
	}
	advance(89 * 24 * time.Hour)
	if _, err := svc.Dispose(asLR, bundle); !errors.As(err, &re) {
		t.Fatalf("dispose a day before the period ends = %v, want *RetentionError", err)
	}
	advance(2 * 24 * time.Hour)
	if _, err := n.Requests.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	sync(1)
	if h := retention().Holds[0]; h.State != custody.PreservationEnded {
		t.Fatalf("after the period: hold %+v, want ended", h)
	}

	trailBefore, err := svc.Events(ctx, bundle)
	if err != nil {
		t.Fatal(err)
	}
	docs := trailBefore[0].Event.Details.Documents
	en, err = svc.Dispose(asLR, bundle)
	if err != nil || en.Event.Type != custody.DocumentsDisposed {
		t.Fatalf("dispose after the period: %+v, %v", en.Event, err)
	}
	if len(en.Event.Details.Documents) != 1 || en.Event.Details.Documents[0].Name != "data/subscriber.txt" || len(en.Event.Details.Reasons) != 1 {
		t.Errorf("disposed %+v, kept %q; want subscriber.txt deleted and shared.txt kept (held by the other bundle)", en.Event.Details.Documents, en.Event.Details.Reasons)
	}
	for _, d := range docs {
		_, err := n.Blobs.Open(ctx, d.SHA256)
		if gone := errors.Is(err, pipeline.ErrNotFound); gone != (d.Name == "data/subscriber.txt") {
			t.Errorf("%s after disposal: open = %v", d.Name, err)
		}
	}
	if en, err := svc.Dispose(asLR, bundle); err != nil || en.Event.Seq != 0 {
		t.Errorf("dispose again: seq %d, %v; want nothing recorded", en.Event.Seq, err)
	}
	var de *pipeline.DisposedError
	if _, _, err := svc.LegalDocument(ctx, bundle, "data/shared.txt"); !errors.As(err, &de) {
		t.Errorf("legal read after disposal = %v, want *DisposedError", err)
	}
	if res, err := svc.Audit(ctx, []string{bundle, other}); err != nil || len(res) != 1 || res[0].BundleID != other || len(res[0].Reasons) != 0 {
		t.Errorf("fixity audit after disposal = %+v, %v; want only the other bundle checked, intact", res, err)
	}
	if rep, err := svc.Verify(ctx, bundle, custody.VerifyOptions{}); err != nil || rep.Events < 6 {
		t.Errorf("trail after disposal: %+v, %v; want it verified", rep, err)
	}
	tr, err := svc.Export(ctx, bundle, custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rebuilt := pipeline.RetentionOf(tr.EventList(), 30*24*time.Hour)
	if got := retention(); !rebuilt.Disposed || rebuilt.Decision != got.Decision || len(rebuilt.Holds) != 1 || rebuilt.Holds[0] != got.Holds[0] || len(rebuilt.Kept) != 1 {
		t.Errorf("retention rebuilt from the exported trail %+v, want %+v", rebuilt, got)
	}
}

// recordingRetainer records the locks asked for, by document.
type recordingRetainer struct {
	mu    sync.Mutex
	until map[string]time.Time
	calls int
}

func (r *recordingRetainer) Retain(_ context.Context, sum string, until time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if until.After(r.until[sum]) {
		r.until[sum] = until
	}
	return nil
}

// TestRetentionLocks: with a Retainer (S3 Object Lock on AWS) a preserved bundle's documents
// are locked until the period's end while it runs, and, once the order is confirmed and the
// period continues without an end, rolled forward to ContinuingLock from now on every run,
// with or without a new event.
func TestRetentionLocks(t *testing.T) {
	ret := &recordingRetainer{until: map[string]time.Time{}}
	pr := newPreservation(t, "EPOC-PR-ES-2026-9", ret)
	n, q, received, clock, advance := pr.n, pr.q, pr.received, pr.clock, pr.advance
	ctx := t.Context()
	id := pr.submit(t, map[string]string{"subscriber.txt": "subscriber of +34 600 000 001: J. Doe"},
		bagit.Info{{Label: bagit.LabelRequestReference, Value: q.ID}, {Label: bagit.LabelLegalBasis, Value: "EU-EPOC"}, {Label: bagit.LabelCounterpart, Value: "es-fge"}})
	trail, _ := n.Service.Events(ctx, id)
	sum := trail[0].Event.Details.Documents[0].SHA256
	sync := func() {
		t.Helper()
		if _, err := request.SyncPreservations(ctx, n.Requests, n.Service.SyncRetention); err != nil {
			t.Fatal(err)
		}
	}
	sync()
	if got, want := ret.until[sum], received.Add(60*24*time.Hour); !got.Equal(want) {
		t.Fatalf("locked until %v while running, want receipt + 60 days %v", got, want)
	}
	// The issuer confirms that a production order followed: no end, a lock that rolls.
	if _, err := n.Requests.Act(ctx, q.ID, request.Actor{Agency: "es-fge", Person: "ana.garcia"}, request.Action{Type: custody.RequestConfirmed}); err != nil {
		t.Fatal(err)
	}
	advance(24 * time.Hour)
	sync()
	if got, want := ret.until[sum], clock().Add(pipeline.ContinuingLock); !got.Equal(want) {
		t.Fatalf("locked until %v once continuing, want now + ContinuingLock %v", got, want)
	}
	advance(80 * 24 * time.Hour)
	calls := ret.calls
	sync() // no new event: the state did not change, the lock still rolls forward
	if got, want := ret.until[sum], clock().Add(pipeline.ContinuingLock); !got.Equal(want) || ret.calls == calls {
		t.Fatalf("locked until %v 80 days on, want it rolled to %v", got, want)
	}
}

// gatedBlobs is a document store whose Put of one document waits until released, to hold an
// ingest in the middle of storing its documents.
type gatedBlobs struct {
	*fileblob.Store
	sum     string
	entered chan struct{}
	release chan struct{}
}

func (g *gatedBlobs) Put(ctx context.Context, sum string, size int64, r io.Reader) error {
	if sum == g.sum {
		close(g.entered)
		<-g.release
	}
	return g.Store.Put(ctx, sum, size, r)
}

// sharedDoc is the document the disposal races bring in two bundles.
const sharedDoc = "ledger of payments, shared by two cases\n"

// sharedDocBag is a bag for nl-om of sharedDoc alone, named name.
func sharedDocBag(t *testing.T, name string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	os.WriteFile(p, []byte(sharedDoc), 0o600)
	out := filepath.Join(t.TempDir(), "b.zip")
	if _, err := bagit.Create(out, []string{p}, bagit.CreateOptions{Info: bagit.Info{{Label: bagit.LabelCounterpart, Value: "nl-om"},
		{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H0"}}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	return b
}

// nodeService is a Service over n's ports, with the blob store, guard and disposer of c.
func nodeService(t *testing.T, n *local.Node, c pipeline.Config) *pipeline.Service {
	t.Helper()
	c.Ledger, c.Signer, c.Queue, c.Directory = n.Ledger, n.Signer, n.Queue, n.Directory
	c.Deliveries, c.Uploads, c.Bags, c.Receipts, c.Submissions = n.Deliveries, n.Uploads, n.Uploads, n.Receipts, n.Submissions
	c.Origin, c.Intake = n.Service.Origin(), pipeline.BagIntake(extract.Record(extract.DefaultLimits()), bagit.Limits{})
	svc, err := pipeline.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// A disposal waits for an ingest that is storing a document the disposed bundle holds: the
// new bundle then holds it, so the disposal keeps it (it would otherwise delete a document the
// new bundle's acceptance records).
func TestDisposalWaitsForIngest(t *testing.T) {
	ctx := t.Context()
	n, err := local.OpenNode(ctx, t.TempDir(), local.NodeOptions{Directory: "../../infra/counterparts.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	sum := sha256.Sum256([]byte(sharedDoc))
	bagOf := func(name string) []byte { return sharedDocBag(t, name) }
	gate := &gatedBlobs{Store: n.Blobs, sum: hex.EncodeToString(sum[:]), entered: make(chan struct{}), release: make(chan struct{})}
	svc := nodeService(t, n, pipeline.Config{Blobs: gate})
	submit := func(b []byte) string {
		id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "inspector-1", Size: size}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// The first bundle is stored (the gate opens at once for it) and authorised for disposal.
	first := submit(bagOf("ledger.csv"))
	close(gate.release)
	if _, err := svc.Ingest(ctx, first); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ReviewRetention(ctx, first, custody.DecisionDispose, time.Time{}, "case closed"); err != nil {
		t.Fatal(err)
	}
	// The second bundle brings the same document; its ingest stops inside storing it.
	gate.entered, gate.release = make(chan struct{}), make(chan struct{})
	second := submit(bagOf("payments.csv"))
	ingested := make(chan error, 1)
	go func() { _, err := svc.Ingest(ctx, second); ingested <- err }()
	<-gate.entered
	disposed := make(chan error, 1)
	go func() { _, err := svc.Dispose(ctx, first); disposed <- err }()
	select {
	case err := <-disposed:
		t.Fatalf("disposal finished (%v) while an ingest was storing a document it holds", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(gate.release)
	if err := <-ingested; err != nil {
		t.Fatal(err)
	}
	if err := <-disposed; err != nil {
		t.Fatal(err)
	}
	if _, err := n.Blobs.Open(ctx, hex.EncodeToString(sum[:])); err != nil {
		t.Fatalf("the document the second bundle holds was deleted: %v", err)
	}
	trail, _ := svc.Events(ctx, first)
	last := trail[len(trail)-1].Event
	if last.Type != custody.DocumentsDisposed || len(last.Details.Reasons) != 1 || !strings.Contains(last.Details.Reasons[0], second) {
		t.Errorf("disposal recorded %s %q, want the document kept as held by %s", last.Type, last.Details.Reasons, second)
	}
}

// afterPutBlobs stops an ingest right after it stored sum (or found it stored), until
// released: where an ingest on S3, its Put having found the object there, would be when a
// disposal deleted it.
type afterPutBlobs struct {
	*fileblob.Store
	sum     string
	entered chan struct{}
	release chan struct{}
}

func (g *afterPutBlobs) Put(ctx context.Context, sum string, size int64, r io.Reader) error {
	err := g.Store.Put(ctx, sum, size, r)
	if sum == g.sum {
		close(g.entered)
		<-g.release
	}
	return err
}

// gatedDeleter stops a disposal's deletion of sum until released.
type gatedDeleter struct {
	pipeline.BlobDeleter
	sum     string
	entered chan struct{}
	release chan struct{}
}

func (g *gatedDeleter) Delete(ctx context.Context, sum string) error {
	if sum == g.sum {
		close(g.entered)
		<-g.release
	}
	return g.BlobDeleter.Delete(ctx, sum)
}

// Across processes (two Services over the same stores, as the ingest and audit functions on
// AWS: no lock shared), the DocumentGuard orders ingests and disposals. An ingest storing a
// document the disposed bundle holds makes the disposal keep it; a disposal deleting it makes
// the ingest wait, then store it again. Either way the document the new bundle records is
// there at the end. Without the guard the first case deletes it.
func TestDisposalGuardAcrossProcesses(t *testing.T) {
	for _, tc := range []struct {
		name          string
		ingestFirst   bool
		guard         bool
		wantDocStored bool // the race is ordered: the second bundle's document is stored
	}{
		{"ingest-holds-first", true, true, true},
		{"disposal-claims-first", false, true, true},
		{"ingest-first-without-guard", true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			n, err := local.OpenNode(ctx, t.TempDir(), local.NodeOptions{Directory: "../../infra/counterparts.yaml"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { n.Close() })
			h := sha256.Sum256([]byte(sharedDoc))
			sum := hex.EncodeToString(h[:])
			bagOf := func(name string) []byte { return sharedDocBag(t, name) }
			var guard pipeline.DocumentGuard
			if tc.guard {
				guard = &statetest.MemGuard{}
			}
			gate := &afterPutBlobs{Store: n.Blobs, sum: sum, entered: make(chan struct{}), release: make(chan struct{})}
			del := &gatedDeleter{BlobDeleter: n.Blobs, sum: sum, entered: make(chan struct{}), release: make(chan struct{})}
			newService := func(blobs pipeline.BlobStore, disposer pipeline.BlobDeleter) *pipeline.Service {
				return nodeService(t, n, pipeline.Config{Blobs: blobs, Guard: guard, Disposer: disposer})
			}
			ingester, disposer := newService(gate, nil), newService(n.Blobs, del)
			submit := func(b []byte) string {
				id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := ingester.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "inspector-1", Size: size}); err != nil {
					t.Fatal(err)
				}
				return id
			}
			first := submit(bagOf("ledger.csv"))
			close(gate.release)
			if _, err := ingester.Ingest(ctx, first); err != nil {
				t.Fatal(err)
			}
			if _, err := disposer.ReviewRetention(ctx, first, custody.DecisionDispose, time.Time{}, "case closed"); err != nil {
				t.Fatal(err)
			}
			gate.entered, gate.release = make(chan struct{}), make(chan struct{})
			second := submit(bagOf("payments.csv"))
			ingested, disposed := make(chan error, 1), make(chan error, 1)
			if tc.ingestFirst {
				close(del.release) // the disposal's deletes go through
				go func() { _, err := ingester.Ingest(ctx, second); ingested <- err }()
				<-gate.entered // the second ingest holds the document and found it stored
				go func() { _, err := disposer.Dispose(ctx, first); disposed <- err }()
				if err := <-disposed; err != nil {
					t.Fatal(err)
				}
				close(gate.release)
			} else {
				close(gate.release)
				go func() { _, err := disposer.Dispose(ctx, first); disposed <- err }()
				<-del.entered // the disposal claims the document and is deleting it
				go func() { _, err := ingester.Ingest(ctx, second); ingested <- err }()
				select {
				case err := <-ingested:
					t.Fatalf("the ingest finished (%v) while a disposal was deleting a document it brings", err)
				case <-time.After(300 * time.Millisecond):
				}
				close(del.release)
				if err := <-disposed; err != nil {
					t.Fatal(err)
				}
			}
			ingestErr := <-ingested
			_, openErr := n.Blobs.Open(ctx, sum)
			if !tc.wantDocStored {
				// Without the guard the disposal deleted what the ingest had found stored: the
				// ingest fails reading it back, or records a document no longer there.
				if ingestErr == nil && openErr == nil {
					t.Error("without a guard the race went unnoticed: want the ingest to fail or the document gone")
				}
				return
			}
			if ingestErr != nil {
				t.Fatal(ingestErr)
			}
			if res, err := ingester.Ingest(ctx, second); err != nil || !res.Accepted {
				t.Fatalf("second bundle: %+v, %v; want accepted", res, err)
			}
			if openErr != nil {
				t.Errorf("the document the second bundle records is gone: %v", openErr)
			}
			trail, _ := disposer.Events(ctx, first)
			last := trail[len(trail)-1].Event
			kept := len(last.Details.Reasons) == 1 && strings.Contains(last.Details.Reasons[0], second)
			if last.Type != custody.DocumentsDisposed || kept != tc.ingestFirst {
				t.Errorf("disposal recorded %s %q; want the document kept as held by the second bundle: %v", last.Type, last.Details.Reasons, tc.ingestFirst)
			}
		})
	}
}
