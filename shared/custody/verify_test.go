package custody_test

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// TestVerifyReport: a successful verification reports what it checked.
func TestVerifyReport(t *testing.T) {
	for _, tc := range []struct{ trail, key, older string }{
		{"good.json", "key.pem", "older.txt"},
		{"ecdsa-good.json", "ecdsa-key.pem", "ecdsa-older.txt"},
	} {
		pub := fixtureKey(t, tc.key)
		keyID, err := custody.KeyIDOf(pub)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join("testdata", "tamper")
		rep, err := custody.VerifyTrail(fixture(t, tc.trail), pub,
			custody.VerifyOptions{Documents: filepath.Join(dir, "documents"), Older: fixture(t, tc.older)})
		if err != nil {
			t.Fatalf("VerifyTrail(%s) = %v", tc.trail, err)
		}
		cp, err := custody.OpenCheckpoint([]byte(mustTrail(t, tc.trail).Checkpoint), pub)
		if err != nil {
			t.Fatal(err)
		}
		want := custody.Report{BundleID: "EVX-2026-0001", Events: 8, KeyID: keyID, Origin: "evx.example/custody",
			LogSize: 10, Root: hex.EncodeToString(cp.Hash), DocumentsCheck: 3, OlderSize: 6,
			Complete: &custody.Completeness{Size: 10}}
		if !reflect.DeepEqual(*rep, want) {
			t.Errorf("VerifyTrail(%s) report %+v, want %+v", tc.trail, *rep, want)
		}
		// Without the documents and the older checkpoint, neither is reported.
		rep, err = custody.VerifyTrail(fixture(t, tc.trail), pub, custody.VerifyOptions{})
		if err != nil || rep.DocumentsCheck != 0 || rep.OlderSize != 0 {
			t.Errorf("VerifyTrail(%s, no options) = %+v, %v; want no documents and no older size", tc.trail, rep, err)
		}
	}
}

func mustTrail(t *testing.T, name string) *custody.Trail {
	t.Helper()
	tr, err := custody.ParseTrail(fixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestVerifyDocumentsWithoutDataPrefix: documents recorded as data/<name> are found at
// <folder>/<name> too, as a recipient unpacks the payload alone; a changed one is still caught.
func TestVerifyDocumentsWithoutDataPrefix(t *testing.T) {
	pub := fixtureKey(t, "key.pem")
	for _, modified := range []bool{false, true} {
		src := filepath.Join("testdata", "tamper", "documents", "data")
		if modified {
			src = filepath.Join("testdata", "tamper", "documents-modified", "data")
		}
		dir := t.TempDir()
		err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := custody.VerifyTrail(fixture(t, "good.json"), pub, custody.VerifyOptions{Documents: dir})
		var de *custody.DocumentHashError
		switch {
		case !modified && (err != nil || rep.DocumentsCheck != 3):
			t.Errorf("VerifyTrail(documents without data/) = %+v, %v; want 3 documents checked", rep, err)
		case modified && (!errors.As(err, &de) || de.Name != "data/seizure-report.txt" || de.Got == ""):
			t.Errorf("VerifyTrail(modified documents without data/) = %v, want a *DocumentHashError for data/seizure-report.txt", err)
		}
	}
	// A folder without the documents: each is reported missing, not matched.
	_, err := custody.VerifyTrail(fixture(t, "good.json"), pub, custody.VerifyOptions{Documents: t.TempDir()})
	var de *custody.DocumentHashError
	if !errors.As(err, &de) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("VerifyTrail(empty documents folder) = %v, want a *DocumentHashError wrapping ErrNotExist", err)
	}
}

// TestVerifyLeafBeyondLog: a leaf index at or past the checkpoint's size is refused before any
// proof is walked.
func TestVerifyLeafBeyondLog(t *testing.T) {
	pub := fixtureKey(t, "key.pem")
	for _, leaf := range []uint64{10, 11, 1 << 40} {
		tr := mustTrail(t, "good.json")
		tr.Events[0].Leaf = leaf
		_, err := custody.Verify(tr, pub, custody.VerifyOptions{})
		var ie *custody.InclusionError
		if !errors.As(err, &ie) || ie.Leaf != leaf || ie.Err == nil || !strings.Contains(ie.Err.Error(), "beyond log size 10") {
			t.Errorf("Verify(leaf %d of a log of 10) = %v, want an *InclusionError saying it is beyond the log", leaf, err)
		}
	}
}
