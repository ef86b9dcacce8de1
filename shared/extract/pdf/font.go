package pdf

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// font is a PDF font decoded once per document: how its codes split, the text of each
// code and each code's advance width in 1/1000 of text space.
type font struct {
	composite bool        // Type0: multi-byte codes
	spaces    []codespace // Type0 code lengths; empty means two bytes
	ucs2      bool        // Type0 with a UCS-2/UTF-16 CMap: the code is the text
	toUni     *cmapData
	uniCache  map[uint32]string
	simple    [256]string // simple fonts: text of each code
	widths    [256]float64
	hasWidth  [256]bool
	cidW      map[uint32]float64
	wRanges   []wRange
	cidOf     *cmapData         // Type0 with an embedded CMap: code to CID
	dw        float64           // default width of composite fonts
	legacy    encoding.Encoding // Type0 with a predefined CJK CMap: the code's character set
	legacyMap map[uint32]string
	jis7      bool
	std       map[rune]uint16 // standard 14 metrics when /Widths is missing
	fallback  float64
}

type codespace struct {
	lo, hi []byte
}

// glyph is one decoded code.
type glyph struct {
	text  string
	w     float64 // advance, 1/1000 text space units
	vis   float64 // visible width for spacing decisions
	space bool    // single-byte code 32 (word spacing applies)
}

// next decodes the code at the start of s and returns it with the bytes it used.
func (f *font) next(s []byte) (glyph, int) {
	if !f.composite {
		c := s[0]
		g := glyph{text: f.simple[c], space: c == 32}
		switch {
		case f.hasWidth[c]:
			g.w = f.widths[c]
		case f.std != nil:
			g.w = f.stdWidth(g.text)
		default:
			g.w = f.fallback
		}
		g.vis = g.w
		if g.vis <= 0 {
			g.vis = f.stdOrFallback(g.text)
		}
		return g, 1
	}
	n := f.codeLen(s)
	var code uint32
	for _, b := range s[:n] {
		code = code<<8 | uint32(b)
	}
	g := glyph{space: n == 1 && code == 32}
	if t, ok := f.unicode(code); ok {
		g.text = t
	} else if f.ucs2 {
		g.text = string(utf16.Decode(u16(s[:n])))
	} else if f.legacy != nil {
		g.text = f.legacyText(code, s[:n])
	}
	cid := code
	if f.cidOf != nil {
		cid = f.cidOf.cidOf(code)
	}
	g.w = f.cidWidth(cid)
	g.vis = g.w
	if g.vis <= 0 {
		g.vis = 500
	}
	return g, n
}

func u16(b []byte) []uint16 {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return u
}

func (f *font) codeLen(s []byte) int {
	if len(f.spaces) == 0 {
		return min(2, len(s))
	}
	for n := 1; n <= 4 && n <= len(s); n++ {
		for _, sp := range f.spaces {
			if len(sp.lo) != n {
				continue
			}
			in := true
			for k := 0; k < n; k++ {
				if s[k] < sp.lo[k] || s[k] > sp.hi[k] {
					in = false
					break
				}
			}
			if in {
				return n
			}
		}
	}
	// No range matches: use the length of the first range, as readers do.
	return min(len(f.spaces[0].lo), len(s))
}

func (f *font) stdWidth(text string) float64 {
	for _, r := range text {
		if w, ok := f.std[r]; ok {
			return float64(w)
		}
		break
	}
	return f.fallback
}

func (f *font) stdOrFallback(text string) float64 {
	if f.std != nil {
		return f.stdWidth(text)
	}
	if f.fallback > 0 {
		return f.fallback
	}
	return 500
}

