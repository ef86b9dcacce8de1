package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"
)

// The corpus measurement: go test -run '^TestCorpus$' -v -corpus DIR ./shared/extract
// (make corpus). Each file is extracted in a child process (this test binary, re-run with
// EVX_EXTRACT_CHILD set) so that a crash cannot hide and peak RSS is per file; pdftotext
// runs on the same file in the same run.
var corpusDir = flag.String("corpus", "", "folder of PDFs to measure against pdftotext")

func TestMain(m *testing.M) {
	if path := os.Getenv("EVX_EXTRACT_CHILD"); path != "" {
		os.Exit(childExtract(path))
	}
	os.Exit(m.Run())
}

type childResult struct {
	OK        bool    `json:"ok"`
	Err       string  `json:"err,omitempty"`
	Recovered bool    `json:"recovered,omitempty"` // a *PanicError came back
	Seconds   float64 `json:"seconds"`
	Partial   bool    `json:"partial"`
	Text      string  `json:"text"`
	HWMKiB    int64   `json:"hwm_kib"` // VmHWM: this process's peak resident set
	Meta      Meta    `json:"meta"`
}

// vmHWM reads the peak resident set size of this process. (The rusage of a child is no
// use here: Linux carries the parent's peak over fork and exec.)
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%d", &kb)
			return kb
		}
	}
	return 0
}

func childExtract(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 3
	}
	defer f.Close()
	fi, _ := f.Stat()
	// The fastest of up to three runs, as for pdftotext: the machine is shared.
	start := time.Now()
	res, err := Extract(context.Background(), f, fi.Size(), path, DefaultLimits())
	out := childResult{Seconds: time.Since(start).Seconds()}
	for i := 0; i < 2 && out.Seconds < 2; i++ {
		start := time.Now()
		Extract(context.Background(), f, fi.Size(), path, DefaultLimits())
		out.Seconds = min(out.Seconds, time.Since(start).Seconds())
	}
	// EVX_EXTRACT_OCR: scans are read by OCR too, once, and its time counted.
	if err == nil && res.NeedsOCR && os.Getenv("EVX_EXTRACT_OCR") != "" {
		start := time.Now()
		err = OCR{Languages: []string{"eng"}}.Apply(context.Background(), f, fi.Size(), res, DefaultLimits())
		out.Seconds += time.Since(start).Seconds()
	}
	if err != nil {
		out.Err = err.Error()
		_, out.Recovered = asPanic(err)
	} else {
		// A file of the PDF corpus read as something else is no success; in the format
		// corpus (EVX_EXTRACT_ANY), a result without text for a reason is none either.
		out.OK = res.MediaType == TypePDF
		if os.Getenv("EVX_EXTRACT_ANY") != "" {
			out.OK = res.Unsupported == nil || res.MediaType == TypeJPEG || res.MediaType == "image/tiff"
		}
		out.Meta = res.Meta
		out.Text = res.Text
		out.Partial = res.Partial
		_, out.Recovered = asPanic(res.Stop)
	}
	out.HWMKiB = vmHWM()
	json.NewEncoder(os.Stdout).Encode(out)
	return 0
}

func asPanic(err error) (*PanicError, bool) {
	for err != nil {
		if p, ok := err.(*PanicError); ok {
			return p, true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return nil, false
		}
		err = u.Unwrap()
	}
	return nil, false
}

// words is the word set used for the Jaccard index: white-space separated tokens with
// leading and trailing punctuation removed.
func words(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(s) {
		w = strings.TrimFunc(w, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) })
		if w != "" {
			set[w] = true
		}
	}
	return set
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	inter := 0
	for w := range a {
		if b[w] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type corpusRow struct {
	name                string
	size                int64
	ours                childResult
	crashed             bool
	rssKiB              int64
	refOK               bool
	refText             string
	refSec              float64
	jac                 float64
	bothOK, refHasWords bool
}

func TestCorpus(t *testing.T) {
	if *corpusDir == "" {
		t.Skip("no -corpus folder given")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	paths, _ := filepath.Glob(filepath.Join(*corpusDir, "*.pdf"))
	if len(paths) == 0 {
		t.Fatalf("no PDFs in %s", *corpusDir)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var rows []corpusRow
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		row := corpusRow{name: filepath.Base(p), size: fi.Size()}

		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), "EVX_EXTRACT_CHILD="+p)
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = io.Discard
		err = cmd.Run()
		if err != nil || json.Unmarshal(out.Bytes(), &row.ours) != nil {
			row.crashed = true
		}
		row.rssKiB = row.ours.HWMKiB

		for i := 0; i < 3; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
			ref := exec.CommandContext(ctx, "pdftotext", "-enc", "UTF-8", p, "-")
			var refOut bytes.Buffer
			ref.Stdout = &refOut
			ref.Stderr = io.Discard
			start := time.Now()
			err = ref.Run()
			sec := time.Since(start).Seconds()
			cancel()
			if i == 0 {
				row.refSec = sec
				row.refOK = err == nil
				row.refText = refOut.String()
			}
			row.refSec = min(row.refSec, sec)
			if sec > 2 {
				break
			}
		}

		if row.ours.OK && row.refOK {
			rw := words(row.refText)
			row.refHasWords = len(rw) > 0
			row.bothOK = true
			row.jac = jaccard(words(row.ours.Text), rw)
		}
		rows = append(rows, row)
	}
	report(t, rows)
}

