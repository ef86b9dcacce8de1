package bagit

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// checkPath reports why p (slash-separated, relative to the bag or archive root) is
// unsafe, or "" if it is safe. It refuses everything that could name a file outside the
// destination on any operating system: "..", absolute paths, "~" (home directories),
// drive letters, UNC prefixes, backslashes, NUL and other control characters except
// CR and LF inside a name (RFC 8493 percent-encodes those).
func checkPath(p string) string {
	switch {
	case p == "":
		return "empty path"
	case strings.HasPrefix(p, "/"):
		return "absolute path"
	case strings.ContainsRune(p, '\\'):
		return "backslash (a Windows separator)"
	case strings.ContainsRune(p, 0):
		return "NUL byte"
	case !utf8.ValidString(p):
		return "not valid UTF-8"
	case len(p) >= 2 && p[1] == ':' && isLetter(p[0]):
		return "drive letter"
	case strings.HasPrefix(p, "~"):
		return "home directory shortcut (~)"
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "..":
			return "parent directory (..)"
		case "":
			return "empty segment (//)"
		case ".":
			return "current directory segment (.)"
		}
		if strings.ContainsRune(seg, ':') && len(seg) >= 2 && seg[1] == ':' && isLetter(seg[0]) {
			return "drive letter"
		}
	}
	for _, r := range p {
		if r < 0x20 && r != '\r' && r != '\n' || r == 0x7f {
			return "control character"
		}
	}
	return ""
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// decodePath undoes RFC 8493's percent-encoding of a manifest or fetch path: only
// %25 (%), %0A (LF) and %0D (CR) are decoded, case-insensitively; every other "%"
// is literal (the conformance suite's bag-with-encoded-names has a file named
// "%7Etest1.txt").
func decodePath(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			switch strings.ToUpper(s[i+1 : i+3]) {
			case "25":
				b.WriteByte('%')
				i += 2
				continue
			case "0A":
				b.WriteByte('\n')
				i += 2
				continue
			case "0D":
				b.WriteByte('\r')
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// encodePath percent-encodes %, LF and CR for a manifest line (RFC 8493 section 2.1.3).
func encodePath(s string) string {
	if !strings.ContainsAny(s, "%\r\n") {
		return s
	}
	r := strings.NewReplacer("%", "%25", "\n", "%0A", "\r", "%0D")
	return r.Replace(s)
}

var folder = cases.Fold()

// foldKey maps names that differ only in Unicode normalization or letter case to one
// key, to find names a case-insensitive or normalizing file system would merge.
func foldKey(p string) string {
	return folder.String(norm.NFC.String(p))
}

// systemFiles are operating-system metadata files that copying tools add to folders.
var systemFiles = map[string]bool{
	".DS_Store": true, "Thumbs.db": true, "desktop.ini": true, ".Spotlight-V100": true,
	".Trashes": true, "ehthumbs.db": true, "Icon\r": true,
}

func isSystemFile(p string) bool {
	base := p[strings.LastIndexByte(p, '/')+1:]
	return systemFiles[base] || strings.HasPrefix(base, "._")
}
