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
			code := run(tc.args, &out, &errb)
			if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("run(%v) = %d\nstdout %q (want %q)\nstderr %q (want %q)", tc.args, code, out.String(), tc.stdout, errb.String(), tc.stderr)
			}
		})
	}
	var out, errb bytes.Buffer
	if code := run(append(base, "--json", "--type", "iban", "NL91ABNA0417164300"), &out, &errb); code != exitOK {
		t.Fatalf("--json = %d %s", code, errb.String())
	}
	var r api.MatchResponse
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || len(r.Results) != 1 || r.Results[0].Result != "no-hit" || len(r.Results[0].Own) != 1 {
		t.Fatalf("--json = %s, %v", out.String(), err)
	}
}
