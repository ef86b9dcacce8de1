package local_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/local"
)

func ExampleBlobs() {
	dir, _ := os.MkdirTemp("", "evx")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	blobs, err := local.NewBlobs(filepath.Join(dir, "blobs"))
	if err != nil {
		panic(err)
	}
	doc := "Acta de incautación"
	// printf 'Acta de incautación' | sha256sum
	sum := "a31a244174e20548ad1bf915738f927cb3b2df3f893882de9b6f6f19188558b3"
	if err := blobs.Put(ctx, sum, int64(len(doc)), strings.NewReader(doc)); err != nil {
		panic(err)
	}
	// Other bytes under the same name are refused; the stored ones stay.
	err = blobs.Put(ctx, sum, int64(len(doc)), strings.NewReader("Acta de incautacioN!"))
	fmt.Println(err)

	f, err := blobs.OpenFile(ctx, sum) // an *os.File: io.ReaderAt for PDF extraction
	if err != nil {
		panic(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	fmt.Println(string(b))
	// Output:
	// a31a244174e20548ad1bf915738f927cb3b2df3f893882de9b6f6f19188558b3: sha256 is 2926d6953f242ddfe945465ee11dd19d1db24021e65298cda933cbccbec8e26a, want a31a244174e20548ad1bf915738f927cb3b2df3f893882de9b6f6f19188558b3
	// Acta de incautación
}

func ExampleQueue() {
	dir, _ := os.MkdirTemp("", "evx")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, err := local.OpenSQLite(ctx, filepath.Join(dir, "evx.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	q, err := local.NewQueue(ctx, db, nil)
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
