package bagit

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const suite = "../../testdata/bagit-conformance"

type confCase struct {
	dir    string // relative to the suite, e.g. v0.97/invalid/missing-bagit.txt
	valid  bool
	reason string
}

// conformanceCases lists every bag of the suite with its expected verdict: the bags in
// valid/ and warning/ must pass; those bagit-cases.tsv names (invalid/, linux-only/,
// windows-only/) must fail.
func conformanceCases(t *testing.T) []confCase {
	t.Helper()
	f, err := os.Open(filepath.Join(suite, "..", "bagit-cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	invalid := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 || cols[1] != "invalid" {
			t.Fatalf("bagit-cases.tsv: unexpected line %q", sc.Text())
		}
		matches, err := filepath.Glob(filepath.Join(suite, cols[0]))
		if err != nil || len(matches) == 0 {
			t.Fatalf("bagit-cases.tsv: %s matches no bag", cols[0])
		}
		for _, m := range matches {
			rel, _ := filepath.Rel(suite, m)
			invalid[filepath.ToSlash(rel)] = cols[2]
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(suite, "v*", "*", "*"))
	var out []confCase
	for _, d := range dirs {
		rel, _ := filepath.Rel(suite, d)
		rel = filepath.ToSlash(rel)
		class := strings.Split(rel, "/")[1]
		reason, bad := invalid[rel]
		switch class {
		case "valid", "warning":
			if bad {
				t.Fatalf("bagit-cases.tsv calls %s invalid, but it sits in %s/", rel, class)
			}
		case "invalid", "linux-only", "windows-only":
			if !bad {
				t.Fatalf("%s is in %s/ but bagit-cases.tsv has no verdict for it", rel, class)
			}
		default:
			t.Fatalf("unknown class %s", class)
		}
		out = append(out, confCase{dir: rel, valid: !bad, reason: reason})
		delete(invalid, rel)
	}
	if len(invalid) > 0 {
		t.Fatalf("bagit-cases.tsv names bags that do not exist: %v", invalid)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	if len(out) < 60 {
		t.Fatalf("found %d conformance bags, want the whole suite", len(out))
	}
	return out
}

func validateBag(t *testing.T, path string, mode Mode) (*Report, error) {
	t.Helper()
	b, err := Open(path, DefaultLimits())
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return b.Validate(Options{Mode: mode})
}

// wantErrType names, for each invalid case, the error type its verdict must rest on, so
// that a bag is refused for the reason the suite built it for.
var wantErrType = map[string]string{
	"v0.97/invalid/baginfo-missing-encoding":                             "*bagit.FormatError",
	"v0.97/invalid/bom-in-bagit.txt":                                     "*bagit.FormatError",
	"v0.97/invalid/corrupt-data-file":                                    "*bagit.ChecksumError",
	"v0.97/invalid/corrupt-tag-file":                                     "*bagit.ChecksumError",
	"v0.97/invalid/extra-file-in-bag":                                    "*bagit.UnlistedError",
	"v0.97/invalid/invalid-version-number":                               "*bagit.FormatError",
	"v0.97/invalid/missing-baginfo":                                      "*bagit.MissingError",
	"v0.97/invalid/missing-bagit.txt":                                    "*bagit.MissingError",
	"v0.97/invalid/out-of-scope-file-paths-using-dot-notation":           "*bagit.UnsafePathError",
	"v0.97/invalid/out-of-scope-file-paths-using-dot-notation-for-fetch": "*bagit.UnsafePathError",
	"v0.97/invalid/same-filename-listed-twice-with-different-hashes":     "*bagit.FormatError",
	"v1.0/invalid/bagit-with-invalid-whitespace":                         "*bagit.FormatError",
	"v1.0/invalid/notAllManifestsListAllFiles":                           "*bagit.UnlistedError",
	"v1.0/invalid/same-filename-listed-twice-with-different-hashes":      "*bagit.FormatError",
	"v1.0/invalid/same-filename-listed-twice-with-the-same-hash":         "*bagit.FormatError",
	// linux-only and windows-only: every one is an out-of-scope path.
}

func errTypes(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, fmt.Sprintf("%T", e))
	}
	return out
}

// TestConformance checks every bag of the Library of Congress suite in spec mode, as a
// folder and packed into zip, tar and tar.gz.
func TestConformance(t *testing.T) {
	tmp := t.TempDir()
	for _, tc := range conformanceCases(t) {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join(suite, tc.dir)
			paths := map[string]string{"folder": dir}
			for _, kind := range []string{"zip", "tar", "tar.gz"} {
				p := filepath.Join(tmp, strings.ReplaceAll(tc.dir, "/", "_")+"."+kind)
				if err := packFolder(dir, p, kind); err != nil {
					t.Fatal(err)
				}
				paths[kind] = p
			}
			for _, kind := range []string{"folder", "zip", "tar", "tar.gz"} {
				rep, err := validateBag(t, paths[kind], ModeSpec)
				var valid bool
				var why string
				switch {
				case err != nil:
					why = err.Error()
				case rep.Valid():
					valid = true
				default:
					why = rep.Err().Error()
				}
				if valid != tc.valid {
					t.Errorf("%s: valid = %v (%s), want %v (%s)", kind, valid, why, tc.valid, tc.reason)
				}
				if !tc.valid && err == nil && kind == "folder" {
					want := wantErrType[tc.dir]
					if want == "" {
						want = "*bagit.UnsafePathError"
					}
					if !slices.Contains(errTypes(rep.Errors), want) {
						t.Errorf("%s: error types %v, want %s", kind, errTypes(rep.Errors), want)
					}
				}
				if tc.valid && strings.Contains(tc.dir, "/warning/") && len(rep.Warnings) == 0 {
					t.Errorf("%s: no warning for a bag of warning/", kind)
				}
			}
		})
	}
}

// TestConformancePolicy: the suite's valid bags lack evx fields (and most lack a SHA-256
// manifest), so the intake policy refuses each with a *PolicyError.
func TestConformancePolicy(t *testing.T) {
	for _, tc := range conformanceCases(t) {
		if !tc.valid {
			continue
		}
		rep, err := validateBag(t, filepath.Join(suite, tc.dir), ModeEVX)
		if err != nil {
			t.Fatalf("%s: %v", tc.dir, err)
		}
		var pe *PolicyError
		if rep.Valid() || !errors.As(rep.Err(), &pe) {
			t.Errorf("%s: policy errors = %v, want a *PolicyError", tc.dir, rep.Err())
		}
	}
}
