package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

// The format corpus: go test -run '^TestFormatCorpus$' -v -formatcorpus ./shared/extract
// (part of make corpus). Every file of the corpora checked in beside the format packages,
// each written by a tool evx did not write, is extracted in a child process (time, peak
// RSS) and compared with the reference reader's text, whose own time on the same file is
// measured in the same run; when LibreOffice is installed, a corpus it writes (Word 97-2003,
// Excel 97-2003, DOCX, ODT, RTF, XLSX, ODS from the same sources) is made in a temporary
// folder and compared with LibreOffice's own text and CSV of those files.
var formatCorpus = flag.Bool("formatcorpus", false, "measure every format against its reference tool (slow)")

// corpusCase is one file: its format, the reference text and the reference command whose
// time is measured (nil: none).
type corpusCase struct {
	format, path string
	want         string
	ref          []string
	refSec       float64   // the reference's time when measured beforehand (ref nil)
	exif         *exifWant // images: fields to compare instead of words
	ocr          bool      // scans: read with OCR (tesseract)
}

type exifWant struct {
	width, height int
	device, taken string
	lat, lon      *float64
}

type formatRow struct {
	corpusCase
	size     int64
	ours     childResult
	crashed  bool
	agree    float64
	exact    bool
	refFails bool
}

func TestFormatCorpus(t *testing.T) {
	if !*formatCorpus {
		t.Skip("run with -formatcorpus (make corpus)")
	}
	cases := checkedInCorpus(t)
	if _, err := exec.LookPath("soffice"); err == nil {
		cases = append(cases, libreOfficeCorpus(t)...)
	} else {
		fmt.Println("LibreOffice (soffice) not installed: its corpus is left out")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var rows []formatRow
	for _, c := range cases {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		r := formatRow{corpusCase: c, size: fi.Size()}
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), "EVX_EXTRACT_CHILD="+c.path, "EVX_EXTRACT_ANY=1")
		if c.ocr {
			cmd.Env = append(cmd.Env, "EVX_EXTRACT_OCR=1")
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, io.Discard
		if err := cmd.Run(); err != nil || json.Unmarshal(out.Bytes(), &r.ours) != nil {
			r.crashed = true
		}
		if c.exif != nil {
			r.agree = c.exif.score(r.ours.Meta)
		} else {
			r.agree = extracttest.Agreement(r.ours.Text, c.want)
			r.exact = strings.TrimSpace(r.ours.Text) == strings.TrimSpace(c.want)
		}
		if len(c.ref) > 0 {
			r.refSec, r.refFails = timeCommand(c.ref)
		}
		rows = append(rows, r)
	}
	formatReport(t, rows)
}

// score is the share of the fields exiftool read that evx read the same.
func (w *exifWant) score(m Meta) float64 {
	n, ok := 0, 0
	check := func(b bool) {
		n++
		if b {
			ok++
		}
	}
	check(m.Width == w.width && m.Height == w.height)
	if w.device != "" {
		check(m.Device == w.device)
	}
	if w.taken != "" {
		check(strings.HasPrefix(m.Taken, w.taken))
	}
	if w.lat != nil {
		check(m.GPS != nil && math.Abs(m.GPS.Latitude-*w.lat) < 1e-6 && math.Abs(m.GPS.Longitude-*w.lon) < 1e-6)
	}
	return float64(ok) / float64(n)
}

// timeCommand runs a reference command, the fastest of up to three runs.
func timeCommand(args []string) (float64, bool) {
	best, failed := math.Inf(1), false
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		c := exec.CommandContext(ctx, args[0], args[1:]...)
		c.Stdout, c.Stderr = io.Discard, io.Discard
		start := time.Now()
		err := c.Run()
		sec := time.Since(start).Seconds()
		cancel()
		failed = failed || err != nil
		best = min(best, sec)
		if sec > 2 {
			break
		}
	}
	return best, failed
}

