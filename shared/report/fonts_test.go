package report

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"testing"
	"testing/fstest"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report/fonts"
)

func embeddedFonts(t testing.TB) *Fonts {
	t.Helper()
	f, err := LoadFonts(fonts.FS)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// The api Lambda function reads the fonts from files shipped beside its bootstrap; the CLI
// uses the embedded copy. Both must set the same report, byte for byte.
func TestFontsFromFilesRenderAsEmbedded(t *testing.T) {
	files, err := LoadFonts(os.DirFS("fonts"))
	if err != nil {
		t.Fatal(err)
	}
	tr := &custody.Trail{BundleID: "ΑΒΓ-żółw-Ж"}
	render := func(f *Fonts) []byte {
		var b bytes.Buffer
		if err := PDF(&b, tr, Verdict{Failure: &Failure{Summary: "not checked"}}, Options{Fonts: f, Generated: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	if a, b := render(files), render(embeddedFonts(t)); !bytes.Equal(a, b) {
		t.Errorf("report with fonts read from fonts/ (%d bytes) differs from the one with the embedded fonts (%d bytes)", len(a), len(b))
	}
}

func TestLoadFontsNamesTheMissingFile(t *testing.T) {
	sans, _ := fs.ReadFile(fonts.FS, FontSans)
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"empty folder", fstest.MapFS{}, FontSans},
		{"no bold", fstest.MapFS{FontSans: {Data: sans}, FontMono: {Data: sans}}, FontSansBold},
		{"empty mono", fstest.MapFS{FontSans: {Data: sans}, FontSansBold: {Data: sans}, FontMono: {}}, FontMono},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFonts(tc.fsys)
			var fe *FontError
			if !errors.As(err, &fe) || fe.Name != tc.want {
				t.Errorf("LoadFonts = %v, want a *FontError naming %s", err, tc.want)
			}
		})
	}
}

func TestPDFWithoutFontsIsAnError(t *testing.T) {
	var b bytes.Buffer
	if err := PDF(&b, &custody.Trail{}, Verdict{}, Options{}); err == nil || b.Len() != 0 {
		t.Errorf("PDF without fonts = %v, %d bytes written; want an error and nothing written", err, b.Len())
	}
}
