package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// OCR reads the text of images and of scanned PDF pages with Tesseract, an optional
// program: evx runs it only when asked and when it is installed (Debian: tesseract-ocr;
// PDF pages also need pdftoppm from poppler-utils to be rendered).
type OCR struct {
	// Command is the tesseract program; empty: "tesseract" on $PATH.
	Command string
	// Languages are Tesseract language codes ("eng", "deu", "fra"); empty: Tesseract's
	// default. A language whose data is not installed makes Tesseract fail.
	Languages []string
	// Timeout bounds each run of the engine (and of the page renderer); zero: two minutes.
	Timeout time.Duration
	// MaxPages caps the PDF pages read per document; zero: 100. Pages past it stay listed
	// in ImagePages, NeedsOCR stays set and the result is partial (LimitPages).
	MaxPages int
	// MaxPixels caps the size of an image given to the engine (width times height, from
	// the image's header); zero: 100 million. A larger one is not read (ErrOCRTooLarge).
	MaxPixels int64
	// MaxMemory caps the address space of each engine and renderer process, in bytes,
	// where prlimit (util-linux) is installed; zero: 2 GiB. A run past it fails.
	MaxMemory int64
}

// ErrOCRTooLarge says that an image is larger than OCR.MaxPixels.
var ErrOCRTooLarge = errors.New("image too large for OCR")

func (o OCR) maxPages() int {
	if o.MaxPages > 0 {
		return o.MaxPages
	}
	return 100
}

func (o OCR) maxPixels() int64 {
	if o.MaxPixels > 0 {
		return o.MaxPixels
	}
	return 100_000_000
}

// Installed lists the languages the engine has data for (tesseract --list-langs), or
// wraps ErrNoOCR.
func (o OCR) Installed(ctx context.Context) ([]string, error) {
	cmd, err := o.command()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	out, err := exec.CommandContext(ctx, cmd, "--list-langs").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list-langs: %w", cmd, err)
	}
	var langs []string
	for i, line := range strings.Split(string(out), "\n") {
		if l := strings.TrimSpace(line); i > 0 && l != "" && l != "osd" {
			langs = append(langs, l)
		}
	}
	return langs, nil
}

// stateLanguages maps a state (ISO 3166-1 alpha-2) to the Tesseract languages of its
// official languages, most used first.
var stateLanguages = map[string][]string{
	"AT": {"deu"}, "BE": {"nld", "fra", "deu"}, "BG": {"bul"}, "HR": {"hrv"}, "CY": {"ell", "tur"},
	"CZ": {"ces"}, "DK": {"dan"}, "EE": {"est"}, "FI": {"fin", "swe"}, "FR": {"fra"}, "DE": {"deu"},
	"GR": {"ell"}, "HU": {"hun"}, "IE": {"eng", "gle"}, "IT": {"ita"}, "LV": {"lav"}, "LT": {"lit"},
	"LU": {"fra", "deu", "ltz"}, "MT": {"mlt", "eng"}, "NL": {"nld"}, "PL": {"pol"}, "PT": {"por"},
	"RO": {"ron"}, "SK": {"slk"}, "SI": {"slv"}, "ES": {"spa", "cat", "glg", "eus"}, "SE": {"swe"},
	"GB": {"eng"}, "UK": {"eng"}, "US": {"eng"}, "CA": {"eng", "fra"}, "AU": {"eng"}, "CH": {"deu", "fra", "ita"},
	"NO": {"nor"}, "IS": {"isl"}, "UA": {"ukr"}, "RU": {"rus"}, "BY": {"bel", "rus"}, "MD": {"ron"},
	"TR": {"tur"}, "RS": {"srp", "srp_latn"}, "ME": {"srp_latn"}, "BA": {"bos", "hrv", "srp"},
	"MK": {"mkd"}, "AL": {"sqi"}, "XK": {"sqi", "srp"}, "GE": {"kat"}, "AM": {"hye"}, "AZ": {"aze"},
	"IL": {"heb"}, "MA": {"ara", "fra"}, "DZ": {"ara", "fra"}, "TN": {"ara", "fra"}, "EG": {"ara"},
	"CO": {"spa"}, "MX": {"spa"}, "AR": {"spa"}, "PE": {"spa"}, "EC": {"spa"}, "VE": {"spa"},
	"BO": {"spa"}, "CL": {"spa"}, "PY": {"spa"}, "UY": {"spa"}, "BR": {"por"}, "CN": {"chi_sim"},
	"HK": {"chi_tra", "eng"}, "TW": {"chi_tra"}, "JP": {"jpn"}, "KR": {"kor"}, "TH": {"tha"},
	"VN": {"vie"}, "ID": {"ind"}, "MY": {"msa"}, "PH": {"eng"}, "IN": {"hin", "eng"}, "PK": {"urd", "eng"},
	"IR": {"fas"}, "AF": {"pus", "fas"}, "NG": {"eng"}, "ZA": {"eng", "afr"},
}

