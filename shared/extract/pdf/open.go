package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ledongthuc/pdf"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// overlay presents a file with some leading bytes replaced and bytes appended, without
// copying it: how a PDF 2.0 header or a header after junk is shown to the library as
// "%PDF-1.7", and how a rebuilt cross-reference section is added after the last byte.
type overlay struct {
	base io.ReaderAt
	size int64
	head []byte // replaces base[0:len(head)]
	tail []byte // appended at size
}

func (o *overlay) Size() int64 { return o.size + int64(len(o.tail)) }

func (o *overlay) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	n := 0
	for len(p) > 0 {
		switch {
		case off < int64(len(o.head)):
			k := copy(p, o.head[off:])
			p, off, n = p[k:], off+int64(k), n+k
		case off < o.size:
			want := p
			if rem := o.size - off; int64(len(want)) > rem {
				want = want[:rem]
			}
			k, err := o.base.ReadAt(want, off)
			p, off, n = p[k:], off+int64(k), n+k
			if err != nil && err != io.EOF {
				return n, err
			}
			if k < len(want) {
				return n, io.ErrUnexpectedEOF
			}
		case off < o.size+int64(len(o.tail)):
			k := copy(p, o.tail[off-o.size:])
			p, off, n = p[k:], off+int64(k), n+k
		default:
			return n, io.EOF
		}
	}
	return n, nil
}

var (
	headerOK      = regexp.MustCompile(`^%PDF-1\.[0-7][\r\n]`)
	headerVersion = regexp.MustCompile(`^%PDF-(\d\.\d)`)
)

// openPDF opens the file with the library, presenting a patched header when needed, and
// falls back to a rebuilt cross-reference table when the file's own is unusable.
func openPDF(src io.ReaderAt, size int64, lim extractor.Limits) (*pdf.Reader, *overlay, string, error) {
	head := make([]byte, 1024)
	n, _ := src.ReadAt(head, 0)
	head = head[:n]
	k := HeaderOffset(head)
	if k < 0 {
		return nil, nil, "", errors.New("no %PDF header")
	}
	version := ""
	if m := headerVersion.FindSubmatch(head[k:]); m != nil {
		version = string(m[1])
	}
	ov := &overlay{base: src, size: size}
	if !headerOK.Match(head) {
		ov.head = []byte("%PDF-1.7\n")
	}
	var firstErr error
	if !bogusSize(src, size) {
		r, err := newReader(ov)
		if err == nil && usable(r) {
			return r, ov, version, nil
		}
		firstErr = err
		if isEncryptionError(err) {
			return nil, nil, version, fmt.Errorf("%w: %v", extractor.ErrEncrypted, err)
		}
	}
	r, rov, err := repair(src, size, ov.head, lim)
	if err != nil {
		if firstErr != nil {
			return nil, nil, version, fmt.Errorf("%v; rebuilding the cross-reference table: %w", firstErr, err)
		}
		return nil, nil, version, err
	}
	return r, rov, version, nil
}

func isEncryptionError(err error) bool {
	return err != nil && (errors.Is(err, pdf.ErrInvalidPassword) || strings.Contains(err.Error(), "encrypt"))
}

// newReader calls the library with every panic recovered.
func newReader(ov *overlay) (r *pdf.Reader, err error) {
	defer func() {
		if x := recover(); x != nil {
			r, err = nil, &extractor.PanicError{Value: x}
		}
	}()
	return pdf.NewReader(ov, ov.Size())
}

// usable reports whether the document catalog and page tree can be reached.
func usable(r *pdf.Reader) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	pages := r.Trailer().Key("Root").Key("Pages")
	return pages.Kind() == pdf.Dict && (pages.Key("Kids").Len() > 0 || pages.Key("Type").Name() == "Page")
}

var (
	sizeEntry  = regexp.MustCompile(`/Size\s+(\d+)`)
	indexEntry = regexp.MustCompile(`/Index\s*\[([\d\s]*)\]`)
	wEntry     = regexp.MustCompile(`/W\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s*\]`)
)

// maxObjects is the largest object number the library may be shown: it allocates a table
// entry (32 bytes) for every number up to the largest it meets.
func maxObjects(size int64) int64 { return max(1<<20, size/16) }

