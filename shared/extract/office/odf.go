package office

import (
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/evx-project/evx/shared/extract/html"
	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// maxRepeat bounds the repetition counts of ODF tables (number-columns-repeated and
// number-rows-repeated), which spreadsheets set to a million for the empty rest of a sheet.
const maxRepeat = 1000

// ods writes each table of an OpenDocument spreadsheet as a page: its name, then its rows,
// cells separated by tabs, as the cells display (their text:p), trailing empty cells and
// rows dropped.
func (a *archive) ods() error {
	rc, err := a.open("content.xml")
	if errors.Is(err, errLimit) {
		return nil
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	j := a.j
	dec := xml.NewDecoder(rc)
	dec.Strict = false
	var row, cell strings.Builder
	emptyCells := 0 // empty cells not yet written: written only if a later cell has text
	rowRepeat, colRepeat := 1, 1
	inCell, paras := false, 0
	tables := 0
	for n := 0; ; n++ {
		if n&1023 == 0 && j.Deadline() || j.Full() {
			return nil
		}
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF || errors.Is(err, errLimit) {
				return nil
			}
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "table":
				tables++
				j.Res.Meta.Pages = tables
				if j.Lim.MaxPages > 0 && tables > j.Lim.MaxPages {
					j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitPages, Max: int64(j.Lim.MaxPages)})
					return nil
				}
				if name := extractor.CleanMeta(attrAny(t, "name")); name != "" {
					j.Write(name + "\n")
				}
			case "table-row":
				row.Reset()
				emptyCells = 0
				rowRepeat = repeat(attrAny(t, "number-rows-repeated"))
			case "table-cell", "covered-table-cell":
				inCell, paras = true, 0
				cell.Reset()
				colRepeat = repeat(attrAny(t, "number-columns-repeated"))
			case "p", "h":
				if inCell && paras > 0 {
					cell.WriteByte(' ')
				}
				paras++
			case "s":
				if inCell {
					cell.WriteByte(' ')
				}
			case "tab":
				if inCell {
					cell.WriteByte(' ')
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "table-cell", "covered-table-cell":
				inCell = false
				v := strings.TrimSpace(cell.String())
				if v == "" {
					emptyCells += colRepeat
					continue
				}
				for k := 0; k < colRepeat; k++ {
					if row.Len() > 0 || emptyCells > 0 {
						row.WriteString(strings.Repeat("\t", min(emptyCells, maxRepeat)+1))
						emptyCells = 0
					}
					row.WriteString(v)
				}
			case "table-row":
				if row.Len() > 0 {
					line := strings.TrimPrefix(row.String(), "\t") + "\n"
					for k := 0; k < rowRepeat; k++ {
						if !j.Write(line) {
							return nil
						}
					}
				}
			case "table":
				j.Write("\f")
			}
		case xml.CharData:
			if inCell {
				cell.Write(t)
			}
		}
	}
}

// attrAny returns an attribute of that local name in any namespace (ODF's table:name).
func attrAny(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func repeat(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxRepeat)
}

// odp writes each page (draw:page) of an OpenDocument presentation as a page, its
// paragraphs as lines; speaker notes are left out.
func (a *archive) odp() error {
	rules := xmlRules{skip: set("notes", "tracked-changes", "annotation"), lines: set("p", "h"), tabs: set("tab"),
		brs: set("line-break"), space: set("s"), pages: set("page")}
	return a.xmlText("content.xml", rules)
}

// epub reads the documents of an EPUB's spine in reading order, as HTML, with the
// package's title, creator and date as metadata.
func (a *archive) epub() error {
	j := a.j
	opf := ""
	a.elements("META-INF/container.xml", func(t xml.StartElement) {
		if t.Name.Local == "rootfile" && opf == "" {
			opf = attr(t, "full-path")
		}
	})
	if opf == "" || a.files[opf] == nil {
		return errors.New("epub: no package document in META-INF/container.xml")
	}
	base := path.Dir(opf)
	items := map[string]string{}
	var spine []string
	var field string
	m := &j.Res.Meta
	a.tokens(opf, func(tok xml.Token) {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "item":
				if len(items) < 1<<16 {
					items[attr(t, "id")] = path.Join(base, attr(t, "href"))
				}
			case "itemref":
				if len(spine) < 1<<16 {
					spine = append(spine, attr(t, "idref"))
				}
			case "title", "creator", "date", "publisher":
				field = t.Name.Local
			}
		case xml.EndElement:
			field = ""
		case xml.CharData:
			v := extractor.CleanMeta(string(t))
			switch {
			case v == "":
			case field == "title" && m.Title == "":
				m.Title = v
			case field == "creator" && m.Author == "":
				m.Author = v
			case field == "date" && m.Created.IsZero():
				m.Created = isoTime(v)
			case field == "publisher" && m.Producer == "":
				m.Producer = v
			}
		}
	})
	m.Pages = len(spine)
	for i, id := range spine {
		if j.Full() || j.Deadline() || extractor.IsLimit(j.Res.Stop) {
			break
		}
		if j.Lim.MaxPages > 0 && i >= j.Lim.MaxPages {
			j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitPages, Max: int64(j.Lim.MaxPages)})
			break
		}
		name := items[id]
		if a.files[name] == nil {
			j.Res.AddPageError(i+1, errors.New("spine item "+id+" missing"))
			continue
		}
		rc, err := a.open(name)
		if err != nil {
			if !errors.Is(err, errLimit) {
				j.Res.AddPageError(i+1, err)
			}
			continue
		}
		raw, err := io.ReadAll(rc)
		rc.Close()
		if err != nil && len(raw) == 0 {
			j.Res.AddPageError(i+1, err)
			continue
		}
		text, _ := html.Text(raw, "text/html; charset=utf-8")
		j.Write(text)
		j.Write("\f")
	}
	return nil
}
