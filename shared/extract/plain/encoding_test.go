package plain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestEncodingCorpus decodes every file of testdata/encodings (written by iconv, see
// gen_encodings.go) without being told its encoding. A text of 200 characters or more must
// come out exactly as its UTF-8 original; a shorter one must come out exactly or be flagged
// with a confidence below LowConfidence.
func TestEncodingCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "encodings", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in testdata/encodings (go generate): %v", err)
	}
	var long, longOK, short, shortOK, shortFlagged int
	for _, f := range files {
		name, enc, _ := strings.Cut(filepath.Base(f), ".")
		if enc == "utf-8" {
			continue
		}
		want, err := os.ReadFile(filepath.Join("testdata", "encodings", name+".utf-8"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(f)
		got, d := Decode(b)
		exact := got == string(want)
		if utf8.RuneCount(want) >= 200 {
			long++
			if exact {
				longOK++
			} else {
				t.Errorf("Decode(%s) read %s (confidence %.2f, others %v), want %s: %.80q", filepath.Base(f), d.Encoding, d.Confidence, d.Others, enc, got)
			}
			continue
		}
		short++
		switch {
		case exact:
			shortOK++
		case d.Confidence < LowConfidence:
			shortFlagged++
		default:
			t.Errorf("Decode(%s) read %s with confidence %.2f, want %s or a low confidence: %.80q", filepath.Base(f), d.Encoding, d.Confidence, enc, got)
		}
	}
	t.Logf("%d of %d texts of 200+ characters decoded exactly; of %d short texts %d exactly, %d flagged as low confidence", longOK, long, short, shortOK, shortFlagged)
}