// bogusSize reports cross-reference data that would make the library allocate more than
// the file could need: a /Size, an /Index range or a table subsection beyond maxObjects,
// or xref stream field widths beyond 8 bytes. Such files are rebuilt by the repair. Only
// the neighbourhood of "trailer", "/XRef" and the tables after "xref" is examined.
func bogusSize(src io.ReaderAt, size int64) bool {
	n := size
	if n > 64<<20 {
		n = 64 << 10 // only the tail of very large files
	}
	buf := make([]byte, n)
	k, _ := src.ReadAt(buf, size-n)
	buf = buf[:k]
	lim := maxObjects(size)
	for _, kw := range []string{"trailer", "/XRef"} {
		for off := 0; ; {
			i := bytes.Index(buf[off:], []byte(kw))
			if i < 0 {
				break
			}
			i += off
			if bogusDict(buf[max(0, i-2048):min(len(buf), i+2048)], lim) {
				return true
			}
			off = i + len(kw)
		}
	}
	for off := 0; ; {
		i := bytes.Index(buf[off:], []byte("xref"))
		if i < 0 {
			break
		}
		i += off
		off = i + 4
		if i >= 5 && string(buf[i-5:i]) == "start" {
			continue
		}
		if bogusTable(buf[i+4:], lim) {
			return true
		}
	}
	return false
}

func bogusDict(b []byte, lim int64) bool {
	tooBig := func(s []byte) bool {
		v, err := strconv.ParseInt(string(s), 10, 64)
		return err != nil || v > lim
	}
	for _, m := range sizeEntry.FindAllSubmatch(b, -1) {
		if tooBig(m[1]) {
			return true
		}
	}
	for _, m := range indexEntry.FindAllSubmatch(b, -1) {
		f := strings.Fields(string(m[1]))
		for i := 0; i+1 < len(f); i += 2 {
			a, err1 := strconv.ParseInt(f[i], 10, 64)
			c, err2 := strconv.ParseInt(f[i+1], 10, 64)
			if err1 != nil || err2 != nil || a+c > lim {
				return true
			}
		}
	}
	for _, m := range wEntry.FindAllSubmatch(b, -1) {
		for _, g := range m[1:] {
			if v, err := strconv.Atoi(string(g)); err != nil || v > 8 {
				return true
			}
		}
	}
	return false
}

// bogusTable walks the subsection headers of a cross-reference table ("start count"
// followed by count entry lines) and reports one beyond lim.
func bogusTable(b []byte, lim int64) bool {
	p := 0
	skipSpace := func() {
		for p < len(b) && isSpace(b[p]) {
			p++
		}
	}
	readInt := func() (int64, bool) {
		st := p
		for p < len(b) && b[p] >= '0' && b[p] <= '9' && p-st < 19 {
			p++
		}
		if p == st {
			return 0, false
		}
		v, err := strconv.ParseInt(string(b[st:p]), 10, 64)
		return v, err == nil
	}
	for sections := 0; sections < 1<<16; sections++ {
		skipSpace()
		a, ok1 := readInt()
		skipSpace()
		c, ok2 := readInt()
		if !ok1 || !ok2 {
			return false // "trailer" or damage: the library will stop here too
		}
		if a+c > lim {
			return true
		}
		for line := int64(0); line <= c && p < len(b); line++ { // the header's end, then c entries
			for p < len(b) && b[p] != '\n' && b[p] != '\r' {
				p++
			}
			for p < len(b) && (b[p] == '\n' || b[p] == '\r') {
				p++
			}
		}
	}
	return false
}

var (
	objHeader   = regexp.MustCompile(`(?:^|[^0-9])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj\b`)
	trailerRefs = regexp.MustCompile(`/(Root|Info|Encrypt)\s*(\d+)\s+(\d+)\s+R`)
	trailerID   = regexp.MustCompile(`/ID\s*\[\s*<([0-9A-Fa-f\s]*)>\s*<([0-9A-Fa-f\s]*)>\s*\]`)
	typeObjStm  = regexp.MustCompile(`/Type\s*/ObjStm\b`)
	typeCatalog = regexp.MustCompile(`/Type\s*/Catalog\b`)
)

type objLoc struct {
	off int64
	gen int
}

