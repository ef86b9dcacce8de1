package extract

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestMailThroughDispatcher: what an e-mail carries is read as documents of their own:
// attachments' text, forwarded messages with their attachments, and the messages of an mbox;
// damaged structure (no boundary, a bare "text" type, few headers) still reads.
func TestMailThroughDispatcher(t *testing.T) {
	pdf := base64.StdEncoding.EncodeToString(readTestdata(t, "helvetica.pdf"))
	notes := base64.StdEncoding.EncodeToString([]byte("Seized: two phones, one ledger.\n"))
	inner := "From: desk@example.be\r\nSubject: Inner report\r\nContent-Type: multipart/mixed; boundary=IN\r\n\r\n" +
		"--IN\r\nContent-Type: text/plain\r\n\r\nThe inner body.\r\n" +
		"--IN\r\nContent-Type: text/plain; name=inner.txt\r\nContent-Disposition: attachment; filename=inner.txt\r\n\r\nInner attachment text.\r\n--IN--\r\n"
	cases := []struct {
		name    string
		msg     string
		want    []string
		attach  int
		pages   int
		noWords []string
	}{
		{"attachments", "From: a@example.org\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
			"--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n" +
			"--B\r\nContent-Type: application/pdf; name=req.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + pdf + "\r\n" +
			"--B\r\nContent-Type: application/octet-stream; name=notes.txt\r\nContent-Transfer-Encoding: base64\r\n\r\n" + notes + "\r\n--B--\r\n",
			[]string{"See attached.", "--- attachment req.pdf ---", "the investigation continues", "Seized: two phones"}, 2, 0, nil},
		{"forwarded", "From: a@example.org\r\nSubject: Fwd\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
			"--B\r\nContent-Type: text/plain\r\n\r\nForwarding.\r\n--B\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "\r\n--B--\r\n",
			[]string{"Forwarding.", "--- forwarded message ---", "Subject: Inner report", "The inner body.", "Inner attachment text."}, 1, 0, nil},
		{"attached message", "From: a@example.org\r\nSubject: Fwd\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
			"--B\r\nContent-Type: message/rfc822; name=orig.eml\r\nContent-Disposition: attachment; filename=orig.eml\r\n\r\n" + inner + "\r\n--B--\r\n",
			[]string{"--- attachment orig.eml ---", "The inner body.", "Inner attachment text."}, 2, 0, nil},
		{"no boundary", "From: a@example.org\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\n" +
			"--XYZ\r\nContent-Type: text/plain\r\n\r\nFirst part.\r\n--XYZ\r\nContent-Type: text/plain\r\n\r\nSecond part.\r\n--XYZ--\r\n",
			[]string{"First part.", "Second part."}, 0, 0, []string{"--XYZ"}},
		{"rfc 2231 boundary", "From: a@example.org\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary*0=\"ab\"; boundary*1=\"cd\"\r\n\r\n" +
			"--abcd\r\nContent-Type: text/plain\r\n\r\nContinued boundary.\r\n--abcd--\r\n",
			[]string{"Continued boundary."}, 0, 0, nil},
		{"duplicate parameter", "From: a@example.org\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=\"Q1\"; boundary=\"Q1\"\r\n\r\n" +
			"--Q1\r\nContent-Type: text/plain\r\n\r\nStill read.\r\n--Q1--\r\n",
			[]string{"Still read."}, 0, 0, nil},
		{"bare text type", "From: a@example.org\r\nSubject: x\r\nContent-Type: text\r\n\r\nPlain words.\r\n",
			[]string{"Plain words."}, 0, 0, nil},
		{"few headers", "Subject: scan\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + notes + "\r\n",
			[]string{"Seized: two phones"}, 0, 0, nil},
		{"mbox", "From a@example.org Tue Mar  3 10:15:00 2026\nFrom: a@example.org\nSubject: one\n\nFirst message.\n>From here on, quoted.\n\n" +
			"From b@example.org Tue Mar  3 11:15:00 2026\nFrom: b@example.org\nSubject: two\n\nSecond message.\n",
			[]string{"First message.", "\nFrom here on, quoted.", "Second message.", "Subject: two"}, 0, 2, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := extractBytes(t, []byte(tc.msg), "a.eml", DefaultLimits())
			if err != nil {
				t.Fatalf("Extract error %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Text, w) {
					t.Errorf("Text = %q, want it to contain %q", res.Text, w)
				}
			}
			for _, w := range tc.noWords {
				if strings.Contains(res.Text, w) {
					t.Errorf("Text = %q, want no %q", res.Text, w)
				}
			}
			if len(res.Attach) != tc.attach {
				t.Errorf("Attach = %+v, want %d", res.Attach, tc.attach)
			}
			if tc.pages > 0 && res.Meta.Pages != tc.pages {
				t.Errorf("Meta.Pages = %d, want %d messages", res.Meta.Pages, tc.pages)
			}
		})
	}
}
