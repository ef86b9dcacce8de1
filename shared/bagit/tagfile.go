package bagit

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// Declaration is the content of bagit.txt.
type Declaration struct {
	Version  string // "M.N"
	Major    int
	Minor    int
	Encoding string // Tag-File-Character-Encoding as written
}

var (
	versionLine  = regexp.MustCompile(`^BagIt-Version: ([0-9]+)\.([0-9]+)$`)
	encodingLine = regexp.MustCompile(`^Tag-File-Character-Encoding: (\S(?:.*\S)?)$`)
)

// splitLines splits on LF, CRLF or CR (RFC 8493 allows all three) and drops the empty
// string after a final line ending.
func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return out
}

// ParseDeclaration parses bagit.txt: exactly two lines, "BagIt-Version: M.N" and
// "Tag-File-Character-Encoding: ENCODING", UTF-8 without a byte-order mark.
func ParseDeclaration(raw []byte) (Declaration, error) {
	const name = "bagit.txt"
	if bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
		return Declaration{}, &FormatError{Path: name, Line: 1, Reason: "starts with a UTF-8 byte-order mark, which RFC 8493 forbids here"}
	}
	if !utf8.Valid(raw) {
		return Declaration{}, &FormatError{Path: name, Reason: "is not UTF-8"}
	}
	lines := splitLines(string(raw))
	if len(lines) != 2 {
		return Declaration{}, &FormatError{Path: name, Reason: fmt.Sprintf("has %d lines, want exactly 2 (BagIt-Version and Tag-File-Character-Encoding)", len(lines))}
	}
	m := versionLine.FindStringSubmatch(lines[0])
	if m == nil {
		return Declaration{}, &FormatError{Path: name, Line: 1, Reason: fmt.Sprintf("%q is not \"BagIt-Version: M.N\"", lines[0])}
	}
	e := encodingLine.FindStringSubmatch(lines[1])
	if e == nil {
		return Declaration{}, &FormatError{Path: name, Line: 2, Reason: fmt.Sprintf("%q is not \"Tag-File-Character-Encoding: ENCODING\"", lines[1])}
	}
	major, err1 := strconv.Atoi(m[1])
	minor, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil {
		return Declaration{}, &FormatError{Path: name, Line: 1, Reason: "version number out of range"}
	}
	if _, err := lookupEncoding(e[1]); err != nil {
		return Declaration{}, &FormatError{Path: name, Line: 2, Reason: err.Error()}
	}
	return Declaration{Version: m[1] + "." + m[2], Major: major, Minor: minor, Encoding: e[1]}, nil
}

// atLeast reports whether the declared version is major.minor or later.
func (d Declaration) atLeast(major, minor int) bool {
	return d.Major > major || d.Major == major && d.Minor >= minor
}

func lookupEncoding(name string) (encoding.Encoding, error) {
	switch strings.ToUpper(strings.ReplaceAll(name, "_", "-")) {
	case "UTF-8", "UTF8":
		return nil, nil // handled without a decoder
	case "UTF-16":
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM), nil
	case "UTF-16LE":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), nil
	case "UTF-16BE":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), nil
	}
	enc, err := ianaindex.IANA.Encoding(name)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("unknown tag file character encoding %q", name)
	}
	return enc, nil
}

// decodeTagFile turns a tag file's bytes into text in the bag's declared encoding.
// A UTF-8 byte-order mark is dropped with a warning.
func decodeTagFile(name string, raw []byte, encName string) (string, []Warning, error) {
	enc, err := lookupEncoding(encName)
	if err != nil {
		return "", nil, &FormatError{Path: name, Reason: err.Error()}
	}
	if enc == nil {
		var warns []Warning
		if bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
			raw = raw[3:]
			warns = append(warns, Warning{Path: name, Message: "starts with a UTF-8 byte-order mark; ignored"})
		}
		if !utf8.Valid(raw) {
			return "", nil, &FormatError{Path: name, Reason: "is not valid UTF-8, the encoding bagit.txt declares"}
		}
		return string(raw), warns, nil
	}
	out, err := enc.NewDecoder().Bytes(raw)
	if err != nil {
		return "", nil, &FormatError{Path: name, Reason: fmt.Sprintf("cannot be decoded as %s: %v", encName, err)}
	}
	s := strings.TrimPrefix(string(out), "\ufeff")
	return s, nil, nil
}

