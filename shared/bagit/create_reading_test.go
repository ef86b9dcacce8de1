package bagit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/bagit"
)

// TestCreateReading: Reading sees every payload byte once per stage, named by its file, so
// that a caller can show progress within a large file.
func TestCreateReading(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.bin")
	os.WriteFile(big, []byte(strings.Repeat("x", 3<<20)), 0o644)
	small := filepath.Join(dir, "small.txt")
	os.WriteFile(small, []byte("small\n"), 0o644)
	for _, out := range []string{"b.zip", "b.tar", "folder"} {
		got := map[string]int{}
		calls := 0
		_, err := bagit.Create(filepath.Join(t.TempDir(), out), []string{big, small}, bagit.CreateOptions{
			Reading: func(stage, path string, n int) { got[stage+" "+path] += n; calls++ }})
		if err != nil {
			t.Fatal(err)
		}
		for _, stage := range []string{"hashing", "writing"} {
			if got[stage+" data/big.bin"] != 3<<20 || got[stage+" data/small.txt"] != 6 {
				t.Errorf("%s: Reading saw %v, want every byte of each file in each stage", out, got)
			}
		}
		if calls < 4 {
			t.Errorf("%s: Reading called %d times, want several calls within big.bin", out, calls)
		}
	}
}
