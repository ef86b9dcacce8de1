package extract

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

// TestArchives: members of zip, tar and gzip files are listed with their SHA-256 and their
// text read, nested archives too; bombs stop at the limits.
func TestArchives(t *testing.T) {
	inner := extracttest.ZipOf(t, [][2]string{{"deep/note.txt", "Inner note about the ledger.\n"}})
	zipped := extracttest.ZipOf(t, [][2]string{{"report.docx", string(extracttest.DOCX(t))}, {"list.txt", "Seized phones: 3\n"}, {"inner.zip", string(inner)}})
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for _, f := range [][2]string{{"a/statement.txt", "Witness statement of 3 March.\n"}, {"b/request.eml", extracttest.EML}} {
		tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg})
		tw.Write([]byte(f[1]))
	}
	tw.Close()
	var tgz bytes.Buffer
	gw := gzip.NewWriter(&tgz)
	gw.Write(tarBuf.Bytes())
	gw.Close()
	var gz bytes.Buffer
	gw = gzip.NewWriter(&gz)
	gw.Name = "log.txt"
	gw.Write([]byte("Intercept log, line one.\n"))
	gw.Close()

	cases := []struct {
		name    string
		b       []byte
		want    []string
		members []string
	}{
		{"a.zip", zipped, []string{"--- member report.docx ---", "port of Antwerp", "Seized phones: 3", "Inner note about the ledger."},
			[]string{"report.docx", "list.txt", "inner.zip", "inner.zip/deep/note.txt"}},
		{"a.tar", tarBuf.Bytes(), []string{"Witness statement", "Please find the request attached"}, []string{"a/statement.txt", "b/request.eml", "b/request.eml/request.pdf"}},
		{"a.tgz", tgz.Bytes(), []string{"Witness statement"}, []string{"a/statement.txt", "b/request.eml", "b/request.eml/request.pdf"}},
		{"log.gz", gz.Bytes(), []string{"Intercept log"}, []string{"log.txt"}},
	}
	for _, tc := range cases {
		res, err := extractBytes(t, tc.b, tc.name, DefaultLimits())
		if err != nil {
			t.Fatalf("Extract(%s) error %v", tc.name, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(res.Text, w) {
				t.Errorf("Extract(%s).Text = %q, want %q", tc.name, res.Text, w)
			}
		}
		var names []string
		for _, a := range res.Attach {
			names = append(names, a.Name)
			if a.SHA256 == "" {
				t.Errorf("Extract(%s): member %s without hash", tc.name, a.Name)
			}
		}
		if strings.Join(names, ",") != strings.Join(tc.members, ",") {
			t.Errorf("Extract(%s) members %v, want %v", tc.name, names, tc.members)
		}
		if res.Unsupported != nil {
			t.Errorf("Extract(%s).Unsupported = %v", tc.name, res.Unsupported)
		}
	}

	bomb := extracttest.ZipOf(t, [][2]string{{"zeros.txt", strings.Repeat("0", 8<<20)}})
	res, err := extractBytes(t, bomb, "bomb.zip", DefaultLimits())
	var le *LimitError
	if err != nil || !errors.As(res.Stop, &le) || le.Limit != LimitRatio || len(res.Text) > 0 {
		t.Errorf("zip bomb: %v, %v; want the ratio limit and no text", res, err)
	}
	var gzBomb bytes.Buffer
	gw = gzip.NewWriter(&gzBomb)
	gw.Write(bytes.Repeat([]byte("0"), 8<<20))
	gw.Close()
	res, err = extractBytes(t, gzBomb.Bytes(), "bomb.gz", DefaultLimits())
	if err != nil || !errors.As(res.Stop, &le) || le.Limit != LimitRatio {
		t.Errorf("gzip bomb: %v, %v; want the ratio limit", res, err)
	}
	lim := DefaultLimits()
	lim.MaxArchiveBytes = 30
	res, _ = extractBytes(t, zipped, "a.zip", lim)
	if !errors.As(res.Stop, &le) || le.Limit != LimitArchive {
		t.Errorf("MaxArchiveBytes=30: Stop = %v", res.Stop)
	}
}
