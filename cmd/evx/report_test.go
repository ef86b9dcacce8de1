package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
)

func TestReportTamperVectors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(tamperDir, "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	// One vector per kind of failure (evx verify's tests run them all): each writes a report.
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		name, want := f[0], f[1]
		if seen[want] {
			continue
		}
		seen[want] = true
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "r")
			trail := filepath.Join(tamperDir, name+".json")
			args := []string{"report", "--json", "--out", dir, "--key", filepath.Join(tamperDir, "key.pem"), trail,
				"--documents", filepath.Join(tamperDir, f[2]), "--checkpoint", filepath.Join(tamperDir, f[3]),
				"--generated", "2026-03-20T10:30:00Z"}
			var out, errb bytes.Buffer
			code := run(t.Context(), args, &out, &errb)
			wantCode := exitInvalid
			if want == "ok" {
				wantCode = exitOK
			}
			if code != wantCode {
				t.Fatalf("evx %s = exit %d, want %d; stdout %s stderr %s", strings.Join(args, " "), code, wantCode, out.String(), errb.String())
			}
			var res struct {
				Verified bool
				Failure  struct{ Type, Summary string }
				Files    struct{ PDF, Trail, JSONLD string }
			}
			if err := json.Unmarshal(out.Bytes(), &res); err != nil {
				t.Fatalf("--json output %q: %v", out.String(), err)
			}
			if res.Verified != (want == "ok") || (want != "ok" && res.Failure.Type != want) {
				t.Errorf("verified %v, failure %+v; want %s", res.Verified, res.Failure, want)
			}
			// The report is written either way, and the trail beside it is the input, unchanged.
			given, _ := os.ReadFile(trail)
			copied, err := os.ReadFile(res.Files.Trail)
			if err != nil || !bytes.Equal(given, copied) {
				t.Errorf("trail.json is not the given trail byte for byte (%v)", err)
			}
			pdf, err := os.ReadFile(res.Files.PDF)
			if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Errorf("report.pdf missing or not a PDF (%v)", err)
			}
			if _, err := os.Stat(res.Files.JSONLD); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestReportText(t *testing.T) {
	key := mustAbs(t, filepath.Join(tamperDir, "key.pem"))
	good, dropped := mustAbs(t, filepath.Join(tamperDir, "good.json")), mustAbs(t, filepath.Join(tamperDir, "dropped-event.json"))
	t.Chdir(t.TempDir())
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"report", "--key", key, good}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr %s", code, errb.String())
	}
	if got := out.String(); !strings.HasPrefix(got, "VERIFIED: bundle EVX-2026-0001, 8 events") || !strings.Contains(got, "Report written to report-EVX-2026-0001/\n  report.pdf ") {
		t.Errorf("output %q, want a VERIFIED line and the default folder report-EVX-2026-0001", got)
	}
	if _, err := os.Stat(filepath.Join("report-EVX-2026-0001", "report.pdf")); err != nil {
		t.Error(err)
	}
	out.Reset()
	code = run(t.Context(), []string{"report", "--out", "bad", "--key", key, dropped}, &out, &errb)
	if code != exitInvalid {
		t.Fatalf("exit %d, want 1; stderr %s", code, errb.String())
	}
	if got := out.String(); !strings.HasPrefix(got, "FAILED: The chain of events is broken at event 4") || !strings.Contains(got, "expected: ") {
		t.Errorf("output %q, want FAILED with the break at event 4 and both hashes", got)
	}
	// Not a trail at all: still a FAILED report, in a folder named for it.
	os.WriteFile("junk.json", []byte("%PDF-1.4 not a trail"), 0o644)
	out.Reset()
	if code := run(t.Context(), []string{"report", "--key", key, "junk.json"}, &out, &errb); code != exitInvalid {
		t.Fatalf("report of junk: exit %d, want 1", code)
	}
	if _, err := os.Stat(filepath.Join("report-unreadable-trail", "report.pdf")); err != nil {
		t.Errorf("no report for an unreadable trail: %v", err)
	}
}