// repair locates every "N G obj" in the file, then presents the file with a new
// cross-reference stream appended (objects inside object streams included) and opens it.
func repair(src io.ReaderAt, size int64, head []byte, lim extractor.Limits) (*pdf.Reader, *overlay, error) {
	if lim.MaxInMemory > 0 && size > lim.MaxInMemory {
		return nil, nil, &extractor.LimitError{Limit: extractor.LimitStream, Max: lim.MaxInMemory}
	}
	data := make([]byte, size)
	if n, err := src.ReadAt(data, 0); int64(n) < size {
		return nil, nil, fmt.Errorf("reading: %v", err)
	}
	data = normalize(data)
	src, size, head = bytes.NewReader(data), int64(len(data)), nil
	objs := map[int]objLoc{}
	var stms []int
	root := ""
	for _, m := range objHeader.FindAllSubmatchIndex(data, -1) {
		id, err1 := strconv.Atoi(string(data[m[2]:m[3]]))
		gen, err2 := strconv.Atoi(string(data[m[4]:m[5]]))
		if err1 != nil || err2 != nil || id <= 0 || int64(id) > maxObjects(size) {
			continue
		}
		if lim.MaxObjects > 0 && len(objs) > 4*lim.MaxObjects {
			break
		}
		objs[id] = objLoc{int64(m[2]), gen}
		body := data[m[1]:min(len(data), m[1]+400)]
		if e := bytes.Index(body, []byte("endobj")); e >= 0 {
			body = body[:e]
		}
		if s := bytes.Index(body, []byte("stream")); s >= 0 {
			body = body[:s]
		}
		if typeObjStm.Match(body) {
			stms = append(stms, id)
		}
		if typeCatalog.Match(body) {
			root = fmt.Sprintf("%d %d R", id, gen)
		}
	}
	if len(objs) == 0 {
		return nil, nil, errors.New("no objects found")
	}
	refs := map[string]string{}
	for _, m := range trailerRefs.FindAllSubmatch(data, -1) {
		refs[string(m[1])] = fmt.Sprintf("%s %s R", m[2], m[3]) // the last one wins
	}
	if r := refs["Root"]; r != "" {
		id, _ := strconv.Atoi(strings.Fields(r)[0])
		if _, ok := objs[id]; ok || root == "" {
			root = r
		}
	}
	if root == "" {
		return nil, nil, errors.New("no document catalog found")
	}
	extra := "/Root " + root
	if r := refs["Info"]; r != "" {
		extra += "/Info " + r
	}
	if r := refs["Encrypt"]; r != "" {
		extra += "/Encrypt " + r
	}
	if ms := trailerID.FindAllSubmatch(data, -1); len(ms) > 0 {
		m := ms[len(ms)-1]
		extra += fmt.Sprintf("/ID[<%s><%s>]", m[1], m[2])
	}

	// First pass: direct objects only, with the object streams listed in the trailer so
	// that their contents can be read through the library.
	compressed := map[int][2]int{}
	r, ov, err := openRebuilt(src, size, head, objs, compressed, extra, stms, len(stms) == 0)
	if err != nil {
		return nil, nil, err
	}
	if len(stms) == 0 {
		return r, ov, nil
	}
	list := r.Trailer().Key("EvxObjStm")
	for i := 0; i < list.Len(); i++ {
		func() {
			defer func() { recover() }()
			s := list.Index(i)
			n := int(s.Key("N").Int64())
			if n <= 0 || n > 1<<16 {
				return
			}
			data, _ := readStreamValue(s, min(lim.MaxStreamBytes, 1<<20))
			l := &lexer{b: data}
			for k := 0; k < n; k++ {
				id, off := l.next(0), l.next(0)
				if id.kind != tNum || off.kind != tNum {
					break
				}
				oid := int(id.num)
				if _, direct := objs[oid]; !direct && oid > 0 && int64(oid) < maxObjects(size) {
					compressed[oid] = [2]int{stms[i], k}
				}
			}
		}()
	}
	if len(compressed) == 0 {
		if !usable(r) {
			return nil, nil, errors.New("no page tree found")
		}
		return r, ov, nil
	}
	return openRebuilt(src, size, head, objs, compressed, extra, nil, true)
}