// LanguagesFor returns the Tesseract languages to read a bundle's scans in: those of the
// given states (the requesting and requested states), then English, kept only when
// installed lists them (nil installed keeps all). Unknown states add nothing.
func LanguagesFor(installed []string, states ...string) []string {
	var out []string
	add := func(l string) {
		if !slices.Contains(out, l) && (installed == nil || slices.Contains(installed, l)) {
			out = append(out, l)
		}
	}
	for _, s := range states {
		for _, l := range stateLanguages[strings.ToUpper(strings.TrimSpace(s))] {
			add(l)
		}
	}
	add("eng")
	return out
}

// ErrNoOCR says that the OCR engine (or, for PDF pages, the page renderer) is not installed.
var ErrNoOCR = errors.New("OCR engine not installed")

// Version names the engine and its version ("tesseract 5.3.0"), or wraps ErrNoOCR.
func (o OCR) Version(ctx context.Context) (string, error) {
	cmd, err := o.command()
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, cmd, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", cmd, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first), nil
}

func (o OCR) command() (string, error) {
	name := o.Command
	if name == "" {
		name = "tesseract"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrNoOCR, name, err)
	}
	return p, nil
}

// Apply reads with OCR what res, the result of Extract on the size bytes of r, could not
// read: the whole of an image, or the pages of a PDF listed in res.ImagePages, whose text
// replaces the empty page. It sets res.OCR to the engine and version and clears NeedsOCR
// and an image's Unsupported outcome; text past lim.MaxTextBytes is cut. Documents that
// need no OCR are left alone.
func (o OCR) Apply(ctx context.Context, r io.ReaderAt, size int64, res *Result, lim Limits) error {
	if !res.NeedsOCR {
		return nil
	}
	engine, err := o.Version(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "evx-ocr-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "input")
	if err := copyToFile(src, r, size); err != nil {
		return err
	}
	if res.MediaType == TypePDF {
		if _, err := exec.LookPath("pdftoppm"); err != nil {
			return fmt.Errorf("%w: pdftoppm renders PDF pages for OCR: %v", ErrNoOCR, err)
		}
		pages := strings.Split(res.Text, "\f")
		todo := res.ImagePages
		if len(todo) > o.maxPages() {
			todo = todo[:o.maxPages()]
		}
		for _, n := range todo {
			if err := ctx.Err(); err != nil {
				return err
			}
			png := filepath.Join(dir, "page"+strconv.Itoa(n))
			if err := o.run(ctx, "pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), src, png); err != nil {
				return err
			}
			text, err := o.read(ctx, png+".png")
			if err != nil {
				return fmt.Errorf("page %d: %w", n, err)
			}
			for len(pages) < n {
				pages = append(pages, "")
			}
			pages[n-1] = text
		}
		res.Text = strings.Join(pages, "\f")
		if len(todo) < len(res.ImagePages) {
			res.Halt(&LimitError{Limit: LimitPages, Max: int64(o.maxPages())})
		}
	} else {
		if px := int64(res.Meta.Width) * int64(res.Meta.Height); px > o.maxPixels() {
			return fmt.Errorf("%w: %dx%d pixels, at most %d", ErrOCRTooLarge, res.Meta.Width, res.Meta.Height, o.maxPixels())
		}
		text, err := o.read(ctx, src)
		if err != nil {
			return err
		}
		res.Text = text
		res.Unsupported = nil
	}
	if max := lim.MaxTextBytes; max > 0 && len(res.Text) > max {
		cut := max
		for cut > 0 && res.Text[cut]&0xC0 == 0x80 {
			cut--
		}
		res.Text = res.Text[:cut]
		res.Partial = true
		if res.Stop == nil {
			res.Stop = &LimitError{Limit: LimitText, Max: int64(max)}
			res.StopReason = res.Stop.Error()
		}
	}
	res.OCR = engine
	res.OCRLanguages = o.Languages
	res.NeedsOCR = res.MediaType == TypePDF && len(res.ImagePages) > o.maxPages()
	return nil
}

// thresholds are the binarisations the engine reads each image with (Tesseract's
// thresholding_method): its default, one Otsu threshold for the whole image, and Sauvola's
// local threshold. Neither is right for every page: a page lit unevenly (a shadow, a
// photographed page) loses its dark side to a global threshold (pdf/testdata/shaded.png:
// word agreement 0.31 with Otsu, 1.00 with Sauvola), and light text on a dark ground is lost
// to Sauvola's (negative.png: 1.00 with Otsu, 0.23 with Sauvola). read keeps the reading
// with the more confidently recognised text. The engine runs once per method, each run
// bounded by Timeout and MaxMemory.
var thresholds = []string{"0", "2"}

// read runs the engine on one image file, once per threshold, and returns the text of the
// reading with the highest score (see score); a tie keeps the engine's default.
func (o OCR) read(ctx context.Context, image string) (string, error) {
	cmd, err := o.command()
	if err != nil {
		return "", err
	}
	best, bestScore := "", -1.0
	for _, m := range thresholds {
		text, sc, err := o.readWith(ctx, cmd, image, m)
		if err != nil {
			return "", err
		}
		if sc > bestScore {
			best, bestScore = text, sc
		}
	}
	return best, nil
}

// readWith runs the engine on image with one thresholding method, writing its text and its
// word table (TSV) beside the image, and returns the text and the score of the table.
func (o OCR) readWith(ctx context.Context, cmd, image, method string) (string, float64, error) {
	base := image + ".t" + method
	args := []string{image, base, "-c", "thresholding_method=" + method}
	if len(o.Languages) > 0 {
		args = append(args, "-l", strings.Join(o.Languages, "+"))
	}
	args = append(args, "txt", "tsv")
	ctx, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	c := o.limited(ctx, cmd, args...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		return "", 0, fmt.Errorf("%s: %w: %s", filepath.Base(cmd), err, strings.TrimSpace(stderr.String()))
	}
	text, err := os.ReadFile(base + ".txt")
	if err != nil {
		return "", 0, err
	}
	tsv, err := os.ReadFile(base + ".tsv")
	if err != nil {
		return "", 0, err
	}
	return strings.ToValidUTF8(string(text), "\ufffd"), score(tsv), nil
}

// score sums, over the words of Tesseract's TSV output (level 5 rows: level, page, block,
// paragraph, line, word, left, top, width, height, confidence 0-100, text), each word's
// letters and digits weighted by its confidence: the more text read and the surer the
// engine is of it, the higher. Rows that do not parse count nothing.
func score(tsv []byte) float64 {
	var sum float64
	for _, line := range strings.Split(string(tsv), "\n") {
		f := strings.Split(strings.TrimRight(line, "\r"), "\t")
		if len(f) != 12 || f[0] != "5" {
			continue
		}
		conf, err := strconv.ParseFloat(f[10], 64)
		if err != nil || !(conf > 0 && conf <= 100) { // NaN too
			continue
		}
		n := 0
		for _, r := range f[11] {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				n++
			}
		}
		sum += conf / 100 * float64(n)
	}
	return sum
}

func (o OCR) run(ctx context.Context, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	if out, err := o.limited(ctx, name, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// limited builds the command of an engine or renderer run: its address space bounded by
// MaxMemory through prlimit (util-linux) when installed, one thread (OMP_THREAD_LIMIT: the
// machine is shared with the rest of the pipeline), killed when ctx ends.
func (o OCR) limited(ctx context.Context, name string, args ...string) *exec.Cmd {
	var c *exec.Cmd
	if p, err := exec.LookPath("prlimit"); err == nil {
		c = exec.CommandContext(ctx, p, append([]string{"--as=" + strconv.FormatInt(o.maxMemory(), 10), "--", name}, args...)...)
	} else {
		c = exec.CommandContext(ctx, name, args...)
	}
	c.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	return c
}

func (o OCR) maxMemory() int64 {
	if o.MaxMemory > 0 {
		return o.MaxMemory
	}
	return 2 << 30
}

func (o OCR) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return 2 * time.Minute
}

func copyToFile(path string, r io.ReaderAt, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, io.NewSectionReader(r, 0, size)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
