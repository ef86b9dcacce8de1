package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

const testDirectory = "../../infra/counterparts.yaml"

func sampleFiles(t *testing.T) []string {
	dir := t.TempDir()
	files := map[string]string{
		"seizure-report.txt": "Seizure report 2026/114: 412 kg cocaine hydrochloride\n",
		"bank-records.csv":   "date,amount\n2026-10-01,25000\n",
	}
	var out []string
	for n, b := range files {
		p := filepath.Join(dir, n)
		os.WriteFile(p, []byte(b), 0o644)
		out = append(out, p)
	}
	return out
}

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(t.Context(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func uploadArgs(data string, files []string, extra ...string) []string {
	args := []string{"upload", "--data", data, "--directory", testDirectory, "--uploader", "inspector",
		"--counterpart", "nl-om", "--counterpart", "es-fge", "--field", "EVX-Legal-Basis=EU-EIO", "--field", "EVX-Handling-Code=H0"}
	return append(append(args, extra...), files...)
}

// On a data folder: upload for two counterparts, nl-om pulls and accepts, the stored copy is
// then altered, es-fge pulls it, sees the mismatch and rejects; the trail verifies.
func TestUploadPullOnDataFolder(t *testing.T) {
	data := filepath.Join(t.TempDir(), "evx")
	code, out, errs := runCmd(t, uploadArgs(data, sampleFiles(t), "--json")...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	var st pipeline.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || !st.Ingest.Accepted || len(st.Deliveries) != 2 {
		t.Fatalf("upload result %s (%v): want accepted with 2 deliveries", out, err)
	}
	dl := t.TempDir()
	code, out, errs = runCmd(t, "pull", "--data", data, "--directory", testDirectory, "--counterpart", "nl-om", "--out", dl)
	if code != exitOK || !strings.Contains(out, "accepted") {
		t.Fatalf("pull nl-om = %d\n%s\n%s", code, out, errs)
	}
	// nl-om's copy is on disk with its signed receipt.
	nlID := pipeline.DeliveryID(st.Upload.BundleID, "nl-om")
	if b, err := os.ReadFile(filepath.Join(dl, nlID, "data", "seizure-report.txt")); err != nil || !strings.Contains(string(b), "412 kg") {
		t.Errorf("pulled document: %q, %v", b, err)
	}
	var rc pipeline.Receipt
	raw, _ := os.ReadFile(filepath.Join(dl, nlID, "receipt.json"))
	json.Unmarshal(raw, &rc)

	// Alter the stored report behind evx's back.
	for _, d := range st.Ingest.Documents {
		if strings.HasSuffix(d.Name, "seizure-report.txt") {
			p := filepath.Join(data, "blobs", d.SHA256[:2], d.SHA256[2:4], d.SHA256)
			os.Chmod(p, 0o600)
			os.WriteFile(p, []byte("Seizure report 2026/114: 41 kg\n"), 0o600)
		}
	}
	code, out, _ = runCmd(t, "pull", "--data", data, "--directory", testDirectory, "--counterpart", "es-fge", "--out", dl)
	if code != exitInvalid || !strings.Contains(out, "unanswered") || !strings.Contains(out, "MISMATCH data/seizure-report.txt") {
		t.Errorf("pull es-fge without --reject-on-mismatch = %d\n%s; want 1, unanswered, the mismatch", code, out)
	}
	code, out, _ = runCmd(t, "pull", "--data", data, "--directory", testDirectory, "--counterpart", "es-fge", "--out", dl, "--reject-on-mismatch", "--json")
	if code != exitInvalid || !strings.Contains(out, `"outcome": "rejected"`) {
		t.Errorf("pull es-fge --reject-on-mismatch = %d\n%s; want 1 and rejected", code, out)
	}
	code, out, _ = runCmd(t, "pull", "--data", data, "--directory", testDirectory, "--counterpart", "es-fge", "--out", dl)
	if code != exitOK || !strings.Contains(out, "no deliveries awaiting") {
		t.Errorf("pull es-fge again = %d %s; want nothing to do", code, out)
	}

	n, err := local.OpenNode(t.Context(), data, local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := pipeline.VerifyReceipt(&rc, n.Signer.Public()); err != nil {
		t.Errorf("saved receipt: %v", err)
	}
	var types []custody.EventType
	es, _ := n.Service.Events(t.Context(), st.Upload.BundleID)
	for _, e := range es {
		types = append(types, e.Event.Type)
	}
	joined := strings.Join(func() []string {
		s := make([]string, len(types))
		for i, t := range types {
			s[i] = string(t)
		}
		return s
	}(), " ")
	if !strings.Contains(joined, "ConsignmentAcceptance") || !strings.Contains(joined, "ConsignmentRejection") {
		t.Errorf("trail %s: want one acceptance and one rejection", joined)
	}
	if _, err := n.Service.Verify(t.Context(), st.Upload.BundleID, custody.VerifyOptions{}); err != nil {
		t.Errorf("trail: %v", err)
	}
}

// Against a server: upload, a rejected upload, pull.
func TestUploadPullOnServer(t *testing.T) {
	n, err := local.OpenNode(t.Context(), t.TempDir(), local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	toks, _ := api.ParseTokens(strings.NewReader("alice-token-0000001 uploader alice\nnl-om-token-0000001 counterpart nl-om\n"))
	srv := httptest.NewServer(api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithReportFonts(mustEmbeddedFonts(t)))
	defer srv.Close()

	args := []string{"upload", "--server", srv.URL, "--token", "alice-token-0000001", "--counterpart", "nl-om",
		"--field", "EVX-Legal-Basis=EU-EIO"}
	code, out, errs := runCmd(t, append(args, sampleFiles(t)...)...)
	if code != exitOK || !strings.Contains(out, "delivered to nl-om") {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bad := []string{"upload", "--server", srv.URL, "--token", "alice-token-0000001", "--counterpart", "xx-nobody"}
	code, out, _ = runCmd(t, append(bad, sampleFiles(t)...)...)
	if code != exitInvalid || !strings.Contains(out, "REJECTED") || !strings.Contains(out, "not in the counterpart directory") {
		t.Errorf("upload for an unknown counterpart = %d\n%s; want 1 with the reason", code, out)
	}
	code, out, errs = runCmd(t, "pull", "--server", srv.URL, "--token", "nl-om-token-0000001", "--out", t.TempDir())
	if code != exitOK || !strings.Contains(out, "accepted") {
		t.Errorf("pull = %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = runCmd(t, "pull", "--server", srv.URL, "--token", "alice-token-0000001", "--out", t.TempDir())
	if code != exitInvalid || !strings.Contains(errs, "403") {
		t.Errorf("pull with an uploader's token = %d %s; want 1 and the server's refusal", code, errs)
	}
}

func TestUploadPullUsage(t *testing.T) {
	for _, args := range [][]string{
		{"upload"},
		{"upload", "--data", t.TempDir(), "some-file"},                  // no counterpart
		{"upload", "--counterpart", "nl-om", "--field", "novalue", "x"}, // bad field
		{"upload", "--server", "ftp://x", "--token", "t", "--counterpart", "nl-om", "../../infra/counterparts.yaml"},
		{"upload", "--server", "http://127.0.0.1:1", "--counterpart", "nl-om", "../../infra/counterparts.yaml"}, // no token
		{"pull", "extra-arg"},
		{"pull", "--data", t.TempDir()}, // no counterpart
	} {
		t.Setenv("EVX_TOKEN", "")
		if code, _, _ := runCmd(t, args...); code != exitUsage {
			t.Errorf("evx %v = %d, want %d", args, code, exitUsage)
		}
	}
	if _, _, errs := runCmd(t, "pull", "--data", t.TempDir()); !strings.Contains(errs, "--counterpart ID") {
		t.Errorf("pull --data without --counterpart said %q, want --counterpart named", errs)
	}
}
