package bagit

import (
	"errors"
	"strings"
	"testing"
)

// TestParseInfoLimitEdges: a tag line of exactly MaxTagLineLen bytes and a bag-info.txt of
// exactly MaxManifestLines lines are accepted; one byte or one line more is a *LimitError
// naming the limit.
func TestParseInfoLimitEdges(t *testing.T) {
	lim := Limits{MaxTagLineLen: 12, MaxManifestLines: 3}
	for _, tc := range []struct {
		name, text string
		limit      string // "" when accepted
	}{
		{"line-at-limit", "Label: 12345\n", ""}, // 12 bytes
		{"line-over-limit", "Label: 123456\n", "MaxTagLineLen"},
		{"lines-at-limit", "A: 1\nB: 2\nC: 3\n", ""},
		{"lines-over-limit", "A: 1\nB: 2\nC: 3\nD: 4\n", "MaxManifestLines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseInfo("bag-info.txt", tc.text, lim)
			var le *LimitError
			switch {
			case tc.limit == "" && err != nil:
				t.Errorf("ParseInfo = %v, want accepted", err)
			case tc.limit != "" && (!errors.As(err, &le) || le.Limit != tc.limit):
				t.Errorf("ParseInfo = %v, want a *LimitError on %s", err, tc.limit)
			}
		})
	}
}

// TestParseInfoErrorLines: each malformed bag-info.txt line is reported on its own line
// number (1-based), with a reason that says what is wrong with it.
func TestParseInfoErrorLines(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
		reason     string // a word the reason must hold
	}{
		{"continuation-first", "\n\n  continued\n", 3, "continuation"},
		{"no-colon", "A: 1\nB: 2\nno colon here\n", 3, "colon"},
		{"empty-label", "A: 1\n: no label\n", 2, "is empty"},
		{"label-with-space", "A: 1\nB: 2\nC: 3\ntwo words: x\n", 4, "label"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseInfo("bag-info.txt", tc.text, DefaultLimits())
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseInfo = %v, want a *FormatError", err)
			}
			if fe.Line != tc.line || !strings.Contains(fe.Reason, tc.reason) {
				t.Errorf("ParseInfo = line %d %q, want line %d, a reason about %q", fe.Line, fe.Reason, tc.line, tc.reason)
			}
		})
	}
}

