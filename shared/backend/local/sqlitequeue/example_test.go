package sqlitequeue_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/backend/local/sqlitequeue"
)

func ExampleQueue() {
	dir, _ := os.MkdirTemp("", "evx")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, err := sqlitedb.Open(ctx, filepath.Join(dir, "evx.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	q, err := sqlitequeue.New(ctx, db, nil)
	if err != nil {
		panic(err)
	}
	q.Send(ctx, "cp-nl-om", "bundle-7:nl-om", []byte(`{"bundle":"bundle-7"}`))
	q.Send(ctx, "cp-nl-om", "bundle-7:nl-om", []byte(`{"bundle":"bundle-7"}`)) // a retry: no-op

	ms, _ := q.Receive(ctx, "cp-nl-om", 10, time.Minute)
	for _, m := range ms {
		fmt.Printf("%s (receive %d)\n", m.Body, m.Receives)
		q.Ack(ctx, "cp-nl-om", m.Handle)
	}
	// Output:
	// {"bundle":"bundle-7"} (receive 1)
}
