package report_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/piprate/json-gold/ld"

	"github.com/evx-project/evx/shared/report"
)

// offline refuses every remote document: the graph must be readable without the network.
type offline struct{}

func (offline) LoadDocument(u string) (*ld.RemoteDocument, error) {
	return nil, errors.New("remote document requested: " + u)
}

// nquads converts the JSON-LD to N-Quads with a standard JSON-LD processor.
func nquads(t *testing.T, doc []byte) string {
	t.Helper()
	var in any
	if err := json.Unmarshal(doc, &in); err != nil {
		t.Fatal(err)
	}
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = offline{}
	opts.Format = "application/n-quads"
	out, err := ld.NewJsonLdProcessor().ToRDF(in, opts)
	if err != nil {
		t.Fatalf("ToRDF: %v", err)
	}
	return out.(string)
}

// nodeIRI is the IRI of a node of bundle's graph, as docs/case-uco.md describes it: the
// bundle's prefix, the local name, and the version 5 UUID of bundle NUL local in the
// namespace uuid.NewSHA1(uuid.NameSpaceURL, "urn:evx:custody:").
func nodeIRI(bundle, local string) string {
	ns := uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:evx:custody:"))
	return "<urn:evx:bundle:" + bundle + ":" + local + "-" + uuid.NewSHA1(ns, []byte(bundle+"\x00"+local)).String() + ">"
}

func TestJSONLD(t *testing.T) {
	tr, _, s := fixture(t)
	v := verdictOf(t, tr, s)
	doc, err := report.JSONLD(tr, v, report.Options{Fonts: testFonts, Generated: genTime})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := report.JSONLD(tr, v, report.Options{Fonts: testFonts, Generated: genTime})
	if string(doc) != string(again) {
		t.Fatal("JSON-LD differs between two runs")
	}
	golden(t, "verified.golden.jsonld", string(doc))
	q := nquads(t, doc)
	kb := func(local string) string { return nodeIRI("case-2026-114", local) }
	const (
		inv  = "<https://ontology.caseontology.org/case/investigation/"
		core = "<https://ontology.unifiedcyberontology.org/uco/core/"
		obs  = "<https://ontology.unifiedcyberontology.org/uco/observable/"
		typ  = " <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
	)
	count := func(s string) int { return strings.Count(q, s) }
	if got, want := count(typ+inv+"InvestigativeAction>"), len(tr.Events)+1; got != want {
		t.Errorf("InvestigativeAction nodes = %d, want %d (one per event and the verification)", got, want)
	}
	if got := count(typ + obs + "File>"); got != 3 {
		t.Errorf("File nodes = %d, want 3", got)
	}
	for _, want := range []string{
		kb("file-3-sha256") + " <https://ontology.unifiedcyberontology.org/uco/types/hashValue> \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"^^<http://www.w3.org/2001/XMLSchema#hexBinary>",
		kb("file-3-sha256") + " <https://ontology.unifiedcyberontology.org/uco/types/hashMethod> \"SHA256\" .",
		kb("file-2-file-facet") + " " + obs + "fileName> \"data/phone-extraction/summary of extraction (Łódź lab) – handset 2 of 2 with a long name.pdf\"",
		kb("event-1") + " " + core + "name> \"SubmissionAcceptance\"",
		kb("event-1") + " <https://ontology.unifiedcyberontology.org/uco/action/result> " + kb("provenance-record"),
		kb("provenance-record") + " " + core + "object> " + kb("file-2"),
		kb("event-2") + " " + inv + "wasInformedBy> " + kb("event-1"),
		kb("investigation") + " " + inv + "relevantAuthorization> " + kb("authorization"),
		kb("authorization") + typ + inv + "Authorization>",
		kb("authorization") + " " + core + "name> \"1959 European Convention on Mutual Assistance in Criminal Matters, art. 3\"",
		kb("investigation") + " " + core + "name> \"OM-2026-114\"",
		kb("verification") + " <urn:evx:custody:verdict> \"VERIFIED\"",
		kb("verification") + " <https://ontology.unifiedcyberontology.org/uco/action/instrument> " + kb("verifier"),
		kb("event-7") + " <urn:evx:custody:counterpart> \"GR-ΕΛΑΣ\"",
		"\"2026-03-15T09:07:03.123456789Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime>",
	} {
		if !strings.Contains(q, want) {
			t.Errorf("N-Quads lack %s", want)
		}
	}

	tr.Events[0].Event.Details.Documents[0].Size++
	v = verdictOf(t, tr, s)
	doc, err = report.JSONLD(tr, v, report.Options{Fonts: testFonts, Generated: genTime})
	if err != nil {
		t.Fatal(err)
	}
	q = nquads(t, doc)
	for _, want := range []string{
		kb("verification") + " <urn:evx:custody:verdict> \"FAILED\"",
		kb("verification") + " <urn:evx:custody:failureType> \"EventHashError\"",
	} {
		if !strings.Contains(q, want) {
			t.Errorf("N-Quads of a failed trail lack %s", want)
		}
	}
}

