package office

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// maxRTFDepth bounds group nesting; deeper groups are read as part of their parent.
const maxRTFDepth = 512

// ReadRTF reads the text of an RTF document: control words become line breaks, tabs and
// punctuation, \'hh bytes are decoded in the code page of the current font (\fcharset) or
// of the document (\ansicpg), \uN escapes are Unicode with \ucN fallback characters
// skipped, and destinations that hold no text (font and colour tables, style sheets,
// pictures, objects, field instructions, any \* destination) are skipped. The \info group
// gives the metadata.
func ReadRTF(j *extractor.Job) error {
	raw, err := j.ReadAll(j.Lim.MaxInMemory)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte(`{\rtf`)) {
		return errNotRTF
	}
	p := &rtfParser{j: j, src: raw, docCP: 1252, fonts: map[int]int{}}
	p.run()
	p.flush()
	return nil
}

var errNotRTF = rtfError("no {\\rtf header")

type rtfError string

func (e rtfError) Error() string { return string(e) }

type rtfState struct {
	skip  bool // inside a destination without text
	uc    int  // fallback characters after \u
	cp    int  // code page of the current font
	dest  string
	font  int
	inFnt bool // inside \fonttbl: \fN \fcharsetM define fonts
}

type rtfParser struct {
	skipFallback int // fallback characters of the last \uN still to drop
	j            *extractor.Job
	src          []byte
	pos          int
	docCP        int
	fonts        map[int]int // font number to code page
	st           rtfState
	stack        []rtfState
	bytes        []byte // \'hh bytes waiting to be decoded together (double-byte code pages)
	out          strings.Builder
	info         strings.Builder // text of the current \info field
	pending      rune            // a high surrogate from \u
	date         [5]int          // \yr \mo \dy \hr \min of the current \creatim or \revtim
}

var rtfSkip = map[string]bool{
	"fonttbl": true, "colortbl": true, "stylesheet": true, "pict": true, "object": true,
	"fldinst": true, "themedata": true, "colorschememapping": true, "datastore": true,
	"latentstyles": true, "listtable": true, "listoverridetable": true, "rsidtbl": true,
	"generator": true, "xmlnstbl": true, "mmathPr": true, "revtbl": true, "filetbl": true,
	"nonshppict": true, "bkmkstart": true, "bkmkend": true, "header": true, "footer": true,
	"headerl": true, "headerr": true, "headerf": true, "footerl": true, "footerr": true,
	"footerf": true, "pgdsctbl": true, "listtext": true, "pntext": true, "operator": true,
	"comment": true, "company": true, "doccomm": true, "keywords": true, "category": true,
	"manager": true, "hlinkbase": true, "userprops": true, "wgrffmtfilter": true, "xe": true,
	"tc": true, "private": true, "sp": true, "sn": true, "sv": true, "blipuid": true,
}

var rtfInfo = map[string]bool{"title": true, "author": true, "subject": true, "creatim": true, "revtim": true}

// fcharsetCP maps \fcharset values to Windows code pages.
var fcharsetCP = map[int]int{0: 1252, 1: 0, 2: 0, 77: 10000, 128: 932, 129: 949, 134: 936, 136: 950,
	161: 1253, 162: 1254, 163: 1258, 177: 1255, 178: 1256, 186: 1257, 204: 1251, 222: 874, 238: 1250}

func codePage(cp int) encoding.Encoding {
	switch cp {
	case 1250:
		return charmap.Windows1250
	case 1251:
		return charmap.Windows1251
	case 1253:
		return charmap.Windows1253
	case 1254:
		return charmap.Windows1254
	case 1255:
		return charmap.Windows1255
	case 1256:
		return charmap.Windows1256
	case 1257:
		return charmap.Windows1257
	case 1258:
		return charmap.Windows1258
	case 874:
		return charmap.Windows874
	case 866:
		return charmap.CodePage866
	case 10000:
		return charmap.Macintosh
	case 932:
		return japanese.ShiftJIS
	case 936:
		return simplifiedchinese.GBK
	case 949:
		return korean.EUCKR
	case 950:
		return traditionalchinese.Big5
	}
	return charmap.Windows1252
}

func (p *rtfParser) run() {
	p.st = rtfState{uc: 1, cp: p.docCP}
	for p.pos < len(p.src) {
		if p.pos&4095 == 0 && p.j.Deadline() || p.j.Full() {
			return
		}
		c := p.src[p.pos]
		switch c {
		case '{':
			p.pos++
			p.skipFallback = 0
			p.decodeBytes()
			if len(p.stack) < maxRTFDepth {
				p.stack = append(p.stack, p.st)
				p.st.dest = ""
			}
		case '}':
			p.pos++
			p.skipFallback = 0
			p.decodeBytes()
			p.endGroup()
		case '\\':
			p.control()
		case '\r', '\n':
			p.pos++
		default:
			p.pos++
			p.decodeBytes()
			p.text(string(rune(c)))
		}
	}
}

func (p *rtfParser) endGroup() {
	if rtfInfo[p.st.dest] {
		p.infoField(p.st.dest)
	}
	if len(p.stack) == 0 {
		return
	}
	p.st = p.stack[len(p.stack)-1]
	p.stack = p.stack[:len(p.stack)-1]
}

