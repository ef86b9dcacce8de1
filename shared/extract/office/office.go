// Package office reads the text and metadata of office documents for package extract:
// Word (DOCX), Excel (XLSX), PowerPoint (PPTX) and OpenDocument text (ODT), all zip-based,
// and RTF ([ReadRTF]).
//
// Members are read under the archive limits of the extractor.Job: each at most
// MaxStreamBytes and MaxRatio times its compressed size (zip bombs), all together at most
// MaxArchiveBytes. Slides and sheets are pages, each ended by a form feed.
package office

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// archive reads members of a zip-based document under the archive limits: members are
// opened by name, each read at most MaxStreamBytes and at most MaxRatio times its
// compressed size, and all together at most MaxArchiveBytes.
type archive struct {
	j     *extractor.Job
	files map[string]*zip.File
	names []string
	read  int64
}

func openArchive(j *extractor.Job) (*archive, error) {
	zr, err := zip.NewReader(io.NewSectionReader(j.R, 0, j.Size), j.Size)
	if err != nil {
		return nil, err
	}
	a := &archive{j: j, files: map[string]*zip.File{}}
	for _, f := range zr.File {
		if j.Object() {
			break
		}
		a.files[f.Name] = f
		a.names = append(a.names, f.Name)
	}
	return a, nil
}

var errLimit = errors.New("limit reached")

// open returns a reader of one member; reading past a limit records it and returns
// errLimit.
func (a *archive) open(name string) (io.ReadCloser, error) {
	f := a.files[name]
	if f == nil {
		return nil, fmt.Errorf("member %s missing", name)
	}
	lim := a.j.Lim
	if lim.MaxRatio > 0 && f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > uint64(lim.MaxRatio) {
		a.j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitRatio, Max: lim.MaxRatio})
		return nil, errLimit
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	max := int64(1 << 62)
	if lim.MaxStreamBytes > 0 {
		max = lim.MaxStreamBytes
	}
	if lim.MaxRatio > 0 {
		max = min(max, int64(f.CompressedSize64)*lim.MaxRatio+4096)
	}
	if lim.MaxArchiveBytes > 0 {
		max = min(max, lim.MaxArchiveBytes-a.read)
	}
	return &limitedMember{a: a, rc: rc, left: max}, nil
}

type limitedMember struct {
	a    *archive
	rc   io.ReadCloser
	left int64
}

func (m *limitedMember) Read(p []byte) (int, error) {
	if m.left <= 0 {
		lim := m.a.j.Lim
		switch {
		case lim.MaxArchiveBytes > 0 && m.a.read >= lim.MaxArchiveBytes:
			m.a.j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitArchive, Max: lim.MaxArchiveBytes})
		case lim.MaxRatio > 0:
			m.a.j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitRatio, Max: lim.MaxRatio})
		default:
			m.a.j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitStream, Max: lim.MaxStreamBytes})
		}
		return 0, errLimit
	}
	if int64(len(p)) > m.left {
		p = p[:m.left]
	}
	n, err := m.rc.Read(p)
	m.left -= int64(n)
	m.a.read += int64(n)
	return n, err
}

func (m *limitedMember) Close() error { return m.rc.Close() }

// xmlRules say how an XML part becomes text.
type xmlRules struct {
	text  map[string]bool // character data counts only inside these elements; nil: everywhere
	skip  map[string]bool // character data inside these never counts
	lines map[string]bool // the end of these elements ends a line
	tabs  map[string]bool // these elements are a tab (or, for table cells, end with one)
	brs   map[string]bool // these elements are a line break
	space map[string]bool // these elements are a space
	pages map[string]bool // the end of these elements ends a page (a form feed)
}

