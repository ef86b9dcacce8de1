package plain

import (
	"bytes"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	xunicode "golang.org/x/text/encoding/unicode"
)

// reading is the text of a sample decoded with one candidate encoding, and its score.
type reading struct {
	name  string
	text  string
	score float64
}

// Detection is the character encoding found for some bytes and how sure the detector is.
type Detection struct {
	// Encoding is the name of the encoding read, lower case as the WHATWG and IANA
	// registries spell it: "utf-8", "utf-16le", "windows-1251", "shift_jis", ...
	Encoding string
	// Confidence is between 0 and 1: 1 for a byte order mark, valid UTF-8 or an escape
	// sequence that names the encoding; for legacy code pages it grows with the evidence
	// that separates the best reading from the next one that gives a different text.
	Confidence float64
	// Others are the encodings that scored close to the best one and read the bytes as a
	// different text; set only when Confidence is below [LowConfidence].
	Others []string
	// Hint are the languages the statistics weighed ([DetectHint]), when any.
	Hint []string
}

// LowConfidence is the confidence below which a detection is a guess: the text is decoded
// with the best candidate, and the result says that it may be wrong.
const LowConfidence = 0.5

// sampleBytes is how much of a file the detector scores; the winner decodes the whole file.
const sampleBytes = 64 << 10

type candidate struct {
	name string
	enc  encoding.Encoding
}

// candidates are the legacy encodings the detector weighs. ISO-8859-1 reads as
// Windows-1252, its superset for text.
var candidates = []candidate{
	{"windows-1252", charmap.Windows1252},
	{"windows-1250", charmap.Windows1250},
	{"iso-8859-2", charmap.ISO8859_2},
	{"windows-1251", charmap.Windows1251},
	{"koi8-r", charmap.KOI8R},
	{"ibm866", charmap.CodePage866},
	{"iso-8859-5", charmap.ISO8859_5},
	{"windows-1253", charmap.Windows1253},
	{"iso-8859-7", charmap.ISO8859_7},
	{"windows-1254", charmap.Windows1254},
	{"shift_jis", japanese.ShiftJIS},
	{"euc-jp", japanese.EUCJP},
	{"gb18030", simplifiedchinese.GB18030},
	{"euc-kr", korean.EUCKR},
	{"big5", traditionalchinese.Big5},
}

// prior favours, when the evidence is equal, the code pages most text was written in.
var prior = map[string]float64{
	"windows-1252": 1, "windows-1250": 0.5, "windows-1251": 0.5, "iso-8859-5": -1,
}

var (
	utf16LE = xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM)
	utf16BE = xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM)
)

// Encodings lists the names Detect can return.
func Encodings() []string {
	names := []string{"utf-8", "utf-16le", "utf-16be", "iso-2022-jp"}
	for _, c := range candidates {
		names = append(names, c.name)
	}
	return names
}

// Decode decodes text in any encoding Detect finds and returns it as UTF-8 with the
// detection. Bytes that the chosen encoding cannot map become U+FFFD.
func Decode(b []byte) (string, Detection) { return DecodeHint(b, nil) }

// DecodeHint is Decode for a text expected in one of langs (ISO 639-2/T codes: "ces",
// "nld"), the languages of the states a bundle passes between: readings whose letters
// belong to those languages score higher ([DetectHint]).
func DecodeHint(b []byte, langs []string) (string, Detection) {
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		return strings.ToValidUTF8(string(b[3:]), "\ufffd"), Detection{Encoding: "utf-8", Confidence: 1}
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}):
		return decodeWith(utf16LE, b[2:]), Detection{Encoding: "utf-16le", Confidence: 1}
	case bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		return decodeWith(utf16BE, b[2:]), Detection{Encoding: "utf-16be", Confidence: 1}
	}
	if s, ok := utf8Prefix(b); ok && !maybeNotUTF8(b) {
		return s, Detection{Encoding: "utf-8", Confidence: 1}
	}
	d := DetectHint(b, langs)
	if d.Encoding == "utf-8" {
		s, _ := utf8Prefix(b)
		return s, d
	}
	return decodeWith(encodingOf(d.Encoding), b), d
}

// DecodeAs decodes b with the named encoding (a name Detect returns).
func DecodeAs(b []byte, name string) string {
	if name == "utf-8" {
		return strings.ToValidUTF8(string(b), "\ufffd")
	}
	return decodeWith(encodingOf(name), b)
}

