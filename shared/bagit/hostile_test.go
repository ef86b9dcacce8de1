package bagit

// Hostile input. Every archive here is built in memory by the helpers below and named
// for what it breaks; each must yield the typed error named, never a panic, never more
// memory than the limits allow.

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type member struct {
	name string
	data []byte
}

// validBag returns the members of a small valid evx bag (tag files first) with the
// given payload, plus extra bag-info lines.
func validBag(payload []member, extraInfo string) []member {
	var man, octets bytes.Buffer
	var n int64
	for _, p := range payload {
		s := sha256.Sum256(p.data)
		fmt.Fprintf(&man, "%s  %s\n", hex.EncodeToString(s[:]), encodePath(p.name))
		n += int64(len(p.data))
	}
	fmt.Fprintf(&octets, "EVX-Counterpart: BE-FPP\n%sPayload-Oxum: %d.%d\n", extraInfo, n, len(payload))
	tags := []member{
		{"bagit.txt", []byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")},
		{"bag-info.txt", octets.Bytes()},
		{"manifest-sha256.txt", man.Bytes()},
	}
	var tm bytes.Buffer
	for _, t := range tags {
		s := sha256.Sum256(t.data)
		fmt.Fprintf(&tm, "%s  %s\n", hex.EncodeToString(s[:]), t.name)
	}
	tags = append(tags, member{"tagmanifest-sha256.txt", tm.Bytes()})
	return append(tags, payload...)
}

func prefixed(top string, ms []member) []member {
	out := make([]member, len(ms))
	for i, m := range ms {
		out[i] = member{top + m.name, m.data}
	}
	return out
}

func onePayload() []member {
	return []member{{"data/report.txt", []byte("seizure report\n")}}
}

// zipOf writes members with zip.Writer; mod may alter each header before it is written.
func zipOf(top string, ms []member, mod func(h *zip.FileHeader)) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range ms {
		h := &zip.FileHeader{Name: top + m.name, Method: zip.Store}
		if mod != nil {
			mod(h)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			panic(err)
		}
		w.Write(m.data)
	}
	zw.Close()
	return buf.Bytes()
}

// rawZip writes one member per header exactly as given (sizes, CRC, flags, method).
func rawZip(ms []member, hs []*zip.FileHeader) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, m := range ms {
		w, err := zw.CreateRaw(hs[i])
		if err != nil {
			panic(err)
		}
		w.Write(m.data)
	}
	zw.Close()
	return buf.Bytes()
}

func storedHeader(m member) *zip.FileHeader {
	return &zip.FileHeader{Name: m.name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(m.data),
		CompressedSize64: uint64(len(m.data)), UncompressedSize64: uint64(len(m.data))}
}

func rawHeaders(ms []member) []*zip.FileHeader {
	hs := make([]*zip.FileHeader, len(ms))
	for i, m := range ms {
		hs[i] = storedHeader(m)
	}
	return hs
}

func deflated(data []byte) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	fw.Write(data)
	fw.Close()
	return buf.Bytes()
}

func tarOf(ms []member, extra ...*tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg})
		tw.Write(m.data)
	}
	for _, h := range extra {
		tw.WriteHeader(h)
	}
	tw.Close()
	return buf.Bytes()
}