// loadFont decodes a font dictionary. It never fails: what cannot be read falls back to
// defaults, so that text still comes out.
func (d *pdfDoc) loadFont(v pdf.Value) *font {
	f := &font{fallback: 500}
	subtype := v.Key("Subtype").Name()
	if subtype == "Type0" {
		d.loadComposite(f, v)
	} else {
		d.loadSimple(f, v, subtype)
	}
	if tu := v.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		if cm := d.readCMap(tu); cm != nil {
			f.toUni = cm
			if f.composite && len(f.spaces) == 0 && len(cm.spaces) > 0 {
				f.spaces = cm.spaces
			}
			if !f.composite {
				for c := 0; c < 256; c++ {
					if t, ok := cm.unicode(uint32(c)); ok {
						f.simple[c] = t
					}
				}
			}
		}
	}
	return f
}

func (d *pdfDoc) loadComposite(f *font, v pdf.Value) {
	f.composite = true
	f.dw = 1000
	enc := v.Key("Encoding")
	switch enc.Kind() {
	case pdf.Name:
		n := enc.Name()
		if strings.Contains(n, "UCS2") || strings.Contains(n, "UTF16") {
			f.ucs2 = true
		} else if n == "H" || n == "V" {
			// JIS X 0208 in 7-bit form: two bytes 0x21-0x7E, EUC-JP with the high bits cleared.
			f.spaces = []codespace{{[]byte{0, 0}, []byte{0xff, 0xff}}}
			f.legacy, f.jis7 = japanese.EUCJP, true
		} else if !strings.HasPrefix(n, "Identity") {
			// A predefined CMap of a legacy CJK encoding: one byte below 0x80, two above.
			f.spaces = []codespace{{[]byte{0}, []byte{0x80}}, {[]byte{0x81, 0x40}, []byte{0xfe, 0xfe}}}
			f.legacy = legacyEncoding(n)
		}
	case pdf.Stream:
		if cm := d.readCMap(enc); cm != nil {
			f.spaces = cm.spaces
			if len(cm.cid) > 0 || len(cm.cidRanges) > 0 {
				f.cidOf = cm
			}
		}
	}
	desc := v.Key("DescendantFonts").Index(0)
	if dw := desc.Key("DW"); dw.Kind() == pdf.Integer || dw.Kind() == pdf.Real {
		f.dw = dw.Float64()
	}
	w := desc.Key("W")
	n := w.Len()
	if n > 0 {
		f.cidW = make(map[uint32]float64)
	}
	total := 0
	for i := 0; i < n && total < 1<<17; {
		first := w.Index(i)
		if first.Kind() != pdf.Integer {
			break
		}
		c0 := first.Int64()
		next := w.Index(i + 1)
		if next.Kind() == pdf.Array {
			for k := 0; k < next.Len() && total < 1<<17; k++ {
				f.cidW[uint32(c0)+uint32(k)] = next.Index(k).Float64()
				total++
			}
			i += 2
			continue
		}
		c1 := next.Int64()
		wv := w.Index(i + 2).Float64()
		if c0 >= 0 && c1 >= c0 && len(f.wRanges) < 1<<16 {
			f.wRanges = append(f.wRanges, wRange{uint32(c0), uint32(min(c1, 1<<32-1)), wv})
		}
		i += 3
	}
}

var stdEncoding = func() [256]rune {
	var t [256]rune
	for c := 32; c < 127; c++ {
		t[c] = rune(c)
	}
	t[0x27], t[0x60] = 0x2019, 0x2018
	high := map[int]rune{0xa1: 0xa1, 0xa2: 0xa2, 0xa3: 0xa3, 0xa4: 0x2044, 0xa5: 0xa5, 0xa6: 0x192,
		0xa7: 0xa7, 0xa8: 0xa4, 0xa9: 0x27, 0xaa: 0x201c, 0xab: 0xab, 0xac: 0x2039, 0xad: 0x203a,
		0xae: 0xfb01, 0xaf: 0xfb02, 0xb1: 0x2013, 0xb2: 0x2020, 0xb3: 0x2021, 0xb4: 0xb7, 0xb6: 0xb6,
		0xb7: 0x2022, 0xb8: 0x201a, 0xb9: 0x201e, 0xba: 0x201d, 0xbb: 0xbb, 0xbc: 0x2026, 0xbd: 0x2030,
		0xbf: 0xbf, 0xc1: 0x60, 0xc2: 0xb4, 0xc3: 0x2c6, 0xc4: 0x2dc, 0xc5: 0xaf, 0xc6: 0x2d8,
		0xc7: 0x2d9, 0xc8: 0xa8, 0xca: 0x2da, 0xcb: 0xb8, 0xcd: 0x2dd, 0xce: 0x2db, 0xcf: 0x2c7,
		0xd0: 0x2014, 0xe1: 0xc6, 0xe3: 0xaa, 0xe8: 0x141, 0xe9: 0xd8, 0xea: 0x152, 0xeb: 0xba,
		0xf1: 0xe6, 0xf5: 0x131, 0xf8: 0x142, 0xf9: 0xf8, 0xfa: 0x153, 0xfb: 0xdf}
	for c, r := range high {
		t[c] = r
	}
	return t
}()