func encodingOf(name string) encoding.Encoding {
	switch name {
	case "utf-16le":
		return utf16LE
	case "utf-16be":
		return utf16BE
	case "iso-2022-jp":
		return japanese.ISO2022JP
	}
	for _, c := range candidates {
		if c.name == name {
			return c.enc
		}
	}
	return charmap.Windows1252
}

func decodeWith(enc encoding.Encoding, b []byte) string {
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\ufffd")
	}
	return strings.ToValidUTF8(string(out), "\ufffd")
}

// maybeNotUTF8 reports bytes that are valid UTF-8 but may well be another encoding: NUL
// bytes (UTF-16 of Latin or Cyrillic text) or ISO-2022 escape sequences.
func maybeNotUTF8(b []byte) bool {
	return bytes.IndexByte(b, 0) >= 0 || bytes.Contains(b, []byte("\x1b$"))
}

// utf8Prefix accepts valid UTF-8, also when a multi-byte sequence is cut at the end (a
// capped read).
func utf8Prefix(b []byte) (string, bool) {
	if utf8.Valid(b) {
		return string(b), true
	}
	if cut := len(b) - 3; cut > 0 && utf8.Valid(b[:cut]) {
		for i := len(b); i > cut; i-- {
			if utf8.Valid(b[:i]) {
				return string(b[:i]), true
			}
		}
	}
	return "", false
}

// Detect names the encoding of b among UTF-8, UTF-16 without a byte order mark,
// ISO-2022-JP and the legacy code pages of [Encodings]. It decodes a sample with every
// candidate, drops readings with undefined bytes or control characters, and scores the rest
// by how common their letters and characters are in the candidate's languages.
func Detect(b []byte) Detection { return DetectHint(b, nil) }

// DetectHint is Detect for a text expected in one of langs. When the statistics alone are
// unsure (confidence below LowConfidence), a reading's score gains up to 1.5 as its letters
// beyond ASCII belong to those languages, which decides between the readings the
// statistics leave close (a short Slovak text: š in
// ISO-8859-2 or ą in Windows-1250); the confidence stays below LowConfidence and
// Detection.Hint names the languages. A sure detection is left as it is, so a wrong hint
// cannot overrule clear evidence.
func DetectHint(b []byte, langs []string) Detection {
	if len(b) > sampleBytes {
		b = b[:sampleBytes]
	}
	if bytes.Contains(b, []byte("\x1b$B")) || bytes.Contains(b, []byte("\x1b$@")) || bytes.Contains(b, []byte("\x1b(J")) {
		return Detection{Encoding: "iso-2022-jp", Confidence: 1}
	}
	if _, ok := utf8Prefix(b); ok && !bytes.Contains(b, []byte{0}) {
		return Detection{Encoding: "utf-8", Confidence: 1}
	}
	var rs []reading
	try := func(name string, enc encoding.Encoding, sample []byte) {
		out, err := enc.NewDecoder().Bytes(sample)
		if err != nil {
			return
		}
		s := string(out)
		if sc, ok := score(s, len(sample) < len(b) || len(b) == sampleBytes); ok {
			rs = append(rs, reading{name, s, sc + prior[name]})
		}
	}
	nul := bytes.Count(b, []byte{0})
	if u := utf16Parity(b); u != 0 || nul > 0 {
		even := b[:len(b)&^1]
		if u <= 0 {
			try("utf-16le", utf16LE, even)
		}
		if u >= 0 {
			try("utf-16be", utf16BE, even)
		}
	}
	if nul == 0 {
		for _, c := range candidates {
			try(c.name, c.enc, b)
		}
	}
	if len(rs) == 0 {
		return Detection{Encoding: "windows-1252", Confidence: 0}
	}
	d := decide(rs)
	if d.Confidence >= LowConfidence || len(langs) == 0 {
		return d
	}
	// The statistics leave the choice open: the languages decide, and the detection says
	// so (Hint) without claiming more confidence than a guess.
	for i := range rs {
		rs[i].score += hintBonus(rs[i].text, langs)
	}
	h := decide(rs)
	h.Confidence = min(h.Confidence, LowConfidence-0.01)
	h.Hint = langs
	return h
}

