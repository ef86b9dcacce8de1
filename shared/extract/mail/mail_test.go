package mail

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
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

// TestCharsetDetection: a part with no charset, or with a charset that leaves undefined
// bytes, is decoded by the detector.
func TestCharsetDetection(t *testing.T) {
	ru, err := os.ReadFile(filepath.Join("..", "plain", "testdata", "encodings", "ru-apt.koi8-r"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join("..", "plain", "testdata", "encodings", "ru-apt.utf-8"))
	for _, ct := range []string{"text/plain", "text/plain; charset=us-ascii", "text/plain; charset=iso-8859-1"} {
		msg := append([]byte("From: a@example.org\r\nSubject: x\r\nContent-Type: "+ct+"\r\n\r\n"), ru...)
		res, err := extracttest.Read(t, msg, extractor.TypeEML, extractor.DefaultLimits(), Read)
		if err != nil || !strings.Contains(res.Text, string(want)) {
			t.Errorf("KOI8-R body labelled %q: %.80q, %v; want the Russian text", ct, res.Text, err)
		}
	}
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

// FuzzMbox feeds mbox files (seeds: two messages with quoted From lines, a message saved
// with its envelope line).
func FuzzMbox(f *testing.F) {
	f.Add([]byte("From a@b Mon Nov  2 10:00:00 2026\n" + extracttest.EML + "\n>From the start\n\nFrom c@d Tue Nov  3 10:00:00 2026\nSubject: two\n\nsecond\n"))
	f.Add([]byte("From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nContent-Type: multipart/mixed; boundary=\"x\"\n\n--x\n\nbody\n--x--\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := extracttest.Read(t, data, extractor.TypeMbox, extracttest.FuzzLimits(), ReadMbox)
		extracttest.CheckFuzz(t, res, err)
	})
}