// normalize copies every "N G obj" of a damaged file into a new one, each object closed
// by "endobj" (the library insists on it), dropping cross-reference sections and junk
// between objects. An object without endobj ends where the next one starts.
func normalize(data []byte) []byte {
	ms := objHeader.FindAllSubmatchIndex(data, -1)
	out := make([]byte, 0, len(data)+len(ms)*8+64)
	out = append(out, "%PDF-1.7\n"...)
	for i, m := range ms {
		limit := len(data)
		if i+1 < len(ms) {
			limit = ms[i+1][2]
		}
		body := data[m[1]:limit]
		end := len(body)
		from := 0
		if s := bytes.Index(body, []byte("stream")); s >= 0 {
			if es := bytes.Index(body[s:], []byte("endstream")); es >= 0 {
				from = s + es
			}
		}
		if e := bytes.Index(body[from:], []byte("endobj")); e >= 0 {
			end = from + e
		} else {
			for _, kw := range []string{"xref", "trailer", "startxref"} {
				if k := bytes.Index(body[from:], []byte(kw)); k >= 0 && from+k < end {
					end = from + k
				}
			}
		}
		out = append(out, data[m[2]:m[1]]...)
		out = append(out, body[:end]...)
		out = append(out, "\nendobj\n"...)
	}
	// Keep the trailers: the repair reads /Root, /Info, /Encrypt and /ID from them.
	for _, m := range trailerRefs.FindAllIndex(data, -1) {
		out = append(out, "\n%"...)
		out = append(out, data[m[0]:m[1]]...)
	}
	if ms := trailerID.FindAllIndex(data, -1); len(ms) > 0 {
		out = append(out, "\n%"...)
		out = append(out, data[ms[len(ms)-1][0]:ms[len(ms)-1][1]]...)
	}
	return append(out, '\n')
}

// openRebuilt appends a cross-reference stream (W [1 4 2]) describing objs and
// compressed, plus the trailer entries in extra, and opens the result.
func openRebuilt(src io.ReaderAt, size int64, head []byte, objs map[int]objLoc, compressed map[int][2]int, extra string, stms []int, check bool) (*pdf.Reader, *overlay, error) {
	maxID := 0
	for id := range objs {
		maxID = max(maxID, id)
	}
	for id := range compressed {
		maxID = max(maxID, id)
	}
	xid := maxID + 1
	table := make([]byte, 0, (xid+1)*7)
	for id := 0; id <= xid; id++ {
		var e [7]byte
		if loc, ok := objs[id]; ok {
			e[0] = 1
			e[1], e[2], e[3], e[4] = byte(loc.off>>24), byte(loc.off>>16), byte(loc.off>>8), byte(loc.off)
			e[5], e[6] = byte(loc.gen>>8), byte(loc.gen)
		} else if c, ok := compressed[id]; ok {
			e[0] = 2
			e[1], e[2], e[3], e[4] = byte(c[0]>>24), byte(c[0]>>16), byte(c[0]>>8), byte(c[0])
			e[5], e[6] = byte(c[1]>>8), byte(c[1])
		}
		table = append(table, e[:]...)
	}
	var t bytes.Buffer
	t.WriteString("\n")
	xoff := size + int64(t.Len())
	fmt.Fprintf(&t, "%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Length %d%s", xid, xid+1, len(table), extra)
	if len(stms) > 0 {
		sort.Ints(stms)
		t.WriteString("/EvxObjStm[")
		for _, id := range stms {
			fmt.Fprintf(&t, "%d %d R ", id, objs[id].gen)
		}
		t.WriteString("]")
	}
	t.WriteString(">>\nstream\n")
	t.Write(table)
	fmt.Fprintf(&t, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xoff)
	ov := &overlay{base: src, size: size, head: head, tail: t.Bytes()}
	r, err := newReader(ov)
	if err != nil {
		return nil, nil, err
	}
	if check && !usable(r) {
		return nil, nil, errors.New("no page tree found")
	}
	return r, ov, nil
}

// HeaderOffset returns the offset of "%PDF-" in the first KiB, or -1. Readers accept a
// header preceded by junk, so detection does too.
func HeaderOffset(head []byte) int {
	return bytes.Index(head[:min(len(head), 1024)], []byte("%PDF-"))
}
