package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// TestConsentBeforeCourtReport: an H1 bundle gets no court report until its sending agency
// grants consent to judicial use; the request and the grant are events on its trail; only the
// sender may grant; every access to its documents records its handling code (H0 rule).
func TestConsentBeforeCourtReport(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "evx")
	args := uploadArgs(data, sampleFiles(t))
	for i, a := range args {
		switch a {
		case "EVX-Handling-Code=H0":
			args[i] = "EVX-Handling-Code=H1"
		case "inspector": // the uploader, of the sending agency nl-pol
			args[i] = "nl-pol/j.devries"
		}
	}
	code, out, errs := runCmd(t, args...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]
	report := func() (int, string) {
		code, _, errs := runCmd(t, "report", "--data", data, "--directory", testDirectory, "--out", filepath.Join(tmp, "r"), bundle)
		return code, errs
	}
	if code, errs := report(); code != exitInvalid || !strings.Contains(errs, "H1") {
		t.Fatalf("report of an H1 bundle without consent = %d, %q; want refused", code, errs)
	}
	if _, err := os.Stat(filepath.Join(tmp, "r", "report.pdf")); err == nil {
		t.Error("a refused report left a report.pdf")
	}
	consent := func(a ...string) (int, string, string) {
		return runCmd(t, append([]string{"consent", a[0], "--data", data, "--directory", testDirectory}, a[1:]...)...)
	}
	if code, out, errs := consent("request", "--agency", "nl-om", "--person", "p.bakker", "--use", "judicial", bundle); code != exitOK {
		t.Fatalf("consent request = %d\n%s\n%s", code, out, errs)
	}
	if code, errs := report(); code != exitInvalid {
		t.Fatalf("report after a consent request only = %d, %q; want refused", code, errs)
	}
	// A recipient cannot grant; an agency that has nothing to do with the bundle sees none.
	if code, _, errs := consent("grant", "--agency", "nl-om", "--person", "p.bakker", "--asker", "nl-om", "--use", "judicial", bundle); code != exitInvalid || !strings.Contains(errs, "only the sending agency") {
		t.Fatalf("grant by a recipient = %d, %q; want refused", code, errs)
	}
	if code, _, errs := consent("grant", "--agency", "be-fpp", "--person", "x", "--asker", "nl-om", "--use", "judicial", bundle); code != exitInvalid || !strings.Contains(errs, "no custody trail") {
		t.Fatalf("grant by an unrelated agency = %d, %q; want not found", code, errs)
	}
	if code, out, errs := consent("grant", "--agency", "nl-pol", "--person", "j.devries", "--asker", "nl-om", "--use", "judicial", bundle); code != exitOK {
		t.Fatalf("consent grant = %d\n%s\n%s", code, out, errs)
	}
	if code, out, _ := consent("grant", "--agency", "nl-pol", "--person", "j.devries", "--asker", "nl-om", "--use", "judicial", bundle); code != exitOK || !strings.Contains(out, "nothing new") {
		t.Fatalf("granting again = %d, %q; want nothing new", code, out)
	}
	if code, errs := report(); code != exitOK {
		t.Fatalf("report after consent = %d, %s", code, errs)
	}
	code, out, errs = consent("list", "--json", bundle)
	if code != exitOK {
		t.Fatalf("consent list = %d %s", code, errs)
	}
	var l []struct{ Type, Use, Asker, Agency, Person string }
	if err := json.Unmarshal([]byte(out), &l); err != nil || len(l) != 2 {
		t.Fatalf("consent list = %s (%v); want the request and the grant", out, err)
	}
	if l[0].Type != string(custody.ConsentRequested) || l[0].Agency != "nl-om" || l[1].Type != string(custody.ConsentGranted) || l[1].Agency != "nl-pol" || l[1].Person != "j.devries" {
		t.Errorf("consent list = %+v", l)
	}
	// The trail with the consent events still verifies.
	tp := filepath.Join(tmp, "trail.json")
	if code, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--out", tp, bundle); code != exitOK {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}
	tr := readTrailFile(t, tp)
	for _, te := range tr.Events {
		if te.Event.Type == custody.ConsentGranted && te.Event.Version != custody.Version2 {
			t.Errorf("ConsentGranted is version %d, want 2 (it names agency and person)", te.Event.Version)
		}
	}
}

// TestH2WithheldUntilConsent: nl-om received a document from nl-pol under H2; when nl-om
// uploads the same bytes in a bundle for es-fge and co-fgn, routing consigns it to neither third
// agency , asks nl-pol on the original bundle, and consigns it to
// es-fge alone once nl-pol consents to that dissemination.
func TestH2WithheldUntilConsent(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "evx")
	files := sampleFiles(t)
	up := func(uploader, code string, to ...string) string {
		args := []string{"upload", "--data", data, "--directory", testDirectory, "--uploader", uploader,
			"--field", "EVX-Legal-Basis=EU-EIO", "--field", "EVX-Handling-Code=" + code}
		for _, c := range to {
			args = append(args, "--counterpart", c)
		}
		c, out, errs := runCmd(t, append(args, files...)...)
		if c != exitOK {
			t.Fatalf("upload by %s = %d\n%s\n%s", uploader, c, out, errs)
		}
		return strings.Fields(out)[1]
	}
	consigned := func(bundle string) map[string]bool {
		tp := filepath.Join(tmp, bundle+".json")
		if c, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--out", tp, bundle); c != exitOK {
			t.Fatalf("trail = %d\n%s\n%s", c, out, errs)
		}
		m := map[string]bool{}
		for _, te := range readTrailFile(t, tp).Events {
			if te.Event.Type == custody.ContentConsignment {
				m[te.Event.Details.Counterpart] = true
			}
		}
		return m
	}
	original := up("nl-pol/j.devries", "H2", "nl-om")
	onward := up("nl-om/p.bakker", "H0", "es-fge", "co-fgn")
	if original == onward {
		t.Fatal("two bags of other fields have the same bundle id")
	}
	if got := consigned(onward); got["co-fgn"] || got["es-fge"] {
		t.Fatalf("consigned %v before consent; want none", got)
	}
	c, out, errs := runCmd(t, "consent", "list", "--data", data, "--directory", testDirectory, "--json", original)
	if c != exitOK || !strings.Contains(out, `"use": "dissemination"`) || !strings.Contains(out, `"to": "es-fge"`) {
		t.Fatalf("consent list of the original = %d %s %s; want route's request for es-fge", c, out, errs)
	}
	if c, out, errs := runCmd(t, "consent", "grant", "--data", data, "--directory", testDirectory, "--agency", "nl-pol", "--person", "j.devries",
		"--asker", "nl-om", "--use", "dissemination", "--to", "es-fge", original); c != exitOK {
		t.Fatalf("grant = %d\n%s\n%s", c, out, errs)
	}
	if got := consigned(onward); got["co-fgn"] || !got["es-fge"] {
		t.Fatalf("consigned %v after consent; want es-fge only", got)
	}
}