func charmapTable(cm *charmap.Charmap) [256]rune {
	var t [256]rune
	for c := 0; c < 256; c++ {
		r := cm.DecodeByte(byte(c))
		if r == 0xfffd || r < 0x20 {
			r = 0
		}
		t[c] = r
	}
	return t
}

var (
	winAnsiEncoding  = charmapTable(charmap.Windows1252)
	macRomanEncoding = charmapTable(charmap.Macintosh)
	latin1Encoding   = charmapTable(charmap.ISO8859_1)
)

func baseEncoding(name string) ([256]rune, bool) {
	switch name {
	case "WinAnsiEncoding":
		return winAnsiEncoding, true
	case "MacRomanEncoding", "MacExpertEncoding":
		return macRomanEncoding, true
	case "StandardEncoding":
		return stdEncoding, true
	}
	return [256]rune{}, false
}

var type1Encoding = regexp.MustCompile(`dup\s+(\d{1,3})\s*/([^\s/]+)\s+put`)

func (d *pdfDoc) loadSimple(f *font, v pdf.Value, subtype string) {
	base := v.Key("BaseFont").Name()
	if i := strings.IndexByte(base, '+'); i == 6 {
		base = base[i+1:]
	}
	desc := v.Key("FontDescriptor")
	flags := desc.Key("Flags").Int64()
	symbolic := flags&4 != 0 && flags&32 == 0
	if mw := desc.Key("MissingWidth").Float64(); mw > 0 {
		f.fallback = mw
	} else if aw := desc.Key("AvgWidth").Float64(); aw > 0 {
		f.fallback = aw
	}

	// The encoding: a named base, the font program's own, or Standard; then Differences.
	var table [256]rune
	var names [256]string
	enc := v.Key("Encoding")
	baseName := enc.Name()
	if enc.Kind() == pdf.Dict {
		baseName = enc.Key("BaseEncoding").Name()
	}
	t, ok := baseEncoding(baseName)
	switch {
	case ok:
		table = t
	case d.type1Builtin(desc, &names):
		table = stdEncoding
		if subtype == "TrueType" {
			table = winAnsiEncoding
		}
	case subtype == "TrueType" || symbolic:
		table = latin1Encoding
		if !symbolic {
			table = winAnsiEncoding
		}
	default:
		table = stdEncoding
	}
	if enc.Kind() == pdf.Dict {
		diffs := enc.Key("Differences")
		code := 0
		for i := 0; i < diffs.Len() && i < 4096; i++ {
			x := diffs.Index(i)
			switch x.Kind() {
			case pdf.Integer:
				code = int(x.Int64())
			case pdf.Name:
				if code >= 0 && code < 256 {
					names[code] = x.Name()
				}
				code++
			}
		}
	}
	for c := 0; c < 256; c++ {
		if names[c] != "" {
			if s, ok := glyphText(names[c]); ok {
				f.simple[c] = s
				continue
			}
		}
		if table[c] != 0 {
			f.simple[c] = string(table[c])
		}
	}

	// Widths, scaled to 1/1000 of text space (Type3 glyph space goes through FontMatrix).
	scale := 1.0
	if subtype == "Type3" {
		if m := v.Key("FontMatrix"); m.Len() == 6 {
			scale = m.Index(0).Float64() * 1000
		} else {
			scale = 1
		}
		if scale == 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
			scale = 1
		}
	}
	widths := v.Key("Widths")
	if n := widths.Len(); n > 0 {
		first := int(v.Key("FirstChar").Int64())
		for i := 0; i < n && first+i < 256; i++ {
			if c := first + i; c >= 0 {
				f.widths[c] = widths.Index(i).Float64() * scale
				f.hasWidth[c] = true
			}
		}
		return
	}
	f.std = standardMetrics(base)
	if f.std == nil && (strings.HasPrefix(base, "Symbol") || strings.HasPrefix(base, "ZapfDingbats")) {
		f.fallback = 600
	}
}

