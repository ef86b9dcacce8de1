package extracttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// Read runs one format reader on b as mediaType, as the dispatcher would.
func Read(t testing.TB, b []byte, mediaType string, lim extractor.Limits, read extractor.Reader) (*extractor.Result, error) {
	t.Helper()
	return extractor.Run(context.Background(), bytes.NewReader(b), int64(len(b)), mediaType, lim, read)
}

// Testdata reads testdata/name of the package under test.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden is the part of a Result compared with testdata/golden/NAME.json.
type golden struct {
	MediaType  string                 `json:"media_type"`
	NameType   string                 `json:"name_type,omitempty"`
	Meta       extractor.Meta         `json:"meta"`
	Text       string                 `json:"text"`
	Partial    bool                   `json:"partial"`
	Stop       string                 `json:"stop,omitempty"`
	PageErrors []string               `json:"page_errors,omitempty"`
	Attach     []extractor.Attachment `json:"attachments,omitempty"`
	ImagePages []int                  `json:"image_only_pages,omitempty"`
	NeedsOCR   bool                   `json:"needs_ocr,omitempty"`
	Unsup      *extractor.Unsupported `json:"unsupported,omitempty"`
}

// Golden compares res with testdata/golden/name.json, or rewrites that file when update
// is set.
func Golden(t *testing.T, name string, res *extractor.Result, update bool) {
	t.Helper()
	got, err := json.MarshalIndent(golden{res.MediaType, res.NameType, res.Meta, res.Text, res.Partial, res.StopReason, res.PageErrorText, res.Attach, res.ImagePages, res.NeedsOCR, res.Unsupported}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", name+".json")
	if update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(bytes.TrimSpace(want)) != string(got) {
		t.Errorf("Extract(%s) =\n%s\nwant\n%s", name, got, want)
	}
}

// FuzzLimits are small so that each fuzz input runs fast; [CheckFuzz] checks they hold.
func FuzzLimits() extractor.Limits {
	lim := extractor.DefaultLimits()
	lim.Timeout = 2 * time.Second
	lim.MaxPages = 20
	lim.MaxTextBytes = 1 << 16
	lim.MaxStreamBytes = 1 << 20
	lim.MaxObjects = 2000
	lim.MaxArchiveBytes = 4 << 20
	return lim
}

// CheckFuzz fails t when an extraction under FuzzLimits returned an untyped error, text
// past the cap, or a Partial flag that disagrees with Stop.
func CheckFuzz(t *testing.T, res *extractor.Result, err error) {
	t.Helper()
	if err != nil {
		var ue *extractor.UnreadableError
		if !errors.As(err, &ue) {
			t.Fatalf("Extract error %T %v, want *UnreadableError", err, err)
		}
		return
	}
	if max := FuzzLimits().MaxTextBytes; len(res.Text) > max {
		t.Fatalf("text %d bytes > MaxTextBytes %d", len(res.Text), max)
	}
	if res.Partial != (res.Stop != nil) {
		t.Fatalf("Partial = %v but Stop = %v", res.Partial, res.Stop)
	}
}

// AsPanic returns the *PanicError err is or wraps.
func AsPanic(err error) (*extractor.PanicError, bool) {
	var p *extractor.PanicError
	if errors.As(err, &p) {
		return p, true
	}
	return nil, false
}

// Words is the word set of a text for agreement figures: white-space separated tokens
// with leading and trailing punctuation and symbols removed.
func Words(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(s) {
		w = strings.TrimFunc(w, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) })
		if w != "" {
			set[w] = true
		}
	}
	return set
}

// Agreement is the Jaccard index of the word sets of two texts (1 when both are empty).
func Agreement(a, b string) float64 {
	wa, wb := Words(a), Words(b)
	if len(wa) == 0 && len(wb) == 0 {
		return 1
	}
	inter := 0
	for w := range wa {
		if wb[w] {
			inter++
		}
	}
	return float64(inter) / float64(len(wa)+len(wb)-inter)
}
