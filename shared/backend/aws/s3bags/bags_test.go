package s3bags_test

import (
	"testing"

	"github.com/evx-project/evx/shared/backend/aws/s3bags"
)

func TestBundleID(t *testing.T) {
	a := s3bags.BundleID("bk", "incoming/a.zip", "v1")
	for _, tc := range []struct{ bucket, key, version string }{
		{"bk", "incoming/a.zip", "v2"}, {"bk2", "incoming/a.zip", "v1"}, {"bk", "incoming/b.zip", "v1"},
		{"bk", "incoming/a.zip\x00v1", ""},
	} {
		if got := s3bags.BundleID(tc.bucket, tc.key, tc.version); got == a {
			t.Errorf("BundleID(%q, %q, %q) = %s, the same as another object's", tc.bucket, tc.key, tc.version, got)
		}
	}
	if got := s3bags.BundleID("bk", "incoming/a.zip", "v1"); got != a || len(got) != 43 {
		t.Errorf("BundleID = %s (len %d), want %s again, 43 characters", got, len(got), a)
	}
}
