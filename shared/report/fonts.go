package report

import (
	"fmt"
	"io/fs"
)

// Font files a report is set in, by name in the fs.FS given to LoadFonts: DejaVu Sans, Sans
// Bold and Sans Mono (Bitstream Vera licence), because cp1252 core fonts cannot print Polish,
// Greek or Cyrillic names.
const (
	FontSans     = "DejaVuSans.ttf"
	FontSansBold = "DejaVuSans-Bold.ttf"
	FontMono     = "DejaVuSansMono.ttf"
)

// Fonts are the TrueType fonts of a report, read once by LoadFonts and shared by every report
// rendered with them (safe for concurrent use: PDF works on copies).
type Fonts struct {
	sans, bold, mono []byte
}

// FontError names a font file that LoadFonts could not read.
type FontError struct {
	Name string
	Err  error
}

func (e *FontError) Error() string { return fmt.Sprintf("report font %s: %v", e.Name, e.Err) }
func (e *FontError) Unwrap() error { return e.Err }

// LoadFonts reads FontSans, FontSansBold and FontMono from fsys: fonts.FS (embedded, for the
// CLI and evx serve) or the folder a deployment ships them in (os.DirFS). A missing or empty
// file is a *FontError.
func LoadFonts(fsys fs.FS) (*Fonts, error) {
	var f Fonts
	for _, x := range []struct {
		name string
		dst  *[]byte
	}{{FontSans, &f.sans}, {FontSansBold, &f.bold}, {FontMono, &f.mono}} {
		b, err := fs.ReadFile(fsys, x.name)
		if err == nil && len(b) == 0 {
			err = fmt.Errorf("empty file")
		}
		if err != nil {
			return nil, &FontError{Name: x.name, Err: err}
		}
		*x.dst = b
	}
	return &f, nil
}
