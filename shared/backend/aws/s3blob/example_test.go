package s3blob_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/backend/aws/s3blob"
)

// Store a document under its SHA-256 and hand a counterpart a URL for it. The client takes
// its endpoint and credentials from the environment (AWS_ENDPOINT_URL, AWS_REGION, ...).
func Example() {
	ctx := context.Background()
	client, err := s3blob.NewClient(ctx)
	if err != nil {
		log.Fatal(err)
	}
	store := s3blob.New(client, "evx-evidence-bucket")

	doc := "statement of the witness, page 1"
	h := sha256.Sum256([]byte(doc))
	sum := hex.EncodeToString(h[:])
	if err := store.Put(ctx, sum, int64(len(doc)), strings.NewReader(doc)); err != nil {
		log.Fatal(err) // a *pipeline.DigestMismatchError if the bytes were not what sum names
	}
	url, err := store.PresignGet(ctx, sum, 15*time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(url) // curl -o doc "$url" && sha256sum doc
}

// Read a zip bundle where it lies in the bucket, without copying it.
func ExampleNewReaderAt() {
	ctx := context.Background()
	client, err := s3blob.NewClient(ctx)
	if err != nil {
		log.Fatal(err)
	}
	ra, err := s3blob.NewReaderAt(ctx, client, "evx-evidence-bucket", "incoming/bundle.zip", 0, 0, 0)
	if err != nil {
		log.Fatal(err)
	}
	// archive/zip.NewReader(ra, ra.Size()) reads the central directory and then each file
	// through ranged GETs, holding at most DefaultBlockSize*DefaultCacheBlocks bytes.
	head := make([]byte, 4)
	if _, err := ra.ReadAt(head, 0); err != nil && err != io.EOF {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", head)
}
