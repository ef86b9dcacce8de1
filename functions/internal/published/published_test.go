package published

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

type fakeS3 struct{ objects map[string][]byte }

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	b, _ := io.ReadAll(in.Body)
	if in.ChecksumSHA256 == nil {
		return nil, errors.New("no checksum")
	}
	f.objects[*in.Bucket+"/"+*in.Key] = b
	return &s3.PutObjectOutput{}, nil
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	b, ok := f.objects[*in.Bucket+"/"+*in.Key]
	if !ok {
		return nil, &types.NoSuchKey{}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func TestPutLatest(t *testing.T) {
	ctx := context.Background()
	f := &fakeS3{objects: map[string][]byte{}}
	if _, err := Latest(ctx, f, "b"); !errors.Is(err, ErrNone) {
		t.Errorf("Latest of nothing = %v, want ErrNone", err)
	}
	cp := []byte("evx.aws/custody\n3\nq3/Zx0GX0f3Z0x=\n\n— evx.aws/custody sig\n")
	if err := Put(ctx, f, "b", cp); err != nil {
		t.Fatal(err)
	}
	if got, err := Latest(ctx, f, "b"); err != nil || !bytes.Equal(got, cp) {
		t.Errorf("Latest = %q, %v, want %q", got, err, cp)
	}
	f.objects["b/"+Key] = []byte(strings.Repeat("x", MaxCheckpoint+1))
	var tl *TooLargeError
	if _, err := Latest(ctx, f, "b"); !errors.As(err, &tl) {
		t.Errorf("Latest of a huge object = %v, want *TooLargeError", err)
	}
}