// decide picks the best-scoring reading and says how sure it is.
func decide(rs []reading) Detection {
	sort.SliceStable(rs, func(i, k int) bool { return rs[i].score > rs[k].score })
	best := rs[0]
	d := Detection{Encoding: best.name, Confidence: 1}
	var second *reading
	for i := 1; i < len(rs); i++ {
		if rs[i].text != best.text {
			second = &rs[i]
			break
		}
	}
	if second != nil {
		d.Confidence = 1 - math.Exp(-(best.score-second.score)/4)
	}
	if best.score <= 0 {
		d.Confidence = min(d.Confidence, 0.2)
	}
	d.Confidence = math.Round(d.Confidence*100) / 100
	if d.Confidence < LowConfidence {
		seen := map[string]bool{best.text: true}
		for _, r := range rs[1:] {
			if !seen[r.text] && best.score-r.score < 8 {
				seen[r.text] = true
				d.Others = append(d.Others, r.name)
			}
		}
	}
	return d
}

// LooksUTF16 reports text in UTF-16 without a byte order mark: the high bytes of its code
// units at one parity and a reading that is not implausible, or, for scripts whose high
// bytes vary (CJK), NUL bytes and a reading of common characters.
func LooksUTF16(head []byte) bool {
	u := utf16Parity(head)
	if u == 0 && bytes.IndexByte(head, 0) < 0 {
		return false
	}
	even := head[:len(head)&^1]
	for _, c := range []struct {
		enc   encoding.Encoding
		match bool
	}{{utf16LE, u < 0}, {utf16BE, u > 0}} {
		if u != 0 && !c.match {
			continue
		}
		out, err := c.enc.NewDecoder().Bytes(even)
		if err != nil {
			continue
		}
		sc, ok := score(string(out), true)
		switch {
		case !ok:
		case u != 0 && sc >= 0:
			return true
		case sc > 0.3*float64(utf8.RuneCount(out)):
			return true
		}
	}
	return false
}

// utf16Parity tells BOM-less UTF-16 by the bytes at even and odd offsets: in UTF-16 text
// the high bytes of the code units take few values (0 for Latin, 0x04 for Cyrillic, 0x30
// and 0x4e-0x9f for Japanese). It returns -1 for little endian, 1 for big endian, 0 when
// neither parity looks like high bytes.
func utf16Parity(b []byte) int {
	if len(b) < 8 {
		return 0
	}
	var even, odd [256]int
	for i := 0; i+1 < len(b); i += 2 {
		even[b[i]]++
		odd[b[i+1]]++
	}
	n := len(b) / 2
	top := func(h *[256]int) int { // the share of the 4 most common values, per cent
		v := append([]int(nil), h[:]...)
		sort.Sort(sort.Reverse(sort.IntSlice(v)))
		return (v[0] + v[1] + v[2] + v[3]) * 100 / n
	}
	e, o := top(&even), top(&odd)
	switch {
	case o >= 90 && e < 70:
		return -1
	case e >= 90 && o < 70:
		return 1
	case odd[0]*100/n >= 30 && even[0]*100/n < 5:
		return -1
	case even[0]*100/n >= 30 && odd[0]*100/n < 5:
		return 1
	}
	return 0
}

