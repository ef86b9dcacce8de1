package bagit_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"testing"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/internal/decls"
)

func TestProblemOf(t *testing.T) {
	cases := []struct {
		err  error
		want bagit.Problem
	}{
		{&bagit.LimitError{Path: "data/a", Limit: "MaxMemberSize", Max: 1, Got: 2}, bagit.Problem{Kind: "limit", Path: "data/a", Limit: "MaxMemberSize"}},
		{&bagit.UnsafePathError{Path: "../x", Source: "archive", Reason: ".."}, bagit.Problem{Kind: "unsafe-path", Path: "../x"}},
		{&bagit.ArchiveError{Path: "data/b", Reason: "truncated", Err: errors.New("EOF")}, bagit.Problem{Kind: "archive", Path: "data/b"}},
		{&bagit.FormatError{Path: "bagit.txt", Line: 2, Reason: "r"}, bagit.Problem{Kind: "format", Path: "bagit.txt"}},
		{&bagit.MissingError{Path: "data/c", Manifest: "manifest-sha256.txt"}, bagit.Problem{Kind: "missing", Path: "data/c"}},
		{&bagit.UnlistedError{Path: "data/d", Manifest: "manifest-sha256.txt"}, bagit.Problem{Kind: "unlisted", Path: "data/d"}},
		{&bagit.ChecksumError{Path: "data/e", Manifest: "manifest-sha256.txt", Algorithm: "sha256", Want: "aa", Got: "bb"},
			bagit.Problem{Kind: "checksum", Path: "data/e", Want: "aa", Got: "bb"}},
		{&bagit.OxumError{WantOctets: 1, WantFiles: 1, GotOctets: 2, GotFiles: 1}, bagit.Problem{Kind: "payload-oxum", Path: "bag-info.txt"}},
		{&bagit.OrderError{Path: "manifest-sha256.txt"}, bagit.Problem{Kind: "order", Path: "manifest-sha256.txt"}},
		{&bagit.PolicyError{Path: "bag-info.txt", Reason: "names no EVX-Counterpart"}, bagit.Problem{Kind: "policy", Path: "bag-info.txt"}},
	}
	described := map[string]bool{}
	for _, tc := range cases {
		got, ok := bagit.ProblemOf(fmt.Errorf("validate bundle.zip: %w", tc.err))
		if !ok || got != tc.want {
			t.Errorf("ProblemOf(%T) = %+v, %v, want %+v, true", tc.err, got, ok, tc.want)
		}
		described[reflect.TypeOf(tc.err).Elem().Name()] = true
	}
	// Failures to read the bag are no verdict on it.
	for _, err := range []error{nil, fs.ErrNotExist, context.Canceled, errors.New("disk on fire")} {
		if got, ok := bagit.ProblemOf(err); ok {
			t.Errorf("ProblemOf(%v) = %+v, true, want false", err, got)
		}
	}
	// Every error type declared in errors.go is described by a case above.
	decls.CheckErrorTypes(t, "errors.go", described)
}
