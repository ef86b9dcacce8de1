package digest

import (
	"crypto/sha256"
	"testing"
	"time"
)

// BenchmarkWriter reports the throughput of Writer for a few algorithm sets as a ratio
// against crypto/sha256 alone over the same 64 MiB, measured in the same run.
func BenchmarkWriter(b *testing.B) {
	buf := make([]byte, 256<<10) // the write size bagit uses
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	const rounds = 256
	ref := func() time.Duration {
		h := sha256.New()
		start := time.Now()
		for range rounds {
			h.Write(buf)
		}
		h.Sum(nil)
		return time.Since(start)
	}
	for _, tc := range []struct {
		name string
		algs []string
	}{
		{"sha256", nil},
		{"sha256+sha512", []string{"sha512"}},
		{"md5+sha1+sha256+sha512", []string{"md5", "sha1", "sha512"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(rounds * int64(len(buf)))
			var refT, gotT time.Duration
			for b.Loop() {
				refT += ref()
				w, _ := New(tc.algs...)
				start := time.Now()
				for range rounds {
					w.Write(buf)
				}
				w.Sums()
				gotT += time.Since(start)
			}
			b.ReportMetric(refT.Seconds()/gotT.Seconds(), "ratio-vs-sha256")
		})
	}
}
