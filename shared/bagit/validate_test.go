package bagit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// Validation rules, one bag each, checked by the exact list of errors they give: a rule whose
// check is dropped gives another error (or none), so the list changes.

func sum256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// specBag assembles a bag, in this order: bagit.txt, bag-info.txt (info), manifest-sha256.txt
// (manifest), tagmanifest-sha256.txt when tagmanifest is set, the payload, then late tag files.
func specBag(info, manifest, tagmanifest string, payload []member, late ...member) []member {
	ms := []member{
		{Name: "bagit.txt", Data: []byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")},
		{Name: "bag-info.txt", Data: []byte(info)},
		{Name: "manifest-sha256.txt", Data: []byte(manifest)},
	}
	if tagmanifest != "" {
		ms = append(ms, member{Name: "tagmanifest-sha256.txt", Data: []byte(tagmanifest)})
	}
	return append(append(ms, payload...), late...)
}

// manifestOf lists each payload file with the SHA-256 of its content, or of want[name] when
// given.
func manifestOf(payload []member, want map[string]string) string {
	var b strings.Builder
	for _, p := range payload {
		s := sum256(p.Data)
		if w, ok := want[p.Name]; ok {
			s = w
		}
		fmt.Fprintf(&b, "%s  %s\n", s, p.Name)
	}
	return b.String()
}

func oxum(payload []member) string {
	n := 0
	for _, p := range payload {
		n += len(p.Data)
	}
	return fmt.Sprintf("Payload-Oxum: %d.%d\n", n, len(payload))
}

// streamSpec validates the bag streamed as a tar (members in the order given) in spec mode.
func streamSpec(t *testing.T, ms []member, lim Limits, consume Consumer) (*Report, error) {
	t.Helper()
	b, err := OpenTar(bytes.NewReader(tarOf(ms)), lim)
	if err != nil {
		t.Fatalf("OpenTar: %v", err)
	}
	defer b.Close()
	return b.Validate(Options{Mode: ModeSpec, Consume: consume})
}

// describe names each error by type and path, "FormatError manifest-sha256.txt:2".
func describe(errs []error) []string {
	var out []string
	for _, e := range errs {
		var (
			fe *FormatError
			ce *ChecksumError
			me *MissingError
			ue *UnlistedError
			le *LimitError
			oe *OxumError
		)
		switch {
		case errors.As(e, &fe):
			out = append(out, fmt.Sprintf("FormatError %s:%d", fe.Path, fe.Line))
		case errors.As(e, &ce):
			out = append(out, fmt.Sprintf("ChecksumError %s %s", ce.Path, ce.Manifest))
		case errors.As(e, &me):
			out = append(out, fmt.Sprintf("MissingError %s %s", me.Path, me.Manifest))
		case errors.As(e, &ue):
			out = append(out, fmt.Sprintf("UnlistedError %s %s", ue.Path, ue.Manifest))
		case errors.As(e, &le):
			out = append(out, fmt.Sprintf("LimitError %s %s", le.Path, le.Limit))
		case errors.As(e, &oe):
			out = append(out, fmt.Sprintf("OxumError %d.%d for %d.%d", oe.WantOctets, oe.WantFiles, oe.GotOctets, oe.GotFiles))
		default:
			out = append(out, fmt.Sprintf("%T %v", e, e))
		}
	}
	return out
}

func TestValidateRules(t *testing.T) {
	a := member{Name: "data/a.txt", Data: []byte("alpha\n")}
	b := member{Name: "data/b.txt", Data: []byte("bravo, a longer file\n")}
	two := []member{a, b}
	bagitSum := sum256([]byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"))
	wrong := strings.Repeat("0", 64)
	nfc, nfd := "data/caf\u00e9.txt", "data/cafe\u0301.txt"
	decomposed := []member{{Name: nfd, Data: a.Data}}
	for _, tc := range []struct {
		name string
		bag  []member
		want []string // describe(rep.Errors)
		warn string   // a warning that must be given, if any
	}{
		{name: "valid", bag: specBag(oxum(two), manifestOf(two, nil), "", two)},
		{name: "manifest-lists-tag-file",
			bag:  specBag(oxum(two), manifestOf(two, nil)+bagitSum+"  bagit.txt\n", "", two),
			want: []string{"FormatError manifest-sha256.txt:3"}},
		{name: "manifest-lists-path-outside-data",
			bag:  specBag(oxum(two), bagitSum+"  notes/bagit.txt\n"+manifestOf(two, nil), "", two),
			want: []string{"FormatError manifest-sha256.txt:1"}},
		{name: "tag-manifest-lists-payload",
			bag:  specBag(oxum(two), manifestOf(two, nil), bagitSum+"  bagit.txt\n"+sum256(a.Data)+"  data/a.txt\n", two),
			want: []string{"FormatError tagmanifest-sha256.txt:2"}},
		{name: "tag-manifest-wrong-checksum",
			bag:  specBag(oxum(two), manifestOf(two, nil), wrong+"  bagit.txt\n", two),
			want: []string{"ChecksumError bagit.txt tagmanifest-sha256.txt"}},
		{name: "tag-manifest-lists-missing-tag-file",
			bag:  specBag(oxum(two), manifestOf(two, nil), bagitSum+"  bagit.txt\n"+wrong+"  extra-tag.txt\n", two),
			want: []string{"MissingError extra-tag.txt tagmanifest-sha256.txt"}},
		{name: "payload-wrong-checksum",
			bag:  specBag(oxum(two), manifestOf(two, map[string]string{b.Name: wrong}), "", two),
			want: []string{"ChecksumError data/b.txt manifest-sha256.txt"}},
		{name: "payload-missing",
			bag:  specBag(oxum(two[:1]), manifestOf(two, nil), "", two[:1]),
			want: []string{"MissingError data/b.txt manifest-sha256.txt"}},
		{name: "payload-unlisted",
			bag:  specBag(oxum(two), manifestOf(two[:1], nil), "", two),
			want: []string{"UnlistedError data/b.txt manifest-sha256.txt"}},
		// A file present only under a name that differs in letter case: matched to its
		// entry, and its checksum checked against it.
		{name: "case-variant-matching",
			bag:  specBag(oxum(two), strings.Replace(manifestOf(two, nil), "data/a.txt", "data/A.txt", 1), "", two),
			warn: "data/A.txt"},
		{name: "case-variant-wrong-checksum",
			bag:  specBag(oxum(two), strings.Replace(manifestOf(two, map[string]string{a.Name: wrong}), "data/a.txt", "data/A.txt", 1), "", two),
			want: []string{"ChecksumError data/a.txt manifest-sha256.txt", "ChecksumError data/A.txt manifest-sha256.txt"}},
		// Listed under both names, present under one: the other entry's checksum is held to
		// the present file's content.
		{name: "case-variant-listed-twice-same-checksum",
			bag:  specBag(oxum(two), manifestOf(two, nil)+sum256(a.Data)+"  data/A.txt\n", "", two),
			warn: "data/A.txt"},
		{name: "case-variant-listed-twice-wrong-checksum",
			bag:  specBag(oxum(two), manifestOf(two, nil)+wrong+"  data/A.txt\n", "", two),
			want: []string{"ChecksumError data/A.txt manifest-sha256.txt"}},
		{name: "unicode-variant-wrong-checksum",
			bag:  specBag(oxum(decomposed), wrong+"  "+nfc+"\n", "", decomposed),
			want: []string{"ChecksumError " + nfd + " manifest-sha256.txt", "ChecksumError " + nfc + " manifest-sha256.txt"}},
		{name: "unicode-variant-matching",
			bag:  specBag(oxum(decomposed), sum256(a.Data)+"  "+nfc+"\n", "", decomposed),
			warn: nfc},
		{name: "oxum-octets-wrong",
			bag:  specBag("Payload-Oxum: 28.2\n", manifestOf(two, nil), "", two),
			want: []string{"OxumError 28.2 for 27.2"}},
		{name: "oxum-count-wrong",
			bag:  specBag("Payload-Oxum: 27.3\n", manifestOf(two, nil), "", two),
			want: []string{"OxumError 27.3 for 27.2"}},
		{name: "oxum-both-wrong",
			bag:  specBag("Payload-Oxum: 26.1\n", manifestOf(two, nil), "", two),
			want: []string{"OxumError 26.1 for 27.2"}},
		{name: "oxum-twice-same", bag: specBag(oxum(two)+oxum(two), manifestOf(two, nil), "", two)},
		{name: "oxum-twice-conflicting",
			bag:  specBag(oxum(two)+"Payload-Oxum: 27.3\n", manifestOf(two, nil), "", two),
			want: []string{"FormatError bag-info.txt:0"}},
		{name: "oxum-malformed",
			bag:  specBag("Payload-Oxum: 27\n", manifestOf(two, nil), "", two),
			want: []string{"FormatError bag-info.txt:0"}},
		{name: "oxum-absent", bag: specBag("Source-Organization: evx\n", manifestOf(two, nil), "", two)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := streamSpec(t, tc.bag, Limits{}, nil)
			if err != nil {
				t.Fatalf("Validate = %v", err)
			}
			if got := describe(rep.Errors); !slices.Equal(got, tc.want) {
				t.Errorf("errors %q, want %q", got, tc.want)
			}
			if tc.warn != "" && !slices.ContainsFunc(rep.Warnings, func(w Warning) bool { return w.Path == tc.warn || strings.Contains(w.Message, tc.warn) }) {
				t.Errorf("warnings %+v, want one about %s", rep.Warnings, tc.warn)
			}
			if tc.want == nil && rep.Octets != 0 && len(rep.Files) == 0 {
				t.Errorf("valid, but no file reported")
			}
		})
	}
}

// TestConsumerErrors: a consumer's *LimitError or *ArchiveError is a fault of the bag, put in
// the report; any other consumer error stops validation and is returned as is.
func TestConsumerErrors(t *testing.T) {
	a := member{Name: "data/a.txt", Data: []byte("alpha\n")}
	bag := specBag(oxum([]member{a}), manifestOf([]member{a}, nil), "", []member{a})
	lim := &LimitError{Path: "data/a.txt", Limit: "MaxMemberSize", Max: 1, Got: 6}
	arc := &ArchiveError{Path: "data/a.txt", Reason: "truncated"}
	other := errors.New("disk full")
	for _, tc := range []struct {
		name     string
		err      error
		returned bool // Validate returns it; else it is in the report
	}{
		{"limit", lim, false},
		{"wrapped-limit", fmt.Errorf("store: %w", lim), false},
		{"archive", arc, false},
		{"other", other, true},
		{"wrapped-other", fmt.Errorf("store: %w", other), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := streamSpec(t, bag, Limits{}, func(f File, r io.Reader) error { return tc.err })
			if tc.returned {
				if !errors.Is(err, other) || rep.Err() != nil {
					t.Errorf("Validate = %v, report %v; want the consumer's error returned, an empty report", err, rep.Err())
				}
				return
			}
			// The walk stops there: the file the consumer refused is then missing.
			if err != nil || len(rep.Errors) != 2 || rep.Errors[0] != tc.err || describe(rep.Errors[1:])[0] != "MissingError data/a.txt manifest-sha256.txt" {
				t.Errorf("Validate = %v, report %v; want nil, the consumer's error in the report, then the file missing", err, rep.Errors)
			}
		})
	}
}

