package request_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/request"
)

// openNode opens a data folder of the embedded deployment for agency es-fge with the sample
// counterpart directory and clock c.
func openNode(t *testing.T, c *fakeClock) *local.Node {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "counterparts.yaml")
	if err := os.WriteFile(dir, []byte(testDirectory), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := local.OpenNode(t.Context(), t.TempDir(), local.NodeOptions{Directory: dir, Agency: "es-fge", Clock: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

const testDirectory = `counterparts:
  - {id: nl-om, name: Openbaar Ministerie, country: NL, legal_bases: [EU-EIO, EU-EPOC], handling_codes: [H0, H1, H2, H3], active: true}
  - {id: pt-pj, name: Policia Judiciaria, country: PT, legal_bases: [EU-EIO, EU-EPOC], handling_codes: [H0, H1, H2, H3], active: true}
  - {id: nl-telco-lr, name: Telco legal representative, country: NL, legal_bases: [EU-EIO, EU-EPOC], handling_codes: [H0, H1, H2, H3], active: true,
     service_provider: Telco B.V., representation: legal-representative}
`

// upload bags one file for counterparts with the request reference ref and runs it through
// the pipeline as uploader "ana".
func upload(t *testing.T, n *local.Node, ref string, counterparts ...string) *pipeline.Status {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "statement.txt")
	if err := os.WriteFile(src, []byte("bank statement for "+ref+" "+strings.Join(counterparts, ",")), 0o600); err != nil {
		t.Fatal(err)
	}
	info := bagit.Info{{Label: bagit.LabelRequestReference, Value: ref}, {Label: bagit.LabelLegalBasis, Value: "EU-EIO"}}
	for _, cp := range counterparts {
		info = append(info, bagit.Field{Label: bagit.LabelCounterpart, Value: cp})
	}
	bag := filepath.Join(dir, "b.zip")
	if _, err := bagit.Create(bag, []string{src}, bagit.CreateOptions{Info: info}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(bag)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, size, err := n.Uploads.Spool(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Submit(t.Context(), pipeline.Upload{BundleID: id, Uploader: "ana", Size: size}); err != nil {
		t.Fatal(err)
	}
	st, err := n.Service.Process(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRouting: a bundle naming a request in EVX-Request-Reference goes only to the request's
// parties, only while the request takes answers, and is recorded as its answer.
func TestRouting(t *testing.T) {
	c := &fakeClock{t: t0}
	n := openNode(t, c)
	ctx := t.Context()
	// nl-om issued an EIO to this deployment's agency, es-fge.
	q := request.Request{ID: "EIO-NL-2026-0031", Type: request.EIO, Issuer: "nl-om", IssuerPerson: "jan.devries",
		IssuingState: "NL", Addressee: "es-fge", LegalBasis: "EU-EIO", CaseReference: "NL-OM-2026-114"}
	if _, err := n.Requests.Issue(ctx, q); err != nil {
		t.Fatal(err)
	}
	// Not received yet: it takes no answer.
	if st := upload(t, n, q.ID, "nl-om"); st.Ingest.Accepted {
		t.Fatalf("answer to a request not yet received: accepted, want rejected")
	}
	home := request.Actor{Agency: "es-fge", Person: "maria"}
	for _, a := range []custody.EventType{custody.RequestReceived, custody.RequestAccepted} {
		if _, err := n.Requests.Act(ctx, q.ID, home, request.Action{Type: a}); err != nil {
			t.Fatal(err)
		}
	}
	c.Advance(time.Hour)
	st := upload(t, n, q.ID, "nl-om", "pt-pj")
	if !st.Ingest.Accepted || !slices.Equal(st.Ingest.Counterparts, []string{"nl-om"}) {
		t.Fatalf("answer to nl-om and pt-pj: accepted %v for %v, want accepted for nl-om only", st.Ingest.Accepted, st.Ingest.Counterparts)
	}
	if len(st.Ingest.Reasons) != 1 || !strings.Contains(st.Ingest.Reasons[0], "pt-pj is not a party") {
		t.Errorf("reasons = %q, want pt-pj refused as no party", st.Ingest.Reasons)
	}
	s, err := n.Requests.State(ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Bundles, []string{st.Upload.BundleID}) {
		t.Errorf("request bundles = %v, want [%s]", s.Bundles, st.Upload.BundleID)
	}
	// Processing again records the answer once.
	if _, err := n.Service.Process(ctx, st.Upload.BundleID); err != nil {
		t.Fatal(err)
	}
	es, _ := n.Requests.Events(ctx, q.ID)
	answered := 0
	for _, e := range es {
		if e.Event.Type == custody.RequestAnswered {
			answered++
			if l := e.Event.Details.LegalRequest; l.Agency != "es-fge" || l.Person != "ana" {
				t.Errorf("answered by %s/%s, want es-fge/ana", l.Agency, l.Person)
			}
		}
	}
	if answered != 1 {
		t.Errorf("RequestAnswered events = %d, want 1", answered)
	}
	// Only to a party.
	if st := upload(t, n, q.ID, "pt-pj"); st.Ingest.Accepted {
		t.Error("answer to pt-pj only: accepted, want rejected")
	}
	// A free-text reference that names no request is not checked.
	if st := upload(t, n, "MLA-FREE-TEXT", "pt-pj"); !st.Ingest.Accepted {
		t.Errorf("free-text reference: rejected %v, want accepted", st.Ingest.Reasons)
	}
}

// TestRestriction: an enforcing authority's refusal within its window restricts the data
// already delivered: the counterpart's next fetch is refused with a *RestrictedError.
func TestRestriction(t *testing.T) {
	c := &fakeClock{t: t0}
	n := openNode(t, c)
	ctx := t.Context()
	q := request.Request{ID: "EPOC-NL-9", Type: request.EPOC, Issuer: "nl-om", IssuerPerson: "jan", IssuingState: "NL",
		Addressee: "es-fge", Enforcing: "pt-pj", Residence: "PT", DataCategory: "content", LegalBasis: "EU-EPOC"}
	if _, err := n.Requests.Issue(ctx, q); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		who request.Actor
		typ custody.EventType
	}{{request.Actor{Agency: "nl-om", Person: "jan"}, custody.RequestNotified}, {request.Actor{Agency: "es-fge", Person: "lr"}, custody.RequestReceived}} {
		if _, err := n.Requests.Act(ctx, q.ID, s.who, request.Action{Type: s.typ}); err != nil {
			t.Fatal(err)
		}
	}
	st := upload(t, n, q.ID, "nl-om")
	if !st.Ingest.Accepted || len(st.Deliveries) != 1 {
		t.Fatalf("answer: %+v", st.Ingest)
	}
	d := st.Deliveries[0]
	doc := st.Ingest.Documents[0].Name
	rc, _, err := n.Service.FetchDocument(ctx, "nl-om", d.ID, doc)
	if err != nil {
		t.Fatalf("fetch before the refusal = %v", err)
	}
	rc.Close()
	c.Advance(48 * time.Hour)
	if _, err := n.Requests.Act(ctx, q.ID, request.Actor{Agency: "pt-pj", Person: "judge"},
		request.Action{Type: custody.RequestRefused, Grounds: []string{"art. 12(1)(b): fundamental rights"}}); err != nil {
		t.Fatal(err)
	}
	var re *pipeline.RestrictedError
	if _, _, err := n.Service.FetchDocument(ctx, "nl-om", d.ID, doc); !errors.As(err, &re) || re.Request != q.ID {
		t.Fatalf("fetch after the enforcing authority's refusal = %v, want a *RestrictedError", err)
	}
	if _, err := n.Service.DocumentText(ctx, "nl-om", d.ID, doc); !errors.As(err, &re) {
		t.Errorf("text preview after the refusal = %v, want a *RestrictedError", err)
	}
}

// TestServiceProviders: an EPOC or EPOC-PR goes to a service provider's designated
// establishment or legal representative (a directory party with service_provider), every
// other type to an authority; a provider is never the issuer or the enforcing authority.
func TestServiceProviders(t *testing.T) {
	n := openNode(t, &fakeClock{t: t0})
	ctx := t.Context()
	base := request.Request{Type: request.EPOC, Issuer: "es-fge", IssuerPerson: "ana", LegalBasis: "EU-EPOC", DataCategory: "subscriber"}
	for _, tc := range []struct {
		id, typ, addressee, enforcing string
		field                         string // "" when accepted
	}{
		{"P1", "EPOC", "nl-telco-lr", "", ""},
		{"P2", "EPOC-PR", "nl-telco-lr", "", ""},
		{"P3", "EPOC", "nl-om", "", "addressee"},
		{"P4", "EIO", "nl-telco-lr", "", "addressee"},
		{"P5", "EPOC", "nl-telco-lr", "nl-telco-lr", "enforcing"},
		{"P6", "EPOC", "nobody", "", "addressee"},
	} {
		q := base
		q.ID, q.Type, q.Addressee, q.Enforcing = tc.id, request.Type(tc.typ), tc.addressee, tc.enforcing
		_, err := n.Requests.Issue(ctx, q)
		if tc.field == "" && err != nil || tc.field != "" && !isInvalid(err, tc.field) {
			t.Errorf("Issue %s %s to %s = %v, want field %q refused (none: accepted)", tc.id, tc.typ, tc.addressee, err, tc.field)
		}
	}
}

// TestJITMembers: the members of a JIT agreement are its parties too: a bundle of the
// exchange goes to any of them, and to no one else.
func TestJITMembers(t *testing.T) {
	c := &fakeClock{t: t0}
	n := openNode(t, c)
	ctx := t.Context()
	q := request.Request{ID: "JIT-2026-1", Type: request.JIT, Issuer: "nl-om", IssuerPerson: "jan", Addressee: "es-fge",
		Members: "pt-pj, nl-om", LegalBasis: "EU-EIO", Due: t0.Add(365 * 24 * time.Hour).Format(custody.TimeFormat)}
	if _, err := n.Requests.Issue(ctx, q); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Requests.Act(ctx, q.ID, request.Actor{Agency: "es-fge", Person: "maria"}, request.Action{Type: custody.RequestReceived}); err != nil {
		t.Fatal(err)
	}
	s, _ := n.Requests.State(ctx, q.ID)
	if got := s.Parties(); !slices.Equal(got, []string{"nl-om", "es-fge", "pt-pj"}) || s.PartyOf("pt-pj") != request.MemberParty {
		t.Errorf("JIT parties = %v (pt-pj: %q), want nl-om es-fge pt-pj, pt-pj a member", got, s.PartyOf("pt-pj"))
	}
	st := upload(t, n, q.ID, "pt-pj", "nl-om", "nl-telco-lr")
	if !slices.Equal(st.Ingest.Counterparts, []string{"pt-pj", "nl-om"}) {
		t.Errorf("JIT exchange to pt-pj, nl-om, nl-telco-lr went to %v, want the members pt-pj and nl-om", st.Ingest.Counterparts)
	}
	if d := s.Deadline("agreement"); d == nil || d.Kind != request.Period || !d.Due.Equal(t0.Add(365*24*time.Hour)) {
		t.Errorf("JIT agreement clock = %+v, want a period ending when the agreement says", d)
	}
}
