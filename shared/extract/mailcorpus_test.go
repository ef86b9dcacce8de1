package extract

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// The mail measurement: go test -run '^TestMailCorpus$' -v -mailcorpus DIR ./shared/extract
// reads every file of DIR (Python's own e-mail test messages, Lib/test/test_email/data, are
// the intended corpus) with Extract and with Python's email package, the reference, and
// reports how many parse and how many of the words of Python's text parts evx's text holds.
var mailCorpus = flag.String("mailcorpus", "", "folder of e-mail messages to measure against Python's email package")

// pythonMailText prints, for each file named on the command line, the decoded text of
// its text/* parts that are not attachments, as Python's email package reads them.
const pythonMailText = `
import email, json, sys
from email import policy
out = {}
for path in sys.argv[1:]:
    try:
        with open(path, 'rb') as f:
            msg = email.message_from_binary_file(f, policy=policy.compat32)
        parts = []
        for p in msg.walk():
            if p.get_content_maintype() == 'text' and p.get_filename() is None:
                b = p.get_payload(decode=True) or b''
                parts.append(b.decode(p.get_content_charset() or 'latin-1', 'replace'))
        out[path] = ' '.join(parts)
    except Exception as e:
        out[path] = None
print(json.dumps(out))
`

func TestMailCorpus(t *testing.T) {
	if *mailCorpus == "" {
		t.Skip("no -mailcorpus folder given")
	}
	paths, _ := filepath.Glob(filepath.Join(*mailCorpus, "msg_*.txt"))
	if len(paths) == 0 {
		t.Fatalf("no msg_*.txt in %s", *mailCorpus)
	}
	cmd := exec.Command("python3", append([]string{"-c", pythonMailText}, paths...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Skipf("python3: %v", err)
	}
	var ref map[string]*string
	if err := json.Unmarshal(out.Bytes(), &ref); err != nil {
		t.Fatal(err)
	}
	parsed := 0
	var recalls []float64
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		res, err := extractBytes(t, b, filepath.Base(p), DefaultLimits())
		if err != nil || (res.MediaType != TypeEML && res.MediaType != "application/mbox") {
			mt := ""
			if res != nil {
				mt = res.MediaType
			}
			t.Logf("%s: not read as mail: %s %v", filepath.Base(p), mt, err)
			continue
		}
		parsed++
		r := ref[p]
		if r == nil {
			continue
		}
		rw := words(*r)
		if len(rw) == 0 {
			continue
		}
		ours := words(res.Text)
		hit := 0
		for w := range rw {
			if ours[w] {
				hit++
			}
		}
		rec := float64(hit) / float64(len(rw))
		if rec < 0.9 {
			t.Logf("%s: %.2f of Python's words", filepath.Base(p), rec)
		}
		recalls = append(recalls, rec)
	}
	sort.Float64s(recalls)
	t.Logf("mail: %d of %d messages read as mail; word recall against Python's text parts: median %.3f, p10 %.3f (%d messages with text)",
		parsed, len(paths), median(recalls), percentile(recalls, 0.10), len(recalls))
}