// scanCorpus: the generated scans of pdf/testdata (see TestOCR) read with OCR, against the
// text drawn; the reference is tesseract run by hand on the image, or on pdftoppm's 300 dpi
// rendering of the scanned page. Left out when tesseract or pdftoppm is not installed.
func scanCorpus() []corpusCase {
	_, errT := exec.LookPath("tesseract")
	_, errP := exec.LookPath("pdftoppm")
	if errT != nil || errP != nil {
		fmt.Println("tesseract or pdftoppm not installed: the scans are left out")
		return nil
	}
	scanned := "MUTUAL LEGAL ASSISTANCE REQUEST\nReference EVX 2026 017\nSeized items: two phones, one ledger\n"
	var cs []corpusCase
	for _, s := range []struct {
		name, want string
		page       int // of the scan, in a PDF
	}{
		{"scanned.png", scanned, 0},
		{"shaded.png", shadedText, 0},
		{"negative.png", shadedText, 0},
		{"scanned.pdf", "Cover page with a text layer\n" + scanned, 2},
		{"shaded.pdf", shadedText, 1},
	} {
		f := filepath.Join("pdf", "testdata", s.name)
		c := corpusCase{format: "scan PNG (tesseract)", path: f, want: s.want, ocr: true,
			ref: []string{"tesseract", f, "stdout", "-l", "eng"}}
		if s.page > 0 {
			n := strconv.Itoa(s.page)
			c.format = "scan PDF (tesseract)"
			c.ref = []string{"sh", "-c", "pdftoppm -r 300 -gray -png -singlefile -f " + n + " -l " + n + ` "$0" | tesseract stdin stdout -l eng`, f}
		}
		cs = append(cs, c)
	}
	return cs
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkedInCorpus lists the reference-written files of the format packages' testdata.
func checkedInCorpus(t *testing.T) []corpusCase {
	var cs []corpusCase
	encs, _ := filepath.Glob(filepath.Join("plain", "testdata", "encodings", "*"))
	for _, f := range encs {
		name, enc, _ := strings.Cut(filepath.Base(f), ".")
		if enc == "utf-8" {
			continue
		}
		format := "text " + enc
		if strings.HasSuffix(name, "-short") {
			format = "text <200 chars"
		}
		cs = append(cs, corpusCase{format: format, path: f,
			want: readText(t, filepath.Join("plain", "testdata", "encodings", name+".utf-8")),
			ref:  []string{"iconv", "-f", enc, "-t", "UTF-8", f}})
	}
	for _, k := range []struct{ dir, ext, from string }{{"rtf", ".rtf", "rtf"}, {"epub", ".epub", "epub"}} {
		files, _ := filepath.Glob(filepath.Join("office", "testdata", k.dir, "*"+k.ext))
		for _, f := range files {
			want := readText(t, strings.TrimSuffix(f, k.ext)+".txt")
			if k.from == "epub" { // the book's title page: title and date (office/gen_testdata.go)
				want = strings.TrimSuffix(filepath.Base(f), k.ext) + "\n2026-01-02\n" + want
			}
			cs = append(cs, corpusCase{format: strings.ToUpper(k.from) + " (pandoc)", path: f, want: want,
				ref: []string{"pandoc", "-f", k.from, "-t", "plain", "--wrap=none", f}})
		}
	}
	doc := filepath.Join("office", "testdata", "mscfb-novpapplan.doc")
	cs = append(cs, corpusCase{format: "DOC (catdoc)", path: doc, want: readText(t, doc+".txt"),
		ref: []string{"catdoc", "-w", "-d", "utf-8", doc}})
	xls := filepath.Join("office", "testdata", "mscfb-test.xls")
	sheets := "Test sheet 1\nTest sheet 2\nSheet3\n" // xls2csv does not print sheet names
	cs = append(cs, corpusCase{format: "XLS (xls2csv)", path: xls, want: sheets + csvWords(readText(t, xls+".csv")),
		ref: []string{"xls2csv", "-d", "utf-8", xls}})
	if _, err := exec.LookPath("pdftotext"); err == nil {
		pdfs, _ := filepath.Glob(filepath.Join("pdf", "testdata", "enc-*.pdf"))
		for _, f := range pdfs {
			if strings.Contains(f, "-user") {
				continue
			}
			out, err := exec.Command("pdftotext", f, "-").Output()
			if err != nil {
				t.Errorf("pdftotext %s: %v", f, err)
				continue
			}
			cs = append(cs, corpusCase{format: "PDF encrypted (pdftotext)", path: f, want: string(out),
				ref: []string{"pdftotext", f, "-"}})
		}
	}
	cs = append(cs, scanCorpus()...)
	imgs, _ := filepath.Glob(filepath.Join("testdata", "images", "*.exiftool.json"))
	for _, j := range imgs {
		var ws []struct {
			ImageWidth, ImageHeight   int
			Make, Model               string
			DateTimeOriginal          string
			GPSLatitude, GPSLongitude *float64
		}
		if err := json.Unmarshal([]byte(readText(t, j)), &ws); err != nil || len(ws) != 1 {
			t.Fatalf("%s: %v", j, err)
		}
		w := ws[0]
		device := w.Model
		if w.Make != "" && !strings.HasPrefix(w.Model, w.Make) {
			device = w.Make + " " + w.Model
		}
		taken := ""
		if tm, err := time.Parse("2006:01:02 15:04:05", w.DateTimeOriginal); err == nil {
			taken = tm.Format("2006-01-02T15:04:05")
		}
		img := strings.TrimSuffix(j, ".exiftool.json")
		cs = append(cs, corpusCase{format: "image EXIF (exiftool)", path: img,
			exif: &exifWant{w.ImageWidth, w.ImageHeight, device, taken, w.GPSLatitude, w.GPSLongitude},
			ref:  []string{"exiftool", "-json", "-n", img}})
	}
	return cs
}

// csvWords turns a reference CSV into text for word comparison: fields unquoted.
func csvWords(s string) string {
	return strings.NewReplacer(`"`, "", ",", " ").Replace(strings.TrimPrefix(s, "\ufeff"))
}

// loSources are the language samples the LibreOffice corpus is made of.
var loSources = []string{"ru-apt", "cs-apt", "pl-apt", "de-apt", "fr-candide", "el-apt", "ja-rashomon", "zh-sunzi", "ko-unsu"}

// libreOfficeCorpus makes, in a temporary folder, documents LibreOffice writes from the UTF-8
// samples: text documents (.doc, .docx, .odt, .rtf) from each sample, spreadsheets (.xls,
// .xlsx, .ods) from a CSV of its lines with a number and a date column; the reference is
// LibreOffice's own text (or CSV) of each written file.
func libreOfficeCorpus(t *testing.T) []corpusCase {
	dir := t.TempDir()
	profile := "-env:UserInstallation=file://" + filepath.Join(dir, "profile")
	var last float64 // seconds of the last run
	soffice := func(args ...string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		c := exec.CommandContext(ctx, "soffice", append([]string{profile, "--headless", "--norestore"}, args...)...)
		start := time.Now()
		out, err := c.CombinedOutput()
		last = time.Since(start).Seconds()
		if err != nil {
			return fmt.Errorf("soffice %v: %v: %s", args, err, out)
		}
		return nil
	}
	// LibreOffice's time is that of one process converting the nine files of a format (its
	// start-up shared), divided among them; the first run only warms the profile.
	if err := soffice("--convert-to", "odt", "--outdir", filepath.Join(dir, "warm"), filepath.Join("plain", "testdata", "encodings", "de-apt.utf-8")); err != nil {
		t.Log(err)
	}
	var txts, csvs []string
	for _, name := range loSources {
		src := readText(t, filepath.Join("plain", "testdata", "encodings", name+".utf-8"))
		p := filepath.Join(dir, name+".txt")
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		txts = append(txts, p)
		var csv strings.Builder
		csv.WriteString("line,text,amount,date\n")
		for i, l := range strings.Split(strings.TrimSpace(src), "\n") {
			fmt.Fprintf(&csv, "%d,\"%s\",%d.%02d,2026-%02d-%02d\n", i+1, strings.ReplaceAll(l, `"`, `""`), 1000+37*i, i%100, 1+i%12, 1+i%28)
		}
		c := filepath.Join(dir, name+"-sheet.csv")
		if err := os.WriteFile(c, []byte(csv.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		csvs = append(csvs, c)
	}
	out := filepath.Join(dir, "out")
	txtFilter := `--infilter=Text (encoded):UTF8,LF,,,`
	csvFilter := `--infilter=CSV:44,34,76,1,,1033`
	var cs []corpusCase
	for _, f := range []struct{ ext, conv string }{{"doc", "doc:MS Word 97"}, {"docx", "docx"}, {"odt", "odt"}, {"rtf", "rtf"}} {
		if err := soffice(append([]string{txtFilter, "--convert-to", f.conv, "--outdir", out}, txts...)...); err != nil {
			t.Log(err)
			continue
		}
		var made []string
		for _, p := range txts {
			made = append(made, filepath.Join(out, strings.TrimSuffix(filepath.Base(p), ".txt")+"."+f.ext))
		}
		refDir := filepath.Join(dir, "ref-"+f.ext)
		if err := soffice(append([]string{"--convert-to", "txt:Text (encoded):UTF8", "--outdir", refDir}, made...)...); err != nil {
			t.Log(err)
			continue
		}
		each := last / float64(len(made))
		for _, m := range made {
			ref := filepath.Join(refDir, strings.TrimSuffix(filepath.Base(m), "."+f.ext)+".txt")
			b, err := os.ReadFile(ref)
			if err != nil {
				continue
			}
			cs = append(cs, corpusCase{format: strings.ToUpper(f.ext) + " (LibreOffice)", path: m, want: strings.TrimPrefix(string(b), "\ufeff"), refSec: each})
		}
	}
	for _, f := range []struct{ ext, conv string }{{"xls", "xls:MS Excel 97"}, {"xlsx", "xlsx"}, {"ods", "ods"}} {
		if err := soffice(append([]string{csvFilter, "--convert-to", f.conv, "--outdir", out}, csvs...)...); err != nil {
			t.Log(err)
			continue
		}
		var made []string
		for _, p := range csvs {
			made = append(made, filepath.Join(out, strings.TrimSuffix(filepath.Base(p), ".csv")+"."+f.ext))
		}
		refDir := filepath.Join(dir, "ref-"+f.ext)
		if err := soffice(append([]string{"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", refDir}, made...)...); err != nil {
			t.Log(err)
			continue
		}
		each := last / float64(len(made))
		for _, m := range made {
			ref := filepath.Join(refDir, strings.TrimSuffix(filepath.Base(m), "."+f.ext)+".csv")
			b, err := os.ReadFile(ref)
			if err != nil {
				continue
			}
			// LibreOffice's CSV has no sheet name; the sheet is named after the CSV it was made from.
			sheet := strings.TrimSuffix(filepath.Base(m), "."+f.ext) + "\n"
			cs = append(cs, corpusCase{format: strings.ToUpper(f.ext) + " (LibreOffice)", path: m, want: sheet + csvWords(string(b)), refSec: each})
		}
	}
	return append(cs, presentationCorpus(t, dir, soffice)...)
}

// presentationCorpus has pandoc write each sample as slides (PPTX, five lines a slide under a
// numbered heading) and LibreOffice convert those to ODP; the reference is pandoc's plain text
// of the same source (LibreOffice writes no text of slides, pandoc 2.17 reads no PPTX: no
// reference time).
func presentationCorpus(t *testing.T, dir string, soffice func(...string) error) []corpusCase {
	if _, err := exec.LookPath("pandoc"); err != nil {
		return nil
	}
	esc := strings.NewReplacer("<", "\\<", ">", "\\>", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]", "#", "\\#")
	out := filepath.Join(dir, "slides")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	var cs []corpusCase
	var pptx []string
	for _, name := range loSources {
		src := readText(t, filepath.Join("plain", "testdata", "encodings", name+".utf-8"))
		var md strings.Builder
		for i, l := range strings.Split(strings.TrimSpace(src), "\n") {
			if i%5 == 0 {
				fmt.Fprintf(&md, "# Slide %d\n\n", i/5+1)
			}
			md.WriteString(esc.Replace(l) + "\n\n")
		}
		in := filepath.Join(out, name+".md")
		if err := os.WriteFile(in, []byte(md.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		deck := filepath.Join(out, name+".pptx")
		if o, err := exec.Command("pandoc", "-f", "markdown-smart", "-t", "pptx", in, "-o", deck).CombinedOutput(); err != nil {
			t.Logf("pandoc pptx %s: %v: %s", name, err, o)
			continue
		}
		ref, err := exec.Command("pandoc", "-f", "markdown-smart", "-t", "plain", "--wrap=none", in).Output()
		if err != nil {
			continue
		}
		cs = append(cs, corpusCase{format: "PPTX (pandoc)", path: deck, want: string(ref)})
		pptx = append(pptx, deck)
	}
	if len(pptx) == 0 {
		return cs
	}
	if err := soffice(append([]string{"--convert-to", "odp", "--outdir", out}, pptx...)...); err != nil {
		t.Log(err)
		return cs
	}
	for _, c := range cs[:len(pptx)] {
		odp := strings.TrimSuffix(c.path, ".pptx") + ".odp"
		if _, err := os.Stat(odp); err == nil {
			cs = append(cs, corpusCase{format: "ODP (LibreOffice, pandoc)", path: odp, want: c.want})
		}
	}
	return cs
}

func formatReport(t *testing.T, rows []formatRow) {
	byFormat := map[string][]formatRow{}
	var order []string
	for _, r := range rows {
		if _, ok := byFormat[r.format]; !ok {
			order = append(order, r.format)
		}
		byFormat[r.format] = append(byFormat[r.format], r)
	}
	sort.Strings(order)
	fmt.Println("format corpus: each format against its reference tool (word agreement: word-set Jaccard; images: share of EXIF fields equal)")
	fmt.Printf("%-28s %5s %7s %7s %6s %6s %9s %9s %7s %8s\n", "format", "files", "read", "exact", "median", "p10", "ours ms/MB", "ref ms/MB", "ratio", "peak MiB")
	crashed, empty := 0, 0
	for _, f := range order {
		rs := byFormat[f]
		var agrees []float64
		read, exact := 0, 0
		var mb, oursSec, refSec float64
		var peak int64
		for _, r := range rs {
			if r.crashed {
				crashed++
			}
			if r.ours.OK {
				read++
			}
			if r.exact {
				exact++
			}
			if r.exif == nil && strings.TrimSpace(r.ours.Text) == "" && strings.TrimSpace(r.want) != "" {
				empty++
			}
			agrees = append(agrees, r.agree)
			mb += float64(r.size) / (1 << 20)
			oursSec += r.ours.Seconds
			refSec += r.refSec
			peak = max(peak, r.ours.HWMKiB)
		}
		refMS, ratio := "-", "-" // no reference reader of the format to time
		if refSec > 0 {
			refMS, ratio = fmt.Sprintf("%.1f", 1000*refSec/mb), fmt.Sprintf("%.2f", oursSec/refSec)
		}
		fmt.Printf("%-28s %5d %7d %7d %6.3f %6.3f %9.1f %9s %7s %8.1f\n", f, len(rs), read, exact, median(agrees), percentile(agrees, 0.10),
			1000*oursSec/mb, refMS, ratio, float64(peak)/1024)
	}
	if testing.Verbose() {
		fmt.Println("\nper file: format name size agreement exact ours_ms ref_ms")
		for _, r := range rows {
			fmt.Printf("  %-28s %-40s %8d %.3f %-5v %8.1f %8.1f %s\n", r.format, filepath.Base(r.path), r.size, r.agree, r.exact,
				1000*r.ours.Seconds, 1000*r.refSec, trunc(r.ours.Err, 60))
		}
	}
	fmt.Println("time: ours in-process (fastest of up to 3 runs), the reference as a process (its start-up included; LibreOffice: one process per format's files); peak: the extracting child's VmHWM")
	if crashed > 0 {
		t.Errorf("%d files crashed the extracting process", crashed)
	}
	if empty > 0 {
		t.Errorf("%d files gave empty text where the reference has some", empty)
	}
}
