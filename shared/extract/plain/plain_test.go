package plain

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestGolden(t *testing.T) {
	cases := []struct {
		name, mediaType, data string
	}{
		{"list.csv", extractor.TypeCSV, "item,count\n\"phone, black\",3\nledger,1\n"},
		{"latin1.txt", extractor.TypeText, "Se\xf1or Garc\xeda\n"},
		{"utf16.txt", extractor.TypeText, "\xff\xfeO\x00k\x00 \x00\xe9\x00\n\x00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := extracttest.Read(t, []byte(tc.data), tc.mediaType, extractor.DefaultLimits(), Read)
			if err != nil {
				t.Fatalf("Read(%s) error %v", tc.name, err)
			}
			extracttest.Golden(t, tc.name, res, *update)
		})
	}
}

// TestTextCap: the cut at MaxTextBytes never splits a UTF-8 sequence.
func TestTextCap(t *testing.T) {
	lim := extractor.DefaultLimits()
	lim.MaxTextBytes = 20
	res, err := extracttest.Read(t, bytes.Repeat([]byte("é"), 100), extractor.TypeText, lim, Read)
	if err != nil {
		t.Fatal(err)
	}
	var le *extractor.LimitError
	if !errors.As(res.Stop, &le) || le.Limit != extractor.LimitText || len(res.Text) > 20 || !strings.HasPrefix(strings.ToValidUTF8(res.Text, "?"), res.Text) {
		t.Errorf("MaxTextBytes=20: Stop=%v, text %q", res.Stop, res.Text)
	}
}

// FuzzRead feeds bytes to the text and CSV reader.
func FuzzRead(f *testing.F) {
	f.Add([]byte("item,count\n\"phone, black\",3\n"), true)
	f.Add([]byte("\xff\xfeO\x00k\x00"), false)
	f.Fuzz(func(t *testing.T, data []byte, csv bool) {
		mt := extractor.TypeText
		if csv {
			mt = extractor.TypeCSV
		}
		res, err := extracttest.Read(t, data, mt, extracttest.FuzzLimits(), Read)
		extracttest.CheckFuzz(t, res, err)
	})
}