// TestReportLang: --lang es writes report.pdf for a Spanish court, with the witnesses whose
// cosignatures were verified on its first page; trail.json is the same bytes in either language.
func TestReportLang(t *testing.T) {
	key := mustAbs(t, filepath.Join(tamperDir, "key.pem"))
	good := mustAbs(t, filepath.Join(tamperDir, "witnessed-good.json"))
	nl, es := mustAbs(t, filepath.Join(tamperDir, "witness-nl.vkey")), mustAbs(t, filepath.Join(tamperDir, "witness-es.vkey"))
	t.Chdir(t.TempDir())
	for _, tc := range []struct{ lang, want, not string }{
		{"es", "Testigos cuyas cofirmas de ese punto de control se han verificado (2)", "The parties"},
		{"en", "Witnesses whose cosignatures on that checkpoint were verified (2)", "Las partes"},
	} {
		var out, errb bytes.Buffer
		args := []string{"report", "--lang", tc.lang, "--out", tc.lang, "--key", key, "--witness", nl, "--witness", es, "--quorum", "2", good}
		if code := run(t.Context(), args, &out, &errb); code != exitOK {
			t.Fatalf("evx %s = exit %d; stderr %s", strings.Join(args, " "), code, errb.String())
		}
		// pdfText drops spaces: compare without them.
		text, nospace := pdfText(t, filepath.Join(tc.lang, "report.pdf")), func(s string) string { return strings.ReplaceAll(s, " ", "") }
		if !strings.Contains(text, nospace(tc.want)) || strings.Contains(text, nospace(tc.not)) {
			t.Errorf("--lang %s: report.pdf lacks %q or says %q:\n%s", tc.lang, tc.want, tc.not, text)
		}
	}
	a, _ := os.ReadFile(filepath.Join("en", "trail.json"))
	b, _ := os.ReadFile(filepath.Join("es", "trail.json"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("trail.json differs between the languages")
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestReportUsage(t *testing.T) {
	key := filepath.Join(tamperDir, "key.pem")
	good := filepath.Join(tamperDir, "good.json")
	for _, args := range [][]string{
		{"report"},
		{"report", good},
		{"report", "--key", key},
		{"report", "--key", key, good, good},
		{"report", "--key", filepath.Join(tamperDir, "missing.pem"), good},
		{"report", "--key", good, good},
		{"report", "--key", key, filepath.Join(tamperDir, "missing.json")},
		{"report", "--key", key, good, "--generated", "yesterday"},
		{"report", "--key", key, good, "--documents", good},
		{"report", "--key", key, good, "--lang", "fr"},
	} {
		var out, errb bytes.Buffer
		if code := run(t.Context(), args, &out, &errb); code != exitUsage {
			t.Errorf("evx %s = exit %d, want %d", strings.Join(args, " "), code, exitUsage)
		}
	}
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"report", "-h"}, &out, &errb); code != exitOK || !strings.Contains(errb.String(), "Exit codes") {
		t.Errorf("report -h = exit %d, help %q", code, errb.String())
	}
}

func TestReportUnwritableFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"report", "--out", filepath.Join(file, "sub"), "--key", filepath.Join(tamperDir, "key.pem"), filepath.Join(tamperDir, "good.json")}, &out, &errb)
	if code != exitInvalid || !strings.Contains(errb.String(), "evx report:") {
		t.Errorf("exit %d, stderr %q; want 1 and a message", code, errb.String())
	}
}