// testIdentifiers are identifiers of the fixture's documents, one of them (the IBAN) in two
// documents, and one of a document the trail does not record.
func testIdentifiers() []report.DocumentIdentifiers {
	return []report.DocumentIdentifiers{
		{Name: "data/seizure-report.pdf", SHA256: "9f2c1a5b0e7d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3", Identifiers: []report.Identifier{
			{Type: "container", Value: "MSKU0000006", Page: 1},
			{Type: "email", Value: "dispatch@example.com", Part: "from"},
			{Type: "phone", Value: "+31612345678", Page: 2},
			{Type: "iban", Value: "NL91ABNA0417164300", Page: 2},
			{Type: "ipv4", Value: "192.0.2.7", Page: 3},
			{Type: "ipv6", Value: "2001:db8::1", Page: 3},
			{Type: "bitcoin", Value: "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", Page: 3},
		}},
		{Name: "data/bank-transactions.xlsx", SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Identifiers: []report.Identifier{
			{Type: "iban", Value: "NL91ABNA0417164300", Page: 1},
		}},
		{Name: "data/not-in-the-trail.pdf", SHA256: "ab", Identifiers: []report.Identifier{{Type: "imo", Value: "9074729"}}},
	}
}

func TestJSONLDIdentifiers(t *testing.T) {
	tr, _, s := fixture(t)
	v := verdictOf(t, tr, s)
	opt := report.Options{Fonts: testFonts, Generated: genTime, Identifiers: testIdentifiers()}
	doc, err := report.JSONLD(tr, v, opt)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := report.JSONLD(tr, v, opt)
	if string(doc) != string(again) {
		t.Fatal("JSON-LD differs between two runs")
	}
	q := nquads(t, doc)
	kb := func(local string) string { return nodeIRI("case-2026-114", local) }
	const (
		core = "<https://ontology.unifiedcyberontology.org/uco/core/"
		obs  = "<https://ontology.unifiedcyberontology.org/uco/observable/"
		typ  = " <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
	)
	for _, want := range []string{
		kb("identifier-1") + typ + obs + "ObservableObject>",
		kb("identifier-1") + " <urn:evx:custody:identifierType> \"container\"",
		kb("identifier-1") + " " + core + "name> \"MSKU0000006\"",
		kb("identifier-2") + typ + obs + "EmailAddress>",
		kb("identifier-2-facet") + " " + obs + "addressValue> \"dispatch@example.com\"",
		kb("identifier-3") + typ + obs + "PhoneAccount>",
		kb("identifier-3-facet") + " " + obs + "phoneNumber> \"+31612345678\"",
		kb("identifier-4-facet") + " " + obs + "accountIdentifier> \"NL91ABNA0417164300\"",
		kb("identifier-5") + typ + obs + "IPv4Address>",
		kb("identifier-6") + typ + obs + "IPv6Address>",
		kb("identifier-7") + typ + obs + "Account>",
		kb("identifier-link-1") + " " + core + "source> " + kb("identifier-1"),
		kb("identifier-link-1") + " " + core + "target> " + kb("file-1"),
		kb("identifier-link-1") + " " + core + "kindOfRelationship> \"Contained_Within\"",
		kb("identifier-link-1") + " <urn:evx:custody:page> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer>",
		kb("identifier-link-2") + " <urn:evx:custody:part> \"from\"",
		kb("identifier-link-8") + " " + core + "source> " + kb("identifier-4"),
		kb("identifier-link-8") + " " + core + "target> " + kb("file-3"),
	} {
		if !strings.Contains(q, want) {
			t.Errorf("N-Quads lack %s", want)
		}
	}
	if n := strings.Count(q, typ+obs+"ObservableRelationship>"); n != 8 {
		t.Errorf("%d identifier links, want 8 (seven in the seizure report, the IBAN again in the statement)", n)
	}
	if strings.Contains(q, "9074729") {
		t.Error("an identifier of a document the trail does not record is in the graph")
	}
	// A document of the same name but another hash is another file: not linked.
	ids := testIdentifiers()
	ids[0].SHA256 = strings.Repeat("0", 64)
	doc, _ = report.JSONLD(tr, v, report.Options{Fonts: testFonts, Generated: genTime, Identifiers: ids})
	if strings.Contains(string(doc), "MSKU0000006") {
		t.Error("identifiers linked to a file whose hash differs")
	}
}

// An H3 bundle's restriction travels with the CASE/UCO export, as it does on every page of
// the court report.
func TestJSONLDHandlingRestriction(t *testing.T) {
	tr, _, s := fixture(t)
	r := tr.Events[0].Event.Details.Request
	r.HandlingCode, r.HandlingRestriction = "H3", "not to be shared with tax authorities"
	doc, err := report.JSONLD(tr, verdictOf(t, tr, s), report.Options{Fonts: testFonts, Generated: genTime})
	if err != nil {
		t.Fatal(err)
	}
	q := nquads(t, doc)
	for _, want := range []string{
		nodeIRI("case-2026-114", "investigation") + " <urn:evx:custody:handlingRestriction> \"not to be shared with tax authorities\"",
		nodeIRI("case-2026-114", "investigation") + " <urn:evx:custody:handlingCode> \"H3\"",
	} {
		if !strings.Contains(q, want) {
			t.Errorf("N-Quads lack %s", want)
		}
	}
}