// checkLines enforces the line-length limit on a decoded tag file.
func checkLines(name string, lines []string, lim Limits) error {
	for _, l := range lines {
		if len(l) > lim.MaxTagLineLen {
			return &LimitError{Path: name, Limit: "MaxTagLineLen", Max: int64(lim.MaxTagLineLen), Got: int64(len(l))}
		}
	}
	return nil
}

// Field is one label and value of bag-info.txt, in file order.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Info is bag-info.txt: its fields in order; labels may repeat.
type Info []Field

// Get returns every value of a label, compared case-insensitively.
func (in Info) Get(label string) []string {
	var out []string
	for _, f := range in {
		if strings.EqualFold(f.Label, label) {
			out = append(out, f.Value)
		}
	}
	return out
}

// First returns the first value of a label, or "".
func (in Info) First(label string) string {
	if v := in.Get(label); len(v) > 0 {
		return v[0]
	}
	return ""
}

// ParseInfo parses bag-info.txt text (already decoded): "Label: value" lines; a line
// starting with a space or tab continues the previous value. Whitespace around the
// colon is tolerated, as the conformance suite's uncommon-metadata-separators requires.
func ParseInfo(name, text string, lim Limits) (Info, error) {
	lines := splitLines(text)
	if err := checkLines(name, lines, lim); err != nil {
		return nil, err
	}
	if len(lines) > lim.MaxManifestLines {
		return nil, &LimitError{Path: name, Limit: "MaxManifestLines", Max: int64(lim.MaxManifestLines), Got: int64(len(lines))}
	}
	var info Info
	for i, l := range lines {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if len(info) == 0 {
				return nil, &FormatError{Path: name, Line: i + 1, Reason: "continuation line before any label"}
			}
			v := strings.TrimSpace(l)
			if info[len(info)-1].Value == "" {
				info[len(info)-1].Value = v
			} else if v != "" {
				info[len(info)-1].Value += " " + v
			}
			continue
		}
		colon := strings.IndexByte(l, ':')
		if colon < 0 {
			return nil, &FormatError{Path: name, Line: i + 1, Reason: fmt.Sprintf("%q has no \"Label: value\" colon", clip(l))}
		}
		label := strings.TrimRight(l[:colon], " \t")
		if label == "" || strings.ContainsAny(label, " \t") {
			return nil, &FormatError{Path: name, Line: i + 1, Reason: fmt.Sprintf("label %q is empty or contains whitespace", clip(label))}
		}
		info = append(info, Field{Label: label, Value: strings.TrimSpace(l[colon+1:])})
	}
	return info, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

var oxumRe = regexp.MustCompile(`^([0-9]{1,19})\.([0-9]{1,19})$`)

// parseOxum parses a Payload-Oxum value "octets.streamcount".
func parseOxum(v string) (octets, files int64, ok bool) {
	m := oxumRe.FindStringSubmatch(v)
	if m == nil {
		return 0, 0, false
	}
	o, err1 := strconv.ParseInt(m[1], 10, 64)
	f, err2 := strconv.ParseInt(m[2], 10, 64)
	return o, f, err1 == nil && err2 == nil
}

// ManifestEntry is one line of a manifest: a checksum and a decoded path.
type ManifestEntry struct {
	Checksum string // lowercase hex
	Path     string // relative to the bag root, percent-decoding undone
	Line     int
}

