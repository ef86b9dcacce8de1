package pipeline_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
)

// receiptFixture is one routed bundle with a fresh delivery to nl-om, whose documents the
// counterpart has pulled.
type receiptFixture struct {
	svc      *pipeline.Service
	bundle   string
	delivery string
	recorded []custody.Document         // as the consignment records them
	right    []pipeline.ReceiptDocument // the hashes of what nl-om fetched, sorted by name
}

// newDelivery ingests and routes a bundle of its own (tag makes its content unique) on node
// n and pulls it as nl-om.
func newDelivery(t *testing.T, svc *pipeline.Service, up func(bag []byte) string, tag string) receiptFixture {
	t.Helper()
	ctx := context.Background()
	srcs := evidence(t)
	extra := filepath.Join(t.TempDir(), "case-note.txt")
	if err := os.WriteFile(extra, []byte("case note for "+tag+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id := up(makeBag(t, append(srcs, extra), info("nl-om")))
	if _, err := svc.Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	d := pipeline.DeliveryID(id, "nl-om")
	m, docs := pull(t, svc, "nl-om", d)
	if len(docs) != 4 {
		t.Fatalf("delivery of %s holds %d documents, want 4", tag, len(docs))
	}
	return receiptFixture{svc: svc, bundle: id, delivery: d, recorded: m.Documents, right: hashes(docs)}
}

// lastEvent is the newest event of the bundle's trail.
func lastEvent(t *testing.T, svc *pipeline.Service, bundle string) custody.Event {
	t.Helper()
	es, err := svc.Events(context.Background(), bundle)
	if err != nil || len(es) == 0 {
		t.Fatalf("Events(%s) = %d, %v", bundle, len(es), err)
	}
	return es[len(es)-1].Event
}

func names(ds []custody.Document) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	slices.Sort(out)
	return out
}

// TestPostReceiptRules posts one receipt per rule of PostReceipt, each on a delivery of its
// own, and checks the typed error, or what was recorded and signed.
func TestPostReceiptRules(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	up := func(bag []byte) string { return upload(t, n, bag) }
	upper := strings.ToUpper

	type edit func(f receiptFixture) pipeline.ReceiptRequest
	// withSum replaces the reported sha256 of document i.
	withSum := func(docs []pipeline.ReceiptDocument, i int, sum string) []pipeline.ReceiptDocument {
		docs = slices.Clone(docs)
		docs[i].SHA256 = sum
		return docs
	}
	otherSum := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		req  edit
		// wantErr is the error type ("" for success); reason a part of its text.
		wantErr, reason string
		// On success: the outcome, the documents recorded as confirmed, the reasons recorded.
		outcome   custody.EventType
		confirmed func(f receiptFixture) []string
		reasons   func(f receiptFixture) []string
		findings  func(f receiptFixture) []string // evx's own; nil: none
	}{
		{name: "accept-matching", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: true, Documents: f.right}
		}, outcome: custody.ConsignmentAcceptance,
			confirmed: func(f receiptFixture) []string { return names(f.recorded) },
			reasons:   func(receiptFixture) []string { return nil }},
		{name: "accept-with-notes", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: true, Documents: f.right, Reasons: []string{"", "filed under 2026/114"}}
		}, outcome: custody.ConsignmentAcceptance,
			confirmed: func(f receiptFixture) []string { return names(f.recorded) },
			reasons:   func(receiptFixture) []string { return []string{"filed under 2026/114"} }},
		{name: "reject-without-reason", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: false, Documents: f.right}
		}, wantErr: "InvalidReceiptError", reason: "at least one reason"},
		{name: "reject-with-empty-reasons-only", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: false, Documents: f.right, Reasons: []string{"", ""}}
		}, wantErr: "InvalidReceiptError", reason: "at least one reason"},
		{name: "too-many-documents", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: true, Documents: append(slices.Clone(f.right), pipeline.ReceiptDocument{Name: "data/extra.txt", SHA256: otherSum})}
		}, wantErr: "InvalidReceiptError", reason: "5 documents reported, the delivery has 4"},
		{name: "duplicate-name", req: func(f receiptFixture) pipeline.ReceiptRequest {
			docs := slices.Clone(f.right[:3])
			docs[2] = docs[0]
			return pipeline.ReceiptRequest{Accepted: false, Reasons: []string{"x"}, Documents: docs}
		}, wantErr: "InvalidReceiptError", reason: "reported twice"},
		{name: "sha256-not-lowercase-hex", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: true, Documents: withSum(f.right, 1, upper(f.right[1].SHA256))}
		}, wantErr: "InvalidReceiptError", reason: "not 64 lowercase hex digits"},
		{name: "sha256-too-short", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: false, Reasons: []string{"x"}, Documents: withSum(f.right, 0, f.right[0].SHA256[:63])}
		}, wantErr: "InvalidReceiptError", reason: "not 64 lowercase hex digits"},
		{name: "unknown-name", req: func(f receiptFixture) pipeline.ReceiptRequest {
			docs := slices.Clone(f.right)
			docs[3].Name = "data/not-delivered.txt"
			return pipeline.ReceiptRequest{Accepted: false, Reasons: []string{"x"}, Documents: docs}
		}, wantErr: "InvalidReceiptError", reason: "not in the delivery"},
		{name: "too-many-reasons", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: false, Documents: f.right, Reasons: make([]string, pipeline.MaxReasons+1)}
		}, wantErr: "InvalidReceiptError", reason: "reasons given"},
		{name: "reasons-at-limit", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: false, Documents: f.right, Reasons: manyReasons(pipeline.MaxReasons)}
		}, outcome: custody.ConsignmentRejection,
			confirmed: func(f receiptFixture) []string { return names(f.recorded) },
			reasons:   func(receiptFixture) []string { return manyReasons(pipeline.MaxReasons) }},
		{name: "reason-at-byte-limit", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: false, Documents: f.right, Reasons: []string{strings.Repeat("x", pipeline.MaxReasonBytes)}}
		}, outcome: custody.ConsignmentRejection,
			confirmed: func(f receiptFixture) []string { return names(f.recorded) },
			reasons:   func(receiptFixture) []string { return []string{strings.Repeat("x", pipeline.MaxReasonBytes)} }},
		{name: "reason-too-long", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: false, Documents: f.right, Reasons: []string{strings.Repeat("x", pipeline.MaxReasonBytes+1)}}
		}, wantErr: "InvalidReceiptError", reason: "at most"},
		{name: "reason-not-utf8", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: false, Documents: f.right, Reasons: []string{"bad \xff byte"}}
		}, wantErr: "InvalidReceiptError", reason: "UTF-8"},
		{name: "accept-leaving-a-document-out", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: true, Documents: f.right[1:]}
		}, wantErr: "ReceiptMismatchError"},
		{name: "accept-with-a-wrong-hash", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: true, Documents: withSum(f.right, 2, otherSum)}
		}, wantErr: "ReceiptMismatchError"},
		{name: "reject-mismatch-without-reason", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: false, Documents: withSum(f.right, 2, otherSum)}
		}, outcome: custody.ConsignmentRejection,
			confirmed: func(f receiptFixture) []string { return names(without(f.recorded, f.right[2].Name)) },
			reasons:   func(f receiptFixture) []string { return nil },
			findings: func(f receiptFixture) []string {
				return []string{f.right[2].Name + ": counterpart computed sha256 " + otherSum + ", recorded " + f.right[2].SHA256}
			}},
		{name: "reject-leaving-a-document-out", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: false, Reasons: []string{"one file did not arrive"}, Documents: f.right[:3]}
		}, outcome: custody.ConsignmentRejection,
			confirmed: func(f receiptFixture) []string { return names(without(f.recorded, f.right[3].Name)) },
			reasons:   func(f receiptFixture) []string { return []string{"one file did not arrive"} },
			findings: func(f receiptFixture) []string {
				return []string{f.right[3].Name + ": no sha256 reported, recorded " + f.right[3].SHA256}
			}},
		{name: "reject-all-matching", req: func(f receiptFixture) pipeline.ReceiptRequest {
			return pipeline.ReceiptRequest{Accepted: false, Reasons: []string{"not the evidence requested"}, Documents: f.right}
		}, outcome: custody.ConsignmentRejection,
			confirmed: func(f receiptFixture) []string { return names(f.recorded) },
			reasons:   func(receiptFixture) []string { return []string{"not the evidence requested"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newDelivery(t, n.Service, up, tc.name)
			before := lastEvent(t, f.svc, f.bundle)
			req := tc.req(f)
			rc, err := f.svc.PostReceipt(ctx, "nl-om", f.delivery, req)
			if tc.wantErr != "" {
				if got := typeName(err); got != tc.wantErr || !strings.Contains(err.Error(), tc.reason) {
					t.Fatalf("PostReceipt = %v (%s), want *%s saying %q", err, got, tc.wantErr, tc.reason)
				}
				if after := lastEvent(t, f.svc, f.bundle); after.Hash != before.Hash {
					t.Errorf("refused receipt recorded %s", after.Type)
				}
				var me *pipeline.ReceiptMismatchError
				if errors.As(err, &me) {
					checkMismatches(t, me.Mismatches, f, req)
				}
				return
			}
			if err != nil {
				t.Fatalf("PostReceipt = %v, want a receipt", err)
			}
			e := lastEvent(t, f.svc, f.bundle)
			if e.Type != tc.outcome || rc.Outcome != tc.outcome || e.Seq != before.Seq+1 {
				t.Fatalf("recorded %s (seq %d), receipt %s; want %s at seq %d", e.Type, e.Seq, rc.Outcome, tc.outcome, before.Seq+1)
			}
			if e.Actor != (custody.Actor{Kind: custody.ActorCounterpart, ID: "nl-om"}) || e.Details.Counterpart != "nl-om" || e.Details.Reference == "" {
				t.Errorf("event actor %+v, counterpart %q, reference %q; want nl-om and the consignment's reference", e.Actor, e.Details.Counterpart, e.Details.Reference)
			}
			if got, want := names(e.Details.Documents), tc.confirmed(f); !slices.Equal(got, want) {
				t.Errorf("confirmed documents %q, want %q", got, want)
			}
			for _, d := range e.Details.Documents {
				i := slices.IndexFunc(f.recorded, func(r custody.Document) bool { return r.Name == d.Name })
				if i < 0 || d.SHA256 != f.recorded[i].SHA256 || d.Size != f.recorded[i].Size {
					t.Errorf("confirmed %+v, want the recorded hash and size", d)
				}
			}
			if got, want := e.Details.Reasons, tc.reasons(f); !slices.Equal(got, want) || !slices.Equal(rc.Reasons, want) {
				t.Errorf("reasons recorded %q, in the receipt %q; want %q", got, rc.Reasons, want)
			}
			// evx's own findings are apart from the counterpart's reasons, never credited to it.
			var wantFindings []string
			if tc.findings != nil {
				wantFindings = tc.findings(f)
			}
			if got := e.Details.Findings; !slices.Equal(got, wantFindings) || !slices.Equal(rc.Findings, wantFindings) {
				t.Errorf("findings recorded %q, in the receipt %q; want %q", got, rc.Findings, wantFindings)
			}
			checkMismatches(t, rc.Mismatches, f, req)
			if rc.EventHash != e.Hash || rc.EventSeq != e.Seq || rc.Bundle != f.bundle || rc.Delivery != f.delivery ||
				rc.Counterpart != "nl-om" || rc.KeyID != n.Signer.KeyID() || !slices.Equal(names(rc.Documents), names(f.recorded)) {
				t.Errorf("receipt %+v does not describe event %d (%s)", rc, e.Seq, e.Hash)
			}
			if err := pipeline.VerifyReceipt(rc, n.Signer.Public()); err != nil {
				t.Errorf("VerifyReceipt = %v, want nil", err)
			}
			// A second, different receipt, of either kind, is a conflict (an identical retry
			// gets the stored receipt: TestRoles in shared/api).
			_, err = f.svc.PostReceipt(ctx, "nl-om", f.delivery, pipeline.ReceiptRequest{Accepted: true, Reasons: []string{"a second, different receipt"}, Documents: f.right})
			var ce *pipeline.ReceiptConflictError
			if !errors.As(err, &ce) || ce.Recorded != tc.outcome {
				t.Errorf("second receipt = %v, want *ReceiptConflictError naming %s", err, tc.outcome)
			}
		})
	}
}

