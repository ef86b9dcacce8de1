package report

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/evx-project/evx/shared/custody"
)

// FuzzText: any string a trail can carry is made printable by clean and wrapped by lines
// into lines that fit, in every font of the report, without a panic.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "plain", "Łódź – Ελληνική", "\x00\x1b[31m\u202e😀\xff", strings.Repeat("x", 700), "a\nb\tc\rd", "\uffff\U0010ffff"} {
		f.Add(s, 40.0)
	}
	d := newDoc(&custody.Trail{}, Verdict{}, Options{Fonts: embeddedFonts(f), Generated: time.Unix(0, 0)})
	d.f.AddPage()
	f.Fuzz(func(t *testing.T, s string, width float64) {
		if width < 10 || width > contentW {
			width = 10 + float64(int(width*7)%160)
			if width < 10 {
				width = 10
			}
		}
		c := clean(s)
		if !utf8.ValidString(c) {
			t.Fatalf("clean(%q) = %q: invalid UTF-8", s, c)
		}
		n := 0
		for _, r := range c {
			n++
			if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Cs) || r > 0xFFFD {
				t.Fatalf("clean(%q) keeps %U", s, r)
			}
		}
		if n > maxText+1 {
			t.Fatalf("clean(%q) has %d runes, want at most %d", s, n, maxText+1)
		}
		for _, font := range []struct{ family, style string }{{"sans", ""}, {"sans", "B"}, {"mono", ""}} {
			d.f.SetFont(font.family, font.style, 9)
			for _, l := range d.lines(c, width) {
				if w := d.f.GetStringWidth(l); w > width-2*d.f.GetCellMargin()+0.01 && utf8.RuneCountInString(l) > 1 {
					t.Fatalf("line %q of %q is %.1f mm wide, want at most %.1f", l, c, w, width)
				}
				d.f.SetXY(margin, margin)
				d.f.CellFormat(width, 4, l, "", 0, "L", false, 0, "")
			}
			for _, l := range d.monoLines(c, 8, width) {
				d.f.CellFormat(width, 4, l, "", 0, "L", false, 0, "")
			}
		}
		if err := d.f.Error(); err != nil {
			t.Fatal(err)
		}
	})
}
