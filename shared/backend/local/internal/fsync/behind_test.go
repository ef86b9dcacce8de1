package fsync

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

// TestBehind: what a Behind writer writes across several chunks, kept cached or not, reads
// back whole.
func TestBehind(t *testing.T) {
	piece := bytes.Repeat([]byte("evidence"), 128<<10) // 1 MiB
	for _, keep := range []bool{false, true} {
		f, err := os.Create(filepath.Join(t.TempDir(), "f"))
		if err != nil {
			t.Fatal(err)
		}
		w := NewBehind(f)
		if keep {
			w.KeepCached()
		}
		want := sha256.New()
		for range 2*behindChunk>>20 + 5 {
			if _, err := w.Write(piece); err != nil {
				t.Fatal(err)
			}
			want.Write(piece)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		got, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if g, n := sha256.Sum256(got), int64(len(got)); !bytes.Equal(g[:], want.Sum(nil)) || n != w.Written() {
			t.Errorf("keep=%v: read back %d bytes, sha256 %x; want %d bytes, %x", keep, n, g, w.Written(), want.Sum(nil))
		}
	}
}