// checkMismatches: the mismatches are exactly the recorded documents whose reported hash
// differs or is missing, with both hashes.
func checkMismatches(t *testing.T, got []pipeline.HashMismatch, f receiptFixture, req pipeline.ReceiptRequest) {
	t.Helper()
	reported := map[string]string{}
	for _, d := range req.Documents {
		reported[d.Name] = d.SHA256
	}
	var want []pipeline.HashMismatch
	for _, r := range f.recorded {
		if reported[r.Name] != r.SHA256 {
			want = append(want, pipeline.HashMismatch{Name: r.Name, Want: r.SHA256, Got: reported[r.Name]})
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("mismatches %+v, want %+v", got, want)
	}
}

func manyReasons(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("reason %d", i)
	}
	return out
}

func without(ds []custody.Document, name string) []custody.Document {
	return slices.DeleteFunc(slices.Clone(ds), func(d custody.Document) bool { return d.Name == name })
}

// typeName names the pipeline error type err is, "" for nil.
func typeName(err error) string {
	var (
		ie *pipeline.InvalidReceiptError
		me *pipeline.ReceiptMismatchError
		ce *pipeline.ReceiptConflictError
		nf *pipeline.DeliveryNotFoundError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ie):
		return "InvalidReceiptError"
	case errors.As(err, &me):
		return "ReceiptMismatchError"
	case errors.As(err, &ce):
		return "ReceiptConflictError"
	case errors.As(err, &nf):
		return "DeliveryNotFoundError"
	}
	return "untyped"
}

