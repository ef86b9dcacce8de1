package bagit

import (
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/bagit/internal/benchbag"
)

// benchMiB is the payload size of the benchmark bags: EVX_BENCH_MIB, 256 by default
// (infra/bench.sh sets 1024).
func benchMiB() int64 {
	if v, err := strconv.ParseInt(os.Getenv("EVX_BENCH_MIB"), 10, 64); err == nil && v > 0 {
		return v
	}
	return 256
}

func benchBag(b *testing.B, deflate bool, mib int64) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "bench.zip")
	if err := benchbag.Write(p, mib<<20, 64, deflate); err != nil {
		b.Fatal(err)
	}
	return p
}

// sha256File is the reference: plain crypto/sha256 over the same file's bytes, read
// with the same buffer size.
func sha256File(b *testing.B, p string) time.Duration {
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	start := time.Now()
	if _, err := io.CopyBuffer(h, f, make([]byte, 256<<10)); err != nil {
		b.Fatal(err)
	}
	h.Sum(nil)
	return time.Since(start)
}

func validateFile(b *testing.B, p string) time.Duration {
	start := time.Now()
	bag, err := Open(p, DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	rep, err := bag.Validate(Options{Mode: ModeEVX, Consume: func(File, io.Reader) error { return nil }})
	bag.Close()
	if err != nil || !rep.Valid() {
		b.Fatalf("benchmark bag invalid: %v %v", err, rep.Err())
	}
	return time.Since(start)
}

// BenchmarkValidateZipStored validates a zip of stored members (SHA-256 manifest) and
// reports its throughput as a ratio of plain crypto/sha256 over the same file, both
// from the page cache, measured in this run: three interleaved rounds an iteration,
// the median ratio reported, so that a burst of load on a shared machine does not
// decide the figure. The goal is 0.85 or more.
func BenchmarkValidateZipStored(b *testing.B) {
	p := benchBag(b, false, benchMiB())
	sha256File(b, p) // warm the page cache
	st, _ := os.Stat(p)
	var ratios []float64
	var got time.Duration
	for b.Loop() {
		for range 3 {
			ref := sha256File(b, p)
			v := validateFile(b, p)
			got += v
			ratios = append(ratios, ref.Seconds()/v.Seconds())
		}
	}
	sort.Float64s(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "ratio-vs-sha256")
	b.ReportMetric(float64(len(ratios))*float64(st.Size())/(1<<20)/got.Seconds(), "MiB/s")
}

// BenchmarkValidateZipDeflated validates a zip of deflated members with each inflate
// implementation in turn, in the same run; inflate, not hashing, is the limit. The
// package uses whichever measures faster (see the variable inflater).
func BenchmarkValidateZipDeflated(b *testing.B) {
	mib := benchMiB() / 4
	p := benchBag(b, true, mib)
	saved := inflater
	defer func() { inflater = saved }()
	times := map[string]time.Duration{}
	for b.Loop() {
		for _, impl := range []string{"stdlib", "klauspost"} {
			inflater = impl
			times[impl] += validateFile(b, p)
		}
	}
	payload := float64(b.N) * float64(mib)
	b.ReportMetric(payload/times["stdlib"].Seconds(), "stdlib-MiB/s")
	b.ReportMetric(payload/times["klauspost"].Seconds(), "klauspost-MiB/s")
	b.ReportMetric(times["stdlib"].Seconds()/times["klauspost"].Seconds(), "klauspost-speedup")
}
