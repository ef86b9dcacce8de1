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
	// errors are the types of the errors an invalid bag's report holds (each at least once,
	// no other), as a folder; packed, those of zip, tar and tar.gz (Open's error, when Open
	// refuses the archive).
	errors, packed []string
}

// conformanceCases lists every bag of the suite with its expected verdict: the bags in
// valid/ and warning/ must pass; those bagit-cases.tsv names (invalid/, linux-only/,
// windows-only/) must fail, with the error types its columns errors (as a folder) and packed
// (as zip, tar and tar.gz; "=" for the same) name, comma-separated, without "*bagit.".
func conformanceCases(t *testing.T) []confCase {
	t.Helper()
	f, err := os.Open(filepath.Join(suite, "..", "bagit-cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	invalid := map[string]confCase{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 5 || cols[1] != "invalid" || cols[3] == "" || cols[4] == "" {
			t.Fatalf("bagit-cases.tsv: unexpected line %q (want path, invalid, reason, errors, packed)", sc.Text())
		}
		c := confCase{reason: cols[2], errors: errTypeList(cols[3]), packed: errTypeList(cols[4])}
		if cols[4] == "=" {
			c.packed = c.errors
		}
		matches, err := filepath.Glob(filepath.Join(suite, cols[0]))
		if err != nil || len(matches) == 0 {
			t.Fatalf("bagit-cases.tsv: %s matches no bag", cols[0])
		}
		for _, m := range matches {
			rel, _ := filepath.Rel(suite, m)
			c.dir = filepath.ToSlash(rel)
			invalid[c.dir] = c
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(suite, "v*", "*", "*"))
	var out []confCase
	for _, d := range dirs {
		rel, _ := filepath.Rel(suite, d)
		rel = filepath.ToSlash(rel)
		class := strings.Split(rel, "/")[1]
		c, bad := invalid[rel]
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
		c.dir, c.valid = rel, !bad
		out = append(out, c)
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

// errTypeList reads a column of error type names.
func errTypeList(col string) []string {
	var out []string
	for _, n := range strings.Split(col, ",") {
		out = append(out, "*bagit."+n)
	}
	sort.Strings(out)
	return out
}

func errTypes(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, fmt.Sprintf("%T", e))
	}
	return out
}

// distinct returns the sorted distinct members of ss.
func distinct(ss []string) []string {
	out := slices.Clone(ss)
	sort.Strings(out)
	return slices.Compact(out)
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
				if !tc.valid {
					want := tc.errors
					if kind != "folder" {
						want = tc.packed
					}
					var got []string
					if err != nil {
						got = []string{fmt.Sprintf("%T", err)}
					} else {
						got = distinct(errTypes(rep.Errors))
					}
					if !slices.Equal(got, want) {
						t.Errorf("%s: error types %v (%s), want %v", kind, got, why, want)
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
