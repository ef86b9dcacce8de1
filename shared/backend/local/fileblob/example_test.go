package fileblob_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/evx-project/evx/shared/backend/local/fileblob"
)

func ExampleStore() {
	dir, _ := os.MkdirTemp("", "evx")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	blobs, err := fileblob.New(filepath.Join(dir, "blobs"))
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
