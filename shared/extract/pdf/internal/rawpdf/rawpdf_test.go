package rawpdf

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// Every cross-reference entry points at its object's header, and startxref at the table.
func TestOfOffsets(t *testing.T) {
	b := Of("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>", Stream("/Filter /X", []byte("abc")))
	s := string(b)
	x := strings.Index(s, "xref\n")
	if got, _ := strconv.Atoi(strings.Fields(s[strings.LastIndex(s, "startxref\n")+10:])[0]); got != x {
		t.Fatalf("startxref = %d, want %d", got, x)
	}
	lines := strings.Split(s[x:], "\n")[3:6] // after "xref", "0 4" and the free entry
	for i, l := range lines {
		off, _ := strconv.Atoi(l[:10])
		if want := strconv.Itoa(i+1) + " 0 obj\n"; !bytes.HasPrefix(b[off:], []byte(want)) {
			t.Errorf("xref entry %d points at %q, want %q", i+1, b[off:off+8], want)
		}
	}
	if !strings.Contains(s, "<< /Filter /X /Length 3 >>\nstream\nabc\nendstream") {
		t.Errorf("stream object not as expected:\n%s", s)
	}
}
