package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/report"
	"github.com/evx-project/evx/shared/request"
)

// demoProvider is the service provider of the demo's requests scene: the Dutch legal
// representative of a telecom provider (a directory party with service_provider set), on
// whose deployment the scene runs.
const demoProvider = "nl-telco-lr"

// demoRequestsDirectory is the scene's directory: the sample counterparts the scene names.
const demoRequestsDirectory = `# The requests scene of evx demo: the Spanish issuing authority, the Dutch enforcing
# authority, and (this deployment) the Dutch legal representative of a telecom provider.
counterparts:
  - id: nl-telco-lr
    name: Telco B.V., legal representative in the Netherlands
    country: NL
    legal_bases: [EU-EPOC]
    handling_codes: [H0, H1, H2]
    service_provider: Telco B.V.
    representation: legal-representative
    active: true
  - id: es-fge
    name: Fiscalia General del Estado
    country: ES
    legal_bases: [EU-EIO, EU-EPOC]
    handling_codes: [H0, H1, H2]
    active: true
  - id: nl-om
    name: Openbaar Ministerie
    country: NL
    legal_bases: [EU-EIO, EU-EPOC]
    handling_codes: [H0, H1, H2, H3]
    active: true
  - id: be-fp
    name: Federaal Parket
    country: BE
    legal_bases: [EU-EIO]
    handling_codes: [H0, H1, H2, H3]
    active: true
`

