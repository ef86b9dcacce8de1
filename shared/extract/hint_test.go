package extract

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sampleState is a state whose language each sample of plain/testdata/encodings is in.
var sampleState = map[string]string{"bg": "BG", "cs": "CZ", "de": "DE", "el": "GR", "es": "ES", "fr": "FR",
	"hr": "HR", "hu": "HU", "it": "IT", "ja": "JP", "ko": "KR", "pl": "PL", "pt": "PT", "ru": "RU", "sk": "SK",
	"sl": "SI", "tr": "TR", "uk": "UA", "zh": "CN", "zh_TW": "TW"}

// TestEncodingHints reads the encoding corpus three ways: without states, with the state of
// the sample's language and the Netherlands (a bundle between them), and with France and
// Germany whatever the language (a wrong hint). A right hint must not lose a file and must
// settle the short texts the statistics leave open; a wrong one must not lose a file either,
// since hints weigh only where the detector is unsure; a hint that decided is recorded.
func TestEncodingHints(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("plain", "testdata", "encodings", "*"))
	exact := map[string][]string{}
	for _, mode := range []string{"none", "right", "wrong"} {
		for _, f := range files {
			name, enc, _ := strings.Cut(filepath.Base(f), ".")
			if enc == "utf-8" {
				continue
			}
			lang, _, _ := strings.Cut(name, "-")
			if sampleState[lang] == "" {
				t.Fatalf("no state for %s", lang)
			}
			want, _ := os.ReadFile(filepath.Join("plain", "testdata", "encodings", name+".utf-8"))
			b, _ := os.ReadFile(f)
			ctx := context.Background()
			switch mode {
			case "right":
				ctx = WithStates(ctx, sampleState[lang], "NL")
			case "wrong":
				ctx = WithStates(ctx, "FR", "DE")
			}
			res, err := Extract(ctx, bytes.NewReader(b), int64(len(b)), filepath.Base(f), DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if res.Text == string(want) {
				exact[mode] = append(exact[mode], filepath.Base(f))
			}
			if mode != "none" && res.Meta.EncodingConfidence > 0 && res.Meta.EncodingConfidence < 0.5 && len(res.Meta.EncodingHint) == 0 {
				t.Errorf("%s (%s): confidence %.2f without the hint recorded", filepath.Base(f), mode, res.Meta.EncodingConfidence)
			}
		}
	}
	t.Logf("exact: %d without hints, %d with the right state, %d with a wrong one", len(exact["none"]), len(exact["right"]), len(exact["wrong"]))
	for _, mode := range []string{"right", "wrong"} {
		for _, f := range exact["none"] {
			if !slices.Contains(exact[mode], f) {
				t.Errorf("%s: read exactly without hints, not with the %s one", f, mode)
			}
		}
	}
	for _, f := range []string{"sl-apt-short.iso-8859-2", "tr-apt-short.windows-1254"} {
		if !slices.Contains(exact["right"], f) {
			t.Errorf("%s: not read exactly with its state as the hint", f)
		}
	}
}