func gzipOf(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func manyPayload(n int) []member {
	var ms []member
	for i := range n {
		ms = append(ms, member{fmt.Sprintf("data/f%04d", i), []byte{byte(i)}})
	}
	return ms
}

type hostileCase struct {
	name  string
	data  []byte
	lim   Limits // zero fields: defaults
	want  any    // pointer to the error type expected
	limit string // for *LimitError: the limit named
	path  string // substring of the offending path the error must name
}

func hostileCases() []hostileCase {
	zeros := make([]byte, 8<<20)
	valid := validBag(onePayload(), "")
	// A bag whose only payload is a zip bomb: payload, so hashed and never opened.
	innerBomb := rawZip([]member{{"bomb.bin", deflated(zeros)}}, []*zip.FileHeader{{Name: "bomb.bin", Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE(zeros), CompressedSize64: uint64(len(deflated(zeros))), UncompressedSize64: uint64(len(zeros))}})
	_ = innerBomb
	slip := func(name string) []byte {
		return zipOf("", append(validBag(onePayload(), ""), member{name, []byte("x")}), nil)
	}
	tarSlip := func(name string) []byte {
		return tarOf(append(validBag(onePayload(), ""), member{name, []byte("x")}))
	}
	withSpecial := func(h *tar.Header) []byte { return tarOf(validBag(onePayload(), ""), h) }
	bombMember := member{"data/zeros.bin", deflated(zeros)}
	bombHeader := &zip.FileHeader{Name: "data/zeros.bin", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(zeros),
		CompressedSize64: uint64(len(bombMember.data)), UncompressedSize64: uint64(len(zeros))}
	vb := validBag([]member{{"data/zeros.bin", zeros}}, "")
	bombRatio := rawZip(append(vb[:4:4], bombMember), append(rawHeaders(vb[:4]), bombHeader))
	huge := *bombHeader
	huge.UncompressedSize64 = 1 << 40
	bombSize := rawZip(append(vb[:4:4], bombMember), append(rawHeaders(vb[:4]), &huge))
	enc := rawHeaders(valid)
	enc[4].Flags |= 1
	bzip := rawHeaders(valid)
	bzip[4].Method = 12
	badCRC := rawHeaders(valid)
	badCRC[4].CRC32 ^= 0xdeadbeef
	goodZip := zipOf("", valid, nil)
	goodTar := tarOf(valid)
	corruptTar := append([]byte(nil), goodTar...)
	copy(corruptTar[148:156], "9999999\x00") // header checksum of the first member
	big := validBag([]member{{"data/a.bin", make([]byte, 600<<10)}, {"data/b.bin", make([]byte, 600<<10)}}, "")
	longLine := "Note: " + strings.Repeat("x", 70<<10) + "\n"
	manyLines := validBag(manyPayload(150), "")
	// bagit.txt, then payload, then the manifests: a single pass cannot know the claims.
	payloadFirst := append(append([]member{valid[0]}, valid[4:]...), valid[1:4]...)

	return []hostileCase{
		{name: "zip-bomb-member-ratio", data: bombRatio, want: new(*LimitError), limit: "MaxRatio", path: "data/zeros.bin"},
		{name: "zip-bomb-member-size", data: bombSize, want: new(*LimitError), limit: "MaxMemberSize", path: "data/zeros.bin"},
		{name: "zip-bomb-total-size", data: zipOf("", big, nil), lim: Limits{MaxTotalSize: 1 << 20}, want: new(*LimitError), limit: "MaxTotalSize", path: "data/b.bin"},
		{name: "targz-bomb-ratio", data: gzipOf(tarOf(vb)), want: new(*LimitError), limit: "MaxRatio"},
		{name: "zip-slip-dotdot", data: slip("../evil.txt"), want: new(*UnsafePathError), path: "../evil.txt"},
		{name: "zip-slip-dotdot-inside", data: slip("data/../../evil.txt"), want: new(*UnsafePathError), path: "evil.txt"},
		{name: "zip-slip-absolute", data: slip("/etc/cron.d/evil"), want: new(*UnsafePathError), path: "/etc/cron.d/evil"},
		{name: "zip-slip-home", data: slip("~/.bashrc"), want: new(*UnsafePathError), path: "~/.bashrc"},
		{name: "zip-slip-drive-letter", data: slip("C:/Windows/evil.exe"), want: new(*UnsafePathError), path: "C:/Windows"},
		{name: "zip-slip-unc", data: slip("//server/share/evil"), want: new(*UnsafePathError), path: "//server"},
		{name: "zip-slip-backslash", data: slip("data\\..\\..\\evil.txt"), want: new(*UnsafePathError), path: "evil.txt"},
		{name: "zip-slip-unc-backslash", data: slip("\\\\server\\share\\evil"), want: new(*UnsafePathError), path: "server"},
		{name: "tar-slip-dotdot", data: tarSlip("../evil.txt"), want: new(*UnsafePathError), path: "../evil.txt"},
		{name: "tar-slip-absolute", data: tarSlip("/etc/passwd"), want: new(*UnsafePathError), path: "/etc/passwd"},
		{name: "tar-symlink", data: withSpecial(&tar.Header{Name: "data/link", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink}), want: new(*ArchiveError), path: "data/link"},
		{name: "tar-hardlink", data: withSpecial(&tar.Header{Name: "data/hard", Linkname: "../../etc/passwd", Typeflag: tar.TypeLink}), want: new(*ArchiveError), path: "data/hard"},
		{name: "tar-char-device", data: withSpecial(&tar.Header{Name: "data/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}), want: new(*ArchiveError), path: "data/null"},
		{name: "tar-block-device", data: withSpecial(&tar.Header{Name: "data/sda", Typeflag: tar.TypeBlock, Devmajor: 8}), want: new(*ArchiveError), path: "data/sda"},
		{name: "tar-fifo", data: withSpecial(&tar.Header{Name: "data/fifo", Typeflag: tar.TypeFifo}), want: new(*ArchiveError), path: "data/fifo"},
		{name: "zip-symlink", data: zipOf("", append(validBag(onePayload(), ""), member{"data/link", []byte("/etc/passwd")}), func(h *zip.FileHeader) {
			if h.Name == "data/link" {
				h.SetMode(fs.ModeSymlink | 0o777)
			}
		}), want: new(*ArchiveError), path: "data/link"},
		{name: "zip-duplicate-member", data: zipOf("", append(validBag(onePayload(), ""), member{"data/report.txt", []byte("other\n")}), nil), want: new(*ArchiveError), path: "data/report.txt"},
		{name: "tar-duplicate-member", data: tarOf(append(validBag(onePayload(), ""), member{"data/report.txt", []byte("other\n")})), want: new(*ArchiveError), path: "data/report.txt"},
		{name: "zip-encrypted-member", data: rawZip(valid, enc), want: new(*ArchiveError), path: "data/report.txt"},
		{name: "zip-unsupported-method", data: rawZip(valid, bzip), want: new(*ArchiveError), path: "data/report.txt"},
		{name: "zip-crc-mismatch", data: rawZip(valid, badCRC), want: new(*ArchiveError), path: "data/report.txt"},
		{name: "zip-truncated", data: goodZip[:len(goodZip)/2], want: new(*ArchiveError)},
		{name: "zip-trailing-garbage-cut", data: goodZip[:len(goodZip)-10], want: new(*ArchiveError)},
		{name: "tar-truncated", data: goodTar[:700], want: new(*ArchiveError)},
		{name: "targz-truncated", data: gzipOf(goodTar)[:60], want: new(*ArchiveError)},
		{name: "tar-corrupt-header", data: corruptTar, want: new(*ArchiveError)},
		{name: "zip-too-many-members", data: zipOf("", validBag(manyPayload(30), ""), nil), lim: Limits{MaxMembers: 20}, want: new(*LimitError), limit: "MaxMembers"},
		{name: "tar-too-many-members", data: tarOf(validBag(manyPayload(30), "")), lim: Limits{MaxMembers: 20}, want: new(*LimitError), limit: "MaxMembers"},
		{name: "zip-central-directory-too-big", data: zipOf("", validBag(manyPayload(6000), ""), nil), lim: Limits{MaxDirectorySize: 64 << 10}, want: new(*LimitError), limit: "MaxDirectorySize"},
		{name: "manifest-too-many-lines", data: zipOf("", manyLines, nil), lim: Limits{MaxManifestLines: 100}, want: new(*LimitError), limit: "MaxManifestLines", path: "manifest-sha256.txt"},
		{name: "path-too-long", data: slip("data/" + strings.Repeat("a", 2000)), want: new(*LimitError), limit: "MaxPathLen", path: "data/aaaa"},
		{name: "path-too-deep", data: slip("data/" + strings.Repeat("d/", 100) + "f"), want: new(*LimitError), limit: "MaxPathDepth", path: "data/d/d"},
		{name: "tag-line-too-long", data: zipOf("", validBag(onePayload(), longLine), nil), want: new(*LimitError), limit: "MaxTagLineLen", path: "bag-info.txt"},
		{name: "tag-file-too-big", data: zipOf("", validBag(onePayload(), longLine), nil), lim: Limits{MaxTagFileSize: 32 << 10}, want: new(*LimitError), limit: "MaxTagFileSize", path: "bag-info.txt"},
		{name: "not-an-archive", data: []byte("this is a seizure report, not a bag\n"), want: new(*ArchiveError)},
		{name: "empty-file", data: nil, want: new(*ArchiveError)},
		{name: "zip-no-bagit-txt", data: zipOf("", valid[1:], nil), want: new(*ArchiveError), path: "bagit.txt"},
		{name: "zip-two-top-level-folders", data: zipOf("", append(prefixed("a/", valid), member{"b/x", nil}), nil), want: new(*ArchiveError), path: "bagit.txt"},
		{name: "zip-member-outside-bag-folder", data: zipOf("", append(prefixed("a/", valid), member{"a", nil}), nil), want: new(*ArchiveError)},
		{name: "tar-payload-first-streamed", data: tarOf(payloadFirst), want: new(*OrderError), path: "manifest-sha256.txt"},
	}
}

// openHostile opens data as a file (content detection), as Open does for an upload.
func openHostile(t *testing.T, name string, data []byte, lim Limits) (*Report, error) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Open(p, lim)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	rep, err := b.Validate(Options{Mode: ModeEVX})
	if err != nil {
		return nil, err
	}
	return rep, rep.Err()
}

func TestHostile(t *testing.T) {
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.name == "tar-payload-first-streamed" {
				var b *Bag
				b, err = OpenTar(bytes.NewReader(tc.data), tc.lim)
				if err == nil {
					var rep *Report
					rep, err = b.Validate(Options{})
					if err == nil {
						err = rep.Err()
					}
				}
			} else {
				_, err = openHostile(t, tc.name, tc.data, tc.lim)
			}
			if err == nil {
				t.Fatalf("accepted, want %T", tc.want)
			}
			if !errors.As(err, tc.want) {
				t.Fatalf("error %v (%T), want %T", err, err, tc.want)
			}
			if tc.limit != "" {
				var le *LimitError
				errors.As(err, &le)
				if le.Limit != tc.limit {
					t.Errorf("limit %s, want %s (%v)", le.Limit, tc.limit, err)
				}
			}
			if tc.path != "" && !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name %q", err, tc.path)
			}
		})
	}
}

