package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/extract"
)

var (
	sampleDir = filepath.Join("..", "..", "testdata", "sample")
	trailDir  = filepath.Join("..", "..", "testdata", "sample-trail")
	fontsDir  = filepath.Join("..", "..", "shared", "report", "fonts")
)

// TestCommittedSamplesAreCurrent: testdata/sample/ holds exactly what the generator writes,
// byte for byte (run `go run ./infra/samplegen` from the repository root after a change).
func TestCommittedSamplesAreCurrent(t *testing.T) {
	want, err := files(fontsDir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := files(fontsDir)
	if err != nil {
		t.Fatal(err)
	}
	compareDir(t, sampleDir, want, again)
	wantTrail, err := trailFiles(want)
	if err != nil {
		t.Fatal(err)
	}
	againTrail, err := trailFiles(again)
	if err != nil {
		t.Fatal(err)
	}
	compareDir(t, trailDir, wantTrail, againTrail)
}

// compareDir checks that dir holds exactly the files of want, byte for byte, and that a
// second generator run (again) gave the same bytes.
func compareDir(t *testing.T, dir string, want, again map[string][]byte) {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w, ok := want[rel]
		switch {
		case !ok:
			t.Errorf("%s is in %s but not generated", rel, dir)
		case !bytes.Equal(got, w):
			t.Errorf("%s differs from the generator's output: run go run ./infra/samplegen", filepath.Join(dir, rel))
		case !bytes.Equal(w, again[rel]):
			t.Errorf("%s: two generator runs differ", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("%s is generated but not committed in %s", name, dir)
		}
	}
}

// TestSampleTrailVerifies: the sample trail verifies with its key, its documents are the
// committed sample files, and it tells the demo's story.
func TestSampleTrailVerifies(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(trailDir, "trail.json"))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(trailDir, "evx-public.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := custody.ParsePublicKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := custody.VerifyTrail(raw, pub, custody.VerifyOptions{Documents: sampleDir})
	if err != nil {
		t.Fatalf("VerifyTrail = %v, want nil", err)
	}
	if rep.Events != 10 || rep.DocumentsCheck != 8 {
		t.Errorf("verified %d events, %d document checks; want 10 events and 8 documents", rep.Events, rep.DocumentsCheck)
	}
	tr, _ := custody.ParseTrail(raw)
	var types []string
	for _, te := range tr.Events {
		types = append(types, string(te.Event.Type))
	}
	if got, want := strings.Join(types, " "), "SubmissionAcceptance Hashed Stored Extracted ContentConsignment ContentConsignment ContentAccessTracking ContentAccessTracking ConsignmentAcceptance ConsignmentRejection"; got != want {
		t.Errorf("event types = %s, want %s", got, want)
	}
}

// TestSamplesExtract: shared/extract reads sensible text and metadata from every sample.
func TestSamplesExtract(t *testing.T) {
	cases := []struct {
		name, mediaType string
		pages           int
		want            []string
	}{
		{"seizure-report.pdf", extract.TypePDF, 1, []string{"SAMPLE DATA", "Seizure report 2026-114", "412 kg", "88317 Mobile phone, black (exhibit PH-1)", "request MLA-2026-0042"}},
		{"phone-extraction-summary.pdf", extract.TypePDF, 1, []string{"SAMPLE DATA", "Forensic phone-extraction summary", "Łukasz Wzór", "Zofia Przykładowa", "Νίκος Δείγμα", "c0ffee00d15ea5e0ba5eba11deadbeef"}},
		{"lab-analysis.pdf", extract.TypePDF, 2, []string{"SAMPLE DATA", "FL-2026-0381", "88316 S-16 25.3 kg cocaine hydrochloride 78 %", "page 2 of 2", "404.5 kg"}},
		{"liaison-email.eml", "message/rfc822", 0, []string{"SAMPLE DATA", "MLA-2026-0042: seal list", "Dear colleagues", "Zeehavenpolitie Rotterdam"}},
		{"bank-transactions.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 1, []string{"SAMPLE DATA", "Date\tAccount\tCounterparty\tAmount (EUR)\tReference", "2026-03-09\tBE00 0000 0000 0001\tPA00 SAMPLE 0000 0099\t120000.00\tCONSULTING Q1"}},
		{"bank-records.csv", "text/csv", 0, []string{"2026-02-02\tBE00 0000 0000 0001\tPA00 SAMPLE 0000 0099\t97000.00\tCONSULTING"}},
		{"seizure-report.txt", "text/plain", 0, []string{"SEIZURE REPORT 2026-114 (SAMPLE DATA, NOT A REAL CASE)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(sampleDir, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			res, err := extract.Extract(context.Background(), bytes.NewReader(data), int64(len(data)), tc.name, extract.DefaultLimits())
			if err != nil {
				t.Fatalf("Extract = %v", err)
			}
			if !strings.HasPrefix(res.MediaType, tc.mediaType) || res.Partial {
				t.Fatalf("media type %q partial %v (%s), want %s whole", res.MediaType, res.Partial, res.StopReason, tc.mediaType)
			}
			if res.Meta.Pages != tc.pages {
				t.Errorf("pages = %d, want %d", res.Meta.Pages, tc.pages)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Text, w) {
					t.Errorf("text lacks %q; text:\n%s", w, res.Text)
				}
			}
			if tc.name == "liaison-email.eml" {
				sum := sha256.Sum256([]byte(sealList))
				if len(res.Attach) != 1 || res.Attach[0].Name != "seal-list.txt" || res.Attach[0].SHA256 != hex.EncodeToString(sum[:]) {
					t.Errorf("attachments = %+v, want seal-list.txt with the seal list's SHA-256", res.Attach)
				}
				if res.Meta.From == "" || res.Meta.Message != "<20260314180500.0001@politie.example>" {
					t.Errorf("e-mail headers = %+v", res.Meta)
				}
			}
		})
	}
}
