package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/directory"
	"github.com/evx-project/evx/shared/request"
)

func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := runCmd(t, "demo", "--out", out)
	if code != exitOK {
		t.Fatalf("demo = %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"accepted", "rejected", "verified with", "8c. handling codes", "prints the H3 restriction on every page"} {
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
	if code, _, _ := runCmd(t, "demo", "--out", out); code != exitUsage {
		t.Errorf("demo into a used folder = %d, want %d", code, exitUsage)
	}
	// Own evidence and directory can be given instead of the built-in ones.
	own := filepath.Join(t.TempDir(), "own")
	code, stdout, stderr = runCmd(t, "demo", "--out", own, "--directory", testDirectory, "--samples", filepath.Dir(sampleFiles(t)[0]))
	if code != exitOK || !strings.Contains(stdout, "2 documents") {
		t.Errorf("demo with --samples = %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, errs := runCmd(t, "demo", "--out", filepath.Join(t.TempDir(), "x"), "--samples", filepath.Join(t.TempDir(), "none")); code != exitUsage || !strings.Contains(errs, "--samples") {
		t.Errorf("demo with a missing --samples folder = %d %s, want 2 naming --samples", code, errs)
	}
}

func TestDemoJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := runCmd(t, "demo", "--json", "--out", out)
	if code != exitOK {
		t.Fatalf("demo --json = %d\n%s\n%s", code, stdout, stderr)
	}
	var res demoResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("demo --json printed %q: %v", stdout, err)
	}
	if !res.Verified || res.Folder != out || len(res.Bundle) != 64 || res.Documents != 9 || res.Events < 7 {
		t.Errorf("demo --json = %+v, want a verified run of the 9 sample documents in %s", res, out)
	}
	var outcomes []string
	for _, p := range res.Pulls {
		outcomes = append(outcomes, p.Outcome)
	}
	if strings.Join(outcomes, " ") != "accepted rejected" {
		t.Errorf("pull outcomes %v, want accepted then rejected", outcomes)
	}
	for _, f := range []string{res.Trail, res.Key, res.Bag, res.Directory, filepath.Join(res.Report, "report.pdf")} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	// The reports, in both languages, name the sender's agency and both counterparts in full,
	// as the demo's directory names them (the parties, and the bundle's "delivered to").
	dir, err := directory.Load(res.Directory)
	if err != nil {
		t.Fatal(err)
	}
	for _, rep := range []string{res.Report, res.Report + "-es"} {
		text := pdfText(t, filepath.Join(rep, "report.pdf"))
		// The identifiers of the documents nl-om received: the container the match scene finds.
		if !strings.Contains(text, "MSKU0000006") || !strings.Contains(text, "a.example@politie.example") {
			t.Errorf("%s/report.pdf does not list the documents' identifiers:\n%s", rep, text)
		}
		for _, id := range []string{"nl-pol", "nl-om", "es-fge"} {
			a, err := dir.Counterpart(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.ReplaceAll(a.Name+" ("+id+")", " ", ""); !strings.Contains(text, want) {
				t.Errorf("%s/report.pdf does not name %s in full (%s):\n%s", rep, id, a.Name, text)
			}
			// A counterpart's answer, in the parties section, under its full name.
			if want := strings.ReplaceAll(id+a.Name+":", " ", ""); id != "nl-pol" && !strings.Contains(text, want) {
				t.Errorf("%s/report.pdf does not give %s's answer under its full name (%s):\n%s", rep, id, a.Name, text)
			}
		}
	}
	// The requests scene: the EPOC answered in time, the EIO overdue.
	if len(res.Requests) != 2 {
		t.Fatalf("demo requests = %d, want the EPOC and the EIO", len(res.Requests))
	}
	epoc, eio := res.Requests[0], res.Requests[1]
	if epoc.Type != request.EPOC || epoc.Status != request.Fulfilled || len(epoc.Bundles) != 1 || epoc.Deadline("production").Status != request.ClockMet ||
		epoc.Deadline("refusal-window").Status != request.ClockEnded || !epoc.Notified {
		t.Errorf("demo EPOC = %+v, want notified, answered by one bundle, production met, refusal window ended", epoc)
	}
	if eio.Type != request.EIO || eio.Deadline("recognition").Status != request.ClockMissed {
		t.Errorf("demo EIO = %+v, want recognition missed", eio)
	}
	// The identifier scene: es-fge's bill of lading names the container of nl-pol's seizure
	// report; es-fge learns a hit held by nl-pol, with a reference and no bundle id.
	if m := res.Match; m == nil || m.Result != "hit" || m.Value != "MSKU0000006" || len(m.Holders) != 1 || m.Holders[0].Agency != "nl-pol" ||
		!strings.HasPrefix(m.Holders[0].Reference, "evx-hit-") || len(m.Own) != 0 {
		t.Errorf("demo match = %+v, want a hit on MSKU0000006 held by nl-pol, with a reference only", m)
	} else if raw, _ := json.Marshal(m); strings.Contains(string(raw), res.Bundle) {
		t.Errorf("demo match %s discloses nl-pol's bundle id %s", raw, res.Bundle)
	}
	// The inbox's manifest.json shows each delivery's state after its receipt.
	for _, p := range res.Pulls {
		var m struct{ Delivery struct{ State string } }
		raw, _ := os.ReadFile(filepath.Join(p.Folder, manifestFile))
		if err := json.Unmarshal(raw, &m); err != nil || m.Delivery.State != p.Outcome {
			t.Errorf("%s/%s: state %q (%v), want %q", p.Folder, manifestFile, m.Delivery.State, err, p.Outcome)
		}
	}
}

// TestDemoDataIsCurrent: the sample evidence and counterpart directory built into evx are
// the committed originals, byte for byte (go generate ./cmd/evx remakes them).
func TestDemoDataIsCurrent(t *testing.T) {
	pairs := map[string]string{"demodata/counterparts.yaml": "../../infra/counterparts.yaml"}
	fs.WalkDir(demoData, "demodata/sample", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			pairs[p] = filepath.Join(sampleDir, strings.TrimPrefix(p, "demodata/sample/"))
		}
		return err
	})
	filepath.WalkDir(sampleDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(sampleDir, p)
			if _, ok := pairs["demodata/sample/"+filepath.ToSlash(rel)]; !ok {
				t.Errorf("%s is not built into evx demo: run go generate ./cmd/evx", p)
			}
		}
		return err
	})
	for embedded, orig := range pairs {
		a, err := demoData.ReadFile(embedded)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(orig)
		if err != nil {
			t.Errorf("%s has no original %s: run go generate ./cmd/evx", embedded, orig)
			continue
		}
		if !bytes.Equal(a, b) {
			t.Errorf("cmd/evx/%s differs from %s: run go generate ./cmd/evx", embedded, orig)
		}
	}
}

