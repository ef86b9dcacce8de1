package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/bagit/bagittest"
)

const sampleDir = "../../testdata/sample"

func evx(t *testing.T, args ...string) (int, string, string) {
	return runCmd(t, args...)
}

func createSample(t *testing.T, name string, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	args := append([]string{"bag", "create", "--date", "2026-03-15", "--counterpart", "BE-FPP",
		"--field", "EVX-Handling-Code=H2", "--field", "External-Identifier=OM-2026-114", "-o", out}, extra...)
	args = append(args, filepath.Join(sampleDir, "seizure-report.txt"), filepath.Join(sampleDir, "bank-records.csv"), filepath.Join(sampleDir, "photos"))
	code, stdout, stderr := evx(t, args...)
	if code != exitOK {
		t.Fatalf("bag create = %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "3 payload files") {
		t.Errorf("bag create stdout = %q, want it to count 3 payload files", stdout)
	}
	return out
}

func TestBagCreateThenValidate(t *testing.T) {
	for _, name := range []string{"case", "case.zip", "case.tar", "case.tar.gz"} {
		t.Run(name, func(t *testing.T) {
			p := createSample(t, name)
			for _, spec := range []bool{false, true} {
				args := []string{"bag", "validate", p}
				if spec {
					args = []string{"bag", "validate", "--spec", p}
				}
				code, stdout, stderr := evx(t, args...)
				if code != exitOK || !strings.HasPrefix(stdout, "valid: ") {
					t.Errorf("%v = %d, stdout %q, stderr %q; want 0 and valid", args, code, stdout, stderr)
				}
				if !strings.Contains(stdout, "BE-FPP") || !strings.Contains(stdout, "H2") {
					t.Errorf("%v stdout %q does not show the evx fields", args, stdout)
				}
			}
		})
	}
}

func TestBagValidateJSON(t *testing.T) {
	p := createSample(t, "case.zip")
	code, stdout, _ := evx(t, "bag", "validate", "--json", p)
	var j jsonReport
	if err := json.Unmarshal([]byte(stdout), &j); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}
	if code != exitOK || !j.Valid || j.Files != 3 || j.Kind != "zip" || j.Fields == nil || j.Fields.Counterparts[0] != "BE-FPP" {
		t.Errorf("--json = %d %+v, want a valid zip of 3 files for BE-FPP", code, j)
	}
}

func TestBagValidateVerdicts(t *testing.T) {
	suite := "../../testdata/bagit-conformance"
	tampered := createSample(t, "tampered")
	f, err := os.OpenFile(filepath.Join(tampered, "data", "bank-records.csv"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("altered\n")
	f.Close()
	notBag := filepath.Join(t.TempDir(), "notes.zip")
	os.WriteFile(notBag, []byte("not an archive"), 0o644)
	noCounterpart := filepath.Join(t.TempDir(), "nocp.zip")
	if code, _, stderr := evx(t, "bag", "create", "-o", noCounterpart, filepath.Join(sampleDir, "bank-records.csv")); code != exitOK || !strings.Contains(stderr, "no --counterpart") {
		t.Fatalf("create without --counterpart = %d, stderr %q; want 0 and a warning", code, stderr)
	}
	cases := []struct {
		args []string
		code int
		want string // in stdout or stderr
	}{
		{[]string{"bag", "validate", "--spec", suite + "/v1.0/valid/basicBag"}, exitOK, "valid: "},
		{[]string{"bag", "validate", suite + "/v1.0/valid/basicBag"}, exitInvalid, "manifest-sha256.txt: is required"},
		{[]string{"bag", "validate", "--spec", suite + "/v0.97/warning/made-with-md5sum-tools"}, exitOK, "warning: "},
		{[]string{"bag", "validate", "--spec", suite + "/v0.97/invalid/missing-bagit.txt"}, exitInvalid, "bagit.txt is missing"},
		{[]string{"bag", "validate", tampered}, exitInvalid, "data/bank-records.csv: content does not match manifest-sha256.txt"},
		{[]string{"bag", "validate", noCounterpart}, exitInvalid, "names no EVX-Counterpart"},
		{[]string{"bag", "validate", "--spec", noCounterpart}, exitOK, "valid: "},
		{[]string{"bag", "validate", notBag}, exitInvalid, "is neither a folder nor a zip"},
		{[]string{"bag", "validate", filepath.Join(t.TempDir(), "absent.zip")}, exitUsage, "cannot read"},
		{[]string{"bag", "validate"}, exitUsage, "give exactly one PATH"},
		{[]string{"bag", "validate", "--bogus", "x"}, exitUsage, "flag provided but not defined"},
		{[]string{"bag", "create", "x"}, exitUsage, "-o OUT"},
		{[]string{"bag", "create", "--field", "nolabel", "-o", "x.zip", "y"}, exitUsage, "Label=Value"},
		{[]string{"bag", "create", "--field", "EVX-Handling-Code=H9", "-o", "x.zip", "y"}, exitUsage, "not one of H0"},
		{[]string{"bag", "create", "--date", "15/03/2026", "-o", "x.zip", "y"}, exitUsage, "YYYY-MM-DD"},
		{[]string{"bag", "frobnicate"}, exitUsage, "unknown subcommand"},
	}
	for _, tc := range cases {
		code, stdout, stderr := evx(t, tc.args...)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
			t.Errorf("evx %s = %d\nstdout: %s\nstderr: %s\nwant %d and %q", strings.Join(tc.args, " "), code, stdout, stderr, tc.code, tc.want)
		}
	}
}

func TestBagCreateDeterministic(t *testing.T) {
	a := createSample(t, "case.tar")
	b := createSample(t, "case.tar")
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Error("two bag create runs with the same input and --date gave different bytes")
	}
}

