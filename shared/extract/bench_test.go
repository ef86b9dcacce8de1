package extract

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"
)

// Benchmarks report in-process extraction time per MB and its ratio to pdftotext's time
// on the same files, measured in the same run (ratio-vs-pdftotext; the goal is <= 0.7 on
// files of 1 MB and more). pdftotext's time includes its process start.

// benchPDF writes a text-heavy document of the given number of pages.
func benchPDF(b *testing.B, pages int) []byte {
	b.Helper()
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(true)
	pdf.SetFont("Times", "", 10)
	line := "The liaison officer confirmed receipt of the exhibits listed in annex two, sealed under reference"
	for p := 0; p < pages; p++ {
		pdf.AddPage()
		for l := 0; l < 60; l++ {
			pdf.Text(15, float64(15+l*4), fmt.Sprintf("%s %d-%d.", line, p, l))
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func timePdftotext(path string, n int) (time.Duration, bool) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		return 0, false
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if exec.Command("pdftotext", "-enc", "UTF-8", path, os.DevNull).Run() != nil {
			return 0, false
		}
	}
	return time.Since(start), true
}

func benchFiles(b *testing.B, files map[string][]byte) {
	var total int64
	for _, data := range files {
		total += int64(len(data))
	}
	dir := b.TempDir()
	var paths []string
	for name, data := range files {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		paths = append(paths, p)
	}
	b.SetBytes(total)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for _, data := range files {
			if _, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), "x.pdf", DefaultLimits()); err != nil {
				b.Fatal(err)
			}
		}
	}
	ours := time.Since(start)
	b.StopTimer()
	mb := float64(total) * float64(b.N) / (1 << 20)
	b.ReportMetric(ours.Seconds()*1000/mb, "ms/MB")
	var ref time.Duration
	ok := true
	for _, p := range paths {
		d, good := timePdftotext(p, b.N)
		ok = ok && good
		ref += d
	}
	if ok {
		b.ReportMetric(ref.Seconds()*1000/mb, "pdftotext-ms/MB")
		b.ReportMetric(ours.Seconds()/ref.Seconds(), "ratio-vs-pdftotext")
	}
}

func BenchmarkExtractPDF(b *testing.B) {
	data := benchPDF(b, 150)
	b.Logf("generated PDF: %d bytes", len(data))
	benchFiles(b, map[string][]byte{"gen.pdf": data})
}

// BenchmarkCorpus measures the -corpus folder's files of 1 MB and more.
func BenchmarkCorpus(b *testing.B) {
	if *corpusDir == "" {
		b.Skip("no -corpus folder given")
	}
	paths, _ := filepath.Glob(filepath.Join(*corpusDir, "*.pdf"))
	files := map[string][]byte{}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.Size() >= 1<<20 {
			data, err := os.ReadFile(p)
			if err == nil {
				files[strings.ReplaceAll(filepath.Base(p), "/", "_")] = data
			}
		}
	}
	if len(files) == 0 {
		b.Skip("no files of 1 MB or more")
	}
	benchFiles(b, files)
}
