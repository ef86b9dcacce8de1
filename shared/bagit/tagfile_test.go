package bagit

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestSplitLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"a\nb\n", []string{"a", "b"}},
		{"a\r\nb\r\n", []string{"a", "b"}},
		{"a\rb\r", []string{"a", "b"}},
		{"a\n\nb", []string{"a", "", "b"}},
		{"a\r\n\r\nb", []string{"a", "", "b"}},
		{"", nil},
	} {
		if got := splitLines(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitLines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPercentCoding(t *testing.T) {
	for _, tc := range []struct{ enc, dec string }{
		{"data/100%25.txt", "data/100%.txt"},
		{"data/a%0Ab%0dc", "data/a\nb\rc"},
		{"data/%7Etest.txt", "data/%7Etest.txt"}, // only %, CR, LF are encoded
		{"data/%", "data/%"},
		{"data/%2", "data/%2"},
	} {
		if got := decodePath(tc.enc); got != tc.dec {
			t.Errorf("decodePath(%q) = %q, want %q", tc.enc, got, tc.dec)
		}
	}
	for _, p := range []string{"data/100%.txt", "data/a\nb\rc", "data/%0A literal"} {
		if got := decodePath(encodePath(p)); got != p {
			t.Errorf("decodePath(encodePath(%q)) = %q", p, got)
		}
	}
}

func TestCheckPath(t *testing.T) {
	safe := []string{"data/a.txt", "data/a b/c", "data/~tilde-inside", "data/x..y", "bag-info.txt", "data/100%"}
	unsafe := []string{"", "/etc/passwd", "../x", "data/../../x", "data/./x", "data//x", "~/x", "~root/x",
		"C:/x", "c:x", "data/C:/x", `data\x`, `\\server\share`, "data/\x00", "data/\x1b[2J"}
	for _, p := range safe {
		if why := checkPath(p); why != "" {
			t.Errorf("checkPath(%q) = %q, want safe", p, why)
		}
	}
	for _, p := range unsafe {
		if checkPath(p) == "" {
			t.Errorf("checkPath(%q) = safe, want refused", p)
		}
	}
}

func TestParseDeclaration(t *testing.T) {
	for _, tc := range []struct {
		raw string
		ok  bool
	}{
		{"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", true},
		{"BagIt-Version: 0.97\r\nTag-File-Character-Encoding: ISO-8859-1", true},
		{"\xef\xbb\xbfBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", false},
		{"BagIt-Version: 1.0\n", false},
		{"Tag-File-Character-Encoding: UTF-8\nBagIt-Version: 1.0\n", false},
		{"BagIt-Version: 1\nTag-File-Character-Encoding: UTF-8\n", false},
		{"BagIt-Version:1.0\nTag-File-Character-Encoding: UTF-8\n", false},
		{"BagIt-Version: 1.0\nTag-File-Character-Encoding: KLINGON-8\n", false},
		{"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\nExtra: x\n", false},
	} {
		_, err := ParseDeclaration([]byte(tc.raw))
		var fe *FormatError
		if tc.ok != (err == nil) || err != nil && !errors.As(err, &fe) {
			t.Errorf("ParseDeclaration(%q) = %v, want ok=%v (or a *FormatError)", tc.raw, err, tc.ok)
		}
	}
}

func TestDecodeTagFile(t *testing.T) {
	// "Contact-Name: Jos\xe9" in ISO-8859-1; the same in UTF-16 with a little-endian BOM.
	got, _, err := decodeTagFile("bag-info.txt", []byte("Contact-Name: Jos\xe9\n"), "ISO-8859-1")
	if err != nil || got != "Contact-Name: José\n" {
		t.Errorf("ISO-8859-1: %q, %v", got, err)
	}
	u16 := []byte{0xff, 0xfe}
	for _, r := range "Name: José\n" {
		u16 = append(u16, byte(r), byte(r>>8))
	}
	got, _, err = decodeTagFile("bag-info.txt", u16, "UTF-16")
	if err != nil || got != "Name: José\n" {
		t.Errorf("UTF-16: %q, %v", got, err)
	}
	if _, _, err := decodeTagFile("bag-info.txt", []byte("bad \xff\n"), "UTF-8"); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
	got, warns, err := decodeTagFile("bag-info.txt", []byte("\xef\xbb\xbfA: b\n"), "UTF-8")
	if err != nil || got != "A: b\n" || len(warns) != 1 {
		t.Errorf("UTF-8 BOM: %q %v %v, want it dropped with a warning", got, warns, err)
	}
}

func TestParseInfo(t *testing.T) {
	info, err := ParseInfo("bag-info.txt", "External-Description: first\n  second\n\tthird\nTest-Tag  :  1\nTest-Tag: 2\r\n", DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	want := Info{{"External-Description", "first second third"}, {"Test-Tag", "1"}, {"Test-Tag", "2"}}
	if !reflect.DeepEqual(info, want) {
		t.Errorf("ParseInfo = %q, want %q", info, want)
	}
	if got := info.Get("test-tag"); len(got) != 2 {
		t.Errorf("Get is case-sensitive: %v", got)
	}
	for _, bad := range []string{"  continuation first\n", "no colon here\n", ": empty label\n", "two words: x\n"} {
		if _, err := ParseInfo("bag-info.txt", bad, DefaultLimits()); err == nil {
			t.Errorf("ParseInfo(%q) accepted", bad)
		}
	}
}

func TestParseFields(t *testing.T) {
	f, errs := ParseFields(evxInfo())
	if len(errs) != 0 || len(f.Counterparts) != 2 || f.RequestingState != "NL" || f.LegalBasis == "" {
		t.Errorf("ParseFields(valid) = %+v, %v", f, errs)
	}
	for _, tc := range []struct {
		name string
		info Info
	}{
		{"no-counterpart", Info{{LabelHandlingCode, "H1"}}},
		{"bad-handling-code", Info{{LabelCounterpart, "BE-FPP"}, {LabelHandlingCode, "H4"}}},
		{"repeated-single-field", Info{{LabelCounterpart, "BE-FPP"}, {LabelRequestReference, "a"}, {LabelRequestReference, "b"}}},
		{"empty-counterpart", Info{{LabelCounterpart, ""}}},
		{"h3-without-restriction", Info{{LabelCounterpart, "BE-FPP"}, {LabelHandlingCode, "H3"}}},
		{"h3-blank-restriction", Info{{LabelCounterpart, "BE-FPP"}, {LabelHandlingCode, "H3"}, {LabelHandlingRestriction, "  "}}},
		{"restriction-without-h3", Info{{LabelCounterpart, "BE-FPP"}, {LabelHandlingCode, "H2"}, {LabelHandlingRestriction, "no tax use"}}},
		{"restriction-without-code", Info{{LabelCounterpart, "BE-FPP"}, {LabelHandlingRestriction, "no tax use"}}},
		{"restriction-too-long", Info{{LabelCounterpart, "BE-FPP"}, {LabelHandlingCode, "H3"}, {LabelHandlingRestriction, strings.Repeat("ż", MaxHandlingRestriction+1)}}},
		{"restriction-control", Info{{LabelCounterpart, "BE-FPP"}, {LabelHandlingCode, "H3"}, {LabelHandlingRestriction, "no\x1b[2Jtax"}}},
		{"restriction-not-utf8", Info{{LabelCounterpart, "BE-FPP"}, {LabelHandlingCode, "H3"}, {LabelHandlingRestriction, "no \xff tax"}}},
		{"restriction-twice", Info{{LabelCounterpart, "BE-FPP"}, {LabelHandlingCode, "H3"}, {LabelHandlingRestriction, "a"}, {LabelHandlingRestriction, "b"}}},
	} {
		_, errs := ParseFields(tc.info)
		var pe *PolicyError
		if len(errs) == 0 || !errors.As(errs[0], &pe) {
			t.Errorf("%s: errors %v, want a *PolicyError", tc.name, errs)
		}
	}
	long := strings.Repeat("ż", MaxHandlingRestriction)
	f, errs = ParseFields(Info{{LabelCounterpart, "BE-FPP"}, {LabelHandlingCode, "H3"}, {LabelHandlingRestriction, long}})
	if len(errs) != 0 || f.HandlingRestriction != long {
		t.Errorf("ParseFields(H3 with a restriction of %d characters) = %q, %v; want it kept", MaxHandlingRestriction, f.HandlingRestriction, errs)
	}
}
