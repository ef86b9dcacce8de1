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
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/request"
)

// TestRequestCommands runs a request's life through evx request and evx upload --request on a
// data folder: nl-om issues an EIO to this deployment (es-fge), which acknowledges, accepts,
// answers with a bundle and fulfils it; every refusal exits 1 with the reason.
func TestRequestCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	base := []string{"--data", data, "--directory", testDirectory}
	as := func(agency string, args ...string) (int, string, string) {
		t.Helper()
		return evx(t, append(append(args, base...), "--agency", agency, "--person", "p-"+agency)...)
	}
	code, out, errOut := as("nl-om", "request", "create", "--id", "EIO-NL-7", "--type", "eio", "--to", "es-fge",
		"--legal-basis", "EU-EIO", "--case", "NL-114", "--handling-code", "H1", "--subject", "bank records", "--json")
	if code != exitOK {
		t.Fatalf("request create = %d %s %s", code, out, errOut)
	}
	var s request.State
	if err := json.Unmarshal([]byte(out), &s); err != nil || s.Issuer != "nl-om" || s.IssuerPerson != "p-nl-om" || s.Status != request.Issued {
		t.Fatalf("created = %+v (%v), want issued by nl-om/p-nl-om", s, err)
	}
	for _, tc := range []struct {
		agency string
		args   []string
		code   int
		say    string
	}{
		{"es-fge", []string{"request", "accept", "EIO-NL-7"}, exitInvalid, "accept follows receipt"},
		{"nl-om", []string{"request", "ack", "EIO-NL-7"}, exitInvalid, "want the [addressee]"},
		{"es-fge", []string{"request", "ack", "NOPE"}, exitInvalid, "no such request"},
		{"es-fge", []string{"request", "ack", "EIO-NL-7"}, exitOK, "recognition: open"},
		{"es-fge", []string{"request", "refuse", "EIO-NL-7"}, exitInvalid, "states its grounds"},
		{"es-fge", []string{"request", "extend", "EIO-NL-7", "--deadline", "recognition", "--by", "1000h"}, exitInvalid, "up to 720h"},
		{"es-fge", []string{"request", "extend", "EIO-NL-7", "--deadline", "recognition", "--by", "240h"}, exitOK, "art. 12(3)"},
		{"es-fge", []string{"request", "suspend", "EIO-NL-7", "--grounds", "art. 15(1)(a)"}, exitOK, "suspended since"},
		{"es-fge", []string{"request", "resume", "EIO-NL-7"}, exitOK, "received"},
		{"es-fge", []string{"request", "accept", "EIO-NL-7"}, exitOK, "execution: open"},
		{"es-fge", []string{"request", "list"}, exitOK, "EIO-NL-7  EIO   accepted  nl-om  es-fge  execution"},
		{"es-fge", []string{"request", "list", "--overdue"}, exitOK, "no requests"},
		{"pt-pj", []string{"request", "list"}, exitOK, "no requests"},
		{"es-fge", []string{"request", "list", "--due-within", "24h"}, exitOK, "no requests"},
		{"es-fge", []string{"request", "frobnicate"}, exitUsage, "unknown subcommand"},
		{"es-fge", []string{"request", "show"}, exitUsage, "Usage"},
	} {
		code, out, errOut := as(tc.agency, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.say) {
			t.Errorf("%s as %s = %d\n%s%s\nwant %d saying %q", strings.Join(tc.args, " "), tc.agency, code, out, errOut, tc.code, tc.say)
		}
	}
	// The answer: to nl-om, the issuer; pt-pj is no party and is refused.
	upload := func(args ...string) (int, string, string) {
		t.Helper()
		return evx(t, append(append([]string{"upload", "--agency", "es-fge", "--uploader", "maria"}, base...), args...)...)
	}
	code, out, errOut = upload("--request", "EIO-NL-7", "--counterpart", "nl-om", "--counterpart", "pt-pj",
		"--field", "EVX-Legal-Basis=EU-EIO", filepath.Join(sampleDir, "seizure-report.txt"))
	if code != exitOK || !strings.Contains(out, "delivered to nl-om") {
		t.Fatalf("upload --request = %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := upload("--request", "NOPE", "--counterpart", "nl-om", filepath.Join(sampleDir, "seizure-report.txt")); code != exitInvalid || !strings.Contains(errOut, "no such request") {
		t.Errorf("upload --request NOPE = %d %s, want 1: no such request", code, errOut)
	}
	code, out, _ = as("es-fge", "request", "fulfil", "EIO-NL-7", "--json")
	if err := json.Unmarshal([]byte(out), &s); code != exitOK || err != nil || s.Status != request.Fulfilled || len(s.Bundles) != 1 {
		t.Fatalf("fulfil = %d %+v, want fulfilled with one bundle", code, s)
	}
	if d := s.Deadline("execution"); d.Status != request.ClockMet {
		t.Errorf("execution = %s, want met", d.Status)
	}
	// The request's trail verifies and folds to the same state.
	dir := t.TempDir()
	trail, key := filepath.Join(dir, "request.json"), filepath.Join(dir, "evx.pem")
	if code, _, errOut := evx(t, "trail", "--data", data, "--directory", testDirectory, "--out", trail, "--key-out", key, custody.RequestSubject("EIO-NL-7")); code != exitOK {
		t.Fatalf("trail = %d %s", code, errOut)
	}
	if code, out, errOut := evx(t, "verify", "--key", key, trail); code != exitOK {
		t.Errorf("verify of the request's trail = %d %s %s, want 0", code, out, errOut)
	}
	raw, err := os.ReadFile(trail)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := custody.ParseTrail(raw)
	if err != nil {
		t.Fatal(err)
	}
	folded, err := request.FoldTrail(tr)
	if err != nil || folded.Status != request.Fulfilled || folded.Events != s.Events {
		t.Errorf("state from the exported trail = %+v, %v; want fulfilled after %d events", folded, err, s.Events)
	}
	// The court report of the answering bundle shows the request and its deadlines.
	reportDir := filepath.Join(dir, "report")
	if code, out, errOut := evx(t, "report", "--data", data, "--directory", testDirectory, "--out", reportDir, "--generated", "2026-12-01T00:00:00Z", s.Bundles[0]); code != exitOK {
		t.Fatalf("report = %d %s %s", code, out, errOut)
	}
	text := pdfText(t, filepath.Join(reportDir, "report.pdf"))
	for _, want := range []string{"The request this bundle answers", "EIO-NL-7 (EIO), fulfilled", "Directive 2014/41/EU", "art. 12(3)", "Recognition", "Execution", "met on"} {
		if !strings.Contains(text, strings.Join(strings.Fields(want), "")) {
			t.Errorf("report text lacks %q", want)
		}
	}
	// The same for a Spanish court: the request section in Spanish, the parties' words as given.
	esDir := filepath.Join(dir, "informe")
	if code, out, errOut := evx(t, "report", "--lang", "es", "--data", data, "--directory", testDirectory, "--out", esDir, "--generated", "2026-12-01T00:00:00Z", s.Bundles[0]); code != exitOK {
		t.Fatalf("report --lang es = %d %s %s", code, out, errOut)
	}
	text = pdfText(t, filepath.Join(esDir, "report.pdf"))
	for _, want := range []string{"La solicitud a la que responde este lote", "EIO-NL-7 (EIO), ejecutada", "Directive 2014/41/EU", "Norma:", "cumplido el",
		"Estado de la solicitud", "Reconocimiento", "Ejecución", "plazo de actuación"} {
		if !strings.Contains(text, strings.Join(strings.Fields(want), "")) {
			t.Errorf("Spanish report text lacks %q", want)
		}
	}
	// The request's status, deadlines and kinds in Spanish words, not as recorded.
	for _, english := range []string{"(EIO), fulfilled", "Recognition", "Execution", "deadline,"} {
		if strings.Contains(text, strings.Join(strings.Fields(english), "")) {
			t.Errorf("Spanish report text says %q in English", english)
		}
	}
}

