package office

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
)

// workbook is what xl/workbook.xml, its relationships and xl/styles.xml say about the
// sheets and how their numbers are shown.
type workbook struct {
	sheets   []sheetRef // in the workbook's order
	date1904 bool
	xfFormat []int          // cell style index to number format id
	formats  map[int]string // custom number formats by id
}

type sheetRef struct{ name, part string }

// readWorkbook reads the sheet names and parts and the number formats. A part that is
// missing or damaged leaves its piece empty: the caller falls back to numbered sheets and
// general numbers.
func (a *archive) readWorkbook() *workbook {
	wb := &workbook{formats: map[int]string{}}
	rels := map[string]string{}
	a.elements("xl/_rels/workbook.xml.rels", func(t xml.StartElement) {
		if t.Name.Local == "Relationship" {
			rels[attr(t, "Id")] = attr(t, "Target")
		}
	})
	a.elements("xl/workbook.xml", func(t xml.StartElement) {
		switch t.Name.Local {
		case "workbookPr":
			v := attr(t, "date1904")
			wb.date1904 = v == "1" || v == "true"
		case "sheet":
			target := rels[attrNS(t, "id")]
			if target == "" {
				return
			}
			part := path.Clean("xl/" + target)
			if strings.HasPrefix(target, "/") {
				part = strings.TrimPrefix(target, "/")
			}
			if a.files[part] != nil && len(wb.sheets) < 1<<16 {
				wb.sheets = append(wb.sheets, sheetRef{attr(t, "name"), part})
			}
		}
	})
	inXfs := false
	a.tokens("xl/styles.xml", func(tok xml.Token) {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmt":
				if id, err := strconv.Atoi(attr(t, "numFmtId")); err == nil && len(wb.formats) < 1<<16 {
					wb.formats[id] = attr(t, "formatCode")
				}
			case "cellXfs":
				inXfs = true
			case "xf":
				if inXfs && len(wb.xfFormat) < 1<<16 {
					id, _ := strconv.Atoi(attr(t, "numFmtId"))
					wb.xfFormat = append(wb.xfFormat, id)
				}
			}
		case xml.EndElement:
			if t.Name.Local == "cellXfs" {
				inXfs = false
			}
		}
	})
	return wb
}

func attr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// attrNS returns an attribute of that local name in any namespace (r:id).
func attrNS(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local && a.Name.Space != "" {
			return a.Value
		}
	}
	return ""
}

// elements calls f for each start element of a member, under the archive limits.
func (a *archive) elements(name string, f func(xml.StartElement)) {
	a.tokens(name, func(tok xml.Token) {
		if t, ok := tok.(xml.StartElement); ok {
			f(t)
		}
	})
}

func (a *archive) tokens(name string, f func(xml.Token)) {
	if a.files[name] == nil {
		return
	}
	rc, err := a.open(name)
	if err != nil {
		return
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	dec.Strict = false
	for n := 0; ; n++ {
		if n&1023 == 0 && a.j.Deadline() {
			return
		}
		tok, err := dec.Token()
		if err != nil {
			if err != io.EOF && !errors.Is(err, errLimit) {
				a.j.Res.Halt(err)
			}
			return
		}
		f(tok)
	}
}

// formatNumber shows a numeric cell as its number format says: dates and times as dates
// and times, percentages, fixed decimals; anything else with up to 15 significant digits,
// as Excel shows a General cell.
func (wb *workbook) formatNumber(v string, style int) string {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return v
	}
	code := ""
	if wb != nil && style >= 0 && style < len(wb.xfFormat) {
		id := wb.xfFormat[style]
		if c, ok := wb.formats[id]; ok {
			code = c
		} else {
			code = builtinFormats[id]
		}
	}
	section, _, _ := strings.Cut(code, ";")
	clean := stripLiterals(section)
	switch {
	case isDateFormat(clean):
		return wb.formatDate(f, section)
	case strings.Contains(clean, "%"):
		return strconv.FormatFloat(f*100, 'f', decimals(clean), 64) + "%"
	case strings.Contains(clean, "0"):
		s := strconv.FormatFloat(f, 'f', decimals(clean), 64)
		if strings.Contains(clean, ",") {
			s = thousands(s)
		}
		return s
	}
	return strconv.FormatFloat(f, 'g', 15, 64)
}

// builtinFormats are the number formats ECMA-376 predefines that change how a number
// reads; the locale-dependent dates show as ISO dates.
var builtinFormats = map[int]string{
	1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
	14: "yyyy-mm-dd", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
	19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "yyyy-mm-dd h:mm", 45: "mm:ss",
	46: "[h]:mm:ss", 47: "mm:ss.0", 27: "yyyy-mm-dd", 30: "yyyy-mm-dd", 36: "yyyy-mm-dd",
	50: "yyyy-mm-dd", 57: "yyyy-mm-dd", 58: "yyyy-mm-dd",
}

