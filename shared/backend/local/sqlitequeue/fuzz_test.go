package sqlitequeue

import (
	"context"
	"strings"
	"testing"
	"time"
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