// hexLen gives the checksum length in hex digits of each algorithm evx verifies.
var hexLen = map[string]int{"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}

// ParseManifest parses a (tag) manifest's decoded text: "CHECKSUM  PATH" lines. A "*"
// before the path (md5sum's binary marker) and a leading "./" are dropped with a
// warning. Unsafe paths yield an *UnsafePathError.
func ParseManifest(name, alg, text string, lim Limits) ([]ManifestEntry, []Warning, error) {
	lines := splitLines(text)
	if len(lines) > lim.MaxManifestLines {
		return nil, nil, &LimitError{Path: name, Limit: "MaxManifestLines", Max: int64(lim.MaxManifestLines), Got: int64(len(lines))}
	}
	if err := checkLines(name, lines, lim); err != nil {
		return nil, nil, err
	}
	var out []ManifestEntry
	var warns []Warning
	star, dot := false, false
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		sp := strings.IndexAny(l, " \t")
		if sp <= 0 {
			return nil, nil, &FormatError{Path: name, Line: i + 1, Reason: "want \"CHECKSUM PATH\""}
		}
		sum := strings.ToLower(l[:sp])
		rest := strings.TrimLeft(l[sp:], " \t")
		if rest == "" {
			return nil, nil, &FormatError{Path: name, Line: i + 1, Reason: "checksum without a path"}
		}
		if !isHex(sum) {
			return nil, nil, &FormatError{Path: name, Line: i + 1, Reason: fmt.Sprintf("checksum %q is not hexadecimal", clip(sum))}
		}
		if n, ok := hexLen[alg]; ok && len(sum) != n {
			return nil, nil, &FormatError{Path: name, Line: i + 1, Reason: fmt.Sprintf("checksum has %d hex digits, %s has %d", len(sum), alg, n)}
		}
		if strings.HasPrefix(rest, "*") {
			rest = rest[1:]
			star = true
		}
		p := decodePath(rest)
		if strings.HasPrefix(p, "./") {
			p = strings.TrimLeft(p[2:], "/")
			dot = true
		}
		if len(p) > lim.MaxPathLen {
			return nil, nil, &LimitError{Path: clip(p), Limit: "MaxPathLen", Max: int64(lim.MaxPathLen), Got: int64(len(p))}
		}
		if why := checkPath(p); why != "" {
			return nil, nil, &UnsafePathError{Path: p, Source: name, Reason: why}
		}
		out = append(out, ManifestEntry{Checksum: sum, Path: p, Line: i + 1})
	}
	if star {
		warns = append(warns, Warning{Path: name, Message: "paths carry md5sum's '*' binary marker; read without it"})
	}
	if dot {
		warns = append(warns, Warning{Path: name, Message: "paths start with './'; read relative to the bag"})
	}
	return out, warns, nil
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// FetchEntry is one line of fetch.txt.
type FetchEntry struct {
	URL    string
	Length string // "-" or a decimal number
	Path   string
}

// ParseFetch parses fetch.txt's decoded text: "URL LENGTH PATH" lines.
func ParseFetch(text string, lim Limits) ([]FetchEntry, error) {
	const name = "fetch.txt"
	lines := splitLines(text)
	if len(lines) > lim.MaxManifestLines {
		return nil, &LimitError{Path: name, Limit: "MaxManifestLines", Max: int64(lim.MaxManifestLines), Got: int64(len(lines))}
	}
	if err := checkLines(name, lines, lim); err != nil {
		return nil, err
	}
	var out []FetchEntry
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		f := strings.SplitN(l, " ", 3)
		if len(f) != 3 || f[0] == "" || f[1] == "" || f[2] == "" {
			return nil, &FormatError{Path: name, Line: i + 1, Reason: "want \"URL LENGTH PATH\""}
		}
		if f[1] != "-" {
			if _, err := strconv.ParseUint(f[1], 10, 63); err != nil {
				return nil, &FormatError{Path: name, Line: i + 1, Reason: fmt.Sprintf("length %q is neither - nor a number", clip(f[1]))}
			}
		}
		p := decodePath(f[2])
		if why := checkPath(p); why != "" {
			return nil, &UnsafePathError{Path: p, Source: name, Reason: why}
		}
		if !strings.HasPrefix(p, "data/") {
			return nil, &FormatError{Path: name, Line: i + 1, Reason: fmt.Sprintf("%q is not a payload path under data/", clip(p))}
		}
		out = append(out, FetchEntry{URL: f[0], Length: f[1], Path: p})
	}
	return out, nil
}
