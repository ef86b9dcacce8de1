package report_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
)

// TestOneIsSingular: a bundle of one document, on a log of one event, checked against one
// document supplied: every count the report shows says one thing, not "1 documents", in
// every language.
func TestOneIsSingular(t *testing.T) {
	ctx := context.Background()
	k, s := tickingKeeper(t)
	docs := []custody.Document{{Name: "data/acta.pdf", Size: 10, SHA256: strings.Repeat("ab", 32)}}
	if _, err := k.Record(ctx, "B-1", custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorUser, ID: "j.devries"}, custody.Details{Documents: docs}); err != nil {
		t.Fatal(err)
	}
	tr, err := k.Export(ctx, "B-1", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := verdictOf(t, tr, s)
	if !v.Verified || v.Summary == nil {
		t.Fatalf("verdict %+v", v)
	}
	sum := *v.Summary
	sum.DocumentsCheck = 1 // as if the one document had been supplied and matched
	v.Summary = &sum
	plural := regexp.MustCompile(`\b1 (documents|events|cosignatures|witnesses|documentos|eventos|cofirmas|testigos)\b`)
	for _, tc := range []struct {
		lang report.Lang
		want []string
	}{
		{report.English, []string{"1 document, as recorded", "It holds 1 event,", "1 document supplied was compared", "1 event, all bundles"}},
		{report.Spanish, []string{"1 documento, según consta", "Contiene 1 evento,", "Se ha cotejado 1 documento aportado", "1 evento, todos los lotes"}},
	} {
		var b bytes.Buffer
		if err := report.PDF(&b, tr, v, report.Options{Fonts: testFonts, Generated: genTime, Lang: tc.lang}); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(pdfText(t, b.Bytes()).Text), " ")
		if m := plural.FindAllString(text, -1); m != nil {
			t.Errorf("%s: the report says %q", tc.lang, m)
		}
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the report lacks %q:\n%s", tc.lang, w, text)
			}
		}
	}
}

// tickingKeeper is a keeper over an in-memory ledger, signing with the Ed25519 key of seed
// zero (returned too), whose clock moves a minute on each reading from 2026-03-15 09:00 UTC.
func tickingKeeper(t *testing.T) (*custody.Keeper, *custody.Ed25519Signer) {
	t.Helper()
	s, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)
	return &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: s, Origin: "evx.example.org/custody",
		Now: func() time.Time { now = now.Add(time.Minute); return now }}, s
}
