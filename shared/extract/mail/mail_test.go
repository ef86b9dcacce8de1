package mail

import (
	"flag"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestGolden(t *testing.T) {
	res, err := extracttest.Read(t, []byte(extracttest.EML), extractor.TypeEML, extractor.DefaultLimits(), Read)
	if err != nil {
		t.Fatalf("Read(request.eml) error %v", err)
	}
	extracttest.Golden(t, "request.eml", res, *update)
}

// FuzzRead feeds messages to the mail reader.
func FuzzRead(f *testing.F) {
	f.Add([]byte(extracttest.EML))
	f.Add([]byte("From: a@b\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B--\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := extracttest.Read(t, data, extractor.TypeEML, extracttest.FuzzLimits(), Read)
		extracttest.CheckFuzz(t, res, err)
	})
}
