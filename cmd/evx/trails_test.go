package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyGoldenTrails runs evx verify over every trail of testdata/trails (each format evx
// has written, exported by the releases that wrote it): each must keep verifying.
func TestVerifyGoldenTrails(t *testing.T) {
	trails, err := filepath.Glob(filepath.Join("..", "..", "testdata", "trails", "*", "*.json"))
	if err != nil || len(trails) == 0 {
		t.Fatalf("no golden trail under testdata/trails (%v)", err)
	}
	for _, p := range trails {
		t.Run(filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p), func(t *testing.T) {
			base := strings.TrimSuffix(p, ".json")
			args := []string{"verify", "--key", base + ".pem"}
			if _, err := os.Stat(base + ".older.txt"); err == nil {
				args = append(args, "--checkpoint", base+".older.txt")
			}
			var stdout, stderr strings.Builder
			if code := run(t.Context(), append(args, p), &stdout, &stderr); code != exitOK {
				t.Errorf("evx %s = exit %d, want 0\n%s%s", strings.Join(append(args, p), " "), code, stdout.String(), stderr.String())
			}
		})
	}
}