// type1Builtin reads the encoding of an embedded Type 1 font program ("dup 65 /A put"
// lines in its clear-text part) into names; it reports whether one was found.
func (d *pdfDoc) type1Builtin(desc pdf.Value, names *[256]string) bool {
	ff := desc.Key("FontFile")
	if ff.Kind() != pdf.Stream {
		return false
	}
	n := ff.Key("Length1").Int64()
	if n <= 0 || n > 1<<20 {
		n = 64 << 10
	}
	data, _ := d.readStream(ff, n)
	found := false
	for _, m := range type1Encoding.FindAllSubmatch(data, 512) {
		c, err := strconv.Atoi(string(m[1]))
		if err == nil && c < 256 {
			names[c] = string(m[2])
			found = true
		}
	}
	return found
}

// standardMetrics returns the widths of a standard 14 font (or a common alias such as
// Arial or TimesNewRoman), or nil.
func standardMetrics(base string) map[rune]uint16 {
	b := strings.ToLower(base)
	bold := strings.Contains(b, "bold") || strings.Contains(b, "black") || strings.Contains(b, "heavy")
	ital := strings.Contains(b, "italic") || strings.Contains(b, "oblique")
	var name string
	switch {
	case strings.Contains(b, "courier"):
		name = "Courier"
		switch {
		case bold && ital:
			name += "-BoldOblique"
		case bold:
			name += "-Bold"
		case ital:
			name += "-Oblique"
		}
	case strings.Contains(b, "times"), strings.Contains(b, "georgia"), strings.Contains(b, "roman"):
		switch {
		case bold && ital:
			name = "Times-BoldItalic"
		case bold:
			name = "Times-Bold"
		case ital:
			name = "Times-Italic"
		default:
			name = "Times-Roman"
		}
	case strings.Contains(b, "helvetica"), strings.Contains(b, "arial"), strings.Contains(b, "sans"),
		strings.Contains(b, "verdana"), strings.Contains(b, "calibri"):
		name = "Helvetica"
		switch {
		case bold && ital:
			name += "-BoldOblique"
		case bold:
			name += "-Bold"
		case ital:
			name += "-Oblique"
		}
	default:
		return nil
	}
	return stdWidths[name]
}

// glyphText maps a glyph name to its text: the Adobe Glyph List, uniXXXX, uXXXX[XX],
// ligatures written with underscores and variants with a .suffix.
func glyphText(name string) (string, bool) {
	if r, ok := glyphNames[name]; ok {
		return string(r), true
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		return glyphText(name[:i])
	}
	if strings.Contains(name, "_") {
		var b strings.Builder
		for _, part := range strings.Split(name, "_") {
			s, ok := glyphText(part)
			if !ok {
				return "", false
			}
			b.WriteString(s)
		}
		return b.String(), true
	}
	if strings.HasPrefix(name, "uni") && len(name) >= 7 && (len(name)-3)%4 == 0 {
		var u []uint16
		for i := 3; i+4 <= len(name); i += 4 {
			v, err := strconv.ParseUint(name[i:i+4], 16, 16)
			if err != nil {
				return "", false
			}
			u = append(u, uint16(v))
		}
		return string(utf16.Decode(u)), true
	}
	if strings.HasPrefix(name, "u") && len(name) >= 5 && len(name) <= 7 {
		if v, err := strconv.ParseUint(name[1:], 16, 32); err == nil && v < 0x110000 {
			return string(rune(v)), true
		}
	}
	if len(name) == 1 {
		return name, true
	}
	return "", false
}

