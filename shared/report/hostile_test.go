package report_test

import (
	"bytes"
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
)

// TestHostileText: whatever a trail's strings hold (control characters, characters beyond
// the fonts' tables, invalid UTF-8, endless words), the report renders, and long values
// wrap instead of running off the page.
func TestHostileText(t *testing.T) {
	tr, _, s := fixture(t)
	long := strings.Repeat("x", 5000)
	acc := &tr.Events[0].Event
	acc.Details.Documents = append(acc.Details.Documents,
		custody.Document{Name: "data/\x00\x1b[31mred\u202e\u2028😀\xff\xfe.pdf", Size: 1, SHA256: "not hex at all, and much longer than sixty-four characters, with spaces"},
		custody.Document{Name: "data/" + long, Size: custody.MaxSafeInteger, SHA256: strings.Repeat("a", 64)},
	)
	acc.Details.Request.LegalBasis = long
	acc.Actor.ID = strings.Repeat("Ζ", 400)
	tr.Checkpoint = "garbage"
	tr.Keys = append(tr.Keys, custody.PublicKey{KeyID: long, Algorithm: "\x00"})
	v := verdictOf(t, tr, s)
	pdf := render(t, tr, v)
	res := pdfText(t, pdf)
	if !strings.Contains(res.Text, "FAILED") {
		t.Fatal("report of an altered trail does not say FAILED")
	}
	if !strings.Contains(res.Text, "…") {
		t.Error("overlong text is not cut with an ellipsis")
	}
	for _, line := range strings.Split(res.Text, "\n") {
		if n := len([]rune(line)); n > 200 {
			t.Errorf("a line of %d characters: text ran past the margin: %.80q", n, line)
		}
	}
	if _, err := report.JSONLD(tr, v, report.Options{Fonts: testFonts, Generated: genTime}); err != nil {
		t.Fatalf("JSONLD = %v", err)
	}
}

func TestEmptyTrail(t *testing.T) {
	for _, tr := range []*custody.Trail{nil, {}} {
		var b bytes.Buffer
		v := report.Verdict{Failure: &report.Failure{Kind: "FormatError", Summary: "The trail file is not a well-formed evx custody trail."}}
		if err := report.PDF(&b, tr, v, report.Options{Fonts: testFonts, Generated: genTime}); err != nil {
			t.Fatal(err)
		}
		text := pdfText(t, b.Bytes()).Text
		for _, want := range []string{"FAILED", "The trail holds no events.", "The trail records no documents."} {
			if !strings.Contains(text, want) {
				t.Errorf("report of an empty trail lacks %q", want)
			}
		}
		if _, err := report.JSONLD(tr, v, report.Options{Fonts: testFonts, Generated: genTime}); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzReport: any trail file gives a report (of a parsed trail, or of the parse failure)
// without an error or a panic.
func FuzzReport(f *testing.F) {
	_, raw, _ := fixture(f)
	f.Add(raw)
	f.Add([]byte(`{"format":"evx-custody-trail/1","bundle":"b","keys":[],"checkpoint":"","events":[]}`))
	f.Add([]byte(`{`))
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public()
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := custody.ParseTrail(data)
		if err != nil {
			// The report of an unreadable trail is TestEmptyTrail's; here only its verdict.
			if f := report.Describe(err); f.Kind != "FormatError" {
				t.Fatalf("ParseTrail error described as %s, want FormatError", f.Kind)
			}
			return
		}
		v, err := report.Check(tr, pub, custody.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := report.PDF(&b, tr, v, report.Options{Fonts: testFonts, Generated: genTime}); err != nil {
			t.Fatalf("PDF = %v", err)
		}
		if _, err := report.JSONLD(tr, v, report.Options{Fonts: testFonts, Generated: genTime}); err != nil {
			t.Fatalf("JSONLD = %v", err)
		}
	})
}
