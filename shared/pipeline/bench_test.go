package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/digest"
	"github.com/evx-project/evx/shared/pipeline"
)

// writeRandom writes size pseudo-random bytes (incompressible, as real evidence mostly is).
func writeRandom(t testing.TB, path string, size int64, seed uint64) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	if _, err := io.CopyN(f, r, size); err != nil {
		t.Fatal(err)
	}
}

// sha256Time measures crypto/sha256 over n bytes in memory: the reference the figures are
// reported against.
func sha256Time(n int) time.Duration {
	buf := make([]byte, 1<<20)
	h := sha256.New()
	start := time.Now()
	for left := n; left > 0; left -= len(buf) {
		h.Write(buf[:min(left, len(buf))])
	}
	h.Sum(nil)
	return time.Since(start)
}

// BenchmarkUploadToConsignment10MiB: spool a 10 MiB bundle (two documents, two
// counterparts) as an upload, ingest it and route it, up to the last ContentConsignment, on
// the embedded default (SQLite with synchronous=FULL, blobs fsynced). Goal: under 1 s.
func BenchmarkUploadToConsignment10MiB(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "intercept.bin")
	writeRandom(b, bin, 10<<20-4096, 1)
	note := filepath.Join(dir, "note.txt")
	os.WriteFile(note, bytes.Repeat([]byte("surveillance log line\n"), 186), 0o644)
	bag := makeBag(b, []string{bin, note}, info("nl-om", "es-fge"))
	ref := sha256Time(len(bag))
	ctx := context.Background()
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		n := openNode(b, b.TempDir(), newClock())
		b.StartTimer()
		start := time.Now()
		id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(bag))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "bench", Size: size}); err != nil {
			b.Fatal(err)
		}
		st, err := n.Service.Process(ctx, id)
		if err != nil || len(st.Deliveries) != 2 {
			b.Fatalf("Process = %v, %v", st, err)
		}
		total += time.Since(start)
		b.StopTimer()
		n.Close()
		b.StartTimer()
	}
	per := total / time.Duration(b.N)
	b.ReportMetric(float64(per.Milliseconds()), "ms-upload-to-consignment")
	b.ReportMetric(float64(per)/float64(ref), "ratio-vs-sha256")
}

const helperEnv = "EVX_INGEST_HELPER"

// TestIngestHelperProcess is not a test: BenchmarkIngest1GiB runs it in a child process so
// that the child's peak RSS (VmHWM) measures ingest alone.
func TestIngestHelperProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("helper process for BenchmarkIngest1GiB")
	}
	dataDir, bagPath, _ := strings.Cut(spec, "|")
	ctx := context.Background()
	n, err := local.OpenNode(ctx, dataDir, local.NodeOptions{Counterparts: testDirectory(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	f, err := os.Open(bagPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	id, size, err := n.Uploads.Spool(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	spooled := time.Now()
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "bench", Size: size}); err != nil {
		t.Fatal(err)
	}
	st, err := n.Service.Process(ctx, id)
	if err != nil || !st.Ingest.Accepted {
		t.Fatalf("Process = %+v, %v", st, err)
	}
	elapsed, ingest := time.Since(start), time.Since(spooled)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if kb, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			fmt.Printf("EVX-RESULT vmhwm-kb=%s elapsed-ns=%d ingest-ns=%d\n", strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), elapsed.Nanoseconds(), ingest.Nanoseconds())
		}
	}
}

