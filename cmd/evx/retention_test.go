package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRetentionCommand: the sending agency's legal staff review a bundle and authorise its
// disposal; evx retention dispose deletes its documents from the data folder, the trail still
// verifies, and show and list say so. Other agencies see no such bundle.
func TestRetentionCommand(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "evx")
	args := uploadArgs(data, sampleFiles(t))
	for i, a := range args {
		if a == "inspector" { // the uploader, of the sending agency nl-pol
			args[i] = "nl-pol/j.devries"
		}
	}
	code, out, errs := runCmd(t, args...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]
	ret := func(a ...string) (int, string, string) {
		return runCmd(t, append([]string{"retention", a[0], "--data", data, "--directory", testDirectory}, a[1:]...)...)
	}
	if code, _, errs := ret("dispose", "--agency", "nl-pol", "--person", "legal", bundle); code != exitInvalid || !strings.Contains(errs, "not authorised") {
		t.Fatalf("dispose before a review = %d, %q; want refused", code, errs)
	}
	if code, _, errs := ret("review", "--agency", "nl-om", "--person", "p.bakker", "--decision", "dispose", bundle); code != exitInvalid || !strings.Contains(errs, "no custody trail") {
		t.Fatalf("review by a recipient = %d, %q; want not found", code, errs)
	}
	if code, _, errs := ret("review", "--agency", "nl-pol", "--decision", "extend", "--until", "2001-01-01", bundle); code != exitInvalid {
		t.Fatalf("extension into the past = %d, %q; want refused", code, errs)
	}
	if code, _, _ := ret("list", "--agency", "nl-pol", "--due-within", "720h"); code != exitOK {
		t.Fatalf("list = %d", code)
	}
	if code, out, errs := ret("review", "--agency", "nl-pol", "--person", "m.jansen", "--decision", "dispose", "--note", "case closed, appeal period over", bundle); code != exitOK || !strings.Contains(out, "RetentionReviewed") {
		t.Fatalf("review = %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = ret("list", "--agency", "nl-pol", "--due-within", "1h", "--json")
	var due []struct{ Bundle, Decision string }
	if err := json.Unmarshal([]byte(out), &due); code != exitOK || err != nil || len(due) != 1 || due[0].Bundle != bundle || due[0].Decision != "dispose" {
		t.Fatalf("list --due-within after the review = %d %s %s; want the bundle, authorised for disposal", code, out, errs)
	}
	if code, out, errs := ret("dispose", "--agency", "nl-pol", "--person", "m.jansen", bundle); code != exitOK || !strings.Contains(out, "DocumentsDisposed") {
		t.Fatalf("dispose = %d\n%s\n%s", code, out, errs)
	}
	blobs := 0
	filepath.WalkDir(filepath.Join(data, "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			blobs++
		}
		return nil
	})
	if blobs != 0 {
		t.Errorf("%d stored files left after disposal of the only bundle, want none", blobs)
	}
	code, out, _ = ret("show", "--agency", "nl-pol", "--json", bundle)
	var r struct {
		Disposed bool
		Decision string `json:"decision"`
	}
	if err := json.Unmarshal([]byte(out), &r); code != exitOK || err != nil || !r.Disposed || r.Decision != "dispose" {
		t.Fatalf("show after disposal = %d %s", code, out)
	}
	if code, out, _ := ret("dispose", "--agency", "nl-pol", bundle); code != exitOK || !strings.Contains(out, "nothing new") {
		t.Errorf("dispose again = %d %q; want nothing new", code, out)
	}
	// The scheduled fixity check has nothing to check and no mismatch to report.
	if code, out, errs := runCmd(t, "audit", "--data", data, "--directory", testDirectory); code != exitOK {
		t.Fatalf("audit after disposal = %d\n%s\n%s", code, out, errs)
	}
	tp := filepath.Join(tmp, "trail.json")
	if code, _, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--out", tp, "--key-out", filepath.Join(tmp, "evx.pem"), bundle); code != exitOK {
		t.Fatalf("trail = %d %s", code, errs)
	}
	if code, out, errs := runCmd(t, "verify", "--key", filepath.Join(tmp, "evx.pem"), tp); code != exitOK {
		t.Fatalf("verify after disposal = %d\n%s\n%s", code, out, errs)
	}
}