// A zip bomb is refused with exit code 1 and a sentence naming the member and the limit.
func TestBagValidateZipBomb(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bomb.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create("bagit.txt")
	w.Write([]byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"))
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "data/zeros.bin", Method: zip.Deflate})
	w.Write(make([]byte, 16<<20))
	zw.Close()
	f.Close()
	code, stdout, _ := evx(t, "bag", "validate", "--json", p)
	var j jsonReport
	if err := json.Unmarshal([]byte(stdout), &j); err != nil {
		t.Fatal(err)
	}
	if code != exitInvalid || len(j.Errors) != 1 || j.Errors[0].Kind != "limit" || j.Errors[0].Limit != "MaxRatio" || j.Errors[0].Path != "data/zeros.bin" {
		t.Errorf("validate bomb.zip = %d %+v, want 1 and a MaxRatio limit error on data/zeros.bin", code, j.Errors)
	}
}

// Many problems print as the first fifty reasons and a count of the rest.
func TestBagValidateCapsTextErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "many")
	src := t.TempDir()
	for i := range 60 {
		os.WriteFile(filepath.Join(src, fmt.Sprintf("f%02d.txt", i)), []byte("x"), 0o644)
	}
	if code, _, stderr := evx(t, "bag", "create", "--counterpart", "BE-FPP", "-o", dir, src); code != exitOK {
		t.Fatal(stderr)
	}
	for i := range 60 {
		os.WriteFile(filepath.Join(dir, "data", filepath.Base(src), fmt.Sprintf("f%02d.txt", i)), []byte("y"), 0o644)
	}
	code, stdout, _ := evx(t, "bag", "validate", "--spec", dir)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != exitInvalid || len(lines) != 52 || !strings.Contains(lines[51], "and 70 more") {
		t.Errorf("validate = %d with %d lines, last %q; want 1, 52 lines, \"and 70 more\"", code, len(lines), lines[len(lines)-1])
	}
}

// Every hostile archive that default limits refuse exits 1 with one reason, never 0 or 2.
func TestBagValidateHostileCorpus(t *testing.T) {
	dir := t.TempDir()
	for _, c := range bagittest.Cases() {
		if c.Streamed || len(c.Limits) > 0 {
			continue // those need a stream or tighter limits than the command's defaults
		}
		p := filepath.Join(dir, c.Name)
		if err := os.WriteFile(p, c.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := evx(t, "bag", "validate", "--json", p)
		var j jsonReport
		if err := json.Unmarshal([]byte(stdout), &j); err != nil {
			t.Fatalf("%s: %v\n%s%s", c.Name, err, stdout, stderr)
		}
		if code != exitInvalid || len(j.Errors) == 0 || !strings.Contains(j.Errors[0].Message, c.Path) {
			t.Errorf("%s: exit %d, errors %+v; want 1 naming %q", c.Name, code, j.Errors, c.Path)
		}
		if c.Limit != "" && j.Errors[0].Limit != c.Limit {
			t.Errorf("%s: limit %q, want %q", c.Name, j.Errors[0].Limit, c.Limit)
		}
	}
}

func TestBagCreateJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "case.zip")
	code, stdout, stderr := evx(t, "bag", "create", "--json", "--counterpart", "BE-FPP", "-o", out,
		filepath.Join(sampleDir, "seizure-report.txt"), filepath.Join(sampleDir, "bank-records.csv"))
	if code != exitOK {
		t.Fatalf("bag create --json = %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	var got struct {
		Path   string
		Kind   string
		Files  int
		Octets int64
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	var octets int64
	for _, n := range []string{"seizure-report.txt", "bank-records.csv"} {
		fi, err := os.Stat(filepath.Join(sampleDir, n))
		if err != nil {
			t.Fatal(err)
		}
		octets += fi.Size()
	}
	if got.Path != out || got.Kind != "zip" || got.Files != 2 || got.Octets != octets {
		t.Errorf("bag create --json = %+v, want %s, zip, 2 files, %d bytes", got, out, octets)
	}
}