// xmlText writes the text of one XML part to the job, returning false when the text cap
// or another limit stopped it.
func (a *archive) xmlText(name string, rules xmlRules) error {
	rc, err := a.open(name)
	if errors.Is(err, errLimit) {
		return nil // recorded as the stop reason
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	inText, inSkip := 0, 0
	var line strings.Builder
	flush := func() bool {
		ok := a.j.Write(line.String())
		line.Reset()
		return ok
	}
	for n := 0; ; n++ {
		if n&1023 == 0 && a.j.Deadline() {
			break
		}
		tok, err := dec.Token()
		if err != nil {
			if err != io.EOF {
				flush()
				if errors.Is(err, errLimit) {
					return nil
				}
				return fmt.Errorf("%s: %w", name, err)
			}
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			l := t.Name.Local
			switch {
			case rules.text[l]:
				inText++
			case rules.skip[l]:
				inSkip++
			case rules.tabs[l]:
				line.WriteByte('\t')
			case rules.brs[l]:
				line.WriteByte('\n')
			case rules.space[l]:
				c := 1
				for _, at := range t.Attr {
					if at.Name.Local == "c" {
						c, _ = strconv.Atoi(at.Value)
					}
				}
				line.WriteString(strings.Repeat(" ", max(1, min(c, 100))))
			}
		case xml.EndElement:
			l := t.Name.Local
			switch {
			case rules.text[l]:
				inText--
			case rules.skip[l]:
				inSkip--
			case rules.lines[l] && inSkip == 0:
				line.WriteByte('\n')
				if !flush() {
					return nil
				}
			case rules.pages[l]:
				a.j.Res.Meta.Pages++
				line.WriteByte('\f')
				if !flush() {
					return nil
				}
			}
		case xml.CharData:
			if rules.text == nil && len(bytes.TrimSpace(t)) == 0 && bytes.ContainsAny(t, "\r\n") {
				continue // indentation between elements
			}
			if inSkip == 0 && (rules.text == nil || inText > 0) {
				line.Write(t)
			}
		}
		if line.Len() > 1<<16 && !flush() {
			return nil
		}
	}
	flush()
	return nil
}

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

var (
	docxRules = xmlRules{text: set("t"), lines: set("p"), tabs: set("tab"), brs: set("br", "cr")}
	pptxRules = xmlRules{text: set("t"), lines: set("p"), brs: set("br")}
	odtRules  = xmlRules{skip: set("tracked-changes", "annotation", "notes-configuration", "bookmark-ref"),
		lines: set("p", "h"), tabs: set("tab"), brs: set("line-break"), space: set("s")}
)

var memberNumber = regexp.MustCompile(`(\d+)\.xml$`)

// numbered returns the members matching dir/prefixN.xml in numeric order.
func (a *archive) numbered(dir, prefix string) []string {
	var out []string
	for _, n := range a.names {
		if path.Dir(n) == dir && strings.HasPrefix(path.Base(n), prefix) && memberNumber.MatchString(n) {
			out = append(out, n)
		}
	}
	num := func(s string) int {
		v, _ := strconv.Atoi(memberNumber.FindStringSubmatch(s)[1])
		return v
	}
	sort.Slice(out, func(i, k int) bool { return num(out[i]) < num(out[k]) })
	return out
}

// office reads DOCX, XLSX, PPTX and ODT.
func Read(j *extractor.Job) error {
	a, err := openArchive(j)
	if err != nil {
		return err
	}
	switch j.Res.MediaType {
	case extractor.TypeDOCX:
		a.coreProps()
		parts := []string{"word/document.xml", "word/footnotes.xml", "word/endnotes.xml"}
		parts = append(parts, a.numbered("word", "header")...)
		parts = append(parts, a.numbered("word", "footer")...)
		for _, part := range parts {
			if a.files[part] == nil {
				continue
			}
			if err := a.xmlText(part, docxRules); err != nil {
				if part == "word/document.xml" && j.TextLen() == 0 {
					return err
				}
				j.Res.Halt(err)
			}
		}
	case extractor.TypePPTX:
		a.coreProps()
		a.pages(a.numbered("ppt/slides", "slide"), func(s string) error { return a.xmlText(s, pptxRules) })
	case extractor.TypeXLSX:
		a.coreProps()
		return a.xlsx()
	case extractor.TypeODT:
		a.odtMeta()
		if err := a.xmlText("content.xml", odtRules); err != nil {
			return err
		}
	case extractor.TypeODS:
		a.odtMeta()
		return a.ods()
	case extractor.TypeODP:
		a.odtMeta()
		return a.odp()
	case extractor.TypeEPUB:
		return a.epub()
	}
	return nil
}

// coreProps reads docProps/core.xml and docProps/app.xml of OOXML packages.
func (a *archive) coreProps() {
	m := &a.j.Res.Meta
	a.fields("docProps/core.xml", func(local, v string) {
		switch local {
		case "title":
			m.Title = v
		case "creator":
			m.Author = v
		case "subject":
			m.Subject = v
		case "created":
			m.Created = isoTime(v)
		case "modified":
			m.Modified = isoTime(v)
		}
	})
	a.fields("docProps/app.xml", func(local, v string) {
		switch local {
		case "Application":
			m.Producer = v
		case "Pages":
			m.Pages, _ = strconv.Atoi(v)
		}
	})
}

func (a *archive) odtMeta() {
	m := &a.j.Res.Meta
	a.fields("meta.xml", func(local, v string) {
		switch local {
		case "title":
			m.Title = v
		case "initial-creator":
			m.Author = v
		case "creator":
			if m.Author == "" {
				m.Author = v
			}
		case "subject":
			m.Subject = v
		case "generator":
			m.Producer = v
		case "creation-date":
			m.Created = isoTime(v)
		case "date":
			m.Modified = isoTime(v)
		}
	})
}

func isoTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// fields calls f with the local name and text of every leaf element of a small XML part.
func (a *archive) fields(name string, f func(local, v string)) {
	if a.files[name] == nil {
		return
	}
	rc, err := a.open(name)
	if err != nil {
		return
	}
	defer rc.Close()
	dec := xml.NewDecoder(io.LimitReader(rc, 1<<20))
	dec.Strict = false
	var cur string
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			cur = t.Name.Local
			text.Reset()
		case xml.CharData:
			if text.Len() < 4096 {
				text.Write(t)
			}
		case xml.EndElement:
			if t.Name.Local == cur {
				f(cur, strings.TrimSpace(text.String()))
			}
			cur = ""
		}
	}
}