// demoClock is the scene's fake clock: the requests' legal clocks run days in a moment.
type demoClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *demoClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *demoClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// demoRequests plays the requests scene on a data folder of its own under out, with a fake
// clock: an EPOC from es-fge for content data of a person residing in the Netherlands, to the
// provider's legal representative, notified to nl-om and answered in time with a bundle; and
// an EIO from es-fge to nl-om, acknowledged but not recognised, that runs overdue and is
// recorded as DeadlineMissed by the scheduled sweep. It returns both requests' states.
func demoRequests(ctx context.Context, out string, evidence []string, say func(string, ...any)) ([]*request.State, error) {
	dir := filepath.Join(out, "requests")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	dirFile := filepath.Join(dir, "counterparts.yaml")
	if err := os.WriteFile(dirFile, []byte(demoRequestsDirectory), 0o644); err != nil {
		return nil, err
	}
	clock := &demoClock{t: time.Now().UTC().Truncate(time.Second)}
	n, err := local.OpenNode(ctx, filepath.Join(dir, "data"), local.NodeOptions{Directory: dirFile, Agency: demoProvider, Clock: clock.now})
	if err != nil {
		return nil, err
	}
	defer n.Close()
	d := n.Requests
	ana := request.Actor{Agency: "es-fge", Person: "ana.garcia"}
	lr := request.Actor{Agency: demoProvider, Person: "legal.rep"}
	om := request.Actor{Agency: "nl-om", Person: "officer.jansen"}
	epoc := request.Request{ID: "EPOC-ES-2026-0007", Type: request.EPOC, Issuer: ana.Agency, IssuerPerson: ana.Person,
		IssuingState: "ES", Addressee: demoProvider, Enforcing: "nl-om", Residence: "NL", DataCategory: "content",
		LegalBasis: "Regulation (EU) 2023/1543 art. 5(4)", CaseReference: "RTM-2026-114",
		Subject: "content of the account using +34 600 000 001, 1-31 October 2026"}
	eio := request.Request{ID: "EIO-ES-2026-0031", Type: request.EIO, Issuer: ana.Agency, IssuerPerson: ana.Person,
		IssuingState: "ES", Addressee: "nl-om", LegalBasis: "Directive 2014/41/EU", CaseReference: "RTM-2026-114",
		Subject: "bank records of account NL91ABNA0417164300"}
	steps := []struct {
		id  string
		who request.Actor
		typ custody.EventType
	}{
		{epoc.ID, ana, custody.RequestNotified},
		{epoc.ID, lr, custody.RequestReceived},
		{eio.ID, om, custody.RequestReceived},
	}
	for _, r := range []request.Request{epoc, eio} {
		if _, err := d.Issue(ctx, r); err != nil {
			return nil, err
		}
	}
	for _, s := range steps {
		if _, err := d.Act(ctx, s.id, s.who, request.Action{Type: s.typ}); err != nil {
			return nil, err
		}
	}
	say("8. requests (fake clock from %s): es-fge issued %s to %s, notified to nl-om (art. 8), and %s to nl-om", clock.now().Format(time.RFC3339), epoc.ID, demoProvider, eio.ID)

	// Six days on: the provider answers with a bundle naming the order.
	clock.advance(6 * 24 * time.Hour)
	if _, err := d.Sweep(ctx); err != nil {
		return nil, err
	}
	bag := filepath.Join(dir, "produced.zip")
	if _, err := bagit.Create(bag, evidence[:1], bagit.CreateOptions{Info: bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "es-fge"}, {Label: bagit.LabelRequestReference, Value: epoc.ID},
		{Label: bagit.LabelLegalBasis, Value: "EU-EPOC"}, {Label: bagit.LabelExternalIdentifier, Value: epoc.CaseReference},
	}}); err != nil {
		return nil, err
	}
	f, err := os.Open(bag)
	if err != nil {
		return nil, err
	}
	id, size, err := n.Uploads.Spool(ctx, f)
	f.Close()
	if err != nil {
		return nil, err
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: lr.Person, Size: size}); err != nil {
		return nil, err
	}
	st, err := n.Service.Process(ctx, id)
	if err != nil {
		return nil, err
	}
	if !st.Ingest.Accepted {
		return nil, fmt.Errorf("the provider's answer was not accepted: %v", st.Ingest.Reasons)
	}
	if _, err := d.Act(ctx, epoc.ID, lr, request.Action{Type: custody.RequestFulfilled}); err != nil {
		return nil, err
	}
	// Thirty days on: the EIO's recognition is overdue; the sweep records it.
	clock.advance(25 * 24 * time.Hour)
	sw, err := d.Sweep(ctx)
	if err != nil {
		return nil, err
	}
	var states []*request.State
	for _, r := range []string{epoc.ID, eio.ID} {
		s, err := d.State(ctx, r)
		if err != nil {
			return nil, err
		}
		states = append(states, s)
	}
	prod, rec := states[0].Deadline("production"), states[1].Deadline("recognition")
	if prod.Status != request.ClockMet || rec.Status != request.ClockMissed {
		return nil, fmt.Errorf("requests scene: production %s, recognition %s; want met and missed", prod.Status, rec.Status)
	}
	say("   %s answered by bundle %s after 6 days: production deadline %s (%s)", epoc.ID, id, prod.Status, prod.Citation)
	reminders := 0
	for _, s := range states {
		for _, dl := range s.Deadlines {
			reminders += len(dl.Reminders)
		}
	}
	say("   %s not recognised after 31 days: recognition deadline %s, DeadlineMissed recorded by the sweep (%d this run); %d reminders in all went to the parties' queues (%s)", eio.ID, rec.Status, sw.Missed, reminders, rec.Citation)
	say("   see them with: %s request list --data %s --directory %s --overdue", selfName(), filepath.Join(dir, "data"), dirFile)
	if err := demoRetention(ctx, n, clock, dir, evidence, say); err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	if err := demoHandling(ctx, n, dir, evidence, say); err != nil {
		return nil, fmt.Errorf("handling codes: %w", err)
	}
	return states, nil
}

