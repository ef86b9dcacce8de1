package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := runCmd(t, "demo", "--out", out, "--directory", testDirectory, "--samples", filepath.Join(t.TempDir(), "none"))
	if code != exitOK {
		t.Fatalf("demo = %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"accepted", "rejected", "verified with"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output does not say %q:\n%s", want, stdout)
		}
	}
	trail, err := os.ReadFile(filepath.Join(out, "trail.json"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(out, "evx-public-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := custody.ParsePublicKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := custody.ParseTrail(trail)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.Verify(tr, pub, custody.VerifyOptions{}); err != nil {
		t.Errorf("demo trail: %v", err)
	}
	var types []string
	for _, e := range tr.Events {
		types = append(types, string(e.Event.Type))
	}
	got := strings.Join(types, " ")
	for _, want := range []string{"SubmissionAcceptance", "ContentConsignment", "ContentAccessTracking", "ConsignmentAcceptance", "ConsignmentRejection"} {
		if !strings.Contains(got, want) {
			t.Errorf("demo trail %s lacks %s", got, want)
		}
	}
	// The PDF was extracted: its media type is recorded.
	pdf := false
	for _, d := range tr.Events[0].Event.Details.Documents {
		pdf = pdf || d.MediaType == "application/pdf" && d.Extraction != ""
	}
	if !pdf {
		t.Errorf("acceptance %+v records no extracted PDF", tr.Events[0].Event.Details.Documents)
	}
	// A second run into the same folder is refused rather than mixing runs.
	if code, _, _ := runCmd(t, "demo", "--out", out, "--directory", testDirectory); code != exitUsage {
		t.Errorf("demo into a used folder = %d, want %d", code, exitUsage)
	}
}

func TestDemoJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := runCmd(t, "demo", "--json", "--out", out, "--directory", testDirectory, "--samples", filepath.Join(t.TempDir(), "none"))
	if code != exitOK {
		t.Fatalf("demo --json = %d\n%s\n%s", code, stdout, stderr)
	}
	var res demoResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("demo --json printed %q: %v", stdout, err)
	}
	if !res.Verified || res.Folder != out || len(res.Bundle) != 64 || res.Documents != 3 || res.Events < 7 {
		t.Errorf("demo --json = %+v, want a verified run in %s", res, out)
	}
	var outcomes []string
	for _, p := range res.Pulls {
		outcomes = append(outcomes, p.Outcome)
	}
	if strings.Join(outcomes, " ") != "accepted rejected" {
		t.Errorf("pull outcomes %v, want accepted then rejected", outcomes)
	}
	for _, f := range []string{res.Trail, res.Key, res.Bag, filepath.Join(res.Report, "report.pdf")} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}