// xlsx writes each sheet's rows, cells separated by tabs, strings resolved through the
// shared string table; inline strings are read in place.
func (a *archive) xlsx() error {
	j := a.j
	var shared []string
	if a.files["xl/sharedStrings.xml"] != nil {
		var err error
		if shared, err = a.sharedStrings(); err != nil {
			j.Res.Halt(err)
		}
	}
	wb := a.readWorkbook()
	parts := a.numbered("xl/worksheets", "sheet")
	names := map[string]string{}
	if len(wb.sheets) > 0 {
		parts = parts[:0]
		for _, s := range wb.sheets {
			parts = append(parts, s.part)
			names[s.part] = s.name
		}
	}
	a.pages(parts, func(s string) error {
		if n := extractor.CleanMeta(names[s]); n != "" {
			a.j.Write(n + "\n")
		}
		return a.sheet(s, shared, wb)
	})
	return nil
}

// pages reads parts as the document's pages (PPTX slides, XLSX sheets), each ended by a form
// feed. A part that fails is a page error and reading goes on; the text cap, any limit
// reached, or the page cap ends the walk.
func (a *archive) pages(parts []string, read func(part string) error) {
	j := a.j
	j.Res.Meta.Pages = len(parts)
	for i, p := range parts {
		if j.Full() || extractor.IsLimit(j.Res.Stop) {
			break
		}
		if j.Lim.MaxPages > 0 && i >= j.Lim.MaxPages {
			j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitPages, Max: int64(j.Lim.MaxPages)})
			break
		}
		if err := read(p); err != nil {
			j.Res.AddPageError(i+1, err)
		}
		j.Write("\f")
	}
}

func (a *archive) sharedStrings() ([]string, error) {
	rc, err := a.open("xl/sharedStrings.xml")
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	dec.Strict = false
	var out []string
	var cur strings.Builder
	inT, inPh := false, 0
	total := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF || errors.Is(err, errLimit) {
				return out, nil
			}
			return out, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				cur.Reset()
			case "t":
				inT = true
			case "rPh":
				inPh++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				if len(out) >= 1<<20 || total > int(a.j.Lim.MaxStreamBytes) && a.j.Lim.MaxStreamBytes > 0 {
					a.j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitObjects, Max: int64(len(out))})
					return out, nil
				}
				out = append(out, cur.String())
				total += cur.Len()
			case "t":
				inT = false
			case "rPh":
				inPh--
			}
		case xml.CharData:
			if inT && inPh == 0 {
				cur.Write(t)
			}
		}
	}
}

func (a *archive) sheet(name string, shared []string, wb *workbook) error {
	rc, err := a.open(name)
	if errors.Is(err, errLimit) {
		return nil
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	dec.Strict = false
	var row strings.Builder
	var val strings.Builder
	cellType, style := "", -1
	inV, inIs := false, false
	cells := 0
	for n := 0; ; n++ {
		if n&1023 == 0 && a.j.Deadline() {
			return nil
		}
		tok, err := dec.Token()
		if err != nil {
			a.j.Write(row.String())
			if err == io.EOF || errors.Is(err, errLimit) {
				return nil
			}
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "c":
				cellType, style = "", -1
				for _, at := range t.Attr {
					switch at.Name.Local {
					case "t":
						cellType = at.Value
					case "s":
						if n, err := strconv.Atoi(at.Value); err == nil {
							style = n
						}
					}
				}
				val.Reset()
			case "v":
				inV = true
			case "is":
				inIs = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inV = false
			case "is":
				inIs = false
			case "c":
				v := val.String()
				switch cellType {
				case "s":
					i, err := strconv.Atoi(strings.TrimSpace(v))
					if err == nil && i >= 0 && i < len(shared) {
						v = shared[i]
					} else {
						v = ""
					}
				case "", "n":
					if v != "" {
						v = wb.formatNumber(v, style)
					}
				case "b":
					switch strings.TrimSpace(v) {
					case "1":
						v = "TRUE"
					case "0":
						v = "FALSE"
					}
				}
				if cells > 0 {
					row.WriteByte('\t')
				}
				row.WriteString(v)
				cells++
			case "row":
				if cells > 0 {
					row.WriteByte('\n')
					if !a.j.Write(row.String()) {
						return nil
					}
				}
				row.Reset()
				cells = 0
			}
		case xml.CharData:
			if inV || inIs {
				val.Write(t)
			}
		}
	}
}