// TestPackageInfoBeforeBagIt096: a bag declared before BagIt 0.96 keeps its metadata in
// package-info.txt, read as bag-info.txt is; from 0.96 on that file is an ordinary tag file
// and its fields are not the bag's.
func TestPackageInfoBeforeBagIt096(t *testing.T) {
	payload := []member{{Name: "data/a.txt", Data: []byte("a")}}
	for _, tc := range []struct {
		version string
		read    bool
	}{
		{"0.95", true},
		{"0.96", false},
		{"0.97", false},
	} {
		t.Run(tc.version, func(t *testing.T) {
			ms := []member{
				{Name: "bagit.txt", Data: []byte("BagIt-Version: " + tc.version + "\nTag-File-Character-Encoding: UTF-8\n")},
				{Name: "package-info.txt", Data: []byte("Source-Organization: old style\n")},
				{Name: "manifest-sha256.txt", Data: []byte(manifestOf(payload, nil))},
			}
			rep, err := streamSpec(t, append(ms, payload...), DefaultLimits(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := rep.Info.First("Source-Organization") != ""; got != tc.read {
				t.Errorf("BagIt %s: package-info.txt read = %v, want %v (errors %v)", tc.version, got, tc.read, rep.Errors)
			}
		})
	}
}

// TestReasonQuotesClipped: a malformed line is quoted whole in the error up to 80 bytes, and
// clipped with "..." beyond.
func TestReasonQuotesClipped(t *testing.T) {
	for _, n := range []int{79, 80, 81} {
		line := strings.Repeat("x", n)
		_, err := ParseInfo("bag-info.txt", line+"\n", DefaultLimits())
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("ParseInfo(%d bytes without a colon) = %v, want a *FormatError", n, err)
		}
		clipped := strings.Contains(fe.Reason, "...")
		if want := n > 80; clipped != want || !strings.Contains(fe.Reason, strings.Repeat("x", min(n, 80))) {
			t.Errorf("reason for a %d-byte line: %q; want it quoted, clipped %v", n, fe.Reason, want)
		}
	}
}

// TestParseManifestEdges: the line limit at its edge, and each malformed line reported on its
// own line with what is wrong with it.
func TestParseManifestEdges(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	lim := DefaultLimits()
	lim.MaxManifestLines = 3
	three := sum + "  data/a\n" + sum + "  data/b\n" + sum + "  data/c\n"
	if es, _, err := ParseManifest("manifest-sha256.txt", "sha256", three, lim); err != nil || len(es) != 3 {
		t.Errorf("ParseManifest(3 lines, limit 3) = %d entries, %v; want 3, accepted", len(es), err)
	}
	var le *LimitError
	if _, _, err := ParseManifest("manifest-sha256.txt", "sha256", three+sum+"  data/d\n", lim); !errors.As(err, &le) || le.Limit != "MaxManifestLines" {
		t.Errorf("ParseManifest(4 lines, limit 3) = %v, want a *LimitError on MaxManifestLines", err)
	}
	lim = DefaultLimits()
	lim.MaxPathLen = 16
	at := "data/" + strings.Repeat("p", 11) // 16 bytes
	if es, _, err := ParseManifest("manifest-sha256.txt", "sha256", sum+"  "+at+"\n", lim); err != nil || len(es) != 1 || es[0].Path != at {
		t.Errorf("ParseManifest(a path of MaxPathLen bytes) = %v, %v; want it accepted", es, err)
	}
	if _, _, err := ParseManifest("manifest-sha256.txt", "sha256", sum+"  "+at+"p\n", lim); !errors.As(err, &le) || le.Limit != "MaxPathLen" {
		t.Errorf("ParseManifest(a path of MaxPathLen+1 bytes) = %v, want a *LimitError on MaxPathLen", err)
	}
	for _, tc := range []struct {
		name, text string
		line       int
		reason     string
	}{
		{"leading-space", sum + "  data/a\n  " + sum + "  data/b\n", 2, `want "CHECKSUM PATH"`},
		{"no-separator", sum + "  data/a\n" + sum + "\n", 2, `want "CHECKSUM PATH"`},
		{"no-path", sum + "  data/a\n\n" + sum + "  \n", 3, "without a path"},
		{"not-hex", sum + "  data/a\n" + strings.Repeat("g", 64) + "  data/b\n", 2, "not hexadecimal"},
		{"short", "abcd  data/a\n", 1, "hex digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseManifest("manifest-sha256.txt", "sha256", tc.text, DefaultLimits())
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseManifest = %v, want a *FormatError", err)
			}
			if fe.Line != tc.line || !strings.Contains(fe.Reason, tc.reason) {
				t.Errorf("ParseManifest = line %d %q, want line %d, a reason holding %q", fe.Line, fe.Reason, tc.line, tc.reason)
			}
		})
	}
}

// TestParseFetchEdges: fetch.txt's line limit at its edge, and each malformed line reported on
// its own line.
func TestParseFetchEdges(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxManifestLines = 2
	two := "https://example.org/a 1 data/a\nhttps://example.org/b - data/b\n"
	if es, err := ParseFetch(two, lim); err != nil || len(es) != 2 {
		t.Errorf("ParseFetch(2 lines, limit 2) = %v, %v; want 2 entries", es, err)
	}
	var le *LimitError
	if _, err := ParseFetch(two+"https://example.org/c 1 data/c\n", lim); !errors.As(err, &le) || le.Limit != "MaxManifestLines" {
		t.Errorf("ParseFetch(3 lines, limit 2) = %v, want a *LimitError on MaxManifestLines", err)
	}
	ok := "https://example.org/a 1 data/a\n"
	for _, tc := range []struct {
		name, text string
		line       int
		reason     string
	}{
		{"two-fields", ok + "https://example.org/b 1\n", 2, `want "URL LENGTH PATH"`},
		{"bad-length", ok + "\n" + "https://example.org/b x data/b\n", 3, "neither - nor a number"},
		{"tag-path", ok + "https://example.org/b 1 bag-info.txt\n", 2, "not a payload path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFetch(tc.text, DefaultLimits())
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseFetch = %v, want a *FormatError", err)
			}
			if fe.Line != tc.line || !strings.Contains(fe.Reason, tc.reason) {
				t.Errorf("ParseFetch = line %d %q, want line %d, a reason holding %q", fe.Line, fe.Reason, tc.line, tc.reason)
			}
		})
	}
}