// score rates a decoded text: higher is more plausible. ok is false for a reading with
// undefined bytes (U+FFFD, allowed once at the end of a cut sample) or many controls.
func score(s string, cut bool) (float64, bool) {
	var sc float64
	var prev rune
	prevScript := 0 // script of the previous letter in the word: 1 Latin, 2 Greek, 3 Cyrillic
	nWest, nCentral := 0, 0
	word := 0    // letters in the current word
	foreign := 0 // non-ASCII letters in the current word
	bad := 0
	runes := 0
	endWord := func() {
		if word >= 3 && foreign*4 >= word*3 && foreign >= 3 {
			sc -= float64(foreign) * 0.8 // words of accented Latin letters only: Cyrillic or Greek read as Latin
		}
		word, foreign, prevScript = 0, 0, 0
	}
	for i, r := range s {
		runes++
		isLetter := false
		script := 0
		switch {
		case r == utf8.RuneError:
			if cut && len(s)-i <= 4 {
				continue
			}
			return 0, false
		case r < 0x20:
			if r != '\n' && r != '\r' && r != '\t' && r != '\f' && r != 0x1a && r != 0x0b {
				bad++
				sc -= 5
			}
		case r < 0x80:
			isLetter = r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
			if isLetter {
				script = 1
			}
		case r < 0xa0:
			bad++
			sc -= 5 // C1 controls
		case r < 0xc0 || r == 0xd7 || r == 0xf7:
			sc += latin1Symbol(r)
		case r <= 0x24f:
			isLetter = true
			script = 1
			foreign++
			lr := unicode.ToLower(r)
			if strings.ContainsRune(westernOnly, lr) {
				nWest++
			} else if strings.ContainsRune(centralOnly, lr) {
				nCentral++
			}
			w, ok := latinWeight[lr]
			if !ok {
				w = -0.8
			}
			sc += w + casePenalty(r, prev)
		case r >= 0x370 && r <= 0x3ff:
			isLetter = true
			script = 2
			f := greekFreq[unicode.ToLower(r)]
			sc += freqWeight(f) + casePenalty(r, prev)
		case r >= 0x400 && r <= 0x4ff:
			isLetter = true
			script = 3
			f := cyrillicFreq[unicode.ToLower(r)]
			sc += freqWeight(f) + casePenalty(r, prev)
		case r >= 0x2010 && r <= 0x2027, r == 0x20ac, r == 0x2122, r == 0x2116:
			sc += 0.3 // dashes, quotes, ellipsis, euro, trade mark, numero
		case r >= 0x2500 && r <= 0x25ff, r >= 0x2200 && r <= 0x22ff, r >= 0x2320 && r <= 0x2321:
			sc -= 2 // box drawing, blocks, mathematical operators
		case r >= 0x3000 && r <= 0x303f:
			sc += 0.5
		case r >= 0x3040 && r <= 0x309f:
			sc += 1.5
		case r >= 0x30a0 && r <= 0x30ff:
			sc += 1.2
		case r >= 0x4e00 && r <= 0x9fff:
			if strings.ContainsRune(commonHanzi, r) || strings.ContainsRune(commonKanji, r) {
				sc += 2
			} else {
				sc -= 0.3
			}
		case r >= 0xac00 && r <= 0xd7a3:
			if strings.ContainsRune(commonHangul, r) {
				sc += 2
			} else {
				sc += 0.1
			}
		case r >= 0xff01 && r <= 0xff5e:
			sc += 0.2
		case r >= 0xff61 && r <= 0xff9f:
			sc -= 1.5 // half-width katakana: EUC bytes read as Shift-JIS
		default:
			sc -= 1.5 // private use, rare scripts, extension ideographs, compatibility forms
		}
		if !isLetter {
			endWord()
		} else {
			if prevScript != 0 && script != prevScript {
				sc -= 3 // two scripts in one word: one of them is a misreading
			}
			prevScript = script
			word++
		}
		prev = r
	}
	endWord()
	sc -= 1.5 * float64(min(nWest, nCentral)) // letters of western and central European languages mixed
	if bad > runes/100+2 {
		return 0, false
	}
	return sc, true
}

// freqWeight turns a letter frequency (per cent) into a score: common letters about 2,
// rare ones below zero, letters absent from the table -1.
func freqWeight(f float64) float64 {
	if f <= 0 {
		return -1
	}
	return math.Log10(f * 10)
}

// casePenalty punishes a capital letter right after a small one: a code page that swaps
// the cases (KOI8-R read as Windows-1251) produces them in nearly every word.
func casePenalty(r, prev rune) float64 {
	switch {
	case !unicode.IsUpper(r):
		return 0
	case unicode.IsLower(prev):
		return -3
	case unicode.IsUpper(prev):
		return -0.7 // capitals inside a word: rare in running text, the norm in case-swapped readings
	}
	return 0
}

// westernOnly and centralOnly are accented letters of western European orthographies
// (Windows-1252) and of central European ones (Windows-1250, ISO-8859-2) that the other
// group does not use; a text that mixes them is probably misread.
const (
	westernOnly = "àèìòùêîûëïÿñãõåæøœðþ"
	centralOnly = "čřěůąęłśźżćńőűňťďľĺŕăşţđšž"
)

// latin1Symbol scores the symbols of U+00A0-U+00BF, U+00D7 and U+00F7.
func latin1Symbol(r rune) float64 {
	switch r {
	case 0xab, 0xbb:
		return 0.5 // guillemets
	case 0xa0, 0xb0, 0xa7, 0xa9, 0xae, 0xb7, 0xa3, 0xbf, 0xa1, 0xb5, 0xbd, 0xad:
		return 0.1
	}
	return -1.5
}
