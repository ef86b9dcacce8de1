package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

// FuzzQueueAck acknowledges with hostile handles: nothing panics, and only the current
// handle removes the message.
func FuzzQueueAck(f *testing.F) {
	q := newTestQueue(f, nil)
	ctx := context.Background()
	if err := q.Send(ctx, "cp-a", "d", []byte("{}")); err != nil {
		f.Fatal(err)
	}
	ms, err := q.Receive(ctx, "cp-a", 1, time.Hour)
	if err != nil || len(ms) != 1 {
		f.Fatalf("Receive = %v, %v", ms, err)
	}
	current := ms[0].Handle
	f.Add(current)
	f.Add("1.1.0123456789abcdef0123456789abcdef")
	f.Add("1.0." + strings.Repeat("0", 32))
	f.Add("-1.1." + strings.Repeat("a", 32))
	f.Add("99999999999999999999.1." + strings.Repeat("a", 32))
	f.Add("1.1.1." + strings.Repeat("a", 32))
	f.Fuzz(func(t *testing.T, handle string) {
		if handle == current {
			return
		}
		err := q.Ack(ctx, "cp-a", handle)
		var n int
		if qerr := q.db.QueryRow(`SELECT count(*) FROM queue_messages`).Scan(&n); qerr != nil {
			t.Fatal(qerr)
		}
		if n != 1 {
			t.Fatalf("Ack(%q) = %v removed the message", handle, err)
		}
	})
}

// FuzzBlobsSum stores under hostile names: nothing is written but under the root, and
// a name that is not 64 lowercase hex digits is refused.
func FuzzBlobsSum(f *testing.F) {
	parent := f.TempDir()
	b, err := NewBlobs(filepath.Join(parent, "root"))
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
