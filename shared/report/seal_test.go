package report_test

import (
	"bytes"
	"crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
)

// TestSealVectorsVerdict: the report's verdict on each trail of shared/custody/testdata/seals
// names custody's failure type, in plain words of its own.
func TestSealVectorsVerdict(t *testing.T) {
	dir := filepath.Join("..", "custody", "testdata", "seals")
	key := func(name string) crypto.PublicKey {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := custody.ParsePublicKeyPEM(b)
		if err != nil {
			t.Fatal(err)
		}
		return pub
	}
	tsv, err := os.ReadFile(filepath.Join(dir, "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	pinned := map[string][]crypto.PublicKey{"nl-pol": {key("nl-pol.pem")}, "es-fge": {key("es-fge.pem")}}
	for _, line := range strings.Split(string(tsv), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || strings.HasPrefix(line, "#") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, f[0]+".json"))
		if err != nil {
			t.Fatal(err)
		}
		opt := custody.VerifyOptions{}
		if f[1] == "true" {
			opt.AgencyKeys = pinned
		}
		_, v, err := report.CheckFile(raw, key("evx.pem"), opt)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case f[2] == "" && (!v.Verified || len(v.Summary.Seals) != 2):
			t.Errorf("%s: verdict %+v, want verified with two seals", f[0], v)
		case f[2] != "" && (v.Verified || v.Failure.Kind != f[2] || strings.HasPrefix(v.Failure.Summary, "Verification failed")):
			t.Errorf("%s: verdict %+v, want a %s in plain words", f[0], v.Failure, f[2])
		}
	}
}

// TestReportNamesTheParties: the report of the sealed trail names the sender (person and
// agency) and each counterpart's answer with its reasons, and says which seals were verified
// with keys the verifier holds.
func TestReportNamesTheParties(t *testing.T) {
	dir := filepath.Join("..", "custody", "testdata", "seals")
	raw, err := os.ReadFile(filepath.Join(dir, "good.json"))
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) crypto.PublicKey {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		pub, err := custody.ParsePublicKeyPEM(b)
		if err != nil {
			t.Fatal(err)
		}
		return pub
	}
	tr, v, err := report.CheckFile(raw, read("evx.pem"), custody.VerifyOptions{AgencyKeys: map[string][]crypto.PublicKey{"nl-pol": {read("nl-pol.pem")}}})
	if err != nil || !v.Verified {
		t.Fatalf("CheckFile = %+v, %v", v.Failure, err)
	}
	var b bytes.Buffer
	names := map[string]string{"nl-pol": "Politie, Landelijke Eenheid", "es-fge": "Fiscalía Especial Antidroga"}
	if err := report.PDF(&b, tr, v, report.Options{Fonts: testFonts, Generated: genTime, AgencyName: func(id string) string { return names[id] }}); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(pdfText(t, b.Bytes()).Text), " ")
	for _, want := range []string{
		"The parties", "Sent by j.devries of Politie, Landelijke Eenheid (nl-pol)",
		"sealed by the agency; seal verified with the agency's key given to the verifier",
		"es-fge Fiscalía Especial Antidroga: refused by m.garcia", "reasons: not competent: the receiving authority is not competent for the matter [not-competent] sealed by the agency", "Note of the counterpart: corresponde a otra fiscalía",
		"Documents as judged in the counterpart's sealed acknowledgement of receipt: • data/ledger.csv: accepted",
		"sealed by the agency; seal verified with the agency's key history in evx's log", "key valid without time limits",
		"Bundle B-1 · VERIFIED",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the report does not say %q:\n%s", want, text)
		}
	}
}
