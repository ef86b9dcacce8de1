package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// pdfDoc is one open PDF document and its caches.
type pdfDoc struct {
	j         *extractor.Job
	r         *pdf.Reader
	lim       extractor.Limits
	fonts     map[string]*font // keyed by reference or dictionary text, so shared fonts decode once
	src       io.ReaderAt      // the file as presented to the library
	srcSize   int64
	encrypted bool
	// fontDicts maps a /Font resource dictionary's reference to its entries' references.
	fontDicts map[string]map[string]string
}

func Read(j *extractor.Job) error {
	src := j.R
	var buf []byte
	if j.Lim.MaxInMemory <= 0 || j.Size <= j.Lim.MaxInMemory {
		buf = make([]byte, j.Size)
		if n, err := j.R.ReadAt(buf, 0); int64(n) < j.Size {
			return fmt.Errorf("reading: %w", err)
		}
		src = bytes.NewReader(buf)
	}
	// The library opens the file first: its trailer says whether the file is encrypted
	// (the text "/Encrypt" elsewhere, in a page about PDFs, does not count), or it fails
	// (on encryptions it does not read, or damage). It reads RC4-40 wrongly, so an encrypted
	// file in memory, or one the library could not open, is decrypted here.
	r, ov, version, err := openPDF(src, j.Size, j.Lim)
	if buf != nil && (err != nil || hasEncrypt(r)) {
		plain, method, derr := decryptFile(buf, j.Lim.MaxObjects)
		j.Res.Meta.Encryption = method
		var ue *UnsupportedEncryptionError
		switch {
		case errors.Is(derr, ErrPasswordRequired):
			j.Res.PasswordRequired = true
			j.Res.Unsupported = &extractor.Unsupported{MediaType: extractor.TypePDF,
				Reason: "encrypted (" + method + "): a password is required to read it"}
			j.Res.Meta.Version = headerVersionOf(buf)
			return nil
		case errors.As(derr, &ue):
			j.Res.Unsupported = &extractor.Unsupported{MediaType: extractor.TypePDF, Reason: "encrypted: " + ue.Error()}
			j.Res.Meta.Version = headerVersionOf(buf)
			return nil
		case derr != nil:
			return fmt.Errorf("%w: %v", extractor.ErrEncrypted, derr)
		case plain != nil:
			version = headerVersionOf(buf)
			r, ov, err = repair(bytes.NewReader(plain), int64(len(plain)), nil, j.Lim)
			if err != nil {
				return fmt.Errorf("decrypted (%s): %w", method, err)
			}
		}
	}
	if err != nil {
		return err
	}
	d := &pdfDoc{j: j, r: r, lim: j.Lim, fonts: map[string]*font{}, fontDicts: map[string]map[string]string{},
		src: ov, srcSize: ov.Size()}
	safely(func() { d.encrypted = r.Trailer().Key("Encrypt").Kind() != pdf.Null })
	j.Res.Meta.Version = version
	d.meta()
	d.pages()
	return nil
}

// hasEncrypt reports whether the trailer has an /Encrypt entry.
func hasEncrypt(r *pdf.Reader) (ok bool) {
	safely(func() { ok = r.Trailer().Key("Encrypt").Kind() != pdf.Null })
	return ok
}

// headerVersionOf is the version of the "%PDF-" header in the first KiB of data.
func headerVersionOf(data []byte) string {
	head := data[:min(len(data), 1024)]
	if k := HeaderOffset(head); k >= 0 {
		if m := headerVersion.FindSubmatch(head[k:]); m != nil {
			return string(m[1])
		}
	}
	return ""
}

// readStreamValue decodes a stream, keeping what was decoded before an error (a
// truncated deflate stream still yields its first part). Panics of the library (unknown
// filters, malformed parameters) come back as errors.
func readStreamValue(v pdf.Value, max int64) (data []byte, err error) {
	defer func() {
		if x := recover(); x != nil {
			err = &extractor.PanicError{Value: x}
		}
	}()
	rc := v.Reader()
	defer rc.Close()
	var buf bytes.Buffer
	if max <= 0 {
		max = 1 << 62
	}
	_, err = io.Copy(&buf, io.LimitReader(rc, max+1))
	data = buf.Bytes()
	if int64(len(data)) > max {
		return data[:max], &extractor.LimitError{Limit: extractor.LimitStream, Max: max}
	}
	return data, err
}