// TestReportSampleTrail: the committed sample trail, with its documents, gives a VERIFIED
// report whose trail.json is the sample trail.
func TestReportSampleTrail(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata")
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"report", "--json", "--out", dir, "--generated", "2026-03-20T10:30:00Z",
		"--key", filepath.Join(sample, "sample-trail", "evx-public.pem"),
		"--documents", filepath.Join(sample, "sample"),
		filepath.Join(sample, "sample-trail", "trail.json")}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stdout %s stderr %s", code, out.String(), errb.String())
	}
	var res struct {
		Verified bool
		Summary  struct {
			Events           int
			DocumentsChecked int `json:"documents_checked"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if !res.Verified || res.Summary.Events != 10 || res.Summary.DocumentsChecked != 8 {
		t.Errorf("result %+v, want verified, 10 events, 8 documents checked", res)
	}
}

// evx report BUNDLE exports the trail and evx's key from a data folder or a server, checks
// it and writes the report; the two exports of the same trail are the same file, and the key
// written beside the report verifies it with evx verify.
func TestReportBundle(t *testing.T) {
	data := filepath.Join(t.TempDir(), "evx")
	code, out, errs := runCmd(t, uploadArgs(data, sampleFiles(t))...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]

	type result struct {
		Verified bool
		Bundle   string
		Trail    string
		Key      string
		Files    struct{ PDF, Trail, JSONLD string }
	}
	report := func(t *testing.T, args ...string) result {
		t.Helper()
		code, out, errs := runCmd(t, append([]string{"report", "--json", "--generated", "2026-03-20T10:30:00Z"}, args...)...)
		if code != exitOK {
			t.Fatalf("evx report %v = %d\n%s\n%s", args, code, out, errs)
		}
		var res result
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("--json output %q: %v", out, err)
		}
		if !res.Verified || res.Bundle != bundle || res.Trail != "" || res.Files.Trail == "" {
			t.Errorf("result %+v, want verified bundle %s with its trail named once, in files", res, bundle)
		}
		for _, f := range []string{res.Files.PDF, res.Files.Trail, res.Files.JSONLD, res.Key} {
			if _, err := os.Stat(f); err != nil {
				t.Error(err)
			}
		}
		if code, out, errs := runCmd(t, "verify", "--key", res.Key, res.Files.Trail); code != exitOK {
			t.Errorf("evx verify --key %s %s = %d\n%s\n%s", res.Key, res.Files.Trail, code, out, errs)
		}
		return res
	}
	fromData := report(t, "--data", data, "--directory", testDirectory, "--out", filepath.Join(t.TempDir(), "r"), bundle)
	if filepath.Base(fromData.Key) != "evx-public.pem" {
		t.Errorf("key written as %s, want evx-public.pem (as the report names it)", fromData.Key)
	}

	// Against a server, the same trail and key; a counterpart's token is refused.
	n, err := local.OpenNode(t.Context(), data, local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	toks, _ := api.ParseTokens(strings.NewReader("clerk-token-00000001 legal clerk\nnl-om-token-0000001 counterpart nl-om\n"))
	srv := httptest.NewServer(api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithReportFonts(mustEmbeddedFonts(t)))
	defer srv.Close()
	fromServer := report(t, "--server", srv.URL, "--token", "clerk-token-00000001", "--out", filepath.Join(t.TempDir(), "r"), bundle)
	// The two exports hold the same events; their checkpoints differ in their export time and
	// in the log size (the data folder's read was recorded, and is in the server's log).
	a, _ := os.ReadFile(fromData.Key)
	b, _ := os.ReadFile(fromServer.Key)
	if !bytes.Equal(a, b) {
		t.Errorf("%s and %s differ: the data folder's and the server's keys", fromData.Key, fromServer.Key)
	}
	ta, tb := readTrailFile(t, fromData.Files.Trail), readTrailFile(t, fromServer.Files.Trail)
	events := func(tr *custody.Trail) (out []custody.Event) {
		for _, te := range tr.Events {
			out = append(out, te.Event)
		}
		return out
	}
	if !reflect.DeepEqual(events(ta), events(tb)) || !reflect.DeepEqual(ta.Keys, tb.Keys) || ta.BundleID != tb.BundleID {
		t.Errorf("%s and %s differ: the data folder's and the server's exports of one trail", fromData.Files.Trail, fromServer.Files.Trail)
	}
	code, out, errs = runCmd(t, "report", "--server", srv.URL, "--token", "nl-om-token-0000001", "--out", t.TempDir(), bundle)
	if code != exitInvalid || !strings.Contains(errs, "403") {
		t.Errorf("report with a counterpart's token = %d\n%s\n%s; want 1 and the server's refusal", code, out, errs)
	}

	// Text output, default folder report-BUNDLE.
	directory := mustAbs(t, testDirectory)
	t.Chdir(t.TempDir())
	code, out, errs = runCmd(t, "report", "--data", data, "--directory", directory, bundle)
	if code != exitOK || !strings.Contains(out, "VERIFIED: bundle "+bundle) || !strings.Contains(out, "report-"+bundle+"/\n") || !strings.Contains(out, "  evx-public.pem ") {
		t.Errorf("report = %d\n%s\n%s", code, out, errs)
	}
	// An unknown bundle has no trail: 1, and nothing written.
	unknown := strings.Repeat("0", 64)
	code, _, errs = runCmd(t, "report", "--data", data, "--directory", directory, unknown)
	if code != exitInvalid || !strings.Contains(errs, "no custody trail") {
		t.Errorf("report of an unknown bundle = %d %s, want 1", code, errs)
	}
	if _, err := os.Stat("report-" + unknown); err == nil {
		t.Error("a report folder was written for an unknown bundle")
	}
}

// How evx report tells a trail file from a bundle id: --key means a trail file.
func TestReportBundleUsage(t *testing.T) {
	key := filepath.Join(tamperDir, "key.pem")
	good := filepath.Join(tamperDir, "good.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", good}, "give the trusted public key with --key"},
		{[]string{"report", "--data", t.TempDir(), good}, "give the trusted public key with --key"},
		{[]string{"report", "--key", key, "--data", t.TempDir(), good}, "give one or the other"},
		{[]string{"report", "--key", key, "--server", "http://127.0.0.1:1", good}, "give one or the other"},
		{[]string{"report", "--server", "ftp://x", "--token", "t", "b"}, "--server"},
		{[]string{"report", "--data", t.TempDir(), "--documents", good, "b"}, "--documents"},
	} {
		code, _, errs := runCmd(t, c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("evx %v = %d %q, want %d and %q", c.args, code, errs, exitUsage, c.want)
		}
	}
}

func mustEmbeddedFonts(t testing.TB) *report.Fonts {
	t.Helper()
	f, err := embeddedFonts()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readTrailFile(t *testing.T, path string) *custody.Trail {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := custody.ParseTrail(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tr
}

// evx report --key TRAIL with --directory names the agencies in full, from the directory,
// offline; without it, by id alone. The directory does not change the verdict or the trail.
func TestReportKeyWithDirectory(t *testing.T) {
	data := filepath.Join(t.TempDir(), "evx")
	code, out, errs := runCmd(t, uploadArgs(data, sampleFiles(t))...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]
	tmp := t.TempDir()
	trail, key := filepath.Join(tmp, "trail.json"), filepath.Join(tmp, "evx.pem")
	if code, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--out", trail, "--key-out", key, bundle); code != exitOK {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}
	nospace := func(s string) string { return strings.ReplaceAll(s, " ", "") }
	names := []string{"Openbaar Ministerie, Landelijk Parket, Internationale Rechtshulp (nl-om)", "Fiscalía Especial Antidroga, Fiscalía General del Estado (es-fge)"}
	for _, tc := range []struct {
		name  string
		flags []string
		named bool
	}{
		{"with-directory", []string{"--directory", testDirectory}, true},
		{"without", nil, false},
	} {
		dir := filepath.Join(tmp, tc.name)
		args := append(append([]string{"report", "--out", dir, "--key", key}, tc.flags...), trail)
		if code, out, errs := runCmd(t, args...); code != exitOK || !strings.Contains(out, "VERIFIED") {
			t.Fatalf("evx %v = %d\n%s\n%s", args, code, out, errs)
		}
		text := pdfText(t, filepath.Join(dir, "report.pdf"))
		for _, n := range names {
			if strings.Contains(text, nospace(n)) != tc.named {
				t.Errorf("%s: report names %q: %v, want %v:\n%s", tc.name, n, !tc.named, tc.named, text)
			}
		}
	}
	if code, _, errs := runCmd(t, "report", "--out", filepath.Join(tmp, "bad"), "--key", key, "--directory", filepath.Join(tmp, "none.yaml"), trail); code != exitUsage || errs == "" {
		t.Errorf("a missing directory = %d %q, want %d", code, errs, exitUsage)
	}
}

// TestReportListsIdentifiers: a report made from a data folder lists the identifiers evx
// found in the documents (from their extraction records); the same
// report made offline from the exported trail and the documents reads them from the documents.
func TestReportListsIdentifiers(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "evx")
	src := filepath.Join(tmp, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "bill-of-lading.txt"), []byte("Bill of lading: container CSQU 305438 3, vessel IMO 9074729\n"), 0o644)
	c, out, errs := runCmd(t, "upload", "--data", data, "--directory", testDirectory, "--uploader", "nl-pol/j.devries",
		"--counterpart", "nl-om", "--field", "EVX-Legal-Basis=EU-EIO", "--field", "EVX-Handling-Code=H0", filepath.Join(src, "bill-of-lading.txt"))
	if c != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", c, out, errs)
	}
	bundle := strings.Fields(out)[1]
	rep := filepath.Join(tmp, "r")
	if c, out, errs := runCmd(t, "report", "--data", data, "--directory", testDirectory, "--out", rep, bundle); c != exitOK {
		t.Fatalf("report = %d\n%s\n%s", c, out, errs)
	}
	text := pdfText(t, filepath.Join(rep, "report.pdf"))
	for _, want := range []string{"Identifiersinthedocuments", "2identifiers,readbyevx", "CSQU3054383", "9074729"} {
		if !strings.Contains(text, want) {
			t.Errorf("report from the data folder lacks %q:\n%s", want, text)
		}
	}
	docs := filepath.Join(tmp, "docs", "data")
	os.MkdirAll(docs, 0o755)
	b, _ := os.ReadFile(filepath.Join(src, "bill-of-lading.txt"))
	os.WriteFile(filepath.Join(docs, "bill-of-lading.txt"), b, 0o644)
	off := filepath.Join(tmp, "off")
	if c, out, errs := runCmd(t, "report", "--key", filepath.Join(rep, reportKeyFile), "--out", off, "--documents", filepath.Dir(docs), filepath.Join(rep, "trail.json")); c != exitOK {
		t.Fatalf("offline report = %d\n%s\n%s", c, out, errs)
	}
	if text := pdfText(t, filepath.Join(off, "report.pdf")); !strings.Contains(text, "2identifiers,readfromthedocumentsgivenwiththetrail") || !strings.Contains(text, "CSQU3054383") {
		t.Errorf("offline report with the documents lacks their identifiers:\n%s", text)
	}
}
