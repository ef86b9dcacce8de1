package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/identify"
)

func TestIdentifyCommand(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report.txt")
	os.WriteFile(report, []byte("Seizure report\nContainer CSQU 305438 3 held the goods; MSCU 123456 7 was empty.\n"+
		"Suspect's phone: tel. 06 1234 5678. Payment from IBAN NL91 ABNA 0417 1643 00.\n"), 0o644)
	mail := filepath.Join(dir, "mail.eml")
	os.WriteFile(mail, []byte("From: Jane Roe <jane.roe@example.org>\r\nTo: ops@example.com\r\nSubject: cargo\r\n"+
		"Content-Type: text/plain\r\n\r\nThe box is CSQU3054383.\r\n"), 0o644)
	empty := filepath.Join(dir, "empty.bin")
	os.WriteFile(empty, []byte{0, 1, 2, 3, 0xff, 0xfe}, 0o644)

	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"text", []string{"identify", "--region", "nl", report}, exitOK,
			[]string{"3 identifiers", "container  CSQU3054383", "phone      +31612345678", "iban       NL91ABNA0417164300",
				"1 look-alikes", `"MSCU 123456 7"`, "ISO 6346 check digit is 6"}, ""},
		{"no-region-no-national-phone", []string{"identify", report}, exitOK, []string{"2 identifiers"}, ""},
		{"mail-headers", []string{"identify", mail}, exitOK,
			[]string{"jane.roe@example.org", "from @", "ops@example.com", "to @", "CSQU3054383"}, ""},
		{"nothing", []string{"identify", empty}, exitOK, []string{"0 identifiers"}, ""},
		{"missing", []string{"identify", "no/such/file"}, exitInvalid, nil, "no such file"},
		{"bad-region", []string{"identify", "--region", "NLD", report}, exitUsage, nil, "two-letter"},
		{"no-file", []string{"identify"}, exitUsage, nil, "Usage: evx identify"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, &out, &errb)
			if code != tc.code {
				t.Fatalf("run(%v) = %d, want %d (stderr %q)", tc.args, code, tc.code, errb.String())
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("run(%v) stdout = %q, want it to contain %q", tc.args, out.String(), s)
				}
			}
			if !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("run(%v) stderr = %q, want it to contain %q", tc.args, errb.String(), tc.stderr)
			}
		})
	}

	var out, errb bytes.Buffer
	if code := run([]string{"identify", "--json", "--region", "NL", report}, &out, &errb); code != exitOK {
		t.Fatalf("identify --json = %d: %s", code, errb.String())
	}
	var res identify.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("--json output is not JSON: %v", err)
	}
	if len(res.Identifiers) != 3 || len(res.LookAlikes) != 1 || res.Identifiers[0].Page != 1 || res.Identifiers[0].Part != "text" {
		t.Fatalf("--json = %+v", res)
	}
}