// demoRetention plays the retention scene on the requests scene's deployment: es-fge orders
// the provider to preserve data (EPOC-PR, 60 days); the provider's bundle of the preserved data
// answers it, and its legal staff authorise disposal at once, which the preservation period
// refuses; 61 days on, the period has ended and the documents are deleted while the trail
// stays.
func demoRetention(ctx context.Context, n *local.Node, clock *demoClock, dir string, evidence []string, say func(string, ...any)) error {
	d := n.Requests
	ana := request.Actor{Agency: "es-fge", Person: "ana.garcia"}
	pr := request.Request{ID: "EPOC-PR-ES-2026-0003", Type: request.EPOCPR, Issuer: ana.Agency, IssuerPerson: ana.Person,
		IssuingState: "ES", Addressee: demoProvider, DataCategory: "traffic", LegalBasis: "Regulation (EU) 2023/1543 art. 6",
		CaseReference: "RTM-2026-114", Subject: "traffic data of +34 600 000 001, October 2026"}
	if _, err := d.Issue(ctx, pr); err != nil {
		return err
	}
	if _, err := d.Act(ctx, pr.ID, request.Actor{Agency: demoProvider, Person: "legal.rep"}, request.Action{Type: custody.RequestReceived}); err != nil {
		return err
	}
	bag := filepath.Join(dir, "preserved.zip")
	if _, err := bagit.Create(bag, evidence[len(evidence)-1:], bagit.CreateOptions{Info: bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "es-fge"}, {Label: bagit.LabelRequestReference, Value: pr.ID},
		{Label: bagit.LabelLegalBasis, Value: "EU-EPOC"}, {Label: bagit.LabelExternalIdentifier, Value: pr.CaseReference},
	}}); err != nil {
		return err
	}
	f, err := os.Open(bag)
	if err != nil {
		return err
	}
	id, size, err := n.Uploads.Spool(ctx, f)
	f.Close()
	if err != nil {
		return err
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: demoProvider + "/legal.rep", Size: size}); err != nil {
		return err
	}
	if st, err := n.Service.Process(ctx, id); err != nil || !st.Ingest.Accepted {
		return fmt.Errorf("the preserved data was not accepted: %v", err)
	}
	if _, err := request.SyncPreservations(ctx, d, n.Service.SyncRetention); err != nil {
		return err
	}
	legal := pipeline.ActingAs(ctx, pipeline.Party{Agency: demoProvider, Person: "legal.counsel"})
	if _, err := n.Service.ReviewRetention(legal, id, custody.DecisionDispose, time.Time{}, "no longer needed by the provider"); err != nil {
		return err
	}
	_, refused := n.Service.Dispose(legal, id)
	var re *pipeline.RetentionError
	if !errors.As(refused, &re) {
		return fmt.Errorf("disposal during the preservation period: %v, want refused", refused)
	}
	say("8b. retention: es-fge ordered %s preserved (%s, 60 days); bundle %s holds the data; its disposal, authorised by the provider's counsel, was refused: %s", demoProvider, pr.ID, id, re.Reason)
	clock.advance(61 * 24 * time.Hour)
	if _, err := d.Sweep(ctx); err != nil {
		return err
	}
	if _, err := request.SyncPreservations(ctx, d, n.Service.SyncRetention); err != nil {
		return err
	}
	en, err := n.Service.Dispose(legal, id)
	if err != nil {
		return err
	}
	if en.Event.Type != custody.DocumentsDisposed {
		return fmt.Errorf("disposal after the period recorded %q", en.Event.Type)
	}
	if _, err := n.Service.Verify(ctx, id, custody.VerifyOptions{}); err != nil {
		return fmt.Errorf("the trail after disposal: %w", err)
	}
	say("    61 days on, the period ended: %d document(s) deleted (DocumentsDisposed, seq %d); the trail, which holds only hashes, still verifies", en.Event.Details.DocumentCount(), en.Event.Seq)
	return nil
}

// demoUpload bags files with info, submits the bag as uploader and processes it.
func demoUpload(ctx context.Context, n *local.Node, bag, uploader string, files []string, info bagit.Info) (*pipeline.Status, error) {
	if _, err := bagit.Create(bag, files, bagit.CreateOptions{Info: info}); err != nil {
		return nil, err
	}
	f, err := os.Open(bag)
	if err != nil {
		return nil, err
	}
	id, size, err := n.Uploads.Spool(ctx, f)
	f.Close()
	if err != nil {
		return nil, err
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: uploader, Size: size}); err != nil {
		return nil, err
	}
	st, err := n.Service.Process(ctx, id)
	if err != nil {
		return nil, err
	}
	if st.Ingest == nil || !st.Ingest.Accepted {
		return nil, fmt.Errorf("bundle %s was not accepted: %+v", id, st.Ingest)
	}
	return st, nil
}

