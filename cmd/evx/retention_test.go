package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
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

// evx retention on a server: legal staff of the sending agency show, review and dispose of a
// bundle through the API; another agency's legal staff are told it does not exist; list is a
// data folder's.
func TestRetentionCommandOnServer(t *testing.T) {
	n, err := local.OpenNode(t.Context(), t.TempDir(), local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	toks, _ := api.ParseTokens(strings.NewReader("carol-token-0000001 uploader nl-pol c.jansen\nnl-pol-legal-tok001 legal nl-pol m.jansen\njudge-token-0000001 legal nl-om r.visser\n"))
	srv := httptest.NewServer(api.New(n.Service, n.Uploads, toks, api.Limits{}, nil))
	defer srv.Close()
	as := func(token string, args ...string) (int, string, string) {
		t.Helper()
		return runCmd(t, append(args, "--server", srv.URL, "--token", token)...)
	}
	code, out, errOut := as("carol-token-0000001", "upload", "--counterpart", "nl-om", "--field", "EVX-Legal-Basis=EU-EIO", filepath.Join(sampleDir, "seizure-report.txt"))
	if code != exitOK {
		t.Fatalf("upload = %d\n%s%s", code, out, errOut)
	}
	bundle := strings.Fields(out)[1]
	const legal, judge = "nl-pol-legal-tok001", "judge-token-0000001"
	for _, tc := range []struct {
		token string
		args  []string
		code  int
		say   string
	}{
		{legal, []string{"retention", "show", bundle}, exitOK, "review due"},
		{judge, []string{"retention", "show", bundle}, exitInvalid, "404"},
		{legal, []string{"retention", "dispose", bundle}, exitInvalid, "not authorised"},
		{legal, []string{"retention", "review", "--decision", "dispose", "--note", "case closed", bundle}, exitOK, "RetentionReviewed recorded"},
		{legal, []string{"retention", "review", "--decision", "dispose", "--note", "case closed", bundle}, exitOK, "nothing new"},
		{legal, []string{"retention", "dispose", bundle}, exitOK, "DocumentsDisposed recorded"},
		{legal, []string{"retention", "show", "--json", bundle}, exitOK, `"disposed": true`},
		{legal, []string{"retention", "list"}, exitUsage, "works on a data folder"},
	} {
		code, out, errOut := as(tc.token, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.say) {
			t.Errorf("%s = %d\n%s%s\nwant %d saying %q", strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.say)
		}
	}
}
