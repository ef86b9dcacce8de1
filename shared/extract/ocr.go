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
	"strconv"
	"strings"
	"time"
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
	// Timeout bounds each run of the engine; zero: two minutes.
	Timeout time.Duration
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
		for _, n := range res.ImagePages {
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
	} else {
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
	res.NeedsOCR = false
	return nil
}

// read runs the engine on one image file and returns its text.
func (o OCR) read(ctx context.Context, image string) (string, error) {
	cmd, err := o.command()
	if err != nil {
		return "", err
	}
	args := []string{image, "stdout"}
	if len(o.Languages) > 0 {
		args = append(args, "-l", strings.Join(o.Languages, "+"))
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	c := exec.CommandContext(ctx, cmd, args...)
	var out, stderr bytes.Buffer
	c.Stdout, c.Stderr = &out, &stderr
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("%s: %w: %s", filepath.Base(cmd), err, strings.TrimSpace(stderr.String()))
	}
	return strings.ToValidUTF8(out.String(), "\ufffd"), nil
}

func (o OCR) run(ctx context.Context, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	if out, err := exec.CommandContext(ctx, name, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
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