// A payload-first tar read from a file gets a first pass over headers and tag files,
// so the same bytes that fail streamed are valid from a file.
func TestTarPayloadFirstFromFile(t *testing.T) {
	valid := validBag(onePayload(), "")
	data := tarOf(append(append([]member(nil), valid[4:]...), valid[:4]...))
	rep, err := openHostile(t, "payload-first.tar", data, Limits{})
	if err != nil || !rep.Valid() {
		t.Fatalf("payload-first tar from a file: %v", err)
	}
	rep, err = openHostile(t, "payload-first.tar.gz", gzipOf(data), Limits{})
	if err != nil || !rep.Valid() {
		t.Fatalf("payload-first tar.gz from a file: %v", err)
	}
	// Streamed, small members before bagit.txt are held in memory: still valid.
	b, err := OpenTar(bytes.NewReader(data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := b.Validate(Options{}); err != nil || !rep.Valid() {
		t.Fatalf("small payload-first tar streamed: %v %v", err, rep.Err())
	}
}

func TestOpenTarStreamsCreatedBags(t *testing.T) {
	dir, file := sampleTree(t)
	for _, name := range []string{"case.tar", "case.tar.gz"} {
		p := filepath.Join(t.TempDir(), name)
		if _, err := Create(p, []string{dir, file}, CreateOptions{Info: evxInfo()}); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		// Hide Seek: a network stream.
		b, err := OpenTar(struct{ io.Reader }{f}, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		rep, err := b.Validate(Options{Consume: func(File, io.Reader) error { n++; return nil }})
		f.Close()
		if err != nil || !rep.Valid() || n != 5 {
			t.Fatalf("%s streamed: %v %v, consumer saw %d files, want 5", name, err, rep.Err(), n)
		}
		if _, err := b.Validate(Options{}); !errors.Is(err, ErrAlreadyRead) {
			t.Errorf("second Validate of a stream = %v, want ErrAlreadyRead", err)
		}
	}
}

// A nested archive is payload: hashed and handed over as bytes, never opened, even
// when it is a bomb.
func TestNestedArchiveIsPayload(t *testing.T) {
	zeros := make([]byte, 8<<20)
	bomb := zipOf("", []member{{"zeros.bin", zeros}}, func(h *zip.FileHeader) { h.Method = zip.Deflate })
	for _, kind := range []string{"zip", "tar"} {
		ms := validBag([]member{{"data/inner.zip", bomb}}, "")
		data := zipOf("", ms, nil)
		if kind == "tar" {
			data = tarOf(ms)
		}
		p := filepath.Join(t.TempDir(), "nested."+kind)
		must(t, os.WriteFile(p, data, 0o644))
		b, err := Open(p, DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		rep, err := b.Validate(Options{Consume: func(f File, r io.Reader) error {
			got, err = io.ReadAll(r)
			return err
		}})
		b.Close()
		if err != nil || !rep.Valid() {
			t.Fatalf("%s: nested archive refused: %v %v", kind, err, rep.Err())
		}
		if !bytes.Equal(got, bomb) {
			t.Errorf("%s: consumer got %d bytes, want the inner archive's %d", kind, len(got), len(bomb))
		}
	}
}

func TestFolderTooDeep(t *testing.T) {
	dir := t.TempDir()
	for _, m := range validBag(onePayload(), "") {
		p := filepath.Join(dir, m.name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, m.data, 0o644))
	}
	must(t, os.MkdirAll(filepath.Join(dir, "data", "a", "b", "c", "d"), 0o755))
	_, err := Open(dir, Limits{MaxPathDepth: 4})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxPathDepth" {
		t.Fatalf("Open(deep folder) = %v, want a MaxPathDepth *LimitError", err)
	}
}

func TestFolderSymlinkRefused(t *testing.T) {
	dir := t.TempDir()
	for _, m := range validBag(onePayload(), "") {
		p := filepath.Join(dir, m.name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, m.data, 0o644))
	}
	must(t, os.Symlink("/etc/passwd", filepath.Join(dir, "data", "passwd")))
	_, err := Open(dir, DefaultLimits())
	var ae *ArchiveError
	if !errors.As(err, &ae) || ae.Path != "data/passwd" {
		t.Fatalf("Open(folder with symlink) = %v, want *ArchiveError naming data/passwd", err)
	}
}
