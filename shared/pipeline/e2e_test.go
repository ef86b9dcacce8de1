package pipeline_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/directory"
	"github.com/evx-project/evx/shared/pipeline"
)

// testClock is a settable clock shared by the node and the test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond) // every event a distinct time
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testDirectory(t testing.TB) *directory.Directory {
	d, err := directory.New([]pipeline.Counterpart{
		{ID: "nl-om", Name: "Openbaar Ministerie", Country: "NL", LegalBases: []string{"EU-EIO", "CoE-MLA-1959"}, HandlingCodes: []string{"H0", "H1", "H2", "H3"}, Active: true},
		{ID: "es-fge", Name: "Fiscalía Especial Antidroga", Country: "ES", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1", "H2"}, Active: true},
		{ID: "co-fgn", Name: "Fiscalía General de la Nación", Country: "CO", LegalBases: []string{"ES-CO-MLA-1997"}, HandlingCodes: []string{"H0", "H1"}, Active: true},
		{ID: "pt-pj", Name: "Polícia Judiciária", Country: "PT", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0"}, Active: false},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func openNode(t testing.TB, dir string, clock *testClock) *local.Node {
	t.Helper()
	n, err := local.OpenNode(context.Background(), dir, local.NodeOptions{Counterparts: testDirectory(t), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// evidence writes the sample documents into a fresh folder and returns their paths.
func evidence(t testing.TB) []string {
	dir := t.TempDir()
	files := map[string]string{
		"seizure-report.txt": "Seizure report 2026/114\nPort of Rotterdam, container MSCU 123456-7\n412 kg cocaine hydrochloride\n",
		"messages.eml":       "From: a@example.org\r\nTo: b@example.org\r\nSubject: delivery\r\nDate: Mon, 2 Nov 2026 10:00:00 +0100\r\n\r\nThe shipment leaves on Friday.\r\n",
		"ledger.csv":         "date,amount,currency\n2026-10-01,25000,EUR\n2026-10-15,40000,EUR\n",
	}
	var paths []string
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

func info(counterparts ...string) bagit.Info {
	var in bagit.Info
	for _, c := range counterparts {
		in = append(in, bagit.Field{Label: bagit.LabelCounterpart, Value: c})
	}
	return append(in,
		bagit.Field{Label: bagit.LabelRequestReference, Value: "EIO-2026-0042"},
		bagit.Field{Label: bagit.LabelRequestingState, Value: "NL"},
		bagit.Field{Label: bagit.LabelRequestedState, Value: "ES"},
		bagit.Field{Label: bagit.LabelLegalBasis, Value: "EU-EIO"},
		bagit.Field{Label: bagit.LabelHandlingCode, Value: "H1"},
		bagit.Field{Label: bagit.LabelExternalIdentifier, Value: "RTM-2026-114"},
	)
}

// makeBag builds a zip bag of srcs and returns its bytes.
func makeBag(t testing.TB, srcs []string, in bagit.Info) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bundle.zip")
	if _, err := bagit.Create(out, srcs, bagit.CreateOptions{Info: in}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// upload spools and submits a bag as the host does, and returns the bundle id.
func upload(t testing.TB, n *local.Node, bag []byte) string {
	t.Helper()
	ctx := context.Background()
	id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(bag))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "inspector-1", Size: size}); err != nil {
		t.Fatal(err)
	}
	return id
}

func types(t testing.TB, svc *pipeline.Service, bundle string) []custody.EventType {
	t.Helper()
	es, err := svc.Events(context.Background(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	var out []custody.EventType
	for _, e := range es {
		out = append(out, e.Event.Type)
	}
	return out
}

func count(ts []custody.EventType, want custody.EventType) int {
	n := 0
	for _, t := range ts {
		if t == want {
			n++
		}
	}
	return n
}

func verifyTrail(t testing.TB, n *local.Node, bundle string) {
	t.Helper()
	tr, err := n.Service.Export(context.Background(), bundle, custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.VerifyTrail(raw, n.Signer.Public(), custody.VerifyOptions{}); err != nil {
		t.Fatalf("VerifyTrail(%s) = %v, want nil", bundle, err)
	}
}

// pull fetches every document of a delivery as a counterpart and returns the bytes by name.
func pull(t testing.TB, svc *pipeline.Service, cp, delivery string) (*pipeline.Manifest, map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	m, err := svc.Manifest(ctx, cp, delivery)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, d := range m.Documents {
		rc, doc, err := svc.FetchDocument(ctx, cp, delivery, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if doc.SHA256 != d.SHA256 {
			t.Fatalf("FetchDocument(%s) doc sha256 %s, want %s", d.Name, doc.SHA256, d.SHA256)
		}
		got[d.Name] = b
	}
	return m, got
}

func hashes(docs map[string][]byte) []pipeline.ReceiptDocument {
	var out []pipeline.ReceiptDocument
	for name, b := range docs {
		s := sha256.Sum256(b)
		out = append(out, pipeline.ReceiptDocument{Name: name, SHA256: hex.EncodeToString(s[:])})
	}
	slices.SortFunc(out, func(a, b pipeline.ReceiptDocument) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func onlyDelivery(t testing.TB, svc *pipeline.Service, cp string) pipeline.Delivery {
	t.Helper()
	ds, err := svc.ListDeliveries(context.Background(), cp)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("ListDeliveries(%s) = %d deliveries, want 1", cp, len(ds))
	}
	return ds[0]
}

func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	svc := n.Service
	srcs := evidence(t)
	id := upload(t, n, makeBag(t, srcs, info("nl-om", "es-fge")))

	st, err := svc.Process(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Ingest.Accepted || st.Upload.State != pipeline.UploadRouted || len(st.Deliveries) != 2 {
		t.Fatalf("Process = accepted %v, state %s, %d deliveries, reasons %q; want accepted, routed, 2",
			st.Ingest.Accepted, st.Upload.State, len(st.Deliveries), st.Ingest.Reasons)
	}
	if got := st.Ingest.Request; got == nil || got.LegalBasis != "EU-EIO" || got.CaseReference != "RTM-2026-114" {
		t.Errorf("acceptance request = %+v, want legal basis EU-EIO, case RTM-2026-114", got)
	}
	// Every document recorded with size, hashes, media type and a stored extraction.
	if len(st.Ingest.Documents) != len(srcs) {
		t.Fatalf("accepted %d documents, want %d", len(st.Ingest.Documents), len(srcs))
	}
	for _, d := range st.Ingest.Documents {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(srcs[0]), strings.TrimPrefix(d.Name, "data/")))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		if d.SHA256 != hex.EncodeToString(s[:]) || d.Size != int64(len(b)) || d.SHA512 == "" || d.MediaType == "" {
			t.Errorf("document %+v: want sha256 %x, size %d, sha512 and media type set", d, s, len(b))
		}
		rc, err := n.Blobs.Open(ctx, d.Extraction)
		if err != nil {
			t.Fatalf("extraction of %s: %v", d.Name, err)
		}
		x, _ := io.ReadAll(rc)
		rc.Close()
		if strings.HasSuffix(d.Name, ".txt") && !strings.Contains(string(x), "412 kg cocaine") {
			t.Errorf("extraction of %s = %s, want the report's text", d.Name, x)
		}
		if strings.HasSuffix(d.Name, ".eml") && d.MediaType != "message/rfc822" {
			t.Errorf("media type of %s = %s, want message/rfc822", d.Name, d.MediaType)
		}
	}

	// Each counterpart got one notice on its own queue.
	for _, cp := range []string{"nl-om", "es-fge"} {
		msgs, err := n.Queue.Receive(ctx, pipeline.QueueName(cp), 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 {
			t.Fatalf("queue %s holds %d messages, want 1", cp, len(msgs))
		}
		var no pipeline.Notice
		if err := json.Unmarshal(msgs[0].Body, &no); err != nil || no.Bundle != id || no.Delivery != pipeline.DeliveryID(id, cp) {
			t.Errorf("notice %s = %+v (%v), want delivery %s of %s", cp, no, err, pipeline.DeliveryID(id, cp), id)
		}
	}

	nl, es := onlyDelivery(t, svc, "nl-om"), onlyDelivery(t, svc, "es-fge")
	if nl.Deadline.Sub(nl.Created) != pipeline.DefaultReceiptWindow {
		t.Errorf("deadline %v after creation, want %v", nl.Deadline.Sub(nl.Created), pipeline.DefaultReceiptWindow)
	}

	// nl-om pulls, checks and accepts.
	_, docs := pull(t, svc, "nl-om", nl.ID)
	rc, err := svc.PostReceipt(ctx, "nl-om", nl.ID, pipeline.ReceiptRequest{Accepted: true, Documents: hashes(docs)})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Outcome != custody.ConsignmentAcceptance {
		t.Errorf("receipt outcome %s, want ConsignmentAcceptance", rc.Outcome)
	}
	if err := pipeline.VerifyReceipt(rc, n.Signer.Public()); err != nil {
		t.Errorf("VerifyReceipt = %v, want nil", err)
	}
	if _, err := custody.OpenCheckpoint([]byte(rc.Checkpoint), n.Signer.Public()); err != nil {
		t.Errorf("receipt checkpoint: %v", err)
	}
	forged := *rc
	forged.Outcome = custody.ConsignmentRejection
	if err := pipeline.VerifyReceipt(&forged, n.Signer.Public()); !errors.Is(err, custody.ErrBadSignature) {
		t.Errorf("VerifyReceipt(altered) = %v, want ErrBadSignature", err)
	}

	// es-fge gets a tampered copy (one byte flipped on its side), detects it and rejects.
	_, docs = pull(t, svc, "es-fge", es.ID)
	var victim string
	for name := range docs {
		victim = name
		break
	}
	docs[victim][0] ^= 0x20
	if _, err := svc.PostReceipt(ctx, "es-fge", es.ID, pipeline.ReceiptRequest{Accepted: true, Documents: hashes(docs)}); !errors.As(err, new(*pipeline.ReceiptMismatchError)) {
		t.Fatalf("accepting a tampered copy = %v, want *ReceiptMismatchError", err)
	}
	rj, err := svc.PostReceipt(ctx, "es-fge", es.ID, pipeline.ReceiptRequest{Accepted: false, Reasons: []string{"hash check failed"}, Documents: hashes(docs)})
	if err != nil {
		t.Fatal(err)
	}
	if rj.Outcome != custody.ConsignmentRejection || len(rj.Mismatches) != 1 || rj.Mismatches[0].Name != victim {
		t.Errorf("rejection = %s, mismatches %+v; want ConsignmentRejection naming %s", rj.Outcome, rj.Mismatches, victim)
	}
	if err := pipeline.VerifyReceipt(rj, n.Signer.Public()); err != nil {
		t.Errorf("VerifyReceipt(rejection) = %v", err)
	}

	// A second receipt is a conflict and records nothing.
	before := types(t, svc, id)
	_, err = svc.PostReceipt(ctx, "nl-om", nl.ID, pipeline.ReceiptRequest{Accepted: false, Reasons: []string{"changed my mind"}})
	var conflict *pipeline.ReceiptConflictError
	if !errors.As(err, &conflict) || conflict.Recorded != custody.ConsignmentAcceptance {
		t.Errorf("second receipt = %v, want *ReceiptConflictError naming ConsignmentAcceptance", err)
	}
	if after := types(t, svc, id); len(after) != len(before) {
		t.Errorf("second receipt recorded %d events, want 0", len(after)-len(before))
	}
	for cp, want := range map[string]pipeline.DeliveryState{"nl-om": pipeline.DeliveryAccepted, "es-fge": pipeline.DeliveryRejected} {
		if d := onlyDelivery(t, svc, cp); d.State != want {
			t.Errorf("delivery of %s state %s, want %s", cp, d.State, want)
		}
	}

	// Expiry has nothing to do: both answered, even long after the deadline.
	clock.Advance(30 * 24 * time.Hour)
	if exp, err := svc.Expire(ctx); err != nil || len(exp) != 0 {
		t.Errorf("Expire = %d, %v; want none", len(exp), err)
	}

	got := types(t, svc, id)
	want := []custody.EventType{custody.SubmissionAcceptance, custody.ContentConsignment, custody.ContentConsignment}
	if !slices.Equal(got[:3], want) {
		t.Errorf("trail starts %v, want %v", got[:3], want)
	}
	if c := count(got, custody.ContentAccessTracking); c != 2*len(srcs) {
		t.Errorf("%d ContentAccessTracking, want %d", c, 2*len(srcs))
	}
	if count(got, custody.ConsignmentAcceptance) != 1 || count(got, custody.ConsignmentRejection) != 1 {
		t.Errorf("trail %v: want one ConsignmentAcceptance and one ConsignmentRejection", got)
	}
	verifyTrail(t, n, id)

	// Verification with the documents folder checks every recorded hash too.
	rep, err := svc.Verify(ctx, id, custody.VerifyOptions{Documents: filepath.Dir(srcs[0])})
	if err != nil || rep.DocumentsCheck == 0 {
		t.Errorf("Verify with documents = %+v, %v; want documents checked", rep, err)
	}

	// Fixity: stored blobs match the record.
	fx, err := svc.Fixity(ctx, id)
	if err != nil || fx.Event.Type != custody.FixityCheck || len(fx.Event.Details.Reasons) != 0 {
		t.Errorf("Fixity = %+v, %v; want a clean FixityCheck", fx.Event.Details, err)
	}
}

func TestCrossCounterpartAccessDenied(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir(), newClock())
	svc := n.Service
	id := upload(t, n, makeBag(t, evidence(t), info("nl-om", "es-fge")))
	if _, err := svc.Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	nl := onlyDelivery(t, svc, "nl-om")
	m, err := svc.Manifest(ctx, "nl-om", nl.ID)
	if err != nil {
		t.Fatal(err)
	}
	doc := m.Documents[0].Name
	before := types(t, svc, id)
	for _, cp := range []string{"es-fge", "co-fgn", "unknown", ""} {
		var nf *pipeline.DeliveryNotFoundError
		if _, err := svc.Manifest(ctx, cp, nl.ID); !errors.As(err, &nf) || !errors.Is(err, pipeline.ErrNotFound) {
			t.Errorf("Manifest as %q = %v, want *DeliveryNotFoundError", cp, err)
		}
		if rc, _, err := svc.FetchDocument(ctx, cp, nl.ID, doc); !errors.As(err, &nf) {
			if rc != nil {
				rc.Close()
			}
			t.Errorf("FetchDocument as %q = %v, want *DeliveryNotFoundError", cp, err)
		}
		if _, err := svc.PostReceipt(ctx, cp, nl.ID, pipeline.ReceiptRequest{Accepted: true}); !errors.As(err, &nf) {
			t.Errorf("PostReceipt as %q = %v, want *DeliveryNotFoundError", cp, err)
		}
		ds, _ := svc.ListDeliveries(ctx, cp)
		for _, d := range ds {
			if d.ID == nl.ID {
				t.Errorf("ListDeliveries(%q) lists nl-om's delivery", cp)
			}
		}
	}
	// An unknown delivery looks the same as another counterpart's.
	if _, err := svc.Manifest(ctx, "nl-om", "d-0000"); !errors.As(err, new(*pipeline.DeliveryNotFoundError)) {
		t.Errorf("Manifest(unknown) = %v, want *DeliveryNotFoundError", err)
	}
	if _, _, err := svc.FetchDocument(ctx, "nl-om", nl.ID, "data/../../etc/passwd"); !errors.As(err, new(*pipeline.DocumentNotFoundError)) {
		t.Errorf("FetchDocument(outside the bag) = %v, want *DocumentNotFoundError", err)
	}
	if after := types(t, svc, id); len(after) != len(before) {
		t.Errorf("denied calls recorded %d events, want 0", len(after)-len(before))
	}
}

func TestIngestTwiceIsOneBundle(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir(), newClock())
	bag := makeBag(t, evidence(t), info("nl-om", "es-fge"))
	id1 := upload(t, n, bag)
	if _, err := n.Service.Process(ctx, id1); err != nil {
		t.Fatal(err)
	}
	id2 := upload(t, n, bag) // the same bytes again
	if id2 != id1 {
		t.Fatalf("same upload got bundle ids %s and %s", id1, id2)
	}
	for range 2 {
		if _, err := n.Service.Process(ctx, id2); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Service.Ingest(ctx, id2); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Service.Route(ctx, id2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n.Service.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	assertDeliveredOnce(t, n, id1, []string{"nl-om", "es-fge"})
}

// assertDeliveredOnce checks one acceptance, one consignment, one delivery and one queued
// notice per counterpart, and a verifying trail.
func assertDeliveredOnce(t testing.TB, n *local.Node, id string, cps []string) {
	t.Helper()
	assertBundlesDeliveredOnce(t, n, []string{id}, cps)
}

// assertBundlesDeliveredOnce does what assertDeliveredOnce does for several bundles at once
// (the queues are drained once).
func assertBundlesDeliveredOnce(t testing.TB, n *local.Node, ids []string, cps []string) {
	t.Helper()
	ctx := context.Background()
	notices := map[string]map[string]int{}
	for _, cp := range cps {
		notices[cp] = map[string]int{}
		for {
			msgs, err := n.Queue.Receive(ctx, pipeline.QueueName(cp), 10, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) == 0 {
				break
			}
			for _, m := range msgs {
				var no pipeline.Notice
				if err := json.Unmarshal(m.Body, &no); err != nil {
					t.Fatal(err)
				}
				notices[cp][no.Bundle]++
			}
		}
	}
	for _, id := range ids {
		got := types(t, n.Service, id)
		if count(got, custody.SubmissionAcceptance) != 1 || count(got, custody.SubmissionRejection) != 0 {
			t.Fatalf("trail of %s %v: want exactly one SubmissionAcceptance", id, got)
		}
		if c := count(got, custody.ContentConsignment); c != len(cps) {
			t.Fatalf("trail of %s %v: %d ContentConsignment, want %d", id, got, c, len(cps))
		}
		u, err := n.Uploads.Upload(ctx, id)
		if err != nil || u.State != pipeline.UploadRouted {
			t.Fatalf("upload %s state %s (%v), want routed", id, u.State, err)
		}
		for _, cp := range cps {
			ds, err := n.Service.ListDeliveries(ctx, cp)
			if err != nil {
				t.Fatal(err)
			}
			c := 0
			for _, d := range ds {
				if d.BundleID == id {
					c++
				}
			}
			if c != 1 {
				t.Fatalf("%s has %d deliveries of %s, want 1", cp, c, id)
			}
			if notices[cp][id] != 1 {
				t.Fatalf("queue of %s holds %d notices of %s, want 1", cp, notices[cp][id], id)
			}
		}
		verifyTrail(t, n, id)
	}
}

func TestPartialRouting(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir(), newClock())
	id := upload(t, n, makeBag(t, evidence(t), info("nl-om", "pt-pj", "xx-nobody", "co-fgn")))
	st, err := n.Service.Process(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Ingest.Accepted || !slices.Equal(st.Ingest.Counterparts, []string{"nl-om"}) {
		t.Fatalf("Process = accepted %v for %v, want accepted for [nl-om]", st.Ingest.Accepted, st.Ingest.Counterparts)
	}
	joined := strings.Join(st.Ingest.Reasons, "\n")
	for _, want := range []string{`"xx-nobody" is not in the counterpart directory`, "pt-pj (Polícia Judiciária) is inactive", `co-fgn does not accept legal basis "EU-EIO"`} {
		if !strings.Contains(joined, want) {
			t.Errorf("reasons %q do not say %q", st.Ingest.Reasons, want)
		}
	}
	assertDeliveredOnce(t, n, id, []string{"nl-om"})
	for _, cp := range []string{"pt-pj", "co-fgn"} {
		if ds, _ := n.Service.ListDeliveries(ctx, cp); len(ds) != 0 {
			t.Errorf("refused counterpart %s has %d deliveries", cp, len(ds))
		}
	}
}

func TestExpiry(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	svc := n.Service
	id := upload(t, n, makeBag(t, evidence(t), info("nl-om", "es-fge")))
	if _, err := svc.Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	nl := onlyDelivery(t, svc, "nl-om")
	_, docs := pull(t, svc, "nl-om", nl.ID)
	if _, err := svc.PostReceipt(ctx, "nl-om", nl.ID, pipeline.ReceiptRequest{Accepted: true, Documents: hashes(docs)}); err != nil {
		t.Fatal(err)
	}
	if exp, err := svc.Expire(ctx); err != nil || len(exp) != 0 {
		t.Fatalf("Expire before the deadline = %d, %v; want none", len(exp), err)
	}
	clock.Advance(pipeline.DefaultReceiptWindow + time.Hour)
	for i := range 3 {
		exp, err := svc.Expire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[int]int{0: 1}[i]; len(exp) != want {
			t.Fatalf("Expire run %d expired %d deliveries, want %d", i+1, len(exp), want)
		}
	}
	es := onlyDelivery(t, svc, "es-fge")
	if es.State != pipeline.DeliveryExpired {
		t.Errorf("es-fge delivery state %s, want expired", es.State)
	}
	got := types(t, svc, id)
	if count(got, custody.AcceptanceRejectionExpiry) != 1 {
		t.Errorf("trail %v: want one AcceptanceRejectionExpiry", got)
	}
	var conflict *pipeline.ReceiptConflictError
	if _, err := svc.PostReceipt(ctx, "es-fge", es.ID, pipeline.ReceiptRequest{Accepted: true}); !errors.As(err, &conflict) || conflict.Recorded != custody.AcceptanceRejectionExpiry {
		t.Errorf("receipt after expiry = %v, want *ReceiptConflictError naming AcceptanceRejectionExpiry", err)
	}
	verifyTrail(t, n, id)
}

// A receipt posted after the deadline, before expiry ran, records the expiry itself.
func TestLateReceiptExpires(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	id := upload(t, n, makeBag(t, evidence(t), info("nl-om")))
	if _, err := n.Service.Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	nl := onlyDelivery(t, n.Service, "nl-om")
	_, docs := pull(t, n.Service, "nl-om", nl.ID)
	clock.Advance(pipeline.DefaultReceiptWindow + time.Second)
	if _, err := n.Service.PostReceipt(ctx, "nl-om", nl.ID, pipeline.ReceiptRequest{Accepted: true, Documents: hashes(docs)}); !errors.As(err, new(*pipeline.ReceiptConflictError)) {
		t.Fatalf("late receipt = %v, want *ReceiptConflictError", err)
	}
	got := types(t, n.Service, id)
	if count(got, custody.AcceptanceRejectionExpiry) != 1 || count(got, custody.ConsignmentAcceptance) != 0 {
		t.Errorf("trail %v: want the expiry and no acceptance", got)
	}
}
