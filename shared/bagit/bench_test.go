package bagit

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	kflate "github.com/klauspost/compress/flate"

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
	b.ReportMetric(median(ratios), "ratio-vs-sha256")
	b.ReportMetric(float64(len(ratios))*float64(st.Size())/(1<<20)/got.Seconds(), "MiB/s")
}

// BenchmarkValidateZipDeflated validates a zip of deflated members with each inflate
// implementation, alternating them in three rounds an iteration, in the same run;
// inflate, not hashing, is the limit. It reports each one's median payload throughput
// and the median ratio between them. The package uses the faster (see inflater).
func BenchmarkValidateZipDeflated(b *testing.B) {
	mib := benchMiB() / 4
	p := benchBag(b, true, mib)
	saved := inflater
	defer func() { inflater = saved }()
	var std, kp, speedup []float64
	for b.Loop() {
		for round := range 3 {
			order := []string{"stdlib", "klauspost"}
			if round%2 == 1 {
				order = []string{"klauspost", "stdlib"}
			}
			t := map[string]time.Duration{}
			for _, impl := range order {
				inflater = impl
				t[impl] = validateFile(b, p)
			}
			std = append(std, float64(mib)/t["stdlib"].Seconds())
			kp = append(kp, float64(mib)/t["klauspost"].Seconds())
			speedup = append(speedup, t["stdlib"].Seconds()/t["klauspost"].Seconds())
		}
	}
	b.ReportMetric(median(std), "stdlib-MiB/s")
	b.ReportMetric(median(kp), "klauspost-MiB/s")
	b.ReportMetric(median(speedup), "klauspost-speedup")
}

// BenchmarkInflate compares the two inflate implementations on the same 32 MiB deflate
// stream in memory, alternating them, without the file system or hashing.
func BenchmarkInflate(b *testing.B) {
	var raw bytes.Buffer
	io.Copy(&raw, io.LimitReader(benchbag.Text(1), 32<<20))
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.DefaultCompression)
	fw.Write(raw.Bytes())
	fw.Close()
	buf := make([]byte, 256<<10)
	run := func(r io.ReadCloser) time.Duration {
		start := time.Now()
		n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
		if err != nil || n != int64(raw.Len()) {
			b.Fatalf("inflate: %d bytes, %v", n, err)
		}
		return time.Since(start)
	}
	var speedup []float64
	for b.Loop() {
		for range 3 {
			s := run(flate.NewReader(bytes.NewReader(comp.Bytes())))
			k := run(kflate.NewReader(bytes.NewReader(comp.Bytes())))
			speedup = append(speedup, s.Seconds()/k.Seconds())
		}
	}
	b.ReportMetric(float64(raw.Len())/float64(comp.Len()), "deflate-ratio")
	b.ReportMetric(median(speedup), "klauspost-speedup")
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