// BenchmarkIngest1GiB: upload (spool), ingest and route a bundle of 1 GiB (one document of
// incompressible bytes plus a text note; SHA-256 and SHA-512 manifests) in a child process
// and report the child's peak RSS (goal: under 128 MiB) and its speed: MiB/s from the first
// byte spooled to the bundle routed, ingest-MiB/s from the upload stored (Submit, Process:
// validate, store, extract, route). The ratios compare the time of the digest writer over as
// many bytes with the same two hashes, measured in the same run, with ingest's
// (ingest-ratio-vs-digest; goal 0.8 or more) and with the whole (ratio-vs-digest).
// EVX_BENCH_INGEST_MIB changes the size (e.g. 64 for a quick run);
// EVX_BENCH_INGEST_CPUPROFILE=FILE writes the child's CPU profile.
func BenchmarkIngest1GiB(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc/self/status (Linux)")
	}
	mib := int64(1024)
	if v := os.Getenv("EVX_BENCH_INGEST_MIB"); v != "" {
		m, err := strconv.ParseInt(v, 10, 64)
		if err != nil || m <= 0 {
			b.Fatalf("EVX_BENCH_INGEST_MIB=%q: want a positive number", v)
		}
		mib = m
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o755)
	writeRandom(b, filepath.Join(src, "disk-image.bin"), mib<<20, 2)
	os.WriteFile(filepath.Join(src, "note.txt"), []byte("imaged at the port of Rotterdam\n"), 0o644)
	bagPath := filepath.Join(dir, "bundle.tar")
	if _, err := bagitCreate(bagPath, []string{filepath.Join(src, "disk-image.bin"), filepath.Join(src, "note.txt")}); err != nil {
		b.Fatal(err)
	}
	os.RemoveAll(src)
	ref := sha256Time(int(mib << 20))
	b.ResetTimer()
	var peak, elapsed, ingest, hashed float64
	for i := 0; i < b.N; i++ {
		data := filepath.Join(dir, fmt.Sprintf("data-%d", i))
		args := []string{"-test.run=^TestIngestHelperProcess$", "-test.count=1"}
		if prof := os.Getenv("EVX_BENCH_INGEST_CPUPROFILE"); prof != "" {
			args = append(args, "-test.cpuprofile="+prof)
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), helperEnv+"="+data+"|"+bagPath)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("helper: %v\n%s", err, out)
		}
		var kb, ns, ins int64
		for _, line := range strings.Split(string(out), "\n") {
			if rest, ok := strings.CutPrefix(line, "EVX-RESULT "); ok {
				fmt.Sscanf(rest, "vmhwm-kb=%d elapsed-ns=%d ingest-ns=%d", &kb, &ns, &ins)
			}
		}
		if kb == 0 {
			b.Fatalf("helper printed no result:\n%s", out)
		}
		peak = max(peak, float64(kb)/1024)
		elapsed += float64(ns)
		ingest += float64(ins)
		os.RemoveAll(data)
		b.StopTimer()
		hashed += float64(digestTime(b, mib<<20))
		b.StartTimer()
	}
	b.ReportMetric(peak, "peak-RSS-MiB")
	b.ReportMetric(elapsed/float64(b.N)/float64(ref), "ratio-vs-sha256")
	b.ReportMetric(float64(mib)/(elapsed/float64(b.N)/1e9), "MiB/s")
	b.ReportMetric(float64(mib)/(ingest/float64(b.N)/1e9), "ingest-MiB/s")
	b.ReportMetric(hashed/ingest, "ingest-ratio-vs-digest")
	b.ReportMetric(hashed/elapsed, "ratio-vs-digest")
}

// digestTime measures the digest writer with the bag's two manifest algorithms (SHA-256 and
// SHA-512) over n bytes, written in the 256 KiB pieces bag validation uses: the reference
// BenchmarkIngest1GiB is held to.
func digestTime(b *testing.B, n int64) time.Duration {
	buf := make([]byte, 256<<10)
	rand.NewChaCha8([32]byte{3}).Read(buf)
	w, err := digest.New("sha512")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for left := n; left > 0; left -= int64(len(buf)) {
		w.Write(buf[:min(left, int64(len(buf)))])
	}
	w.Sums()
	return time.Since(start)
}

func bagitCreate(out string, srcs []string) (*bagit.Created, error) {
	return bagit.Create(out, srcs, bagit.CreateOptions{Info: info("nl-om", "es-fge")})
}
