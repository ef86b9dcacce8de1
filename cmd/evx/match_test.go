package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/pipeline"
)

func TestMatchCommand(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	dirFile := filepath.Join("..", "..", "infra", "counterparts.yaml")
	n, err := local.OpenNode(ctx, data, local.NodeOptions{Directory: dirFile})
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "report.txt")
	os.WriteFile(src, []byte("Seizure report: container MSCU 123456-6, payment from IBAN NL91ABNA0417164300\n"), 0o644)
	bag := filepath.Join(t.TempDir(), "b.zip")
	in := bagit.Info{{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H1"}, {Label: bagit.LabelCounterpart, Value: "nl-om"}}
	if _, err := bagit.Create(bag, []string{src}, bagit.CreateOptions{Info: in}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(bag)
	id, size, err := n.Uploads.Spool(ctx, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "u", Size: size}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	n.Close()

	base := []string{"match", "--data", data, "--directory", dirFile}
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"own-hit", append(base, "--type", "container", "MSCU1234566"), exitOK, "also in your agency's bundles: " + id, ""},
		{"no-hit", append(base, "--type", "iban", "GB29 NWBK 6016 1331 9268 19"), exitOK, "iban GB29NWBK60161331926819: no hit", ""},
		{"invalid", append(base, "--type", "container", "MSCU1234567"), exitOK, "not asked: identify: container \"MSCU1234567\" is not valid", ""},
		{"refused", append(base, "--as", "nl-om", "--type", "container", "MSCU1234566"), exitInvalid, "", "may not match"},
		{"bad-type", append(base, "--type", "passport", "X1"), exitUsage, "", "unknown identifier type"},
		{"no-value", append(base, "--type", "container"), exitUsage, "", "Usage: evx match"},
		{"server-no-token", []string{"match", "--server", "http://127.0.0.1:1", "--token", "", "--type", "imo", "9074729"}, exitInvalid, "", "needs --token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(t.Context(), tc.args, &out, &errb)
			if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("run(%v) = %d\nstdout %q (want %q)\nstderr %q (want %q)", tc.args, code, out.String(), tc.stdout, errb.String(), tc.stderr)
			}
		})
	}
	var out, errb bytes.Buffer
	if code := run(t.Context(), append(base, "--json", "--type", "iban", "NL91ABNA0417164300"), &out, &errb); code != exitOK {
		t.Fatalf("--json = %d %s", code, errb.String())
	}
	var r api.MatchResponse
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || len(r.Results) != 1 || r.Results[0].Result != "no-hit" || len(r.Results[0].Own) != 1 {
		t.Fatalf("--json = %s, %v", out.String(), err)
	}

	// nl-pol sends a bundle naming another container; es-fge (matching: true) asks, gets a hit
	// held by nl-pol, and opens a follow-up request to nl-pol from it; a made-up reference is
	// refused.
	n, err = local.OpenNode(ctx, data, local.NodeOptions{Directory: dirFile})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(src, []byte("Bill of lading: container CSQU 305438-3\n"), 0o644)
	bag2 := filepath.Join(t.TempDir(), "b2.zip")
	if _, err := bagit.Create(bag2, []string{src}, bagit.CreateOptions{Info: in}); err != nil {
		t.Fatal(err)
	}
	f, _ = os.Open(bag2)
	id2, size2, err := n.Uploads.Spool(ctx, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id2, Uploader: "nl-pol/j.devries", Size: size2}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Process(ctx, id2); err != nil {
		t.Fatal(err)
	}
	n.Close()
	out.Reset()
	errb.Reset()
	if code := run(t.Context(), append(base, "--as", "es-fge", "--json", "--type", "container", "CSQU 305438-3"), &out, &errb); code != exitOK {
		t.Fatalf("match as es-fge = %d %s", code, errb.String())
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.Results[0].Result != "hit" || r.Results[0].Holders[0].Agency != "nl-pol" {
		t.Fatalf("match as es-fge = %s, %v; want a hit held by nl-pol", out.String(), err)
	}
	ref := r.Results[0].Holders[0].Reference
	create := func(id, hit string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(t.Context(), []string{"request", "create", "--data", data, "--directory", dirFile, "--agency", "es-fge", "--person", "m.garcia",
			"--id", id, "--type", "MLA", "--to", "nl-pol", "--legal-basis", "UN-1988-Art7", "--from-hit", hit}, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, o, e := create("MLA-ES-HIT-1", ref); code != exitOK || !strings.Contains(o, "follows the identifier hit: "+ref) {
		t.Fatalf("request create --from-hit = %d\n%s\n%s", code, o, e)
	}
	if code, _, e := create("MLA-ES-HIT-2", "evx-hit-00000000000000000000"); code != exitInvalid || !strings.Contains(e, "no hit evx-hit-00000000000000000000") {
		t.Fatalf("request create with an unknown hit = %d %s, want refused", code, e)
	}
}