// stripLiterals drops quoted text, escaped characters and [colour] or [$-locale] blocks
// (keeping [h], [m], [s] elapsed-time blocks) from a format section.
func stripLiterals(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			if k := strings.IndexByte(s[i+1:], '"'); k >= 0 {
				i += k + 1
			} else {
				i = len(s)
			}
		case '\\':
			if i+1 < len(s) && !isLetter(s[i+1]) {
				b.WriteByte(s[i+1])
			}
			i++
		case '_', '*':
			i++
		case '[':
			k := strings.IndexByte(s[i:], ']')
			if k < 0 {
				return b.String()
			}
			inner := strings.ToLower(s[i+1 : i+k])
			if inner == "h" || inner == "hh" || inner == "m" || inner == "mm" || inner == "s" || inner == "ss" {
				b.WriteString(inner)
			}
			i += k
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDateFormat(clean string) bool {
	l := strings.ToLower(clean)
	if l == "general" || strings.Contains(l, "e+") {
		return false
	}
	return strings.ContainsAny(l, "dyhs") || strings.Contains(l, "m") && !strings.Contains(l, "0")
}

func decimals(clean string) int {
	i := strings.IndexByte(clean, '.')
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range clean[i+1:] {
		if c != '0' && c != '#' && c != '?' {
			break
		}
		n++
	}
	return n
}

func thousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// serialTime turns a spreadsheet serial number into a time: days since 1899-12-30 (the
// 1900 system, whose day 60 is the 29 February 1900 that never was) or since 1904-01-01.
func (wb *workbook) serialTime(f float64) (time.Time, bool) {
	if f < 0 || f > 2958465 { // 9999-12-31
		return time.Time{}, false
	}
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if wb != nil && wb.date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	} else if f < 61 {
		base = base.AddDate(0, 0, 1)
	}
	days := math.Floor(f)
	ms := math.Round((f - days) * 86400000)
	return base.AddDate(0, 0, int(days)).Add(time.Duration(ms) * time.Millisecond), true
}

// formatDate renders a serial number with a date or time format code.
func (wb *workbook) formatDate(f float64, section string) string {
	t, ok := wb.serialTime(f)
	if !ok {
		return strconv.FormatFloat(f, 'g', 15, 64)
	}
	code := section
	lower := strings.ToLower(code)
	ampm := strings.Contains(lower, "am/pm") || strings.Contains(lower, "a/p")
	var b strings.Builder
	lastHour := false
	for i := 0; i < len(code); {
		switch code[i] {
		case '"': // literal text
			k := strings.IndexByte(code[i+1:], '"')
			if k < 0 {
				k = len(code) - i - 1
			}
			b.WriteString(code[i+1 : i+1+k])
			i += k + 2
			continue
		case '\\':
			if i+1 < len(code) {
				b.WriteByte(code[i+1])
			}
			i += 2
			continue
		case '_':
			b.WriteByte(' ')
			i += 2
			continue
		case '*':
			i += 2
			continue
		case '[':
			k := strings.IndexByte(code[i:], ']')
			if k < 0 {
				i = len(code)
				continue
			}
			inner := lower[i+1 : i+k]
			if inner == "h" || inner == "hh" { // elapsed hours
				b.WriteString(strconv.Itoa(int(f * 24)))
				lastHour = true
			}
			i += k + 1
			continue
		}
		c := lower[i]
		n := 1
		for i+n < len(code) && lower[i+n] == c {
			n++
		}
		switch c {
		case 'y':
			if n <= 2 {
				b.WriteString(t.Format("06"))
			} else {
				b.WriteString(t.Format("2006"))
			}
		case 'm':
			minute := lastHour || strings.HasPrefix(strings.TrimLeft(lower[i+n:], ":. "), "s")
			switch {
			case minute && n == 1:
				b.WriteString(strconv.Itoa(t.Minute()))
			case minute:
				b.WriteString(t.Format("04"))
			case n == 1:
				b.WriteString(strconv.Itoa(int(t.Month())))
			case n == 2:
				b.WriteString(t.Format("01"))
			case n == 3:
				b.WriteString(t.Format("Jan"))
			case n == 5:
				b.WriteString(t.Format("January")[:1])
			default:
				b.WriteString(t.Format("January"))
			}
		case 'd':
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(t.Day()))
			case 2:
				b.WriteString(t.Format("02"))
			case 3:
				b.WriteString(t.Format("Mon"))
			default:
				b.WriteString(t.Format("Monday"))
			}
		case 'h':
			h := t.Hour()
			if ampm {
				h = (h+11)%12 + 1
			}
			if n >= 2 {
				b.WriteString(strconv.Itoa(h/10) + strconv.Itoa(h%10))
			} else {
				b.WriteString(strconv.Itoa(h))
			}
		case 's':
			if n >= 2 {
				b.WriteString(t.Format("05"))
			} else {
				b.WriteString(strconv.Itoa(t.Second()))
			}
		case 'a':
			if strings.HasPrefix(lower[i:], "am/pm") {
				b.WriteString(t.Format("PM"))
				n = 5
			} else if strings.HasPrefix(lower[i:], "a/p") {
				b.WriteString(t.Format("PM")[:1])
				n = 3
			} else {
				b.WriteString(code[i : i+n])
			}
		default:
			b.WriteString(code[i : i+n])
		}
		if c != ':' && c != ' ' && c != '.' {
			lastHour = c == 'h'
		}
		i += n
	}
	return strings.TrimSpace(b.String())
}
