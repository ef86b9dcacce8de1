package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

// TestMembersWithoutDispatcher: without a dispatcher (the deepest level), members are
// listed and hashed and the note says why their text is not read.
func TestMembersWithoutDispatcher(t *testing.T) {
	z := extracttest.ZipOf(t, [][2]string{{"a.txt", "abc"}})
	res, err := extracttest.Read(t, z, extractor.TypeZip, extractor.DefaultLimits(), ReadZip)
	// echo -n abc | sha256sum
	if err != nil || len(res.Attach) != 1 || res.Attach[0].SHA256 != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" || res.Attach[0].Note == "" {
		t.Errorf("ReadZip = %+v, %v", res, err)
	}
}

// FuzzRead feeds zip, tar and gzip bytes to the three readers.
func FuzzRead(f *testing.F) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "x.txt", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
	tw.Write([]byte("abc"))
	tw.Close()
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(tb.Bytes())
	gw.Close()
	f.Add(extracttest.ZipOf(f, [][2]string{{"a.txt", "abc"}, {"b/c.txt", "def"}}), 0)
	f.Add(tb.Bytes(), 1)
	f.Add(gz.Bytes(), 2)
	readers := []extractor.Reader{ReadZip, ReadTar, ReadGzip}
	f.Fuzz(func(t *testing.T, data []byte, kind int) {
		res, err := extracttest.Read(t, data, extractor.TypeZip, extracttest.FuzzLimits(), readers[uint(kind)%3])
		extracttest.CheckFuzz(t, res, err)
	})
}
