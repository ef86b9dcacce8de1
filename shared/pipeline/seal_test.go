package pipeline_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/directory"
	"github.com/evx-project/evx/shared/pipeline"
)

// sealSigner derives a test seal key from a name.
func sealSigner(t testing.TB, name string) custody.Signer {
	t.Helper()
	seed := sha256.Sum256([]byte("evx seal test " + name))
	s, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func p256Signer(t testing.TB) custody.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), strings.NewReader(strings.Repeat("evx seal test p256 ", 10)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := custody.NewECDSASigner(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pemKey(t testing.TB, s custody.Signer) string {
	t.Helper()
	pk, err := custody.PublicKeyOf(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pk.PEM
}

// sealNode is a node whose directory has a sending agency nl-pol (seal key sender, and a
// P-256 key revoked in 2026-11-01) requiring seals, and de-bka, sending without a key.
func sealNode(t testing.TB, sender, revoked custody.Signer) *local.Node {
	t.Helper()
	cps := []pipeline.Counterpart{
		{ID: "nl-om", Name: "Openbaar Ministerie", Country: "NL", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1"}, Active: true,
			PublicKey: pemKey(t, sealSigner(t, "nl-om")), RequireSignedReceipts: true},
		{ID: "nl-pol", Name: "Politie, Landelijke Eenheid", Country: "NL", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1"}, Active: true,
			Role: pipeline.RoleSend, RequireSeal: true, PublicKey: pemKey(t, sender),
			SealKeys: []custody.AgencyKey{{PEM: pemKey(t, revoked), Revoked: "2026-11-01T00:00:00Z"}}},
		{ID: "de-bka", Name: "Bundeskriminalamt", Country: "DE", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1"}, Active: true, Role: pipeline.RoleSend},
	}
	d, err := directory.New(cps)
	if err != nil {
		t.Fatal(err)
	}
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Counterparts: d, Clock: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// sealedBag makes a zip bag sealed by s as agency's person; edit, when set, rewrites the
// tag files before the seal is made (the seal is then over what edit returns).
func sealedBag(t testing.TB, s custody.Signer, agency, person string, edit func(map[string][]byte)) []byte {
	t.Helper()
	sealed.Add(1) // each bag sealed at its own time: distinct bytes, distinct bundles
	at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC).Add(time.Duration(sealed.Load()) * time.Second)
	return hookedBag(t, func(tags map[string][]byte) (string, []byte, error) {
		if edit != nil {
			edit(tags)
		}
		b, err := custody.SealBag(context.Background(), s, agency, person, tags, at)
		return custody.BagSealFile, b, err
	})
}

var sealed atomic.Int64

// hookedBag makes a zip bag whose seal tag file hook makes (listed in the tag manifests).
func hookedBag(t testing.TB, hook func(map[string][]byte) (string, []byte, error)) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bundle.zip")
	_, err := bagit.Create(out, evidence(t), bagit.CreateOptions{Info: info("nl-om"), Seal: hook})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func submitAs(t testing.TB, n *local.Node, bag []byte, uploader string) (*pipeline.Status, custody.Event) {
	t.Helper()
	ctx := context.Background()
	id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(bag))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: uploader, Size: size}); err != nil {
		t.Fatal(err)
	}
	st, err := n.Service.Process(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	es, err := n.Service.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return st, es[0].Event
}

// TestSenderSeal: a bag sealed by its sending agency is accepted and the acceptance carries
// the seal unchanged, checkable with the agency's key alone; every bad seal, and a missing
// one where the agency requires it, is a SubmissionRejection naming why.
func TestSenderSeal(t *testing.T) {
	sender, revoked, other := sealSigner(t, "nl-pol"), p256Signer(t), sealSigner(t, "intruder")
	n := sealNode(t, sender, revoked)

	st, first := submitAs(t, n, sealedBag(t, sender, "nl-pol", "j.devries", nil), "nl-pol/j.devries")
	if !st.Ingest.Accepted || first.Details.Seal == nil {
		t.Fatalf("sealed bag: accepted %v, seal %+v, reasons %v; want accepted with the seal", st.Ingest.Accepted, first.Details.Seal, st.Ingest.Reasons)
	}
	seal := first.Details.Seal
	if first.Version != custody.Version2 || first.Actor.Agency != "nl-pol" || first.Actor.Person != "j.devries" || seal.KeyID != sender.KeyID() || seal.Manifest == "" {
		t.Errorf("acceptance = %+v, want version 2 by nl-pol/j.devries with seal key %s and the manifest", first, sender.KeyID())
	}
	stmt, _, err := custody.BagStatementOf(seal.Statement, seal.KeyID)
	if err != nil || stmt.Agency != "nl-pol" || stmt.Person != "j.devries" || len(stmt.Covers) != 3 {
		t.Errorf("recorded statement = %+v, %v; want nl-pol's, covering bag-info.txt and two manifests", stmt, err)
	}
	verifyTrail(t, n, st.Upload.BundleID)

	// A forger rewrites the seal file and the tag manifests with it (the bag stays valid).
	forged := hookedBag(t, func(tags map[string][]byte) (string, []byte, error) {
		b, err := custody.SealBag(context.Background(), sender, "nl-pol", "j.devries", tags, time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC))
		if err != nil {
			return "", nil, err
		}
		tag, err := custody.ParseBagSealTag(b)
		if err != nil {
			return "", nil, err
		}
		sig, _ := base64.StdEncoding.DecodeString(tag.Signature)
		sig[0] ^= 1
		tag.Signature = base64.StdEncoding.EncodeToString(sig)
		b, err = json.Marshal(tag)
		return custody.BagSealFile, b, err
	})
	garbage := hookedBag(t, func(map[string][]byte) (string, []byte, error) { return custody.BagSealFile, []byte("not json"), nil })

	for _, tc := range []struct {
		name, uploader string
		bag            []byte
		want           string
	}{
		{"unsealed where required", "nl-pol/j.devries", makeBag(t, evidence(t), info("nl-om")), "requires its seal"},
		{"forged signature", "nl-pol/j.devries", forged, "signature does not verify"},
		{"seal over other manifests", "nl-pol/j.devries", sealedBag(t, sender, "nl-pol", "j.devries", func(tags map[string][]byte) {
			tags["manifest-sha256.txt"] = append([]byte(strings.Repeat("0", 64)+"  data/planted.txt\n"), tags["manifest-sha256.txt"]...)
		}), "over other manifests"},
		{"key not the agency's", "nl-pol/j.devries", sealedBag(t, other, "nl-pol", "j.devries", nil), "not one of the agency's seal keys"},
		{"revoked key", "nl-pol/j.devries", sealedBag(t, revoked, "nl-pol", "j.devries", nil), "revoked since 2026-11-01"},
		{"other person", "nl-pol/a.smit", sealedBag(t, sender, "nl-pol", "j.devries", nil), "submitted by a.smit"},
		{"other agency", "de-bka/k.muller", sealedBag(t, sender, "nl-pol", "j.devries", nil), "submitted by a person of de-bka"},
		{"garbage seal file", "nl-pol/j.devries", garbage, "is not a seal file"},
		{"submitter of no agency", "inspector", sealedBag(t, sender, "nl-pol", "j.devries", nil), "belongs to no agency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, first := submitAs(t, n, tc.bag, tc.uploader)
			if st.Ingest.Accepted || first.Type != custody.SubmissionRejection || !strings.Contains(strings.Join(first.Details.Reasons, "; "), tc.want) {
				t.Errorf("%s: accepted %v, %s reasons %q; want a rejection naming %q", tc.name, st.Ingest.Accepted, first.Type, first.Details.Reasons, tc.want)
			}
		})
	}
	// The conformance suite's rules: a sealed bag is a plain BagIt bag (the seal is a tag
	// file the tag manifests list).
	p := filepath.Join(t.TempDir(), "sealed.zip")
	os.WriteFile(p, sealedBag(t, sender, "nl-pol", "j.devries", nil), 0o644)
	bag, err := bagit.Open(p, bagit.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer bag.Close()
	rep, err := bag.Validate(bagit.Options{Mode: bagit.ModeSpec})
	if err != nil || !rep.Valid() {
		t.Errorf("sealed bag under RFC 8493 alone: %v, %v", rep.Err(), err)
	}
}

// signStatement seals st with s for the delivery, as evx pull --seal-key does.
func signStatement(t testing.TB, s custody.Signer, st custody.ReceiptStatement) pipeline.ReceiptRequest {
	t.Helper()
	stmt, sig, err := custody.SignReceiptStatement(func(m []byte) ([]byte, error) { return s.Sign(context.Background(), m) }, s.KeyID(), &st, time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.ReceiptRequest{Statement: base64.StdEncoding.EncodeToString(stmt), Signature: base64.StdEncoding.EncodeToString(sig), KeyID: s.KeyID()}
}

// TestSealedReceipts: nl-om must seal its receipts; a sealed acceptance or refusal is recorded
// with the statement unchanged, the event agreeing with it (outcome, person, documents the
// counterpart accepted); evx's findings stay apart; a statement altered after signing, made
// by a key that is not nl-om's, about another delivery, or missing, is refused and nothing
// is recorded.
func TestSealedReceipts(t *testing.T) {
	sender := sealSigner(t, "nl-pol")
	om, intruder := sealSigner(t, "nl-om"), sealSigner(t, "intruder")
	n := sealNode(t, sender, p256Signer(t))
	ctx := context.Background()
	delivery := func() (pipeline.Delivery, []custody.Document) {
		st, _ := submitAs(t, n, sealedBag(t, sender, "nl-pol", "j.devries", nil), "nl-pol/j.devries")
		if len(st.Deliveries) != 1 {
			t.Fatalf("deliveries %+v", st.Deliveries)
		}
		m, err := n.Service.Manifest(ctx, "nl-om", st.Deliveries[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		return st.Deliveries[0], m.Documents
	}
	statement := func(d pipeline.Delivery, docs []custody.Document, outcome string) custody.ReceiptStatement {
		st := custody.ReceiptStatement{Agency: "nl-om", Person: "p.bakker", Delivery: d.ID, Bundle: d.BundleID, Outcome: outcome}
		for _, doc := range docs {
			st.Documents = append(st.Documents, custody.StatementDocument{Name: doc.Name, SHA256: doc.SHA256, Outcome: custody.OutcomeAccepted})
		}
		return st
	}

	// An acceptance that refuses one document (partial acceptance).
	d, docs := delivery()
	st := statement(d, docs, custody.OutcomeAccepted)
	st.Documents[0].Outcome, st.Documents[0].Reason = custody.OutcomeRefused, "unreadable"
	st.Note = "the first file does not open"
	req := signStatement(t, om, st)
	rc, err := n.Service.PostReceipt(ctx, "nl-om", d.ID, req)
	if err != nil {
		t.Fatalf("sealed acceptance = %v", err)
	}
	es, _ := n.Service.Events(ctx, d.BundleID)
	e := es[len(es)-1].Event
	if e.Type != custody.ConsignmentAcceptance || rc.Outcome != e.Type || e.Details.Receipt == nil || e.Details.Receipt.Statement != req.Statement || e.Details.Receipt.Signature != req.Signature {
		t.Fatalf("recorded %s with receipt %+v, want the acceptance with the statement unchanged", e.Type, e.Details.Receipt)
	}
	if e.Actor.Person != "p.bakker" || e.Actor.Agency != "nl-om" || len(e.Details.Documents) != len(docs)-1 || len(e.Details.Findings) != 0 {
		t.Errorf("event %+v: want p.bakker of nl-om, %d confirmed documents, no findings", e, len(docs)-1)
	}
	if want := []string{"the first file does not open"}; !slices.Equal(e.Details.Reasons, want) {
		t.Errorf("reasons %q, want the counterpart's note alone %q", e.Details.Reasons, want)
	}
	verifyTrail(t, n, d.BundleID)

	// A sealed refusal with a reason code; a hash the counterpart computed differently is
	// evx's finding, apart.
	d2, docs2 := delivery()
	st2 := statement(d2, docs2, custody.OutcomeRefused)
	st2.ReasonCodes = []string{"legal-basis-insufficient"}
	st2.Documents[1].SHA256 = strings.Repeat("ab", 32)
	if _, err := n.Service.PostReceipt(ctx, "nl-om", d2.ID, signStatement(t, om, st2)); err != nil {
		t.Fatalf("sealed refusal = %v", err)
	}
	es, _ = n.Service.Events(ctx, d2.BundleID)
	e = es[len(es)-1].Event
	if e.Type != custody.ConsignmentRejection || !slices.Equal(e.Details.Reasons, []string{"legal-basis-insufficient"}) || len(e.Details.Findings) != 1 || !strings.Contains(e.Details.Findings[0], docs2[1].Name) {
		t.Errorf("refusal %+v: want reason legal-basis-insufficient and one finding of evx's about %s", e.Details, docs2[1].Name)
	}

	d3, docs3 := delivery()
	good := signStatement(t, om, statement(d3, docs3, custody.OutcomeAccepted))
	altered := good
	{
		b, _ := base64.StdEncoding.DecodeString(good.Statement)
		b = bytes.Replace(b, []byte(`"outcome":"accepted"}`), []byte(`"outcome":"refused"}`), 1)
		b = bytes.Replace(b, []byte(`"outcome":"accepted","person"`), []byte(`"outcome":"refused","person"`), 1)
		altered.Statement = base64.StdEncoding.EncodeToString(b)
	}
	otherDelivery := signStatement(t, om, statement(d2, docs2, custody.OutcomeAccepted))
	for _, tc := range []struct {
		name string
		req  pipeline.ReceiptRequest
		want string
	}{
		{"altered after signing", altered, ""},
		{"wrong key", signStatement(t, intruder, statement(d3, docs3, custody.OutcomeAccepted)), "not one of the agency's seal keys"},
		{"wrong key claiming nl-om's id", pipeline.ReceiptRequest{Statement: signStatement(t, intruder, statement(d3, docs3, custody.OutcomeAccepted)).Statement, Signature: good.Signature, KeyID: om.KeyID()}, "names key"},
		{"other delivery", otherDelivery, "is about delivery"},
		{"unsealed", pipeline.ReceiptRequest{Accepted: true, Documents: nil}, "must seal its receipts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := n.Service.Events(ctx, d3.BundleID)
			_, err := n.Service.PostReceipt(ctx, "nl-om", d3.ID, tc.req)
			var ie *pipeline.InvalidReceiptError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("PostReceipt = %v, want *InvalidReceiptError naming %q", err, tc.want)
			}
			if after, _ := n.Service.Events(ctx, d3.BundleID); len(after) != len(before) {
				t.Errorf("a refused receipt recorded %s", after[len(after)-1].Event.Type)
			}
		})
	}

	// A statement posted by another person of nl-om than the one it names is refused; posted
	// by the person it names, it is recorded.
	var ie *pipeline.InvalidReceiptError
	impostor := pipeline.ActingAs(ctx, pipeline.Party{Agency: "nl-om", Person: "j.jansen"})
	if _, err := n.Service.PostReceipt(impostor, "nl-om", d3.ID, good); !errors.As(err, &ie) || !strings.Contains(err.Error(), "the statement names p.bakker") {
		t.Errorf("statement of p.bakker posted by j.jansen = %v, want *InvalidReceiptError naming p.bakker", err)
	}
	named := pipeline.ActingAs(ctx, pipeline.Party{Agency: "nl-om", Person: "p.bakker"})
	if _, err := n.Service.PostReceipt(named, "nl-om", d3.ID, good); err != nil {
		t.Errorf("statement of p.bakker posted by p.bakker = %v, want it recorded", err)
	}
}

// TestSyncAgencyKeys: every key change of the directory is an event of the log, once: keys
// added, a rotation with the previous key's signature, a revocation, an expiry.
func TestSyncAgencyKeys(t *testing.T) {
	old, next := sealSigner(t, "old"), sealSigner(t, "next")
	oldRec, _ := custody.NewAgencyKey(old.Public())
	nextRec, _ := custody.NewAgencyKey(next.Public())
	sig, _ := old.Sign(context.Background(), custody.RotationStatement("nl-pol", oldRec.KeyID, nextRec.KeyID))
	cps := []pipeline.Counterpart{{ID: "nl-pol", Name: "Politie", Country: "NL", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0"}, Active: true, Role: pipeline.RoleSend,
		SealKeys: []custody.AgencyKey{
			{PEM: oldRec.PEM, Revoked: "2026-11-01T00:00:00Z", NotAfter: "2026-11-20T00:00:00Z"},
			{PEM: nextRec.PEM, RotatedFrom: oldRec.KeyID, RotationSignature: base64.StdEncoding.EncodeToString(sig)},
		}}}
	d, err := directory.New(cps)
	if err != nil {
		t.Fatal(err)
	}
	bad := cps[0]
	bad.SealKeys = append([]custody.AgencyKey(nil), cps[0].SealKeys...)
	bad.SealKeys[1].RotationSignature = base64.StdEncoding.EncodeToString(make([]byte, 64))
	if _, err := directory.New([]pipeline.Counterpart{bad}); err == nil || !strings.Contains(err.Error(), "not signed by the previous key") {
		t.Errorf("directory with a forged rotation = %v, want refused", err)
	}
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Counterparts: d, Clock: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	got, err := n.Service.SyncAgencyKeys(ctx, d.Counterparts(), now)
	if err != nil {
		t.Fatal(err)
	}
	var types []custody.EventType
	for _, en := range got {
		types = append(types, en.Event.Type)
	}
	want := []custody.EventType{custody.AgencyKeyAdded, custody.AgencyKeyRevoked, custody.AgencyKeyExpired, custody.AgencyKeyRotated}
	if !slices.Equal(types, want) {
		t.Fatalf("recorded %v, want %v", types, want)
	}
	rot := got[3].Event.Details.KeyChange
	if err := custody.CheckRotation("nl-pol", oldRec, rot.Key, rot.RotationSignature); err != nil || rot.PreviousKeyID != oldRec.KeyID {
		t.Errorf("rotation event %+v: %v", rot, err)
	}
	if again, err := n.Service.SyncAgencyKeys(ctx, d.Counterparts(), now); err != nil || len(again) != 0 {
		t.Errorf("second sync recorded %d events (%v), want none", len(again), err)
	}
	verifyTrail(t, n, custody.AgencySubject("nl-pol"))
}

// TestTrailCarriesKeyHistory: once evx recorded the directory's key changes (evx serve does,
// at every start), a sealed bundle's trail carries its agencies' key histories, and the
// sender's seal is checked against the log's history, naming the key's validity window.
func TestTrailCarriesKeyHistory(t *testing.T) {
	sender := sealSigner(t, "nl-pol")
	n := sealNode(t, sender, p256Signer(t))
	ctx := context.Background()
	if _, err := n.Service.SyncAgencyKeys(ctx, n.Directory.Counterparts(), time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	st, _ := submitAs(t, n, sealedBag(t, sender, "nl-pol", "j.devries", nil), "nl-pol/j.devries")
	tr, err := n.Service.Export(ctx, st.Upload.BundleID, custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.AgencyKeyChanges) == 0 {
		t.Fatal("the trail carries no agency key changes")
	}
	raw, _ := json.Marshal(tr)
	rep, err := custody.VerifyTrail(raw, n.Signer.Public(), custody.VerifyOptions{})
	if err != nil || len(rep.Seals) != 1 || rep.Seals[0].KeySource != "log" {
		t.Fatalf("VerifyTrail = %+v, %v; want the sender's seal checked with the log's key history", rep, err)
	}
}