// TestLateTagFileLimit: a tag file arriving after the payload of a streamed bag is held to
// MaxTagFileSize like the others: at the limit it is read, one byte over it is refused.
func TestLateTagFileLimit(t *testing.T) {
	a := member{Name: "data/a.txt", Data: []byte("alpha\n")}
	const max = 512
	for _, tc := range []struct {
		size int
		want []string
	}{
		{max, nil},
		// The walk stops there, so the tag manifest's entry is missing too.
		{max + 1, []string{"LimitError notes.txt MaxTagFileSize", "MissingError notes.txt tagmanifest-sha256.txt"}},
	} {
		late := member{Name: "notes.txt", Data: bytes.Repeat([]byte("n"), tc.size)}
		tm := sum256(late.Data) + "  notes.txt\n"
		bag := specBag(oxum([]member{a}), manifestOf([]member{a}, nil), tm, []member{a}, late)
		rep, err := streamSpec(t, bag, Limits{MaxTagFileSize: max}, nil)
		if err != nil {
			t.Fatalf("Validate = %v", err)
		}
		if got := describe(rep.Errors); !slices.Equal(got, tc.want) {
			t.Errorf("late tag file of %d bytes (limit %d): errors %q, want %q", tc.size, max, got, tc.want)
		}
	}
	// Its checksum is checked against the tag manifest.
	late := member{Name: "notes.txt", Data: []byte("notes\n")}
	bag := specBag(oxum([]member{a}), manifestOf([]member{a}, nil), strings.Repeat("0", 64)+"  notes.txt\n", []member{a}, late)
	rep, err := streamSpec(t, bag, Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := describe(rep.Errors), []string{"ChecksumError notes.txt tagmanifest-sha256.txt"}; !slices.Equal(got, want) {
		t.Errorf("late tag file with a wrong checksum: errors %q, want %q", got, want)
	}
}
