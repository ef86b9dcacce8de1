package office

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
	"golang.org/x/text/encoding/charmap"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// BIFF8 record types read ([MS-XLS] 2.3).
const (
	recBOF        = 0x0809
	recEOF        = 0x000A
	recBoundSheet = 0x0085
	recSST        = 0x00FC
	recContinue   = 0x003C
	recLabelSST   = 0x00FD
	recLabel      = 0x0204
	recNumber     = 0x0203
	recRK         = 0x027E
	recMulRK      = 0x00BD
	recFormula    = 0x0006
	recString     = 0x0207
	recBoolErr    = 0x0205
	recXF         = 0x00E0
	recFormat     = 0x041E
	recDateMode   = 0x0022
	recFilePass   = 0x002F
)

// maxXLSCells bounds the cells kept of one sheet.
const maxXLSCells = 1 << 20

// ReadXLS reads an Excel 97-2003 workbook (.xls, BIFF8 in the Workbook stream): each sheet
// under its name as a page, rows of cells separated by tabs, shared strings resolved,
// numbers shown by their number formats (dates as dates) as for XLSX, formulas by their
// cached results. An encrypted workbook gives an error wrapping extractor.ErrEncrypted.
func ReadXLS(j *extractor.Job) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &extractor.PanicError{Value: v}
		}
	}()
	doc, err := mscfb.New(io.NewSectionReader(j.R, 0, j.Size))
	if err != nil {
		return err
	}
	var wbs []byte
	for entry, err := doc.Next(); err == nil; entry, err = doc.Next() {
		if len(entry.Path) == 0 && (entry.Name == "Workbook" || entry.Name == "Book") {
			if wbs, err = extractor.ReadCapped(entry, j.Lim.MaxInMemory); err != nil {
				return fmt.Errorf("workbook stream: %w", err)
			}
			break
		}
	}
	if len(wbs) < 8 || binary.LittleEndian.Uint16(wbs) != recBOF {
		return errors.New("no BIFF workbook stream")
	}
	x := &xlsBook{j: j, wb: &workbook{formats: map[int]string{}}}
	return x.read(wbs)
}

type xlsBook struct {
	j      *extractor.Job
	wb     *workbook
	sst    []string
	sheets []string // names in BOUNDSHEET order
}

type xlsCell struct {
	row, col int
	v        string
}