// cmapData is what a CMap stream defines: code lengths, code to text (ToUnicode) and
// code to CID (encoding CMaps).
type cmapData struct {
	spaces    []codespace
	uni       map[uint32]string
	uniRanges []uniRange
	cid       map[uint32]uint32
	cidRanges []cidRange
}

// uniRange maps lo..hi to dst, dst+1, ... (the last UTF-16 unit counts up).
type uniRange struct {
	lo, hi uint32
	dst    []uint16
}

type cidRange struct{ lo, hi, cid uint32 }

type wRange struct {
	lo, hi uint32
	w      float64
}

func (cm *cmapData) unicode(code uint32) (string, bool) {
	if t, ok := cm.uni[code]; ok {
		return t, true
	}
	for i := len(cm.uniRanges) - 1; i >= 0; i-- { // later definitions win
		r := cm.uniRanges[i]
		if code >= r.lo && code <= r.hi {
			u := append([]uint16(nil), r.dst...)
			u[len(u)-1] += uint16(code - r.lo)
			return string(utf16.Decode(u)), true
		}
	}
	return "", false
}

func (cm *cmapData) cidOf(code uint32) uint32 {
	if c, ok := cm.cid[code]; ok {
		return c
	}
	for _, r := range cm.cidRanges {
		if code >= r.lo && code <= r.hi {
			return r.cid + code - r.lo
		}
	}
	return code
}

// unicode returns the ToUnicode text of a composite font's code, caching range lookups.
func (f *font) unicode(code uint32) (string, bool) {
	if f.toUni == nil {
		return "", false
	}
	if t, ok := f.uniCache[code]; ok {
		return t, true
	}
	t, ok := f.toUni.unicode(code)
	if ok {
		if f.uniCache == nil {
			f.uniCache = map[uint32]string{}
		}
		if len(f.uniCache) < 1<<16 {
			f.uniCache[code] = t
		}
	}
	return t, ok
}

func (f *font) cidWidth(cid uint32) float64 {
	if w, ok := f.cidW[cid]; ok {
		return w
	}
	for i := len(f.wRanges) - 1; i >= 0; i-- {
		r := f.wRanges[i]
		if cid >= r.lo && cid <= r.hi {
			return r.w
		}
	}
	return f.dw
}

const maxCMapEntries = 1 << 17