func report(t *testing.T, rows []corpusRow) {
	var oursOK, refOK, crashed, recovered, partial int
	var jacs []float64
	var oursSec, refSec, bigOurs, bigRef float64
	var mb, bigMB float64
	var worst float64
	var worstName string
	var maxRSS int64
	var maxRSSName string
	for _, r := range rows {
		if r.ours.OK {
			oursOK++
		}
		if r.refOK {
			refOK++
		}
		if r.crashed {
			crashed++
		}
		if r.ours.Recovered {
			recovered++
		}
		if r.ours.Partial {
			partial++
		}
		if r.rssKiB > maxRSS {
			maxRSS, maxRSSName = r.rssKiB, r.name
		}
		if r.bothOK && r.refHasWords {
			jacs = append(jacs, r.jac)
		}
		if r.bothOK {
			m := float64(r.size) / (1 << 20)
			oursSec += r.ours.Seconds
			refSec += r.refSec
			mb += m
			if r.size >= 1<<20 {
				bigOurs += r.ours.Seconds
				bigRef += r.refSec
				bigMB += m
			}
			if ratio := r.ours.Seconds / r.refSec; ratio > worst {
				worst, worstName = ratio, r.name
			}
		}
	}
	n := len(rows)
	fmt.Printf("corpus: %d PDFs\n", n)
	fmt.Printf("success: ours %d/%d (%.1f%%), pdftotext %d/%d (%.1f%%)\n", oursOK, n, 100*float64(oursOK)/float64(n), refOK, n, 100*float64(refOK)/float64(n))
	fmt.Printf("panics: %d escaped (child crashed), %d recovered into errors; partial results: %d\n", crashed, recovered, partial)
	fmt.Printf("word-set Jaccard vs pdftotext, %d files where both succeed and pdftotext has words: median %.3f, p10 %.3f, mean %.3f\n",
		len(jacs), median(jacs), percentile(jacs, 0.10), mean(jacs))
	if mb > 0 {
		fmt.Printf("time per MB (files both read, %.1f MB): ours %.1f ms/MB in-process, pdftotext %.1f ms/MB (process) -> ratio %.2f\n",
			mb, 1000*oursSec/mb, 1000*refSec/mb, oursSec/refSec)
	}
	if bigMB > 0 {
		fmt.Printf("time per MB on files >= 1 MB (%.1f MB): ours %.1f ms/MB, pdftotext %.1f ms/MB -> ratio %.2f\n",
			bigMB, 1000*bigOurs/bigMB, 1000*bigRef/bigMB, bigOurs/bigRef)
	}
	fmt.Printf("worst per-file time ratio ours/pdftotext: %.2f (%s); fastest of up to 3 runs each\n", worst, worstName)
	fmt.Printf("peak RSS of one extraction (child process): %.1f MiB (%s)\n", float64(maxRSS)/1024, maxRSSName)
	if testing.Verbose() {
		fmt.Println("\nper file: name size ours ref jaccard ours_ms ref_ms rss_MiB")
		for _, r := range rows {
			state := "ok"
			switch {
			case r.crashed:
				state = "CRASH"
			case !r.ours.OK:
				state = "err"
			case r.ours.Partial:
				state = "partial"
			}
			fmt.Printf("  %-60s %8d %-7s %-5v %.3f %8.1f %8.1f %6.1f %s\n", r.name, r.size, state, r.refOK, r.jac,
				1000*r.ours.Seconds, 1000*r.refSec, float64(r.rssKiB)/1024, trunc(r.ours.Err, 80))
		}
	}
	if crashed > 0 {
		t.Errorf("%d files crashed the extracting process", crashed)
	}
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[int(p*float64(len(s)-1))]
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