func (d *pdfDoc) readStream(v pdf.Value, max int64) ([]byte, error) {
	if d.lim.MaxStreamBytes > 0 && (max <= 0 || max > d.lim.MaxStreamBytes) {
		max = d.lim.MaxStreamBytes
	}
	data, err := readStreamValue(v, max)
	if err != nil && len(data) == 0 && !extractor.IsLimit(err) {
		if raw, rerr := d.rawStream(v, max); rerr == nil || len(raw) > 0 {
			return raw, rerr
		}
	}
	return data, err
}

// meta reads the document information dictionary.
func (d *pdfDoc) meta() {
	defer func() { recover() }()
	info := d.r.Trailer().Key("Info")
	m := &d.j.Res.Meta
	m.Title = extractor.CleanMeta(info.Key("Title").Text())
	m.Author = extractor.CleanMeta(info.Key("Author").Text())
	m.Subject = extractor.CleanMeta(info.Key("Subject").Text())
	m.Creator = extractor.CleanMeta(info.Key("Creator").Text())
	m.Producer = extractor.CleanMeta(info.Key("Producer").Text())
	m.Created = pdfDate(info.Key("CreationDate").Text())
	m.Modified = pdfDate(info.Key("ModDate").Text())
}

// pdfDate parses "D:YYYYMMDDHHmmSSOHH'mm'" with any suffix missing.
func pdfDate(s string) time.Time {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	if len(s) < 4 {
		return time.Time{}
	}
	num := func(i, n, def int) int {
		if i+n > len(s) {
			return def
		}
		v, err := strconv.Atoi(s[i : i+n])
		if err != nil {
			return def
		}
		return v
	}
	y := num(0, 4, -1)
	if y < 1000 {
		return time.Time{}
	}
	mo, dd, hh, mi, ss := num(4, 2, 1), num(6, 2, 1), num(8, 2, 0), num(10, 2, 0), num(12, 2, 0)
	loc := time.UTC
	if len(s) > 14 && (s[14] == '+' || s[14] == '-') {
		oh, om := num(15, 2, 0), num(18, 2, 0)
		off := (oh*60 + om) * 60
		if s[14] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	if mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 60 {
		return time.Time{}
	}
	return time.Date(y, time.Month(mo), dd, hh, mi, ss, 0, loc).UTC()
}

// pages walks the page tree depth first, extracting each page as it is found. Inherited
// resources are carried down the walk rather than looked up through /Parent, so a cyclic
// /Parent chain cannot loop.
func (d *pdfDoc) pages() {
	j := d.j
	var root pdf.Value
	func() {
		defer func() { recover() }()
		root = d.r.Trailer().Key("Root").Key("Pages")
		j.Res.Meta.Pages = int(root.Key("Count").Int64())
	}()
	page := 0
	visited := 0
	stopped := false
	// ancestors holds the text of the page tree nodes above the current one: a node that
	// is its own ancestor (a cycle) is skipped.
	var ancestors []string
	var walk func(node, res pdf.Value, depth int)
	walk = func(node, res pdf.Value, depth int) {
		if stopped || depth > 64 {
			return
		}
		visited++
		if visited > 4*max(d.lim.MaxPages, 1000) {
			stopped = true
			j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitObjects, Max: int64(visited)})
			return
		}
		var kids pdf.Value
		var isPage bool
		err := safely(func() {
			if r := node.Key("Resources"); r.Kind() == pdf.Dict {
				res = r
			}
			kids = node.Key("Kids")
			isPage = kids.Kind() != pdf.Array && (node.Key("Type").Name() == "Page" || node.Key("Contents").Kind() != pdf.Null)
		})
		if err != nil {
			page++
			j.Res.AddPageError(page, err)
			return
		}
		if isPage {
			page++
			if d.lim.MaxPages > 0 && page > d.lim.MaxPages {
				stopped = true
				j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitPages, Max: int64(d.lim.MaxPages)})
				return
			}
			if j.Deadline() || j.Full() {
				stopped = true
				return
			}
			if err := d.page(node, res, page); err != nil {
				var le *extractor.LimitError
				if errors.As(err, &le) {
					j.Res.Halt(le)
					stopped = true
					return
				}
				j.Res.AddPageError(page, err)
			}
			return
		}
		id := node.String()
		for _, a := range ancestors {
			if a == id {
				return
			}
		}
		ancestors = append(ancestors, id)
		defer func() { ancestors = ancestors[:len(ancestors)-1] }()
		for i := 0; i < kids.Len() && !stopped; i++ {
			var kid pdf.Value
			if err := safely(func() { kid = kids.Index(i) }); err != nil {
				page++
				j.Res.AddPageError(page, err)
				continue
			}
			walk(kid, res, depth+1)
		}
	}
	walk(root, pdf.Value{}, 0)
	if page > 0 && (j.Res.Meta.Pages <= 0 || j.Res.Meta.Pages > page && !stopped) {
		j.Res.Meta.Pages = page
	}
	if len(j.Res.PageErrors) > 0 && j.Res.Stop == nil {
		pe := j.Res.PageErrors[0]
		j.Res.Halt(&pe)
	}
}

