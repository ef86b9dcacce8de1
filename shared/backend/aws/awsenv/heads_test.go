package awsenv

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/evx-project/evx/shared/backend/aws/s3heads"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// fakeObjects is an S3 of a few objects that counts its reads.
type fakeObjects struct {
	objs map[string][]byte
	gets int
}

func (f *fakeObjects) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	b, _ := io.ReadAll(in.Body)
	f.objs[*in.Key] = b
	return &s3.PutObjectOutput{}, nil
}

func (f *fakeObjects) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.gets++
	b, ok := f.objs[*in.Key]
	if !ok {
		return nil, &types.NoSuchKey{}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

type fakeKept map[uint64][]byte

func (k fakeKept) Checkpoint(_ context.Context, size uint64) ([]byte, error) {
	if n, ok := k[size]; ok {
		return n, nil
	}
	return nil, pipeline.ErrNotFound
}

// The api's ledger reads the heads kept at a size once, checked against the kept checkpoint,
// and then serves them from memory at that size; another size is read again; a size with no
// kept checkpoint is ErrHeadsUnknown.
func TestKeptHeadsCached(t *testing.T) {
	ctx := context.Background()
	heads := []custody.Head{{BundleID: "b1", Seq: 3, Hash: strings.Repeat("a", 64), Leaf: 4}, {BundleID: "b2", Seq: 1, Hash: strings.Repeat("b", 64), Leaf: 2}}
	tree, err := custody.NewHeadsTree(heads)
	if err != nil {
		t.Fatal(err)
	}
	obj := &fakeObjects{objs: map[string][]byte{}}
	store := s3heads.New(obj, "evidence")
	for _, size := range []uint64{5, 6} {
		if err := store.Put(ctx, size, heads); err != nil {
			t.Fatal(err)
		}
	}
	note := func(size string) []byte {
		return []byte("evx.aws/custody\n" + size + "\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n" + tree.Line() + "\n\n— evx sig\n")
	}
	l := keptHeadsLedger{kept: fakeKept{5: note("5"), 6: note("6")}, store: store, last: &headsCache{}}
	for i := range 3 {
		hs, err := l.Heads(ctx, 5)
		if err != nil || len(hs) != 2 {
			t.Fatalf("Heads(5) #%d = %v, %v", i, hs, err)
		}
		hs[0].Seq = 99 // a caller's change does not reach the cache
	}
	if obj.gets != 1 {
		t.Errorf("three reads at one size made %d S3 reads, want 1", obj.gets)
	}
	if hs, _ := l.Heads(ctx, 5); hs[0].Seq == 99 {
		t.Error("the cache shares its slice with callers")
	}
	if _, err := l.Heads(ctx, 6); err != nil || obj.gets != 2 {
		t.Errorf("Heads(6) = %v after %d reads, want one more read", err, obj.gets)
	}
	if _, err := l.Heads(ctx, 7); !errors.Is(err, custody.ErrHeadsUnknown) {
		t.Errorf("Heads(7) = %v, want ErrHeadsUnknown", err)
	}
}