// staleLedger serves, for its first read of a trail, the trail as it was before: what a
// receipt racing another one reads.
type staleLedger struct {
	custody.Ledger
	stale  []custody.Entry
	served *bool
}

func (l staleLedger) Events(ctx context.Context, id string) ([]custody.Entry, error) {
	if !*l.served {
		*l.served = true
		return l.stale, nil
	}
	return l.Ledger.Events(ctx, id)
}

// TestPostReceiptRaceRecordsOneOutcome: a receipt that read the trail before another receipt
// was recorded is refused by the check made again inside the append.
func TestPostReceiptRaceRecordsOneOutcome(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	f := newDelivery(t, n.Service, func(bag []byte) string { return upload(t, n, bag) }, "race")
	stale, err := n.Service.Events(ctx, f.bundle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.PostReceipt(ctx, "nl-om", f.delivery, pipeline.ReceiptRequest{Accepted: true, Documents: f.right}); err != nil {
		t.Fatal(err)
	}
	served := false
	svc, err := pipeline.New(pipeline.Config{
		Blobs: n.Blobs, Ledger: staleLedger{Ledger: n.Ledger, stale: stale, served: &served}, Signer: n.Signer,
		Queue: n.Queue, Directory: n.Directory, Deliveries: n.Deliveries, Uploads: n.Uploads, Bags: n.Uploads,
		Origin: "evx.test/race", Clock: clock.Now,
		Intake: pipeline.BagIntake(extract.Record(extract.DefaultLimits()), bagit.Limits{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.PostReceipt(ctx, "nl-om", f.delivery, pipeline.ReceiptRequest{Accepted: false, Reasons: []string{"late second thoughts"}, Documents: f.right})
	var ce *pipeline.ReceiptConflictError
	if !served || !errors.As(err, &ce) || ce.Recorded != custody.ConsignmentAcceptance {
		t.Fatalf("racing receipt = %v (stale read served: %v), want *ReceiptConflictError naming ConsignmentAcceptance", err, served)
	}
	es, err := n.Service.Events(ctx, f.bundle)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != len(stale)+1 {
		t.Errorf("trail grew by %d events, want 1", len(es)-len(stale))
	}
}

// TestVerifyReceiptChecks: a receipt re-signed by evx's key after a change to its format or
// its key id still fails, for that reason; so do a signature that is not base64, an altered
// field and another key.
func TestVerifyReceiptChecks(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	f := newDelivery(t, n.Service, func(bag []byte) string { return upload(t, n, bag) }, "verify")
	rc, err := n.Service.PostReceipt(ctx, "nl-om", f.delivery, pipeline.ReceiptRequest{Accepted: true, Documents: f.right})
	if err != nil {
		t.Fatal(err)
	}
	pub := n.Signer.Public()
	if err := pipeline.VerifyReceipt(rc, pub); err != nil {
		t.Fatalf("VerifyReceipt = %v, want nil", err)
	}
	// resign signs r as PostReceipt does: the RFC 8785 form without the signature field.
	resign := func(r pipeline.Receipt) *pipeline.Receipt {
		r.Signature = ""
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		c, err := custody.Canonicalize(raw)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := n.Signer.Sign(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		r.Signature = base64.StdEncoding.EncodeToString(sig)
		return &r
	}
	if err := pipeline.VerifyReceipt(resign(*rc), pub); err != nil {
		t.Fatalf("VerifyReceipt(re-signed unchanged) = %v, want nil: the test signs as PostReceipt does", err)
	}
	seed := sha256.Sum256([]byte("another key"))
	otherPub := ed25519.NewKeyFromSeed(seed[:]).Public()
	otherID, err := custody.KeyIDOf(otherPub)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want string
		r          func() *pipeline.Receipt
		pub        any
	}{
		{"other-format", "format", func() *pipeline.Receipt { c := *rc; c.Format = "evx-receipt/2"; return resign(c) }, pub},
		{"no-format", "format", func() *pipeline.Receipt { c := *rc; c.Format = ""; return resign(c) }, pub},
		{"key-id-of-other-key", "signed by key", func() *pipeline.Receipt { c := *rc; c.KeyID = otherID; return resign(c) }, pub},
		{"signature-not-base64", "signature", func() *pipeline.Receipt { c := *rc; c.Signature = "not base64!"; return &c }, pub},
		{"altered-outcome", custody.ErrBadSignature.Error(), func() *pipeline.Receipt { c := *rc; c.Outcome = custody.ConsignmentRejection; return &c }, pub},
		{"other-public-key", "signed by key", func() *pipeline.Receipt { return rc }, otherPub},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := pipeline.VerifyReceipt(tc.r(), tc.pub)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("VerifyReceipt(%s) = %v, want an error saying %q", tc.name, err, tc.want)
			}
		})
	}
}
