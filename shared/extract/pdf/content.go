package pdf

import (
	"math"
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// mat is an affine matrix [a b c d e f]: (x, y) -> (ax + cy + e, bx + dy + f).
type mat [6]float64

var identity = mat{1, 0, 0, 1, 0, 0}

// mul returns m x n (m applied first).
func (m mat) mul(n mat) mat {
	return mat{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func (m mat) apply(x, y float64) (float64, float64) {
	return m[0]*x + m[2]*y + m[4], m[1]*x + m[3]*y + m[5]
}

// gstate is the part of the graphics state that text extraction needs.
type gstate struct {
	ctm                       mat
	font                      *font
	tc, tw, th, tl, tfs, rise float64
}

// interp runs content streams and feeds positioned glyphs to a lineWriter.
type interp struct {
	d       *pdfDoc
	g       gstate
	stack   []gstate
	tm      mat
	tlm     mat
	fonts   map[string]*font  // this content stream's font resource names
	resRefs map[string]string // this content stream's resources that are references
	w       lineWriter
	ops     int
	images  int // images drawn (XObjects of subtype Image, inline images)
}

func newInterp(d *pdfDoc) *interp {
	return &interp{d: d, g: gstate{ctm: identity, th: 1}, tm: identity, tlm: identity}
}

const maxFormDepth = 8

// run interprets one content stream with the given resources.
func (in *interp) run(data []byte, res pdf.Value, depth int) error {
	l := &lexer{b: data}
	args := make([]operand, 0, 16)
	saved, savedRefs := in.fonts, in.resRefs
	in.fonts, in.resRefs = map[string]*font{}, nil
	defer func() { in.fonts, in.resRefs = saved, savedRefs }()
	for {
		t := l.next(0)
		if t.kind == tEOF {
			return nil
		}
		if t.kind != tOp {
			if len(args) < 64 {
				args = append(args, t)
			}
			continue
		}
		in.ops++
		if in.ops&4095 == 0 && in.d.j.Ctx.Err() != nil {
			return &extractor.LimitError{Limit: extractor.LimitDeadline}
		}
		if err := in.op(string(t.s), args, res, depth, l); err != nil {
			return err
		}
		args = args[:0]
		l.arena = l.arena[:0]
	}
}

func num(args []operand, i int) float64 {
	if i < len(args) && args[i].kind == tNum {
		return args[i].num
	}
	return 0
}

func finite(m mat) bool {
	for _, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func (in *interp) op(op string, args []operand, res pdf.Value, depth int, l *lexer) error {
	g := &in.g
	switch op {
	case "q":
		if len(in.stack) < 256 {
			in.stack = append(in.stack, *g)
		}
	case "Q":
		if n := len(in.stack); n > 0 {
			*g = in.stack[n-1]
			in.stack = in.stack[:n-1]
		}
	case "cm":
		if len(args) == 6 {
			m := mat{num(args, 0), num(args, 1), num(args, 2), num(args, 3), num(args, 4), num(args, 5)}
			if finite(m) {
				g.ctm = m.mul(g.ctm)
			}
		}
	case "BT":
		in.tm, in.tlm = identity, identity
	case "Tc":
		g.tc = num(args, 0)
	case "Tw":
		g.tw = num(args, 0)
	case "Tz":
		g.th = num(args, 0) / 100
	case "TL":
		g.tl = num(args, 0)
	case "Ts":
		g.rise = num(args, 0)
	case "Tf":
		if len(args) >= 2 {
			g.font = in.font(args[0], res)
			g.tfs = num(args, 1)
		}
	case "Td":
		in.moveLine(num(args, 0), num(args, 1))
	case "TD":
		g.tl = -num(args, 1)
		in.moveLine(num(args, 0), num(args, 1))
	case "Tm":
		if len(args) == 6 {
			m := mat{num(args, 0), num(args, 1), num(args, 2), num(args, 3), num(args, 4), num(args, 5)}
			if finite(m) {
				in.tm, in.tlm = m, m
			}
		}
	case "T*":
		in.moveLine(0, -g.tl)
	case "Tj":
		if len(args) > 0 {
			in.show(args[len(args)-1].s)
		}
	case "'":
		in.moveLine(0, -g.tl)
		if len(args) > 0 {
			in.show(args[len(args)-1].s)
		}
	case "\"":
		if len(args) == 3 {
			g.tw, g.tc = num(args, 0), num(args, 1)
			in.moveLine(0, -g.tl)
			in.show(args[2].s)
		}
	case "TJ":
		if len(args) > 0 {
			for _, e := range args[len(args)-1].arr {
				switch e.kind {
				case tStr:
					in.show(e.s)
				case tNum:
					in.tm = mat{1, 0, 0, 1, -e.num / 1000 * g.tfs * g.th, 0}.mul(in.tm)
				}
			}
		}
	case "BI":
		in.images++
		l.skipInlineImage()
	case "Do":
		if len(args) > 0 && args[0].kind == tName && depth < maxFormDepth {
			return in.form(string(args[0].s), res, depth)
		}
	}
	return nil
}

func (in *interp) moveLine(tx, ty float64) {
	in.tlm = mat{1, 0, 0, 1, tx, ty}.mul(in.tlm)
	in.tm = in.tlm
}

// font returns the decoded font for a resource name, decoding each font dictionary once
// per document.
func (in *interp) font(name operand, res pdf.Value) *font {
	key := string(name.s)
	if f, ok := in.fonts[key]; ok {
		return f
	}
	var f *font
	err := safely(func() {
		// A font reached through an indirect reference is identified by it, so that a
		// font shared by many pages is neither decoded nor even loaded again; the same
		// holds for a /Font dictionary shared by many pages.
		if in.resRefs == nil {
			in.resRefs = refsOf(res)
		}
		fdRef := in.resRefs["Font"]
		names, ok := in.d.fontDicts[fdRef]
		if !ok || fdRef == "" {
			names = refsOf(res.Key("Font"))
			if fdRef != "" && len(in.d.fontDicts) < 1<<14 {
				in.d.fontDicts[fdRef] = names
			}
		}
		id := names[key]
		if cached, ok := in.d.fonts[id]; ok && id != "" {
			f = cached
			return
		}
		v := res.Key("Font").Key(key)
		if v.Kind() != pdf.Dict {
			return
		}
		if id == "" {
			id = v.String()
		}
		if cached, ok := in.d.fonts[id]; ok {
			f = cached
			return
		}
		if in.d.j.Object() {
			return
		}
		f = in.d.loadFont(v)
		in.d.fonts[id] = f
	})
	if err != nil || f == nil {
		f = &font{fallback: 500}
	}
	in.fonts[key] = f
	return f
}

var refEntry = regexp.MustCompile(`/([^\s/<>\[\]()]+) (\d+ \d+ R)`)

// refsOf lists the entries of a dictionary that are indirect references, by key.
func refsOf(v pdf.Value) map[string]string {
	if v.Kind() != pdf.Dict {
		return nil
	}
	out := map[string]string{}
	for _, m := range refEntry.FindAllStringSubmatch(v.String(), 4096) {
		if _, dup := out[m[1]]; !dup {
			out[m[1]] = "ref " + m[2]
		}
	}
	return out
}

// form runs a form XObject named in the resources.
func (in *interp) form(name string, res pdf.Value, depth int) error {
	x := res.Key("XObject").Key(name)
	if x.Kind() == pdf.Stream && x.Key("Subtype").Name() == "Image" {
		in.images++
		return nil
	}
	if x.Kind() != pdf.Stream || x.Key("Subtype").Name() != "Form" {
		return nil
	}
	return in.runForm(x, res, depth)
}

func (in *interp) runForm(x, res pdf.Value, depth int) error {
	if in.d.j.Object() {
		return in.d.j.Res.Stop
	}
	data, err := in.d.readStream(x, 0)
	if err != nil && len(data) == 0 {
		return nil
	}
	saved, savedTm, savedTlm := in.g, in.tm, in.tlm
	defer func() { in.g, in.tm, in.tlm = saved, savedTm, savedTlm }()
	if m := x.Key("Matrix"); m.Len() == 6 {
		fm := mat{m.Index(0).Float64(), m.Index(1).Float64(), m.Index(2).Float64(), m.Index(3).Float64(), m.Index(4).Float64(), m.Index(5).Float64()}
		if finite(fm) {
			in.g.ctm = fm.mul(in.g.ctm)
		}
	}
	fres := x.Key("Resources")
	if fres.Kind() != pdf.Dict {
		fres = res
	}
	return in.run(data, fres, depth+1)
}

// show positions each glyph of a string and hands it to the writer.
func (in *interp) show(s []byte) {
	g := &in.g
	f := g.font
	if f == nil {
		f = &font{fallback: 500}
		g.font = f
	}
	m := in.tm.mul(g.ctm)
	size := g.tfs * math.Hypot(m[2], m[3])
	if size == 0 {
		size = math.Hypot(m[0], m[1]) * math.Abs(g.tfs)
	}
	size = math.Abs(size)
	dir := direction(m[0], m[1])
	acc := 0.0
	for len(s) > 0 {
		gl, n := f.next(s)
		s = s[n:]
		x0, y0 := m.apply(acc, g.rise)
		x1, y1 := m.apply(acc+gl.vis/1000*g.tfs*g.th, g.rise)
		in.w.glyph(gl.text, dir, x0, y0, x1, y1, size)
		adv := gl.w/1000*g.tfs + g.tc
		if gl.space {
			adv += g.tw
		}
		acc += adv * g.th
	}
	in.tm = mat{1, 0, 0, 1, acc, 0}.mul(in.tm)
}

// direction is the quarter turn of the text baseline: 0 left to right, 1 upwards,
// 2 right to left (upside down), 3 downwards.
func direction(a, b float64) int {
	if math.Abs(a) >= math.Abs(b) {
		if a >= 0 {
			return 0
		}
		return 2
	}
	if b > 0 {
		return 1
	}
	return 3
}

// lineWriter turns positioned glyphs into words and lines: a space where the gap to the
// previous glyph exceeds 0.15 x the font size, a line break where the baseline moves by
// more than 0.4 x the font size; ligatures are expanded and end-of-line hyphens joined.
type lineWriter struct {
	buf      []byte
	have     bool
	dir      int
	across   float64 // baseline position
	end      float64 // where the previous glyph ended, along the baseline
	start    float64
	size     float64
	lastText string
	lastRTL  bool
	lastCJK  bool
	rtlWord  int  // where the current right-to-left word starts in buf
	newline  bool // a line break is pending
}

func along(dir int, x, y float64) (float64, float64) {
	switch dir {
	case 1:
		return y, -x
	case 2:
		return -x, -y
	case 3:
		return -y, x
	}
	return x, y
}

func (w *lineWriter) glyph(text string, dir int, x0, y0, x1, y1, size float64) {
	a0, c0 := along(dir, x0, y0)
	a1, _ := along(dir, x1, y1)
	if size <= 0 {
		size = 1
	}
	first, _ := utf8.DecodeRuneInString(text)
	rtl := isRTL(first)
	prepend := false
	if w.have {
		ref := math.Max(size, w.size)
		sameLine := dir == w.dir && math.Abs(c0-w.across) < 0.4*ref
		if sameLine {
			gap := a0 - w.end
			if rtl && w.lastRTL {
				if a1 <= w.start+0.05*ref {
					gap = w.start - a1 // right-to-left text drawn in logical order
				} else {
					prepend = true // drawn in visual order: each glyph goes before the last
				}
			}
			limit := 0.15 * ref
			if isCJK(first) && w.lastCJK {
				limit = ref // Chinese and Japanese put no spaces between words: only wide gaps count
			}
			switch {
			case text == w.lastText && math.Abs(a0-w.start) < 0.1*ref && text != "":
				return // the same glyph drawn again (fake bold, shadows)
			case gap > limit || gap < -ref:
				w.space()
				prepend = false
			}
		} else {
			w.breakLine()
		}
	}
	w.have = true
	w.dir, w.across, w.start, w.end, w.size = dir, c0, a0, a1, size
	w.lastText = text
	w.lastRTL = rtl
	w.lastCJK = isCJK(first)
	if text == "" {
		return
	}
	if isBlank(text) {
		w.space()
		return
	}
	if w.newline {
		w.newline = false
		if w.endsWithHyphen() && unicode.IsLower(first) {
			w.buf = w.buf[:len(w.buf)-w.hyphenLen()]
		} else {
			w.buf = append(w.buf, '\n')
		}
	}
	at := len(w.buf)
	if prepend && w.rtlWord <= len(w.buf) {
		at = w.rtlWord
	} else {
		w.rtlWord = len(w.buf)
	}
	tail := append([]byte(nil), w.buf[at:]...)
	w.buf = w.buf[:at]
	for _, r := range text {
		switch {
		case r >= 0xFB00 && r <= 0xFB06:
			w.buf = append(w.buf, ligatures[r-0xFB00]...)
		case r < 0x20 || r == 0xFFFD || r == 0xFEFF:
			// control characters and undecodable codes carry no text
		default:
			w.buf = utf8.AppendRune(w.buf, r)
		}
	}
	w.buf = append(w.buf, tail...)
}

// isCJK reports Han ideographs and kana (Hangul separates words with spaces).
func isCJK(r rune) bool {
	return r >= 0x3040 && r <= 0x30FF || r >= 0x3400 && r <= 0x9FFF || r >= 0xF900 && r <= 0xFAFF || r >= 0x20000 && r <= 0x3FFFF
}

func isRTL(r rune) bool {
	return r >= 0x0590 && r <= 0x08FF || r >= 0xFB1D && r <= 0xFDFF || r >= 0xFE70 && r <= 0xFEFF
}

var ligatures = [...]string{"ff", "fi", "fl", "ffi", "ffl", "st", "st"}

func isBlank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

func (w *lineWriter) space() {
	if w.newline || len(w.buf) == 0 {
		return
	}
	if c := w.buf[len(w.buf)-1]; c == ' ' || c == '\n' {
		return
	}
	w.buf = append(w.buf, ' ')
}

func (w *lineWriter) breakLine() {
	if len(w.buf) == 0 {
		return
	}
	if w.buf[len(w.buf)-1] == ' ' {
		w.buf = w.buf[:len(w.buf)-1]
	}
	w.newline = true
}

// hyphenLen is the byte length of the hyphen ending the buffer, or 0.
func (w *lineWriter) hyphenLen() int {
	r, n := utf8.DecodeLastRune(w.buf)
	if r == '-' || r == 0x00AD || r == 0x2010 {
		return n
	}
	return 0
}

func (w *lineWriter) endsWithHyphen() bool {
	n := w.hyphenLen()
	if n == 0 || len(w.buf) <= n {
		return false
	}
	r, _ := utf8.DecodeLastRune(w.buf[:len(w.buf)-n])
	return unicode.IsLetter(r)
}

func (w *lineWriter) finish() string {
	s := string(w.buf)
	w.buf = w.buf[:0]
	w.have, w.newline = false, false
	return s
}
