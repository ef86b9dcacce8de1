package report_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func render(t testing.TB, tr *custody.Trail, v report.Verdict) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.PDF(&b, tr, v, report.Options{Fonts: testFonts, Generated: genTime}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pdfText reads a PDF back with the project's own extractor.
func pdfText(t testing.TB, pdf []byte) *extract.Result {
	t.Helper()
	res, err := extract.Extract(context.Background(), bytes.NewReader(pdf), int64(len(pdf)), "report.pdf", extract.DefaultLimits())
	if err != nil {
		t.Fatalf("extract the report: %v", err)
	}
	if res.MediaType != extract.TypePDF || res.Partial {
		t.Fatalf("extract the report: media type %q, partial %v (%s), want a whole PDF", res.MediaType, res.Partial, res.StopReason)
	}
	return res
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got\n%s", path, got)
	}
}

func verdictOf(t testing.TB, tr *custody.Trail, s *custody.Ed25519Signer) report.Verdict {
	t.Helper()
	v, err := report.Check(tr, s.Public(), custody.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPDFVerifiedGolden(t *testing.T) {
	tr, _, s := fixture(t)
	v := verdictOf(t, tr, s)
	if !v.Verified {
		t.Fatalf("fixture verdict = %+v, want verified", v.Failure)
	}
	res := pdfText(t, render(t, tr, v))
	golden(t, "verified.golden.txt", res.Text)
	checkStructure(t, res, tr)
	for _, want := range []string{
		"VERIFIED", "OM-2026-114", "MLA-2026-0042", "1959 European Convention", "Requesting state NL",
		"Requested state BE", "Handling code H2", "GR-ΕΛΑΣ", "Łódź", "Wydział Łączności",
		"e3b0c442 98fc1c14 9afbf4c8 996fb924", "27ae41e4 649b934c a495991b 7852b855",
		"the JSON trail", "evidence of record", "evx.example.org/custody", v.TrustedKeyID,
	} {
		if !strings.Contains(strings.Join(strings.Fields(res.Text), " "), want) {
			t.Errorf("report text lacks %q", want)
		}
	}
	if strings.Contains(res.Text, "FAILED") {
		t.Error("verified report says FAILED")
	}
}

func TestPDFFailedGolden(t *testing.T) {
	tr, _, s := fixture(t)
	tr.Events[2].Event.Details.Counterpart = "XX-TAMPERED"
	v := verdictOf(t, tr, s)
	if v.Verified || v.Failure == nil || v.Failure.Kind != "EventHashError" || v.Failure.Seq != 3 {
		t.Fatalf("verdict after tampering with event 3 = %+v, want an EventHashError at seq 3", v.Failure)
	}
	res := pdfText(t, render(t, tr, v))
	golden(t, "failed.golden.txt", res.Text)
	checkStructure(t, res, tr)
	text := strings.Join(strings.Fields(res.Text), " ")
	for _, want := range []string{"FAILED", "Event 3 was altered", tr.Events[2].Event.Hash, "signed by the trusted key (checked)"} {
		if !strings.Contains(text, want) {
			t.Errorf("failed report text lacks %q", want)
		}
	}
	if strings.Contains(text, "VERIFIED") {
		t.Error("failed report says VERIFIED")
	}
}

// checkStructure: every page has its "Page N of M" footer and the evidence-of-record note,
// and every event appears in order with its type.
func checkStructure(t *testing.T, res *extract.Result, tr *custody.Trail) {
	t.Helper()
	m := res.Meta.Pages
	if m < 1 {
		t.Fatalf("report has %d pages", m)
	}
	foot := regexp.MustCompile(`Page (\d+) of (\d+)`).FindAllStringSubmatch(res.Text, -1)
	if len(foot) != m {
		t.Fatalf("report has %d page footers, want %d (one per page)", len(foot), m)
	}
	for i, f := range foot {
		if want := []string{itoa(i + 1), itoa(m)}; f[1] != want[0] || f[2] != want[1] {
			t.Errorf("footer %d = %q, want Page %s of %s", i+1, f[0], want[0], want[1])
		}
	}
	if n := strings.Count(res.Text, "evidence of record"); n != m {
		t.Errorf("evidence-of-record note appears %d times, want once per page (%d)", n, m)
	}
	pos := 0
	for _, te := range tr.Events {
		line := itoa(int(te.Event.Seq)) + " " + te.Event.Time.Format("2006-01-02 15:04:05.000") + " UTC " + string(te.Event.Type)
		i := strings.Index(res.Text[pos:], line)
		if i < 0 {
			t.Fatalf("event %d (%q) not found after offset %d", te.Event.Seq, line, pos)
		}
		pos += i + len(line)
		if !strings.Contains(res.Text, te.Event.Hash) {
			t.Errorf("event %d hash %s not printed whole", te.Event.Seq, te.Event.Hash)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestPDFDeterministic(t *testing.T) {
	tr, _, s := fixture(t)
	v := verdictOf(t, tr, s)
	a := render(t, tr, v)
	// Another report in between (other text, other glyphs) must not change the next one.
	other, _, _ := fixture(t)
	other.BundleID = "ΑΒΓ-żółw"
	render(t, other, report.Verdict{Failure: &report.Failure{Summary: "Ωμέγα ĄĘŚĆ"}})
	b := render(t, tr, v)
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings of the same trail with the same clock differ")
	}
	if !bytes.HasPrefix(a, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimSpace(a), []byte("%%EOF")) {
		t.Fatal("output is not framed as a PDF file")
	}
	if n := bytes.Count(a, []byte("/Title (")); n != 8 {
		t.Errorf("%d titles (7 section bookmarks, The parties among them, and the document title), want 8", n)
	}
	if !bytes.Contains(a, []byte("/CreationDate (D:20260320103000")) {
		t.Error("creation date is not the fixed generation time")
	}
}
