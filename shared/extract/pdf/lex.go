package pdf

import "bytes"

// The content-stream lexer. Content streams are decoded into memory once (bounded by
// extractor.Limits.MaxStreamBytes) and tokenised in place: strings without escapes are sub-slices
// of the stream, so showing text allocates nothing per glyph.

type tokKind uint8

const (
	tEOF tokKind = iota
	tNum
	tStr
	tName
	tOp
	tArray // an array operand, parsed whole
	tDict  // a dictionary operand, skipped
)

// operand is one value on the content-stream operand stack.
type operand struct {
	kind tokKind
	num  float64
	s    []byte
	arr  []operand
}

type lexer struct {
	b     []byte
	i     int
	arena []byte // decoded strings of the current operator's operands
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isSpace(c) && !isDelim(c) }

// next returns the next token; arrays are returned as tArray with their elements and
// dictionaries as tDict (contents dropped).
func (l *lexer) next(depth int) operand {
	b := l.b
	for l.i < len(b) {
		c := b[l.i]
		if isSpace(c) {
			l.i++
			continue
		}
		if c == '%' {
			for l.i < len(b) && b[l.i] != '\n' && b[l.i] != '\r' {
				l.i++
			}
			continue
		}
		break
	}
	if l.i >= len(b) {
		return operand{kind: tEOF}
	}
	c := b[l.i]
	switch {
	case c == '(':
		return operand{kind: tStr, s: l.literal()}
	case c == '<':
		if l.i+1 < len(b) && b[l.i+1] == '<' {
			l.i += 2
			l.skipDict()
			return operand{kind: tDict}
		}
		return operand{kind: tStr, s: l.hex()}
	case c == '/':
		l.i++
		st := l.i
		for l.i < len(b) && isRegular(b[l.i]) {
			l.i++
		}
		name := b[st:l.i]
		if bytes.IndexByte(name, '#') >= 0 {
			name = l.unescapeName(name)
		}
		return operand{kind: tName, s: name}
	case c == '[':
		l.i++
		if depth > 32 {
			return operand{kind: tArray}
		}
		var arr []operand
		for {
			t := l.next(depth + 1)
			if t.kind == tEOF || (t.kind == tOp && len(t.s) == 1 && t.s[0] == ']') {
				break
			}
			if len(arr) < 1<<16 {
				arr = append(arr, t)
			}
		}
		return operand{kind: tArray, arr: arr}
	case c == ']' || c == '>' || c == ')' || c == '{' || c == '}':
		l.i++
		return operand{kind: tOp, s: b[l.i-1 : l.i]}
	case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
		st := l.i
		for l.i < len(b) && isRegular(b[l.i]) {
			l.i++
		}
		if n, ok := parseNum(b[st:l.i]); ok {
			return operand{kind: tNum, num: n}
		}
		return operand{kind: tOp, s: b[st:l.i]}
	}
	st := l.i
	for l.i < len(b) && isRegular(b[l.i]) {
		l.i++
	}
	if l.i == st { // a lone delimiter not handled above
		l.i++
	}
	return operand{kind: tOp, s: b[st:l.i]}
}

// parseNum parses PDF numbers leniently ("--5", "1.2.3" and "5-" read as far as valid).
func parseNum(s []byte) (float64, bool) {
	i, neg := 0, false
	for i < len(s) && (s[i] == '+' || s[i] == '-') {
		if s[i] == '-' {
			neg = !neg
		}
		i++
	}
	var v float64
	digits := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + float64(s[i]-'0')
		digits = true
	}
	if i < len(s) && s[i] == '.' {
		i++
		scale := 0.1
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			v += float64(s[i]-'0') * scale
			scale /= 10
			digits = true
		}
	}
	if !digits {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func (l *lexer) literal() []byte {
	b := l.b
	l.i++ // (
	st := l.i
	depth := 1
	esc := false
	for j := l.i; j < len(b); j++ {
		switch b[j] {
		case '\\':
			esc = true
			j++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.i = j + 1
				if !esc {
					return b[st:j]
				}
				return l.unescape(b[st:j])
			}
		}
	}
	l.i = len(b)
	if !esc {
		return b[st:]
	}
	return l.unescape(b[st:])
}

func (l *lexer) unescape(s []byte) []byte {
	start := len(l.arena)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			l.arena = append(l.arena, c)
			continue
		}
		i++
		c = s[i]
		switch c {
		case 'n':
			l.arena = append(l.arena, '\n')
		case 'r':
			l.arena = append(l.arena, '\r')
		case 't':
			l.arena = append(l.arena, '\t')
		case 'b':
			l.arena = append(l.arena, '\b')
		case 'f':
			l.arena = append(l.arena, '\f')
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		case '\n':
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(c - '0')
			for k := 0; k < 2 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '7'; k++ {
				i++
				v = v*8 + int(s[i]-'0')
			}
			l.arena = append(l.arena, byte(v))
		default:
			l.arena = append(l.arena, c)
		}
	}
	return l.arena[start:len(l.arena):len(l.arena)]
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (l *lexer) hex() []byte {
	b := l.b
	l.i++ // <
	start := len(l.arena)
	var hi byte
	half := false
	for l.i < len(b) {
		c := b[l.i]
		l.i++
		if c == '>' {
			break
		}
		v, ok := unhex(c)
		if !ok {
			continue
		}
		if half {
			l.arena = append(l.arena, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		l.arena = append(l.arena, hi<<4)
	}
	return l.arena[start:len(l.arena):len(l.arena)]
}

func (l *lexer) unescapeName(s []byte) []byte {
	start := len(l.arena)
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && i+2 < len(s) {
			h, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				l.arena = append(l.arena, h<<4|lo)
				i += 2
				continue
			}
		}
		l.arena = append(l.arena, s[i])
	}
	return l.arena[start:len(l.arena):len(l.arena)]
}

// skipDict skips to the ">>" that closes a "<<" already consumed.
func (l *lexer) skipDict() {
	b := l.b
	depth := 1
	for l.i < len(b) {
		c := b[l.i]
		switch {
		case c == '(':
			l.literal()
			continue
		case c == '<' && l.i+1 < len(b) && b[l.i+1] == '<':
			depth++
			l.i += 2
			continue
		case c == '>' && l.i+1 < len(b) && b[l.i+1] == '>':
			depth--
			l.i += 2
			if depth == 0 {
				return
			}
			continue
		case c == '<':
			l.hex()
			continue
		}
		l.i++
	}
}

// skipInlineImage skips the data of an inline image after its BI operator: the
// dictionary up to ID, then the binary data up to an EI between white space.
func (l *lexer) skipInlineImage() {
	for {
		t := l.next(0)
		if t.kind == tEOF {
			return
		}
		if t.kind == tOp && string(t.s) == "ID" {
			break
		}
	}
	l.i++ // the single white-space byte after ID
	b := l.b
	for l.i < len(b) {
		k := bytes.Index(b[l.i:], []byte("EI"))
		if k < 0 {
			l.i = len(b)
			return
		}
		p := l.i + k
		if (p == 0 || isSpace(b[p-1])) && (p+2 >= len(b) || isSpace(b[p+2])) {
			l.i = p + 2
			return
		}
		l.i = p + 2
	}
}
