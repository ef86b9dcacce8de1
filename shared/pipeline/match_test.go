package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/backend/local/sqliteindex"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/directory"
	"github.com/evx-project/evx/shared/identify"
	"github.com/evx-project/evx/shared/pipeline"
)

const homeAgency = "nl-politie"

func matchDirectory(t testing.TB) *directory.Directory {
	d, err := directory.New([]pipeline.Counterpart{
		{ID: "nl-om", Name: "Openbaar Ministerie", Country: "NL", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1", "H2", "H3"}, Active: true},
		{ID: "co-fgn", Name: "Fiscalía General de la Nación", Country: "CO", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1", "H2", "H3"}, Active: true, Matching: true},
		{ID: "es-fge", Name: "Fiscalía Especial Antidroga", Country: "ES", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0"}, Active: false, Matching: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// matchNode opens a node over matchDirectory on a test clock.
func matchNode(t *testing.T) (*local.Node, *testClock) {
	t.Helper()
	clock := newClock()
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Counterparts: matchDirectory(t), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n, clock
}

// matchBundle uploads and processes a bag holding one document with text and returns its id.
func matchBundle(t *testing.T, n *local.Node, text, code, matching string) string {
	t.Helper()
	return matchBundleBy(t, n, "inspector-1", text, code, matching)
}

// matchBundleBy is matchBundle submitted by uploader.
func matchBundleBy(t *testing.T, n *local.Node, uploader, text, code, matching string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "report.txt")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	in := bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "nl-om"},
		{Label: bagit.LabelRequestingState, Value: "NL"},
		{Label: bagit.LabelRequestedState, Value: "CO"},
		{Label: bagit.LabelLegalBasis, Value: "EU-EIO"},
		{Label: bagit.LabelHandlingCode, Value: code},
	}
	if matching != "" {
		in = append(in, bagit.Field{Label: pipeline.BagInfoMatching, Value: matching})
	}
	if code == "H3" {
		in = append(in, bagit.Field{Label: bagit.LabelHandlingRestriction, Value: "not for tax authorities"})
	}
	ctx := context.Background()
	id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(makeBag(t, []string{p}, in)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: uploader, Size: size}); err != nil {
		t.Fatal(err)
	}
	if st, err := n.Service.Process(ctx, id); err != nil || st.Ingest == nil || !st.Ingest.Accepted {
		t.Fatalf("Process(%s) = %+v, %v", id, st, err)
	}
	return id
}

func TestMatch(t *testing.T) {
	ctx := context.Background()
	n, clock := matchNode(t)
	// Bundles accepted before the index exists are backfilled.
	h1 := matchBundle(t, n, "Seizure report: container CSQU 305438 3, tel. 06 1234 5678\n", "H1", "")
	h3 := matchBundle(t, n, "Container CSQU3054383 again; MSCU1234566 too\n", "H3", "")
	h2 := matchBundle(t, n, "Payment from IBAN NL91 ABNA 0417 1643 00\n", "H2", "allowed")
	h0 := matchBundle(t, n, "Container MSCU1234566\n", "H0", "none")

	m, idx, err := n.OpenMatcher(ctx, homeAgency, clock.Now, pipeline.MatchLimits{PerHour: 6, PerDay: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := n.BackfillIndex(ctx, m); err != nil || got != 4 {
		t.Fatalf("BackfillIndex = %d, %v; want 4", got, err)
	}
	if got, err := n.BackfillIndex(ctx, m); err != nil || got != 0 {
		t.Fatalf("second BackfillIndex = %d, %v; want 0", got, err)
	}
	wantMatching := map[string]bool{h1: true, h3: false, h2: true, h0: false}
	for id, want := range wantMatching {
		b, err := idx.Bundle(ctx, id)
		if err != nil || b.Matching != want || b.Agency != homeAgency {
			t.Errorf("index bundle %s = %+v, %v; want matching %v", id, b, err, want)
		}
		es, _ := n.Ledger.Events(ctx, id)
		if last := es[len(es)-1].Event; last.Type != pipeline.IdentifiersIndexed {
			t.Errorf("trail of %s ends with %s, want IdentifiersIndexed", id, last.Type)
		}
	}
	if entries, _, _ := idx.Count(ctx); entries != 6 {
		t.Errorf("index entries = %d, want 6 (2 + 2 + 1 + 1)", entries)
	}

	co := pipeline.Asker{Agency: "co-fgn", Person: "fiscal-7"}
	out, err := m.Match(ctx, co, []pipeline.Query{
		{Type: identify.Container, Value: "CSQU 305438-3"}, // H1 (allowed) and H3 (none): a hit
		{Type: identify.Container, Value: "MSCU1234566"},   // H3 and H0 with EVX-Matching none: no hit
		{Type: identify.IBAN, Value: "NL91ABNA0417164300"}, // H2 with EVX-Matching allowed: a hit
		{Type: identify.Phone, Value: "+31612345678"},      // national number, region from the states
		{Type: identify.Container, Value: "CSQU3054384"},   // check digit fails
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"hit", "no-hit", "hit", "hit", "invalid"}
	for i, o := range out {
		if o.Result != want[i] {
			t.Errorf("Match[%d] %s %s = %s, want %s", i, o.Type, o.Value, o.Result, want[i])
		}
		if len(o.Own) != 0 {
			t.Errorf("Match[%d] shows own bundles %v to another agency", i, o.Own)
		}
		for _, h := range o.Holders {
			if h.Agency != homeAgency || !strings.HasPrefix(h.Reference, "evx-hit-") || strings.Contains(h.Reference, h1) {
				t.Errorf("Match[%d] holder %+v", i, h)
			}
		}
	}
	// Every identifier asked (four valid ones) is an event on the asker's subject; every hit
	// one on the holder's, with a notice on its queue.
	subject := pipeline.MatchSubject("co-fgn", clock.Now())
	es, err := n.Ledger.Events(ctx, subject)
	if err != nil || len(es) != 4 {
		t.Fatalf("events of %s = %d, %v; want 4", subject, len(es), err)
	}
	for _, e := range es {
		ev := e.Event
		if ev.Type != pipeline.IdentifierQuery || ev.Actor.ID != "fiscal-7" || ev.Details.Counterpart != "co-fgn" ||
			!strings.HasPrefix(ev.Details.Reasons[1], "keyed_hash=") || strings.Contains(strings.Join(ev.Details.Reasons, " "), "CSQU") {
			t.Errorf("query event %+v", ev)
		}
	}
	// The matching subject's trail verifies like a bundle's: chain, signatures, log proofs.
	if rep, err := n.Service.Verify(ctx, subject, custody.VerifyOptions{}); err != nil || rep.Events != 4 {
		t.Fatalf("Verify(%s) = %+v, %v", subject, rep, err)
	}
	hits, _ := n.Ledger.Events(ctx, pipeline.MatchSubject(homeAgency, clock.Now()))
	if len(hits) != 3 || hits[0].Event.Type != pipeline.IdentifierMatched || hits[0].Event.Details.Counterpart != "co-fgn" {
		t.Fatalf("holder's subject = %d events: %+v", len(hits), hits)
	}
	msgs, err := n.Queue.Receive(ctx, m.NoticeQueue(homeAgency), 10, time.Minute)
	if err != nil || len(msgs) != 3 || !strings.Contains(string(msgs[0].Body), `"asking_agency":"co-fgn"`) {
		t.Fatalf("notices = %d, %v", len(msgs), err)
	}

	// Within the agency, its own bundles are shown, whatever their matching setting.
	own, err := m.Match(ctx, pipeline.Asker{Agency: homeAgency, Person: "analyst-1"}, []pipeline.Query{{Type: identify.Container, Value: "MSCU1234566"}})
	if err != nil || len(own[0].Own) != 2 || own[0].Result != "no-hit" {
		t.Fatalf("own Match = %+v, %v; want bundles %s and %s", own, err, h3, h0)
	}

	// Refusals.
	for _, a := range []pipeline.Asker{{Agency: "nl-om"}, {Agency: "es-fge"}, {Agency: "xx-none"}} {
		var re *pipeline.MatchRefusedError
		if _, err := m.Match(ctx, a, []pipeline.Query{{Type: identify.Container, Value: "CSQU3054383"}}); !errors.As(err, &re) {
			t.Errorf("Match as %s = %v, want *MatchRefusedError", a.Agency, err)
		}
	}
	// Rate limit: 4 used of 6 per hour; 3 more are refused, and nothing is recorded.
	var rl *pipeline.RateLimitError
	three := []pipeline.Query{{Type: identify.Container, Value: "CSQU3054383"}, {Type: identify.IMO, Value: "9074729"}, {Type: identify.Email, Value: "a@example.org"}}
	if _, err := m.Match(ctx, co, three); !errors.As(err, &rl) || rl.Window != "hour" || rl.Used != 4 {
		t.Fatalf("Match over the hourly limit = %v, want *RateLimitError (hour, 4 used)", err)
	}
	if _, err := m.Match(ctx, co, three[:2]); err != nil {
		t.Fatalf("Match within the limit = %v", err)
	}
	clock.Advance(2 * time.Hour)
	if _, err := m.Match(ctx, co, three); !errors.As(err, &rl) || rl.Window != "day" || rl.Used != 6 {
		t.Fatalf("Match over the daily limit = %v, want *RateLimitError (day, 6 used)", err)
	}
	var be *pipeline.BatchError
	if _, err := m.Match(ctx, co, make([]pipeline.Query, 51)); !errors.As(err, &be) {
		t.Fatalf("Match of 51 = %v, want *BatchError", err)
	}
}

// A bundle submitted by an uploader of another agency (AGENCY/person) is held by that
// agency: the deployment's own staff get a hit naming it, not an own bundle, and that
// agency's own query does not hit its own evidence.
func TestMatchHolderIsSendingAgency(t *testing.T) {
	ctx := context.Background()
	n, clock := matchNode(t)
	id := matchBundleBy(t, n, "co-fgn/a.ruiz", "Container MSCU 123456-6, 40' HC\n", "H1", "")
	m, _, err := n.OpenMatcher(ctx, homeAgency, clock.Now, pipeline.MatchLimits{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.IndexBundle(ctx, id)
	if err != nil || b.Agency != "co-fgn" || b.Identifiers != 1 {
		t.Fatalf("IndexBundle = %+v, %v; want held by co-fgn, 1 identifier", b, err)
	}
	q := []pipeline.Query{{Type: identify.Container, Value: "MSCU1234566"}}
	out, err := m.Match(ctx, pipeline.Asker{Agency: homeAgency, Person: "analyst-1"}, q)
	if err != nil || len(out) != 1 || out[0].Result != "hit" || len(out[0].Holders) != 1 || out[0].Holders[0].Agency != "co-fgn" || len(out[0].Own) != 0 {
		t.Errorf("home's query = %+v, %v; want a hit held by co-fgn, no own bundle", out, err)
	}
	out, err = m.Match(ctx, pipeline.Asker{Agency: "co-fgn", Person: "a.ruiz"}, q)
	if err != nil || len(out) != 1 || out[0].Result != "no-hit" {
		t.Errorf("co-fgn's query = %+v, %v; want no hit on its own evidence", out, err)
	}
}

// The sending agency's directory setting (evidence_matching) decides before and after the
// bag: none withdraws all its evidence, allowed opens every bag that does not say none, and
// a withdrawal made after indexing takes effect at the next query.
func TestMatchAgencySetting(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	agency := func(id, country, setting string) pipeline.Counterpart {
		return pipeline.Counterpart{ID: id, Name: id, Country: country, LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1", "H2", "H3"},
			Active: true, EvidenceMatching: setting}
	}
	dirWith := func(de string) *directory.Directory {
		d, err := directory.New([]pipeline.Counterpart{
			{ID: "nl-om", Name: "Openbaar Ministerie", Country: "NL", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1", "H2", "H3"}, Active: true},
			{ID: "co-fgn", Name: "Fiscalía General de la Nación", Country: "CO", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0"}, Active: true, Matching: true},
			agency("be-fed", "BE", pipeline.EvidenceMatchingNone),
			agency("de-bka", "DE", de),
			agency("fr-ofast", "FR", ""),
		})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	n, err := local.OpenNode(ctx, t.TempDir(), local.NodeOptions{Counterparts: dirWith(pipeline.EvidenceMatchingAllowed), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	m, idx, err := n.OpenMatcher(ctx, homeAgency, clock.Now, pipeline.MatchLimits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, uploader, code, bagInfo string
		matching                      bool
		source                        string
	}{
		{"agency none over an open bag", "be-fed/a", "H0", "allowed", false, "agency"},
		{"agency none, no field", "be-fed/a", "H1", "", false, "agency"},
		{"agency allowed, H3 without a field", "de-bka/b", "H3", "", true, "agency"},
		{"agency allowed, the bag says none", "de-bka/b", "H1", "none", false, "bag-info"},
		{"by bundle: the handling code", "fr-ofast/c", "H2", "", false, "handling-code"},
		{"by bundle: the bag", "fr-ofast/c", "H2", "allowed", true, "bag-info"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := matchBundleBy(t, n, tc.uploader, "Container MSCU 123456-6\n", tc.code, tc.bagInfo)
			b, err := m.IndexBundle(ctx, id)
			if err != nil || b.Matching != tc.matching {
				t.Fatalf("IndexBundle = %+v, %v; want matching %v", b, err, tc.matching)
			}
			es, _ := n.Ledger.Events(ctx, id)
			last := es[len(es)-1].Event
			if !slices.Contains(last.Details.Reasons, "matching_source="+tc.source) {
				t.Errorf("IdentifiersIndexed reasons %v, want matching_source=%s", last.Details.Reasons, tc.source)
			}
		})
	}
	q := []pipeline.Query{{Type: identify.Container, Value: "MSCU1234566"}}
	holders := func(m *pipeline.Matcher) []string {
		t.Helper()
		out, err := m.Match(ctx, pipeline.Asker{Agency: "co-fgn", Person: "fiscal-7"}, q)
		if err != nil {
			t.Fatal(err)
		}
		var hs []string
		for _, h := range out[0].Holders {
			hs = append(hs, h.Agency)
		}
		return hs
	}
	if got := holders(m); !slices.Equal(got, []string{"de-bka", "fr-ofast"}) {
		t.Errorf("holders = %v, want [de-bka fr-ofast]", got)
	}
	// de-bka withdraws its evidence: the index is unchanged, the next query does not hit it.
	secret, err := sqliteindex.LoadOrCreateSecret(filepath.Join(n.Dir, sqliteindex.SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	m2, err := pipeline.NewMatcher(pipeline.MatchConfig{Index: idx, Ledger: n.Ledger, Signer: n.Signer, Blobs: n.Blobs, Bags: n.Uploads, Queue: n.Queue,
		Directory: dirWith(pipeline.EvidenceMatchingNone), Secret: secret, Agency: homeAgency, Origin: n.Service.Origin(), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if got := holders(m2); !slices.Equal(got, []string{"fr-ofast"}) {
		t.Errorf("holders after de-bka's withdrawal = %v, want [fr-ofast]", got)
	}
}

// A keyer that computes HMAC-SHA-256 itself over identify.KeyMessage gives identify.Key's
// hash: an index keyed in KMS and one keyed by a file agree on the same key.
func TestSecretKeyerIsKey(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, identify.MinSecret)
	got, err := pipeline.SecretKeyer(secret).MAC(t.Context(), identify.KeyMessage(identify.Container, "MSCU1234566"))
	if want := identify.Key(secret, identify.Container, "MSCU1234566"); err != nil || got != want {
		t.Fatalf("SecretKeyer.MAC = %x, %v; want identify.Key's %x", got, err, want)
	}
}

// A bag no longer stored (on AWS the uploads bucket expires it) says nothing the index can
// read: its bundle is indexed, and matchable by no one else, even with handling code H0.
func TestMatchBagUnavailable(t *testing.T) {
	ctx := context.Background()
	n, clock := matchNode(t)
	id := matchBundle(t, n, "Container MSCU1234566\n", "H0", "")
	if err := os.Remove(filepath.Join(n.Dir, local.UploadsDir, id+".bag")); err != nil {
		t.Fatal(err)
	}
	m, _, err := n.OpenMatcher(ctx, homeAgency, clock.Now, pipeline.MatchLimits{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.IndexBundle(ctx, id)
	if err != nil || b.Matching || b.Identifiers != 1 {
		t.Fatalf("IndexBundle = %+v, %v; want indexed, not matchable", b, err)
	}
	es, _ := n.Ledger.Events(ctx, id)
	if r := es[len(es)-1].Event.Details.Reasons; !slices.Contains(r, "matching_source=bag-unavailable") {
		t.Errorf("IdentifiersIndexed reasons %v, want matching_source=bag-unavailable", r)
	}
}

// A bundle that cannot be indexed (its extraction record is gone) does not hold up the
// others: Backfill indexes the rest and returns the failure naming it.
func TestBackfillGoesOn(t *testing.T) {
	ctx := context.Background()
	n, clock := matchNode(t)
	broken := matchBundle(t, n, "Container MSCU1234566\n", "H0", "")
	good := matchBundle(t, n, "Container CSQU3054383\n", "H0", "")
	es, _ := n.Ledger.Events(ctx, broken)
	sum := es[0].Event.Details.Documents[0].Extraction
	p := filepath.Join(n.Dir, local.BlobsDir, sum[0:2], sum[2:4], sum)
	os.Chmod(p, 0o600)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	m, _, err := n.OpenMatcher(ctx, homeAgency, clock.Now, pipeline.MatchLimits{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Backfill(ctx, []string{broken, good})
	if got != 1 || err == nil || !strings.Contains(err.Error(), broken) {
		t.Fatalf("Backfill = %d, %v; want 1 indexed and the failure of %s", got, err, broken)
	}
	if es, _ := n.Ledger.Events(ctx, good); es[len(es)-1].Event.Type != pipeline.IdentifiersIndexed {
		t.Errorf("the good bundle was not indexed")
	}
}
