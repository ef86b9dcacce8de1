package mail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

// TestMSG reads an Outlook message written by Outlook (testdata/NOTICE).
func TestMSG(t *testing.T) {
	b := extracttest.Testdata(t, "mscfb-test.msg")
	res, err := extracttest.Read(t, b, extractor.TypeMSG, extractor.DefaultLimits(), ReadMSG)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Meta
	if m.Title != "test" || !strings.Contains(m.From, "Richard.Lehane@records.nsw.gov.au") || len(m.To) != 1 ||
		!m.Created.Equal(time.Date(2013, 11, 17, 21, 26, 9, 0, time.UTC)) || !strings.HasPrefix(m.Message, "<3031EDB6") {
		t.Errorf("meta = %+v", m)
	}
	if !strings.Contains(res.Text, "Subject: test\n") || !strings.Contains(res.Text, "State Records Authority of New South Wales") {
		t.Errorf("text = %q", res.Text)
	}
	if len(res.Attach) != 2 || res.Attach[0].Name != "test.doc" || res.Attach[0].Size != 12288 || res.Attach[1].Name != "image001.gif" ||
		res.Attach[1].SHA256 != "7cbff7a7071b5772a00b9f45058aa077e4c58c62b287087f5616b223ceb6a625" {
		t.Errorf("attachments = %+v", res.Attach)
	}
	if _, err := extracttest.Read(t, append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 1000)...), extractor.TypeMSG, extractor.DefaultLimits(), ReadMSG); err == nil {
		t.Errorf("ReadMSG(empty compound file) = nil error")
	}
}

// FuzzMSG feeds compound files to the Outlook reader (seed: testdata/mscfb-test.msg).
func FuzzMSG(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "mscfb-test.msg"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := extracttest.Read(t, data, extractor.TypeMSG, extracttest.FuzzLimits(), ReadMSG)
		extracttest.CheckFuzz(t, res, err)
	})
}