// safely runs f, turning a panic into an error.
func safely(f func()) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = &extractor.PanicError{Value: x}
		}
	}()
	f()
	return nil
}

// page extracts the text of one page.
func (d *pdfDoc) page(node, res pdf.Value, n int) (err error) {
	in := newInterp(d)
	defer func() {
		if x := recover(); x != nil {
			err = &extractor.PanicError{Value: x}
		}
		// Whatever was read before a failure is kept.
		text := in.w.finish()
		if strings.TrimSpace(text) == "" && in.images > 0 && n > 0 {
			d.j.Res.ImagePages = append(d.j.Res.ImagePages, n)
			d.j.Res.NeedsOCR = true
		}
		if len(text) > 0 {
			d.j.Write(text)
			d.j.Write("\n\f")
		} else if n > 0 {
			d.j.Write("\f")
		}
	}()
	contents := node.Key("Contents")
	var data []byte
	switch contents.Kind() {
	case pdf.Stream:
		data, err = d.readStream(contents, 0)
	case pdf.Array:
		var buf []byte
		for i := 0; i < contents.Len() && i < 10000; i++ {
			b, e := d.readStream(contents.Index(i), 0)
			buf = append(buf, b...)
			buf = append(buf, '\n')
			if e != nil {
				err = e
				break
			}
			if d.lim.MaxStreamBytes > 0 && int64(len(buf)) > d.lim.MaxStreamBytes {
				err = &extractor.LimitError{Limit: extractor.LimitStream, Max: d.lim.MaxStreamBytes}
				break
			}
		}
		data = buf
	default:
		return nil
	}
	if ierr := in.run(data, res, 0); ierr != nil {
		return ierr
	}
	if aerr := in.annotations(node, res); aerr != nil {
		return aerr
	}
	return err
}

// annotations runs the normal appearance streams of a page's annotations (form fields,
// free text, stamps), as viewers and pdftotext show them.
func (in *interp) annotations(node, res pdf.Value) error {
	annots := node.Key("Annots")
	for i := 0; i < annots.Len() && i < 10000; i++ {
		var ap, rect pdf.Value
		if safely(func() {
			a := annots.Index(i)
			switch a.Key("Subtype").Name() {
			case "Popup", "Link":
				return
			}
			if a.Key("F").Int64()&2 != 0 { // hidden
				return
			}
			ap = a.Key("AP").Key("N")
			if ap.Kind() == pdf.Dict {
				ap = ap.Key(a.Key("AS").Name())
			}
			rect = a.Key("Rect")
		}) != nil || ap.Kind() != pdf.Stream {
			continue
		}
		x0, y0 := rect.Index(0).Float64(), rect.Index(1).Float64()
		in.g = gstate{ctm: mat{1, 0, 0, 1, x0, y0}, th: 1}
		if err := in.runForm(ap, res, 1); err != nil {
			return err
		}
	}
	return nil
}