// pdfText is the text of a PDF as evx's own extractor reads it, spaces removed (the extractor
// may run words together or apart).
func pdfText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := extract.Extract(t.Context(), bytes.NewReader(b), int64(len(b)), "report.pdf", extract.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(res.Text), "")
}

// TestRequestCommandsOnServer: evx request and evx upload --request against a server, where
// the token says who acts: nl-om issues, this deployment's uploader (agency home) acknowledges,
// accepts and answers; es-fge, no party, sees nothing.
func TestRequestCommandsOnServer(t *testing.T) {
	n, err := local.OpenNode(t.Context(), t.TempDir(), local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	toks, _ := api.ParseTokens(strings.NewReader("alice-token-0000001 uploader alice\nnl-om-token-0000001 counterpart nl-om\nes-fge-token-000001 counterpart es-fge\n"))
	srv := httptest.NewServer(api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithRequests(n.Requests))
	defer srv.Close()
	as := func(token string, args ...string) (int, string, string) {
		t.Helper()
		return runCmd(t, append(args, "--server", srv.URL, "--token", token)...)
	}
	const nlom, alice, esfge = "nl-om-token-0000001", "alice-token-0000001", "es-fge-token-000001"
	for _, tc := range []struct {
		token string
		args  []string
		code  int
		say   string
	}{
		{nlom, []string{"request", "create", "--id", "MLA-NL-3", "--type", "MLA", "--to", "home", "--legal-basis", "CoE-MLA-1959",
			"--due", "2030-01-01T00:00:00Z"}, exitOK, "issued by nl-om (nl-om)"},
		{esfge, []string{"request", "show", "MLA-NL-3"}, exitInvalid, "no such request"},
		{esfge, []string{"request", "list"}, exitOK, "no requests"},
		{nlom, []string{"request", "ack", "MLA-NL-3"}, exitInvalid, "want the [addressee]"},
		{alice, []string{"request", "ack", "MLA-NL-3"}, exitOK, "requested: open"},
		{alice, []string{"request", "list", "--due-within", "87600h", "--json"}, exitOK, `"id": "MLA-NL-3"`},
		{alice, []string{"request", "extend", "MLA-NL-3", "--deadline", "requested", "--by", "24h"}, exitOK, "2030-01-02"},
	} {
		code, out, errOut := as(tc.token, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.say) {
			t.Errorf("%s = %d\n%s%s\nwant %d saying %q", strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.say)
		}
	}
	code, out, errOut := as(alice, "upload", "--request", "MLA-NL-3", "--counterpart", "nl-om", "--field", "EVX-Legal-Basis=CoE-MLA-1959",
		filepath.Join(sampleDir, "seizure-report.txt"))
	if code != exitOK || !strings.Contains(out, "delivered to nl-om") {
		t.Fatalf("upload --request on the server = %d\n%s%s", code, out, errOut)
	}
	code, out, _ = as(alice, "request", "fulfil", "MLA-NL-3", "--json")
	var s request.State
	if err := json.Unmarshal([]byte(out), &s); code != exitOK || err != nil || s.Status != request.Fulfilled || len(s.Bundles) != 1 ||
		s.Bundles[0] == "" || s.Deadline("requested").Status != request.ClockMet {
		t.Errorf("fulfil on the server = %d %+v, want fulfilled, answered once, requested date met", code, s)
	}
}
