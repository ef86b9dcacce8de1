package fileblob

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/pipeline"
)

// FuzzBlobsSum stores under hostile names: nothing is written but under the root, and
// a name that is not 64 lowercase hex digits is refused.
func FuzzBlobsSum(f *testing.F) {
	parent := f.TempDir()
	b, err := New(filepath.Join(parent, "root"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"../x", "/etc/passwd", strings.Repeat("a", 64), strings.Repeat("A", 64), "..\\..\\x", "ab/../" + strings.Repeat("0", 58)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sum string) {
		ctx := context.Background()
		err := b.Put(ctx, sum, 1, strings.NewReader("x"))
		if !pipeline.ValidSum(sum) && !errors.Is(err, pipeline.ErrInvalidSum) {
			t.Fatalf("Put(%q) = %v, want ErrInvalidSum", sum, err)
		}
		rc, err := b.Open(ctx, sum)
		if err == nil {
			rc.Close()
		}
		if !pipeline.ValidSum(sum) && !errors.Is(err, pipeline.ErrInvalidSum) {
			t.Fatalf("Open(%q) = %v, want ErrInvalidSum", sum, err)
		}
		entries, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != "root" {
			t.Fatalf("after Put(%q), %s holds %d entries, want only root", sum, parent, len(entries))
		}
	})
}
