package report_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
)

// h3Trail is a bundle sent under H3 with its restriction, and enough fetches to fill pages.
func h3Trail(t *testing.T, restriction string, fetches int) (*custody.Trail, *custody.Ed25519Signer) {
	t.Helper()
	ctx := context.Background()
	_, _, s := fixture(t)
	now := time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: s, Origin: "evx.example.org/custody",
		Now: func() time.Time { now = now.Add(time.Minute); return now }}
	docs := []custody.Document{{Name: "data/seizure-report.pdf", Size: 2841, SHA256: strings.Repeat("ab", 32), MediaType: "application/pdf"}}
	rec := func(typ custody.EventType, a custody.Actor, d custody.Details) {
		t.Helper()
		if _, err := k.Record(ctx, "case-h3", typ, a, d); err != nil {
			t.Fatal(err)
		}
	}
	rec(custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorUser, ID: "nl-pol/j.devries", Agency: "nl-pol", Person: "j.devries"}, custody.Details{
		Documents: docs, Counterparts: []string{"nl-om"},
		Request: &custody.Request{CaseReference: "OM-2026-114", LegalBasis: "EU-EIO", HandlingCode: custody.HandlingH3, HandlingRestriction: restriction},
	})
	for range fetches {
		rec(custody.ContentAccessTracking, custody.Actor{Kind: custody.ActorCounterpart, ID: "nl-om", Agency: "nl-om", Person: "p.bakker"},
			custody.Details{Counterpart: "nl-om", Documents: docs})
	}
	tr, err := k.Export(ctx, "case-h3", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr, s
}

// TestH3RestrictionOnEveryPage: the H3 restriction the sender gave is printed at the top of
// every page of the court report, as pdftotext reads each page, in English and in Spanish;
// a report of a bundle under another code prints none.
func TestH3RestrictionOnEveryPage(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (make tools)")
	}
	const restriction = "Not to be passed to tax or customs authorities; Zoll: nur mit Zustimmung"
	tr, s := h3Trail(t, restriction, 90)
	v := verdictOf(t, tr, s)
	if !v.Verified {
		t.Fatalf("the H3 trail does not verify: %+v", v)
	}
	if tr.Events[0].Event.Version != custody.Version2 {
		t.Errorf("an event carrying a restriction is version %d, want 2", tr.Events[0].Event.Version)
	}
	for _, tc := range []struct {
		lang, want string
	}{
		{"en", "Handling code H3, restriction of the sending agency: " + restriction},
		{"es", "Código de tratamiento H3, restricción de la autoridad remitente: " + restriction},
	} {
		lang, err := report.ParseLang(tc.lang)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := report.PDF(&b, tr, v, report.Options{Fonts: testFonts, Generated: genTime, Lang: lang}); err != nil {
			t.Fatal(err)
		}
		pages := pdfPages(t, b.Bytes())
		if len(pages) < 3 {
			t.Fatalf("%s: %d pages; want a report of several pages", tc.lang, len(pages))
		}
		for i, p := range pages {
			if !strings.Contains(strings.Join(strings.Fields(p), " "), tc.want) {
				t.Errorf("%s: page %d of %d lacks the restriction %q:\n%s", tc.lang, i+1, len(pages), tc.want, p)
			}
		}
	}
	plain, _, ps := fixture(t)
	for i, p := range pdfPages(t, render(t, plain, verdictOf(t, plain, ps))) {
		if strings.Contains(p, "H3") {
			t.Errorf("page %d of an H2 bundle's report mentions H3:\n%s", i+1, p)
		}
	}
}

// pdfPages is pdftotext's text of each page of pdf.
func pdfPages(t *testing.T, pdf []byte) []string {
	t.Helper()
	in := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", "-layout", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(string(out), "\f")
	if n := len(pages); n > 0 && strings.TrimSpace(pages[n-1]) == "" {
		pages = pages[:n-1]
	}
	return pages
}
