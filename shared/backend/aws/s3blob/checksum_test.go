package s3blob

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/evx-project/evx/shared/pipeline"
)

func TestStoredChecksum(t *testing.T) {
	// printf x%.0s {1..100} | sha256sum | xxd -r -p | base64
	const b64 = "Cey268i878cz9vLsRPeRq+7WqZ7fDMMVGWN4mK69Utg="
	const hexSum = "09ecb6ebc8bcefc733f6f2ec44f791abeed6a99edf0cc31519637898aebd52d8"
	for _, tc := range []struct {
		name, value string
		typ         types.ChecksumType
		want        pipeline.StoredChecksum
		wantErr     bool
	}{
		{name: "none"},
		{name: "full-object", value: b64, typ: types.ChecksumTypeFullObject, want: pipeline.StoredChecksum{SHA256: hexSum}},
		{name: "full-object-untyped", value: b64, want: pipeline.StoredChecksum{SHA256: hexSum}},
		{name: "composite", value: b64 + "-7", typ: types.ChecksumTypeComposite, want: pipeline.StoredChecksum{Composite: b64 + "-7"}},
		{name: "composite-untyped", value: b64 + "-10000", want: pipeline.StoredChecksum{Composite: b64 + "-10000"}},
		{name: "composite-without-count", value: b64, typ: types.ChecksumTypeComposite, want: pipeline.StoredChecksum{Composite: b64}},
		{name: "zero-parts", value: b64 + "-0", wantErr: true},
		{name: "too-many-parts", value: b64 + "-10001", wantErr: true},
		{name: "leading-zero", value: b64 + "-07", wantErr: true},
		{name: "not-base64", value: "not a checksum", wantErr: true},
		{name: "crc32-length", value: "AAAAAA==", wantErr: true},
		{name: "too-long", value: strings.Repeat("A", 200), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.value
			got, err := storedChecksum(&v, tc.typ)
			var ce *ChecksumError
			if tc.wantErr != errors.As(err, &ce) || got != tc.want {
				t.Errorf("storedChecksum(%q, %q) = %+v, %v; want %+v, error %v", tc.value, tc.typ, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestPartHasher(t *testing.T) {
	// The composite of "aaaaa" + "bb" in parts of 5 bytes: SHA-256 over the parts' SHA-256s.
	// python3 -c 'import hashlib,base64;h=hashlib.sha256;print(base64.b64encode(h(h(b"aaaaa").digest()+h(b"bb").digest()).digest()).decode())'
	const want = "LJjleXZq4wrrRWVtwkABsMQmihRzoxkMouhtYj4d+Ew=-2"
	for _, writes := range [][]string{{"aaaaabb"}, {"aa", "aaab", "b"}, {"a", "a", "a", "a", "a", "b", "b"}} {
		p := newPartHasher(5)
		for _, w := range writes {
			p.Write([]byte(w))
		}
		if got := p.composite(); got != want {
			t.Errorf("composite of writes %q = %s, want %s", writes, got, want)
		}
	}
}

func FuzzStoredChecksum(f *testing.F) {
	f.Add("Cey268i878cz9vLsRPeRq+7WqZ7fDMMVGWN4mK69Utg=", "COMPOSITE")
	f.Add("Cey268i878cz9vLsRPeRq+7WqZ7fDMMVGWN4mK69Utg=-3", "")
	f.Add("", "FULL_OBJECT")
	f.Fuzz(func(t *testing.T, v, typ string) {
		got, err := storedChecksum(&v, types.ChecksumType(typ))
		if err != nil {
			var ce *ChecksumError
			if !errors.As(err, &ce) || !got.None() {
				t.Fatalf("storedChecksum(%q) = %+v, %v: want a *ChecksumError and nothing", v, got, err)
			}
			return
		}
		if got.SHA256 != "" && !pipeline.ValidSum(got.SHA256) {
			t.Fatalf("storedChecksum(%q) = %q, not a SHA-256", v, got.SHA256)
		}
		if got.SHA256 != "" && got.Composite != "" {
			t.Fatalf("storedChecksum(%q) = %+v: both", v, got)
		}
	})
}
