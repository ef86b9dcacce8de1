package s3blob

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

type fakeRetention struct {
	locks map[string]types.ObjectLockRetention
	puts  int
}

func (f *fakeRetention) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	r, ok := f.locks[*in.Key]
	if !ok {
		return &s3.HeadObjectOutput{}, nil
	}
	return &s3.HeadObjectOutput{ObjectLockMode: types.ObjectLockMode(r.Mode), ObjectLockRetainUntilDate: r.RetainUntilDate}, nil
}

func (f *fakeRetention) PutObjectRetention(_ context.Context, in *s3.PutObjectRetentionInput, _ ...func(*s3.Options)) (*s3.PutObjectRetentionOutput, error) {
	if cur, ok := f.locks[*in.Key]; ok && cur.Mode == types.ObjectLockRetentionModeCompliance && in.Retention.RetainUntilDate.Before(*cur.RetainUntilDate) {
		return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "shortening a COMPLIANCE retention"}
	}
	f.locks[*in.Key] = *in.Retention
	f.puts++
	return &s3.PutObjectRetentionOutput{}, nil
}

func TestRetainNeverShortens(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	f := &fakeRetention{locks: map[string]types.ObjectLockRetention{}}
	r := &Retainer{client: f, bucket: "b", mode: types.ObjectLockRetentionModeCompliance}
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		until time.Time
		puts  int // total PutObjectRetention calls after this step
		want  time.Time
	}{
		{"first", t0.AddDate(10, 0, 0), 1, t0.AddDate(10, 0, 0)},
		{"again", t0.AddDate(10, 0, 0), 1, t0.AddDate(10, 0, 0)},
		{"earlier", t0.AddDate(9, 0, 0), 1, t0.AddDate(10, 0, 0)},
		{"later", t0.AddDate(11, 0, 0), 2, t0.AddDate(11, 0, 0)},
	} {
		if err := r.Retain(ctx, sum, tc.until); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := *f.locks["evidence/"+sum].RetainUntilDate; f.puts != tc.puts || !got.Equal(tc.want) {
			t.Errorf("%s: %d puts, locked until %v; want %d, %v", tc.name, f.puts, got, tc.puts, tc.want)
		}
	}
	if err := r.Retain(ctx, "not-a-sum", t0); err == nil {
		t.Error("Retain of a bad sum = nil error")
	}
	for in, ok := range map[string]bool{"COMPLIANCE": true, "GOVERNANCE": true, "compliance": false, "": false} {
		if _, err := ParseMode(in); (err == nil) != ok {
			t.Errorf("ParseMode(%q) = %v, want ok %v", in, err, ok)
		}
	}
}
