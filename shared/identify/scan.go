package identify

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// scanner finds the candidates of one type in text, at most n.
type scanner func(text string, opt Options, n int) []Finding

var scanners = map[Type]scanner{
	Container:  scanContainer,
	IMO:        scanIMO,
	MMSI:       scanMMSI,
	IBAN:       scanIBAN,
	BIC:        scanBIC,
	Phone:      scanPhone,
	Email:      scanEmail,
	Bitcoin:    scanBitcoin,
	Ethereum:   scanEthereum,
	VIN:        scanVIN,
	AirWaybill: scanAWB,
	IPv4:       scanIPv4,
	IPv6:       scanIPv6,
}

// isWord reports whether r would continue a word: letters, digits, marks.
func isWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// boundary reports whether text[start:end] stands between word boundaries: the rune
// before start and the rune at end are not letters or digits, nor any rune in extra.
func boundary(text string, start, end int, extra string) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(text[:start])
		if isWord(r) || strings.ContainsRune(extra, r) {
			return false
		}
	}
	if end < len(text) {
		r, _ := utf8.DecodeRuneInString(text[end:])
		if isWord(r) || strings.ContainsRune(extra, r) {
			return false
		}
	}
	return true
}

// contextWindow is how far before a candidate a label is looked for.
const contextWindow = 64

// labelled reports whether a label (label matches one) stands before start, on the
// candidate's line or the line before it, within contextWindow bytes, with at most three
// words and no digit, comma or semicolon between the label and the candidate ("Tel.: ", "call me on ",
// "IBAN / BIC\n"). The digit rule keeps one label from vouching for a second number further
// along the line. Labels are matched case-insensitively as whole words ("tel" matches
// "Tel.:" but not "hotel").
func labelled(text string, start int, label *regexp.Regexp) bool {
	from := start - contextWindow
	if from < 0 {
		from = 0
	}
	for from > 0 && !utf8.RuneStart(text[from]) {
		from++
	}
	w := text[from:start]
	if i := strings.LastIndexByte(w, '\n'); i >= 0 {
		if j := strings.LastIndexByte(w[:i], '\n'); j >= 0 {
			w = w[j+1:]
		}
	}
	ms := label.FindAllStringIndex(w, -1)
	if ms == nil {
		return false
	}
	rest := w[ms[len(ms)-1][1]:]
	words, inWord := 0, false
	for _, r := range rest {
		switch {
		case unicode.IsDigit(r), r == ',', r == ';':
			return false
		case unicode.IsLetter(r):
			if !inWord {
				words++
			}
			inWord = true
		default:
			inWord = false
		}
	}
	return words <= 3
}

// labelRE builds the case-insensitive whole-word pattern for a label list.
func labelRE(words ...string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)(?:^|[^\pL\pN])(?:` + strings.Join(words, "|") + `)(?:[^\pL\pN]|$)`)
}

// each calls fn for every match of re in text (submatch indexes), at most n findings kept.
func each(text string, re *regexp.Regexp, n int, fn func(m []int) (Finding, bool)) []Finding {
	var out []Finding
	for pos := 0; pos <= len(text) && len(out) < n; {
		m := re.FindStringSubmatchIndex(text[pos:])
		if m == nil {
			break
		}
		for i := range m {
			if m[i] >= 0 {
				m[i] += pos
			}
		}
		if f, ok := fn(m); ok {
			out = append(out, f)
		}
		if m[1] > m[0] {
			pos = m[1]
		} else {
			pos = m[1] + 1
		}
	}
	return out
}

// finding builds a finding for text[start:end].
func finding(t Type, text string, start, end int, value string, check Check, reason string) Finding {
	return Finding{Type: t, Value: value, Text: text[start:end], Offset: start, Check: check, Valid: reason == "", Reason: reason}
}

// squeeze removes spaces and hyphens and upper-cases ASCII.
func squeeze(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '\u00a0' || c == '\t':
		case 'a' <= c && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
