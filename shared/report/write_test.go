package report_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
)

func TestWrite(t *testing.T) {
	tr, raw, s := fixture(t)
	v := verdictOf(t, tr, s)
	dir := filepath.Join(t.TempDir(), "out", "case-2026-114")
	fs, err := report.Write(dir, raw, tr, v, report.Options{Fonts: testFonts, Generated: genTime})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(fs.Trail)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, raw) {
		t.Fatal("trail.json is not the exported trail byte for byte")
	}
	pdf, err := os.ReadFile(fs.PDF)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	var b bytes.Buffer
	if err := report.PDF(&b, tr, v, report.Options{Fonts: testFonts, Generated: genTime, TrailSHA256: hex.EncodeToString(sum[:])}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pdf, b.Bytes()) {
		t.Fatal("report.pdf differs from PDF's output for the same input")
	}
	if text := pdfText(t, pdf).Text; !strings.Contains(text, hex.EncodeToString(sum[:])) {
		t.Error("report.pdf does not print the SHA-256 of trail.json")
	}
	ld, err := os.ReadFile(fs.JSONLD)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(ld) {
		t.Fatal("trail.jsonld is not JSON")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("folder holds %d entries, want 3 (no temporary files left)", len(entries))
	}

	// Without the raw bytes, the trail is written from t and still parses and verifies.
	dir2 := t.TempDir()
	fs, err = report.Write(dir2, nil, tr, v, report.Options{Fonts: testFonts, Generated: genTime})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(fs.Trail)
	back, err := custody.ParseTrail(got)
	if err != nil {
		t.Fatalf("ParseTrail(written trail) = %v", err)
	}
	if _, err := custody.Verify(back, s.Public(), custody.VerifyOptions{}); err != nil {
		t.Fatalf("Verify(written trail) = %v, want nil", err)
	}
}

func TestWriteUnwritableFolder(t *testing.T) {
	tr, raw, s := fixture(t)
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o644)
	if _, err := report.Write(filepath.Join(file, "sub"), raw, tr, verdictOf(t, tr, s), report.Options{Fonts: testFonts, Generated: genTime}); err == nil {
		t.Fatal("Write under a regular file = nil error, want an error")
	}
}