// demoHandling plays the handling codes scene on the requests scene's deployment: es-fge
// sends nl-om a document under H2 (no further dissemination without permission); nl-om passes
// the same document on to be-fp under H3 with a restriction; routing withholds it from be-fp
// and asks es-fge, whose consent lets it go; the court report of nl-om's bundle prints the
// restriction on every page.
func demoHandling(ctx context.Context, n *local.Node, dir string, evidence []string, say func(string, ...any)) error {
	doc := evidence[:1]
	for _, e := range evidence {
		if filepath.Base(e) == "lab-analysis.pdf" {
			doc = []string{e}
		}
	}
	orig, err := demoUpload(ctx, n, filepath.Join(dir, "h2.zip"), "es-fge/ana.garcia", doc, bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelLegalBasis, Value: "EU-EIO"},
		{Label: bagit.LabelHandlingCode, Value: "H2"}, {Label: bagit.LabelExternalIdentifier, Value: "RTM-2026-114"},
	})
	if err != nil {
		return err
	}
	const restriction = "for the Belgian investigation into RTM-2026-114 only; not to be passed to tax or customs authorities"
	onward, err := demoUpload(ctx, n, filepath.Join(dir, "h3.zip"), "nl-om/officer.jansen", doc, bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "be-fp"}, {Label: bagit.LabelLegalBasis, Value: "EU-EIO"},
		{Label: bagit.LabelHandlingCode, Value: "H3"}, {Label: bagit.LabelHandlingRestriction, Value: restriction},
		{Label: bagit.LabelExternalIdentifier, Value: "RTM-2026-114"},
	})
	if err != nil {
		return err
	}
	if len(onward.Deliveries) != 0 {
		return fmt.Errorf("bundle %s was consigned to be-fp before es-fge consented: %+v", onward.Upload.BundleID, onward.Deliveries)
	}
	say("8c. handling codes: es-fge sent nl-om %s under H2 (bundle %s); nl-om put the same document in bundle %s for be-fp, which routing withheld and asked es-fge for consent (ConsentRequested on es-fge's bundle)",
		filepath.Base(doc[0]), orig.Upload.BundleID, onward.Upload.BundleID)
	es := pipeline.ActingAs(ctx, pipeline.Party{Agency: "es-fge", Person: "ana.garcia"})
	if _, err := n.Service.GrantConsent(es, orig.Upload.BundleID, "nl-om", custody.UseDissemination, "be-fp"); err != nil {
		return err
	}
	st, err := n.Service.BundleStatus(ctx, onward.Upload.BundleID)
	if err != nil {
		return err
	}
	if len(st.Deliveries) != 1 || st.Deliveries[0].Counterpart != "be-fp" {
		return fmt.Errorf("after es-fge's consent, bundle %s has deliveries %+v, want be-fp", onward.Upload.BundleID, st.Deliveries)
	}
	tr, err := n.Service.Export(ctx, onward.Upload.BundleID, custody.ExportOptions{})
	if err != nil {
		return err
	}
	v, err := report.Check(tr, n.Signer.Public(), custody.VerifyOptions{})
	if err != nil {
		return err
	}
	fnt, err := embeddedFonts()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := report.PDF(&b, tr, v, report.Options{Generated: time.Now().UTC(), Fonts: fnt}); err != nil {
		return err
	}
	pdf := filepath.Join(dir, "report-h3.pdf")
	if err := os.WriteFile(pdf, b.Bytes(), 0o644); err != nil {
		return err
	}
	say("    ana.garcia of es-fge consented (ConsentGranted, use=dissemination, to=be-fp) and the bundle went to be-fp; its court report %s prints the H3 restriction on every page: %q", pdf, restriction)
	return nil
}
