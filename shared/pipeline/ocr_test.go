package pipeline_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/extract"
)

// TestIngestOCRLanguages: a node with OCR reads a bundle's scan in the languages of the
// bundle's requesting and requested states (NL, ES) as far as the engine has them, and the
// stored extraction says so. The engine is a stand-in that answers like tesseract and
// "reads" the languages it was given, writing its text and word table as tesseract does
// (OUTBASE.txt, OUTBASE.tsv).
func TestIngestOCRLanguages(t *testing.T) {
	dir := t.TempDir()
	engine := filepath.Join(dir, "fake-tesseract")
	script := `#!/bin/sh
case "$1" in
--version) echo "fake-tesseract 1.0"; exit 0;;
--list-langs) echo 'List of available languages in "/x/" (3):'; echo eng; echo nld; echo spa; exit 0;;
esac
base=$2; shift 2
while [ $# -gt 0 ]; do
	if [ "$1" = -l ]; then langs=$2; fi
	shift
done
echo "read in $langs" >"$base.txt"
: >"$base.tsv"
`
	if err := os.WriteFile(engine, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	scan := filepath.Join(dir, "scan.png")
	b, err := os.ReadFile(filepath.Join("..", "extract", "pdf", "testdata", "scanned.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(scan, b, 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := local.OpenNode(context.Background(), filepath.Join(dir, "node"), local.NodeOptions{
		Counterparts: testDirectory(t), Clock: newClock().Now, OCR: &extract.OCR{Command: engine}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ctx := context.Background()
	id := upload(t, n, makeBag(t, []string{scan}, info("nl-om")))
	st, err := n.Service.Process(ctx, id)
	if err != nil || !st.Ingest.Accepted || len(st.Ingest.Documents) != 1 {
		t.Fatalf("Process = %+v, %v; want the bundle accepted", st.Ingest, err)
	}
	rc, err := n.Blobs.Open(ctx, st.Ingest.Documents[0].Extraction)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	var x struct {
		Text      string   `json:"text"`
		OCR       string   `json:"ocr"`
		Languages []string `json:"ocr_languages"`
	}
	if err := json.Unmarshal(body, &x); err != nil {
		t.Fatal(err)
	}
	if want := []string{"nld", "spa", "eng"}; x.Text != "read in nld+spa+eng\n" || x.OCR != "fake-tesseract 1.0" || !slices.Equal(x.Languages, want) {
		t.Errorf("stored extraction %s; want OCR by fake-tesseract 1.0 in %v", body, want)
	}
}
