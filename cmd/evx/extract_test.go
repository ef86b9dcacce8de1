package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExtractCommand(t *testing.T) {
	pdf := filepath.Join("..", "..", "shared", "extract", "pdf", "testdata", "helvetica.pdf")
	bad := filepath.Join(t.TempDir(), "bad.pdf")
	os.WriteFile(bad, []byte("%PDF-1.7\nnothing here\n"), 0o644)
	archive := filepath.Join(t.TempDir(), "evidence.7z")
	os.WriteFile(archive, []byte("7z\xbc\xaf\x27\x1c\x00\x04"), 0o644)
	scanned := filepath.Join("..", "..", "shared", "extract", "pdf", "testdata", "scanned.pdf")
	partial := filepath.Join("..", "..", "shared", "extract", "pdf", "testdata", "bad-page2.pdf")
	seizure := filepath.Join("..", "..", "testdata", "sample", "seizure-report.txt") // names container MSKU 000000-6

	cases := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderr   string
		jsonType string
	}{
		{"text", []string{"extract", pdf}, exitOK, "the investigation continues", "", ""},
		{"json", []string{"extract", "--json", pdf}, exitOK, `"title": "Request for assistance"`, "", "application/pdf"},
		{"partial", []string{"extract", partial}, exitOK, "Rotterdam", "partial text: page 2", ""},
		{"unreadable", []string{"extract", bad}, exitInvalid, "", "cannot read application/pdf", ""},
		{"unsupported", []string{"extract", archive}, exitInvalid, "", "application/x-7z-compressed: no text: an archive", ""},
		{"unsupported json", []string{"extract", "--json", archive}, exitInvalid, `"unsupported": {`, "no text", ""},
		{"needs ocr", []string{"extract", scanned}, exitOK, "Cover page", "pages [2] have no text layer", ""},
		{"missing", []string{"extract", "no/such/file.pdf"}, exitInvalid, "", "no such file", ""},
		{"no file", []string{"extract"}, exitUsage, "", "missing argument FILE", ""},
		{"two files", []string{"extract", pdf, pdf}, exitUsage, "", "one FILE at a time", ""},
		{"bad flag", []string{"extract", "--nope", pdf}, exitUsage, "", "flag provided but not defined", ""},
		{"findings", []string{"extract", "--json", "--region", "NL", seizure}, exitOK, `"value": "MSKU0000006"`, "", ""},
		{"bad region", []string{"extract", "--json", "--region", "NLD", seizure}, exitUsage, "", "not a two-letter country code", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(t.Context(), tc.args, &out, &errb)
			if code != tc.code {
				t.Errorf("run(%v) = %d, want %d (stderr %q)", tc.args, code, tc.code, errb.String())
			}
			if !strings.Contains(out.String(), tc.stdout) {
				t.Errorf("run(%v) stdout = %q, want it to contain %q", tc.args, out.String(), tc.stdout)
			}
			if !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("run(%v) stderr = %q, want it to contain %q", tc.args, errb.String(), tc.stderr)
			}
			if tc.jsonType != "" {
				var v struct {
					MediaType string `json:"media_type"`
					Meta      struct{ Pages int }
					Text      string
				}
				if err := json.Unmarshal(out.Bytes(), &v); err != nil {
					t.Fatalf("--json output is not JSON: %v", err)
				}
				if v.MediaType != tc.jsonType || v.Meta.Pages != 2 || v.Text == "" {
					t.Errorf("--json = %+v", v)
				}
			}
		})
	}
}