func (x *xlsBook) read(b []byte) error {
	j := x.j
	var cells []xlsCell
	sheet := -1
	inSheet := false
	var pendingFormula *xlsCell
	var sstData [][]byte // the SST record and its CONTINUE records
	inSST := false
	flushSheet := func() {
		if sheet < 0 {
			return
		}
		if j.Lim.MaxPages > 0 && sheet >= j.Lim.MaxPages {
			j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitPages, Max: int64(j.Lim.MaxPages)})
			return
		}
		if sheet < len(x.sheets) && x.sheets[sheet] != "" {
			j.Write(extractor.CleanMeta(x.sheets[sheet]) + "\n")
		}
		writeCells(j, cells)
		j.Write("\f")
		cells = cells[:0]
	}
	for off := 0; off+4 <= len(b); {
		if off&0xffff < 4 && j.Deadline() {
			break
		}
		typ := binary.LittleEndian.Uint16(b[off:])
		n := int(binary.LittleEndian.Uint16(b[off+2:]))
		if off+4+n > len(b) {
			break
		}
		d := b[off+4 : off+4+n]
		off += 4 + n
		if inSST && typ != recContinue {
			x.sst = parseSST(sstData)
			inSST = false
		}
		switch typ {
		case recFilePass:
			return fmt.Errorf("excel workbook: %w", extractor.ErrEncrypted)
		case recBOF:
			if len(d) >= 4 && binary.LittleEndian.Uint16(d[2:]) == 0x0010 {
				sheet++
				inSheet = true
			}
		case recEOF:
			if inSheet {
				flushSheet()
				inSheet = false
			}
		case recBoundSheet:
			if len(d) >= 8 && len(x.sheets) < 1<<16 {
				x.sheets = append(x.sheets, shortString(d[6:]))
			}
		case recSST:
			sstData, inSST = [][]byte{d}, true
		case recContinue:
			if inSST {
				sstData = append(sstData, d)
			}
		case recDateMode:
			x.wb.date1904 = len(d) >= 2 && binary.LittleEndian.Uint16(d) == 1
		case recXF:
			if len(d) >= 4 && len(x.wb.xfFormat) < 1<<16 {
				x.wb.xfFormat = append(x.wb.xfFormat, int(binary.LittleEndian.Uint16(d[2:])))
			}
		case recFormat:
			if len(d) >= 5 && len(x.wb.formats) < 1<<16 {
				x.wb.formats[int(binary.LittleEndian.Uint16(d))] = unicodeString(d[2:])
			}
		}
		if !inSheet || len(cells) >= maxXLSCells {
			continue
		}
		if len(d) < 6 {
			continue
		}
		row, col, xf := int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:])), int(binary.LittleEndian.Uint16(d[4:]))
		switch typ {
		case recLabelSST:
			if len(d) >= 10 {
				if i := int(binary.LittleEndian.Uint32(d[6:])); i < len(x.sst) {
					cells = append(cells, xlsCell{row, col, x.sst[i]})
				}
			}
		case recLabel:
			cells = append(cells, xlsCell{row, col, unicodeString(d[6:])})
		case recNumber:
			if len(d) >= 14 {
				f := math.Float64frombits(binary.LittleEndian.Uint64(d[6:]))
				cells = append(cells, xlsCell{row, col, x.wb.formatNumber(strconv.FormatFloat(f, 'g', -1, 64), xf)})
			}
		case recRK:
			if len(d) >= 10 {
				cells = append(cells, xlsCell{row, col, x.wb.formatNumber(rk(binary.LittleEndian.Uint32(d[6:])), xf)})
			}
		case recMulRK:
			for k := 0; 4+6*k+6 <= len(d)-2; k++ {
				p := d[4+6*k:]
				cells = append(cells, xlsCell{row, col + k, x.wb.formatNumber(rk(binary.LittleEndian.Uint32(p[2:])), int(binary.LittleEndian.Uint16(p)))})
			}
		case recFormula:
			if len(d) >= 14 {
				r := d[6:14]
				if r[6] == 0xff && r[7] == 0xff {
					switch r[0] {
					case 0: // a string, in the STRING record that follows
						pendingFormula = &xlsCell{row, col, ""}
					case 1:
						cells = append(cells, xlsCell{row, col, map[bool]string{true: "TRUE", false: "FALSE"}[r[2] != 0]})
					}
				} else {
					f := math.Float64frombits(binary.LittleEndian.Uint64(r))
					cells = append(cells, xlsCell{row, col, x.wb.formatNumber(strconv.FormatFloat(f, 'g', -1, 64), xf)})
				}
			}
		case recBoolErr:
			if len(d) >= 8 && d[7] == 0 {
				cells = append(cells, xlsCell{row, col, map[bool]string{true: "TRUE", false: "FALSE"}[d[6] != 0]})
			}
		}
		if typ == recString && pendingFormula != nil {
			pendingFormula.v = unicodeString(d)
			cells = append(cells, *pendingFormula)
			pendingFormula = nil
		}
	}
	if inSheet {
		flushSheet()
	}
	j.Res.Meta.Pages = len(x.sheets)
	return nil
}

