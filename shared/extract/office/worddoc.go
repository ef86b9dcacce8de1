package office

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
	"golang.org/x/text/encoding/charmap"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// ReadDOC reads the text of a Word 97-2003 document (.doc): the FIB of the WordDocument
// stream locates the piece table (Clx) in the 0Table or 1Table stream; each piece is
// UTF-16LE or, when compressed, Windows-1252. The main text, footnotes, headers, comments,
// endnotes and text boxes are read in that order; field codes are dropped and their
// results kept; cell marks become tabs, paragraph marks line breaks. Encrypted documents
// give an error wrapping extractor.ErrEncrypted.
func ReadDOC(j *extractor.Job) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &extractor.PanicError{Value: v}
		}
	}()
	doc, err := mscfb.New(io.NewSectionReader(j.R, 0, j.Size))
	if err != nil {
		return err
	}
	streams := map[string][]byte{}
	for entry, err := doc.Next(); err == nil; entry, err = doc.Next() {
		if j.Object() {
			break
		}
		if len(entry.Path) == 0 && (entry.Name == "WordDocument" || entry.Name == "0Table" || entry.Name == "1Table") {
			b, rerr := extractor.ReadCapped(entry, j.Lim.MaxInMemory)
			if rerr != nil {
				return fmt.Errorf("%s: %w", entry.Name, rerr)
			}
			streams[entry.Name] = b
		}
	}
	wd := streams["WordDocument"]
	if len(wd) < 0x1a2+8 || binary.LittleEndian.Uint16(wd) != 0xa5ec {
		return errors.New("no Word 97-2003 FIB in the WordDocument stream")
	}
	flags := binary.LittleEndian.Uint16(wd[0x0a:])
	if flags&0x0100 != 0 {
		return fmt.Errorf("word document: %w", extractor.ErrEncrypted)
	}
	table := streams["0Table"]
	if flags&0x0200 != 0 {
		table = streams["1Table"]
	}
	// FibBase (32 bytes), csw and FibRgW97, cslw and FibRgLw97, cbRgFcLcb and FibRgFcLcb.
	off := 32
	csw := int(binary.LittleEndian.Uint16(wd[off:]))
	off += 2 + 2*csw
	if off+2 > len(wd) {
		return errors.New("FIB cut short")
	}
	cslw := int(binary.LittleEndian.Uint16(wd[off:]))
	lw := off + 2
	off = lw + 4*cslw
	if cslw < 10 || off+2+34*8 > len(wd) {
		return errors.New("FIB cut short")
	}
	var total int64
	for i := 3; i <= 10; i++ { // ccpText, ccpFtn, ccpHdd, ccpMcr, ccpAtn, ccpEdn, ccpTxbx, ccpHdrTxbx
		total += int64(binary.LittleEndian.Uint32(wd[lw+4*i:]))
	}
	fc := off + 2 + 33*8 // fcClx, lcbClx
	fcClx := int64(binary.LittleEndian.Uint32(wd[fc:]))
	lcbClx := int64(binary.LittleEndian.Uint32(wd[fc+4:]))
	if fcClx+lcbClx > int64(len(table)) || lcbClx <= 0 {
		return errors.New("piece table outside the table stream")
	}
	clx := table[fcClx : fcClx+lcbClx]
	for len(clx) > 0 && clx[0] == 0x01 { // Prc: property modifiers, skipped
		if len(clx) < 3 {
			return errors.New("damaged Clx")
		}
		n := int(binary.LittleEndian.Uint16(clx[1:]))
		if 3+n > len(clx) {
			return errors.New("damaged Clx")
		}
		clx = clx[3+n:]
	}
	if len(clx) < 5 || clx[0] != 0x02 {
		return errors.New("no piece table in the Clx")
	}
	lcb := int(binary.LittleEndian.Uint32(clx[1:]))
	plc := clx[5:]
	if lcb > len(plc) || lcb < 16 {
		return errors.New("damaged piece table")
	}
	n := (lcb - 4) / 12
	w := &docWriter{j: j}
	var done int64
	for i := 0; i < n && done < total && !j.Full(); i++ {
		if i&255 == 0 && j.Deadline() {
			break
		}
		cp0 := int64(binary.LittleEndian.Uint32(plc[4*i:]))
		cp1 := int64(binary.LittleEndian.Uint32(plc[4*(i+1):]))
		if cp1 <= cp0 {
			continue
		}
		count := min(cp1-cp0, total-done)
		pcd := plc[4*(n+1)+8*i:]
		raw := binary.LittleEndian.Uint32(pcd[2:])
		var text string
		if raw&0x40000000 != 0 { // compressed: one byte per character
			start := int64(raw&0x3fffffff) / 2
			if start+count > int64(len(wd)) {
				j.Res.Halt(fmt.Errorf("piece %d outside the document stream", i))
				break
			}
			text = compressedText(wd[start : start+count])
		} else {
			start := int64(raw)
			if start+2*count > int64(len(wd)) {
				j.Res.Halt(fmt.Errorf("piece %d outside the document stream", i))
				break
			}
			u := make([]uint16, count)
			for k := range u {
				u[k] = binary.LittleEndian.Uint16(wd[start+2*int64(k):])
			}
			text = string(utf16.Decode(u))
		}
		w.write(text)
		done += count
	}
	w.flush()
	return nil
}

// compressedText decodes a compressed piece: Windows-1252, but for the bytes that
// [MS-DOC] 2.4.1 maps to other code points.
func compressedText(b []byte) string {
	out, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	return string(out)
}

// docWriter turns Word's control characters into text: fields keep only their result.
type docWriter struct {
	j     *extractor.Job
	b     strings.Builder
	field []bool // per open field: true while in its code (before the separator)
}

func (w *docWriter) write(s string) {
	for _, r := range s {
		switch r {
		case 0x13: // field begin
			if len(w.field) < 64 {
				w.field = append(w.field, true)
			}
			continue
		case 0x14: // field separator: the result follows
			if len(w.field) > 0 {
				w.field[len(w.field)-1] = false
			}
			continue
		case 0x15: // field end
			if len(w.field) > 0 {
				w.field = w.field[:len(w.field)-1]
			}
			continue
		}
		if len(w.field) > 0 && w.field[len(w.field)-1] {
			continue
		}
		switch r {
		case '\r', 0x0b:
			w.b.WriteByte('\n')
		case 0x07:
			w.b.WriteByte('\t')
		case 0x0c:
			w.b.WriteString("\n")
		case 0x1e:
			w.b.WriteByte('-')
		case 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x1f, 0x00:
		default:
			w.b.WriteRune(r)
		}
		if w.b.Len() > 64<<10 {
			w.flush()
		}
	}
}

func (w *docWriter) flush() {
	w.j.Write(w.b.String())
	w.b.Reset()
}