// control reads one control word or symbol at p.pos ('\\').
func (p *rtfParser) control() {
	p.pos++
	if p.pos >= len(p.src) {
		return
	}
	c := p.src[p.pos]
	if !isAlpha(c) {
		p.pos++
		switch c {
		case '\'':
			if p.pos+2 <= len(p.src) {
				if v, err := strconv.ParseUint(string(p.src[p.pos:p.pos+2]), 16, 8); err == nil {
					p.pos += 2
					if p.st.uc > 0 && p.skipFallback > 0 {
						p.skipFallback--
						return
					}
					if !p.st.skip {
						p.bytes = append(p.bytes, byte(v))
					}
					return
				}
			}
		case '*':
			p.st.skip = true
		case '~':
			p.text("\u00a0")
		case '_':
			p.text("\u2011")
		case '-':
		case '\n', '\r':
			p.text("\n")
		default: // \\ \{ \} and others stand for themselves
			p.text(string(rune(c)))
		}
		return
	}
	start := p.pos
	for p.pos < len(p.src) && isAlpha(p.src[p.pos]) && p.pos-start < 32 {
		p.pos++
	}
	word := string(p.src[start:p.pos])
	num, hasNum := 0, false
	nstart := p.pos
	if p.pos < len(p.src) && (p.src[p.pos] == '-' || isDigit(p.src[p.pos])) {
		p.pos++
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) && p.pos-nstart < 11 {
			p.pos++
		}
		num, _ = strconv.Atoi(string(p.src[nstart:p.pos]))
		hasNum = true
	}
	if p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
	if word != "u" && word != "uc" {
		p.decodeBytes()
		p.skipFallback = 0
	}
	if word == "bin" && num > 0 { // n bytes of binary data
		p.pos = min(len(p.src), p.pos+num)
		return
	}
	p.word(word, num, hasNum)
}

func (p *rtfParser) word(w string, n int, hasNum bool) {
	if rtfSkip[w] {
		p.st.skip = true
		p.st.dest = w
		if w == "fonttbl" {
			p.st.inFnt = true
		}
		return
	}
	if rtfInfo[w] {
		p.st.dest = w
		p.info.Reset()
		p.date = [5]int{}
		return
	}
	switch w {
	case "ansicpg":
		if hasNum {
			p.docCP = n
			p.st.cp = n
		}
	case "f":
		if p.st.inFnt {
			p.st.font = n
		} else if cp, ok := p.fonts[n]; ok && cp != 0 {
			p.st.cp = cp
		} else {
			p.st.cp = p.docCP
		}
	case "fcharset":
		if p.st.inFnt {
			if cp, ok := fcharsetCP[n]; ok {
				p.fonts[p.st.font] = cp
			}
		}
	case "uc":
		p.st.uc = n
	case "u":
		if n < 0 {
			n += 65536
		}
		p.unicode(rune(n))
		p.skipFallback = p.st.uc
		p.skipChars()
	case "par", "line", "sect", "page", "row", "outlinelevel":
		if w != "outlinelevel" {
			p.text("\n")
		}
	case "tab", "cell":
		p.text("\t")
	case "emdash":
		p.text("—")
	case "endash":
		p.text("–")
	case "bullet":
		p.text("•")
	case "lquote":
		p.text("‘")
	case "rquote":
		p.text("’")
	case "ldblquote":
		p.text("“")
	case "rdblquote":
		p.text("”")
	case "yr":
		p.date[0] = n
	case "mo":
		p.date[1] = n
	case "dy":
		p.date[2] = n
	case "hr":
		p.date[3] = n
	case "min":
		p.date[4] = n
	}
}

// skipChars drops the plain fallback characters that follow \uN (a \'hh fallback is
// dropped when it is read).
func (p *rtfParser) skipChars() {
	for p.skipFallback > 0 && p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '\\' || c == '{' || c == '}' {
			return
		}
		if c != '\r' && c != '\n' {
			p.skipFallback--
		}
		p.pos++
	}
}

func (p *rtfParser) unicode(r rune) {
	switch {
	case utf16.IsSurrogate(r) && r < 0xdc00:
		p.pending = r
		return
	case utf16.IsSurrogate(r) && p.pending != 0:
		r = utf16.DecodeRune(p.pending, r)
	}
	p.pending = 0
	p.text(string(r))
}

// decodeBytes decodes the \'hh bytes collected so far in the current code page.
func (p *rtfParser) decodeBytes() {
	if len(p.bytes) == 0 {
		return
	}
	out, err := codePage(p.st.cp).NewDecoder().Bytes(p.bytes)
	p.bytes = p.bytes[:0]
	if err == nil {
		p.text(string(out))
	}
}

func (p *rtfParser) text(s string) {
	switch {
	case rtfInfo[p.st.dest]:
		p.info.WriteString(s)
	case p.st.skip:
	default:
		p.out.WriteString(s)
		if p.out.Len() >= 64<<10 {
			p.flush()
		}
	}
}

func (p *rtfParser) flush() {
	p.decodeBytes()
	p.j.Write(p.out.String())
	p.out.Reset()
}

func (p *rtfParser) infoField(dest string) {
	m := &p.j.Res.Meta
	v := extractor.CleanMeta(p.info.String())
	switch dest {
	case "title":
		m.Title = v
	case "author":
		m.Author = v
	case "subject":
		m.Subject = v
	case "creatim", "revtim":
		d := p.date
		if d[0] > 0 && d[1] >= 1 && d[1] <= 12 && d[2] >= 1 && d[2] <= 31 {
			t := time.Date(d[0], time.Month(d[1]), d[2], d[3], d[4], 0, 0, time.UTC)
			if dest == "creatim" {
				m.Created = t
			} else {
				m.Modified = t
			}
		}
	}
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