// readCMap parses a CMap stream with the content lexer. Malformed parts are skipped.
func (d *pdfDoc) readCMap(v pdf.Value) *cmapData {
	data, err := d.readStream(v, d.lim.MaxStreamBytes)
	if err != nil && len(data) == 0 {
		return nil
	}
	cm := &cmapData{uni: map[uint32]string{}}
	l := &lexer{b: data}
	var stk []operand
	entries := 0
	for {
		t := l.next(0)
		if t.kind == tEOF {
			break
		}
		if t.kind != tOp {
			if len(stk) < 1<<16 {
				if t.kind == tStr || t.kind == tName {
					t.s = append([]byte(nil), t.s...) // the arena is reused
				}
				stk = append(stk, t)
			}
			continue
		}
		switch string(t.s) {
		case "endcodespacerange":
			for i := 0; i+1 < len(stk); i += 2 {
				lo, hi := stk[i].s, stk[i+1].s
				if len(lo) > 0 && len(lo) <= 4 && len(lo) == len(hi) {
					cm.spaces = append(cm.spaces, codespace{lo, hi})
				}
			}
		case "endbfchar":
			for i := 0; i+1 < len(stk) && entries < maxCMapEntries; i += 2 {
				if code, ok := codeOf(stk[i].s); ok {
					cm.uni[code] = dstText(stk[i+1])
					entries++
				}
			}
		case "endbfrange":
			for i := 0; i+2 < len(stk) && entries < maxCMapEntries; i += 3 {
				lo, ok1 := codeOf(stk[i].s)
				hi, ok2 := codeOf(stk[i+1].s)
				if !ok1 || !ok2 || hi < lo {
					continue
				}
				dst := stk[i+2]
				switch dst.kind {
				case tArray:
					for k := 0; k < len(dst.arr) && lo+uint32(k) <= hi && entries < maxCMapEntries; k++ {
						cm.uni[lo+uint32(k)] = dstText(dst.arr[k])
						entries++
					}
				case tStr:
					if u := u16(dst.s); len(u) > 0 && len(cm.uniRanges) < 1<<16 {
						cm.uniRanges = append(cm.uniRanges, uniRange{lo, hi, u})
					}
				}
			}
		case "endcidrange":
			for i := 0; i+2 < len(stk) && entries < maxCMapEntries; i += 3 {
				lo, ok1 := codeOf(stk[i].s)
				hi, ok2 := codeOf(stk[i+1].s)
				if !ok1 || !ok2 || hi < lo || stk[i+2].kind != tNum {
					continue
				}
				if len(cm.cidRanges) < 1<<16 {
					cm.cidRanges = append(cm.cidRanges, cidRange{lo, hi, uint32(stk[i+2].num)})
				}
			}
		case "endcidchar":
			for i := 0; i+1 < len(stk) && entries < maxCMapEntries; i += 2 {
				if code, ok := codeOf(stk[i].s); ok && stk[i+1].kind == tNum {
					if cm.cid == nil {
						cm.cid = map[uint32]uint32{}
					}
					cm.cid[code] = uint32(stk[i+1].num)
					entries++
				}
			}
		}
		stk = stk[:0]
		l.arena = l.arena[:0]
	}
	return cm
}

func codeOf(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 4 {
		return 0, false
	}
	var c uint32
	for _, x := range b {
		c = c<<8 | uint32(x)
	}
	return c, true
}

func dstText(t operand) string {
	switch t.kind {
	case tStr:
		if len(t.s)%2 == 1 {
			return string(t.s)
		}
		return string(utf16.Decode(u16(t.s)))
	case tName:
		s, _ := glyphText(string(t.s))
		return s
	}
	return ""
}

// legacyEncoding names the character set behind a predefined CJK CMap, so that text comes
// out even without a ToUnicode map.
func legacyEncoding(cmap string) encoding.Encoding {
	switch {
	case strings.Contains(cmap, "GB"):
		return simplifiedchinese.GBK
	case strings.Contains(cmap, "RKSJ"):
		return japanese.ShiftJIS
	case strings.Contains(cmap, "EUC") && (strings.HasPrefix(cmap, "EUC") || strings.Contains(cmap, "JIS")):
		return japanese.EUCJP
	case strings.Contains(cmap, "KSC") || strings.Contains(cmap, "UHC"):
		return korean.EUCKR
	case strings.Contains(cmap, "B5") || strings.Contains(cmap, "CNS"):
		return traditionalchinese.Big5
	}
	return nil
}

func (f *font) legacyText(code uint32, b []byte) string {
	if t, ok := f.legacyMap[code]; ok {
		return t
	}
	if f.jis7 && len(b) == 2 {
		b = []byte{b[0] | 0x80, b[1] | 0x80}
	}
	out, err := f.legacy.NewDecoder().Bytes(b)
	t := ""
	if err == nil {
		t = strings.ToValidUTF8(string(out), "")
	}
	if f.legacyMap == nil {
		f.legacyMap = map[uint32]string{}
	}
	if len(f.legacyMap) < 1<<16 {
		f.legacyMap[code] = t
	}
	return t
}