// TestInstalledDemo installs evx with go install into a folder of its own and runs evx demo
// from an empty folder with an empty home: nothing of the source tree is needed.
func TestInstalledDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds evx")
	}
	gobin := t.TempDir()
	bin := filepath.Join(gobin, "evx")
	build := exec.CommandContext(t.Context(), "go", "install", ".")
	build.Env = append(os.Environ(), "GOBIN="+gobin)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	empty, home := t.TempDir(), t.TempDir()
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(t.Context(), bin, args...)
		cmd.Dir = empty
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TMPDIR=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("demo", "--out", "demo")
	if err != nil || !strings.Contains(out, "verified with") {
		t.Fatalf("evx demo from an empty folder: %v\n%s", err, out)
	}
	out, err = run("verify", "--key", "demo/evx-public-key.pem", "demo/trail.json")
	if err != nil || !strings.HasPrefix(out, "verified: ") {
		t.Errorf("evx verify of the demo's trail: %v\n%s", err, out)
	}
	out, err = run("--version")
	if err != nil || !strings.Contains(out, "github.com/evx-project/evx") || !strings.Contains(out, "go1.") {
		t.Errorf("evx --version: %v\n%s", err, out)
	}
}

// TestDemoServe: evx demo --serve leaves its server running with the pages, a bundle waiting
// for both counterparts' answers and a token file for each identity, which signs in at
// POST /v1/session; Ctrl-C (the context's end) stops it with exit 0.
func TestDemoServe(t *testing.T) {
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--serve", "--json", "--out", filepath.Join(t.TempDir(), "demo")}, pw, &errb)
		pw.Close()
	}()
	var res demoResult
	if err := json.NewDecoder(pr).Decode(&res); err != nil {
		t.Fatalf("demo --serve --json: %v\n%s", err, errb.String())
	}
	go io.Copy(io.Discard, pr)
	if !res.Verified || len(res.Waiting) != 64 || len(res.Identities) != 5 {
		t.Fatalf("demo --serve = %+v: want a verified run, a waiting bundle and five identities", res)
	}
	resp, err := http.Get(res.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("GET / = %d, CSP %q: want the pages", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	// The sample agencies' seal keys, for the pages: each the key the directory lists.
	for _, a := range []string{"nl-pol", "nl-om", "es-fge"} {
		b, err := os.ReadFile(res.SealKeys[a])
		if err != nil {
			t.Fatalf("seal key of %s: %v", a, err)
		}
		s, err := custody.ParseSealKeyPEM(b)
		if err != nil {
			t.Fatal(err)
		}
		dir, err := directory.Load(res.Directory)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := dir.SealKey(a, s.KeyID()); err != nil {
			t.Errorf("seal key file of %s: %v", a, err)
		}
		if fi, _ := os.Stat(res.SealKeys[a]); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", res.SealKeys[a], fi.Mode().Perm())
		}
	}
	for _, id := range res.Identities {
		tok, err := os.ReadFile(id.TokenFile)
		if err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(id.TokenFile); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", id.TokenFile, fi.Mode().Perm())
		}
		body, _ := json.Marshal(map[string]string{"token": strings.TrimSpace(string(tok))})
		resp, err := http.Post(res.URL+"/v1/session", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var s struct{ Role, Subject string }
		json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || s.Role != id.Role || s.Subject != id.Subject {
			t.Errorf("sign in as %s %s = %d %+v", id.Role, id.Subject, resp.StatusCode, s)
		}
		if id.Role != "counterpart" {
			continue
		}
		// Each counterpart has the waiting bundle's delivery to answer.
		req, _ := http.NewRequest(http.MethodGet, res.URL+"/v1/deliveries", nil)
		for _, c := range resp.Cookies() {
			req.AddCookie(c)
		}
		dr, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ds struct {
			Deliveries []struct{ Bundle, State string }
		}
		json.NewDecoder(dr.Body).Decode(&ds)
		dr.Body.Close()
		waiting := 0
		for _, d := range ds.Deliveries {
			if d.Bundle == res.Waiting && d.State == "consigned" {
				waiting++
			}
		}
		if len(ds.Deliveries) != 2 || waiting != 1 {
			t.Errorf("%s's deliveries %+v: want two, one of %s waiting", id.Subject, ds.Deliveries, res.Waiting)
		}
	}
	stop()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("demo --serve stopped with %d, want 0\n%s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo --serve did not stop when its context ended")
	}
	if _, err := http.Get(res.URL + "/"); err == nil {
		t.Error("the demo's server still answers after it stopped")
	}
}