// writeCells writes the cells of a sheet row by row, tab-separated, in order.
func writeCells(j *extractor.Job, cells []xlsCell) {
	sort.SliceStable(cells, func(a, b int) bool {
		if cells[a].row != cells[b].row {
			return cells[a].row < cells[b].row
		}
		return cells[a].col < cells[b].col
	})
	var line strings.Builder
	for i, c := range cells {
		if i > 0 && c.row == cells[i-1].row {
			line.WriteString(strings.Repeat("\t", min(c.col-cells[i-1].col, 256)))
		} else {
			line.WriteString(strings.Repeat("\t", min(c.col, 256)))
		}
		line.WriteString(c.v)
		if i == len(cells)-1 || cells[i+1].row != c.row {
			line.WriteByte('\n')
			if !j.Write(line.String()) {
				return
			}
			line.Reset()
		}
	}
}

// rk decodes an RK number: 30 bits of an integer or of a float's high bits, optionally /100.
func rk(v uint32) string {
	var f float64
	if v&2 != 0 {
		f = float64(int32(v) >> 2)
	} else {
		f = math.Float64frombits(uint64(v&0xfffffffc) << 32)
	}
	if v&1 != 0 {
		f /= 100
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// shortString reads a ShortXLUnicodeString: cch (1 byte), flags, characters.
func shortString(d []byte) string {
	if len(d) < 2 {
		return ""
	}
	s, _ := chars(d[2:], int(d[0]), d[1]&1 != 0)
	return s
}

// unicodeString reads an XLUnicodeString: cch (2 bytes), flags, characters.
func unicodeString(d []byte) string {
	if len(d) < 3 {
		return ""
	}
	s, _ := chars(d[3:], int(binary.LittleEndian.Uint16(d)), d[2]&1 != 0)
	return s
}

// chars reads n characters, UTF-16LE when wide, else Latin-1 bytes; it returns the text
// and the bytes used (fewer characters when d ends first).
func chars(d []byte, n int, wide bool) (string, int) {
	if wide {
		n = min(n, len(d)/2)
		u := make([]uint16, n)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(d[2*i:])
		}
		return string(utf16.Decode(u)), 2 * n
	}
	n = min(n, len(d))
	out, _ := charmap.ISO8859_1.NewDecoder().Bytes(d[:n])
	return string(out), n
}

// parseSST reads the shared strings of an SST record and its CONTINUE records. A string's
// characters may run into the next record, which then starts with a new flags byte.
func parseSST(recs [][]byte) []string {
	if len(recs) == 0 || len(recs[0]) < 8 {
		return nil
	}
	unique := int(binary.LittleEndian.Uint32(recs[0][4:]))
	ri, d := 0, recs[0][8:]
	next := func() bool {
		ri++
		if ri >= len(recs) {
			return false
		}
		d = recs[ri]
		return true
	}
	out := make([]string, 0, min(unique, 1<<16))
	for len(out) < unique && len(out) < 1<<20 {
		if len(d) < 3 && !(len(d) == 0 && next()) {
			break
		}
		if len(d) < 3 {
			break
		}
		cch := int(binary.LittleEndian.Uint16(d))
		flags := d[2]
		d = d[3:]
		var runs, ext int
		if flags&0x08 != 0 && len(d) >= 2 {
			runs = int(binary.LittleEndian.Uint16(d))
			d = d[2:]
		}
		if flags&0x04 != 0 && len(d) >= 4 {
			ext = int(binary.LittleEndian.Uint32(d))
			d = d[4:]
		}
		var sb strings.Builder
		left := cch
		wide := flags&1 != 0
		for left > 0 {
			s, used := chars(d, left, wide)
			sb.WriteString(s)
			d = d[used:]
			if wide {
				left -= used / 2
			} else {
				left -= used
			}
			if left > 0 {
				if !next() || len(d) < 1 {
					out = append(out, sb.String())
					return out
				}
				wide = d[0]&1 != 0
				d = d[1:]
			}
		}
		out = append(out, sb.String())
		skip := 4*runs + ext
		for skip > 0 {
			k := min(skip, len(d))
			d = d[k:]
			skip -= k
			if skip > 0 && !next() {
				return out
			}
		}
	}
	return out
}
