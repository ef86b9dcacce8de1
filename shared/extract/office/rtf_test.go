package office

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

func readRTF(t testing.TB, doc string) *extractor.Result {
	t.Helper()
	res, err := extracttest.Read(t, []byte(doc), extractor.TypeRTF, extractor.DefaultLimits(), ReadRTF)
	if err != nil {
		t.Fatalf("ReadRTF error %v", err)
	}
	return res
}

// TestRTF: control words, code pages, Unicode escapes and skipped destinations.
func TestRTF(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string
		not       []string
	}{
		{"code page", `{\rtf1\ansi\ansicpg1251\deff0{\fonttbl{\f0 Times;}}\f0 \'cf\'f0\'ee\'f2\'ee\'ea\'ee\'eb \'b9 5\par}`,
			[]string{"Протокол № 5\n"}, nil},
		{"font charset", `{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}{\f1\fcharset238 Arial CE;}}\f0 Caf\'e9 \f1 P\'f8\'edli\'9a \f0 fin\par}`,
			[]string{"Café Příliš fin"}, nil},
		{"unicode", `{\rtf1\ansi\uc1 Gda\u324?sk \uc0\u8364 5 \uc1\u-10179?\u-8704? done\par}`,
			[]string{"Gdańsk €5 😀 done"}, []string{"?"}},
		{"destinations", `{\rtf1{\fonttbl{\f0 Secret Font;}}{\colortbl;\red1\green2\blue3;}{\*\generator Word;}{\pict\pngblip 89504e47}` +
			`{\*\unknowndest hidden}{\field{\*\fldinst HYPERLINK "x"}{\fldrslt visible link}}{\header Running head}Body text\bin3 {}}more\par}`,
			[]string{"visible link", "Body text", "more"}, []string{"Secret", "Word", "89504e47", "hidden", "HYPERLINK", "Running head"}},
		{"tables and symbols", `{\rtf1 A\cell B\cell\row \ldblquote q\rdblquote\~x\emdash y\line z\tab w\par}`,
			[]string{"A\tB\t\n", "“q”\u00a0x—y\nz\tw"}, nil},
		{"escapes", `{\rtf1 a\{b\}c\\d\par}`, []string{`a{b}c\d`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := readRTF(t, tc.doc)
			for _, w := range tc.want {
				if !strings.Contains(res.Text, w) {
					t.Errorf("Text = %q, want it to contain %q", res.Text, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(res.Text, w) {
					t.Errorf("Text = %q, want no %q", res.Text, w)
				}
			}
		})
	}
	res := readRTF(t, `{\rtf1{\info{\title Rogatory letter}{\author Clerk}{\creatim\yr2026\mo3\dy4\hr10\min30}}Text}`)
	if res.Meta.Title != "Rogatory letter" || res.Meta.Author != "Clerk" || !res.Meta.Created.Equal(time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)) || strings.Contains(res.Text, "Rogatory") {
		t.Errorf("info: meta %+v, text %q", res.Meta, res.Text)
	}
	if _, err := extracttest.Read(t, []byte("not rtf"), extractor.TypeRTF, extractor.DefaultLimits(), ReadRTF); err == nil {
		t.Errorf("ReadRTF(not rtf) = nil error")
	}
}

// TestRTFCorpus compares the text of pandoc-written RTF (testdata/rtf, gen_testdata.go)
// with pandoc's plain text of the same source: every file must agree on 0.95 of its words.
func TestRTFCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "rtf", "*.rtf"))
	if len(files) == 0 {
		t.Fatal("no RTF corpus (go generate)")
	}
	var agree []float64
	for _, f := range files {
		doc, _ := os.ReadFile(f)
		want, _ := os.ReadFile(strings.TrimSuffix(f, ".rtf") + ".txt")
		res := readRTF(t, string(doc))
		a := extracttest.Agreement(res.Text, string(want))
		agree = append(agree, a)
		if a < 0.95 {
			t.Errorf("%s: word agreement %.3f with pandoc's text, want >= 0.95: %.200q", filepath.Base(f), a, res.Text)
		}
	}
	sort.Float64s(agree)
	t.Logf("RTF: %d files, word agreement with pandoc's text of the source: min %.3f, median %.3f", len(agree), agree[0], agree[len(agree)/2])
}

// FuzzRTF feeds RTF to the reader.
func FuzzRTF(f *testing.F) {
	f.Add([]byte(`{\rtf1\ansi\ansicpg1251{\fonttbl{\f0\fcharset204 T;}}\f0 \'cf\u1055?{\*\x y}\bin2 ab\par}`))
	f.Add([]byte(`{\rtf1{\info{\title T}{\creatim\yr2026\mo13\dy40}}\uc2\u-1?? x}`))
	for _, name := range []string{"ru-apt", "ja-rashomon"} { // pandoc's, from the corpus
		f.Add(extracttest.Testdata(f, filepath.Join("rtf", name+".rtf")))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := extracttest.Read(t, data, extractor.TypeRTF, extracttest.FuzzLimits(), ReadRTF)
		extracttest.CheckFuzz(t, res, err)
	})
}
