package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCheckedInVectorsAreCurrent regenerates the vectors and compares them with the
// checked-in ones: generation is deterministic, and the files match the code.
func TestCheckedInVectorsAreCurrent(t *testing.T) {
	tmp := t.TempDir()
	if err := generate(tmp); err != nil {
		t.Fatal(err)
	}
	checkedIn := filepath.Join("..", "..", "testdata", "tamper")
	n := 0
	err := filepath.WalkDir(tmp, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tmp, p)
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		want, err := os.ReadFile(filepath.Join(checkedIn, rel))
		if err != nil {
			t.Errorf("%s: generated but not checked in: %v", rel, err)
			return nil
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the checked-in file; run go run ./shared/custody/internal/tampergen", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// And nothing is checked in that the generator no longer writes.
	err = filepath.WalkDir(checkedIn, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(checkedIn, p)
		if _, err := os.Stat(filepath.Join(tmp, rel)); err != nil {
			t.Errorf("%s is checked in but not generated; run go run ./shared/custody/internal/tampergen", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 90 {
		t.Errorf("generated %d files, want at least 90", n)
	}
}
