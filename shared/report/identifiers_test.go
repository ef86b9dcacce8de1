package report_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/identify"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/report"
)

// TestIdentifiersSection: the identifiers the host gives are listed after the documents,
// with where they were read; none given prints no section, an empty list says none was found.
func TestIdentifiersSection(t *testing.T) {
	tr, _, s := fixture(t)
	v := verdictOf(t, tr, s)
	text := func(opt report.Options) string {
		opt.Fonts, opt.Generated = testFonts, genTime
		var b bytes.Buffer
		if err := report.PDF(&b, tr, v, opt); err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(pdfText(t, b.Bytes()).Text), " ")
	}
	ids := []report.DocumentIdentifiers{{Name: "data/seizure-report.pdf", Identifiers: []report.Identifier{
		{Type: "container", Value: "CSQU3054383", Page: 2}, {Type: "phone", Value: "+31612345678", Part: "headers"},
	}}, {Name: "data/bank-transactions.xlsx", Identifiers: []report.Identifier{}}}
	got := text(report.Options{Identifiers: ids, IdentifiersFrom: report.IdentifiersFromDocuments})
	for _, want := range []string{"Identifiers in the documents", "2 identifiers, read from the documents given with the trail", "CSQU3054383", "container", "page 2", "+31612345678", "headers"} {
		if !strings.Contains(got, want) {
			t.Errorf("report with identifiers lacks %q:\n%s", want, got)
		}
	}
	if got := text(report.Options{Identifiers: []report.DocumentIdentifiers{}}); !strings.Contains(got, "No identifier was found in the documents' text, read by evx") {
		t.Errorf("report with no identifier found does not say so:\n%s", got)
	}
	if got := text(report.Options{}); strings.Contains(got, "Identifiers in the documents") {
		t.Error("report without identifiers given has an identifiers section")
	}
}

// TestIdentifiersOf: each valid value once per document, at its first place; look-alikes left out.
func TestIdentifiersOf(t *testing.T) {
	got := report.IdentifiersOf([]pipeline.DocumentIdentifiers{{Name: "data/mail.eml", Identifiers: []identify.Finding{
		{Type: identify.Email, Value: "a@b.example", Page: 1, Valid: true},
		{Type: identify.Email, Value: "a@b.example", Part: "from", Valid: true},
		{Type: identify.Container, Value: "MSCU1234567", Page: 1},
		{Type: identify.Phone, Value: "+31612345678", Part: "body", Valid: true},
	}}})
	want := []report.Identifier{{Type: "email", Value: "a@b.example", Page: 1}, {Type: "phone", Value: "+31612345678", Part: "body"}}
	if len(got) != 1 || !slices.Equal(got[0].Identifiers, want) {
		t.Errorf("IdentifiersOf = %+v, want %+v", got, want)
	}
}
