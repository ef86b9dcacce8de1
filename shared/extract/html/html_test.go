package html

import (
	"flag"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestGolden(t *testing.T) {
	res, err := extracttest.Read(t, []byte(extracttest.HTML), extractor.TypeHTML, extractor.DefaultLimits(), Read)
	if err != nil {
		t.Fatalf("Read(case.html) error %v", err)
	}
	extracttest.Golden(t, "case.html", res, *update)
}

// FuzzRead feeds markup to the HTML reader.
func FuzzRead(f *testing.F) {
	f.Add([]byte(extracttest.HTML))
	f.Add([]byte("<p>a<script>b</p><style>c<td>d"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := extracttest.Read(t, data, extractor.TypeHTML, extracttest.FuzzLimits(), Read)
		extracttest.CheckFuzz(t, res, err)
	})
}
