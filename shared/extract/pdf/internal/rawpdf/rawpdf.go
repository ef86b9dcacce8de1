// Package rawpdf writes minimal PDF files by hand, object by object, for the extraction
// tests and the test-data generator: the layouts fpdf cannot produce (unusual filters,
// cyclic page trees, forms drawing themselves).
package rawpdf

import (
	"bytes"
	"fmt"
)

// Of writes objs as objects 1..n of a PDF 1.4 file with a correct cross-reference table.
// Object 1 must be the catalog.
func Of(objs ...string) []byte { return WithTrailer("", objs...) }

// WithTrailer is Of with extra entries in the trailer dictionary ("/Encrypt 7 0 R /ID [...]").
func WithTrailer(extra string, objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, extra, x)
	return b.Bytes()
}

// Stream writes a stream object with dict's entries and a /Length that fits data.
func Stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}
