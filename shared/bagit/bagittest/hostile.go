// Package bagittest builds, in memory, the hostile archives the bagit tests refuse:
// each is named for what it breaks and carries the typed error, limit and path a
// validator must report. Other packages' tests (ingest) can feed them through their own
// path; mkhostile writes them to a folder, for such tests and for trying
// evx bag validate by hand.
package bagittest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Case is one hostile archive.
type Case struct {
	Name     string           // what it breaks
	Data     []byte           // the archive's bytes
	Limits   map[string]int64 // bagit.Limits fields to set (others default)
	Streamed bool             // read it once as a stream (bagit.OpenTar), not from a file
	Want     string           // the bagit error type: "LimitError", "ArchiveError", ...
	Limit    string           // for LimitError: the limit named
	Path     string           // a substring of the offending path the error must name
}

func encodePath(s string) string {
	return strings.NewReplacer("%", "%25", "\n", "%0A", "\r", "%0D").Replace(s)
}

// Member is one archive member.
type Member struct {
	Name string
	Data []byte
}

// ValidBag returns the members of a small valid evx bag (tag files first) with the
// given payload, plus extra bag-info lines.
func ValidBag(payload []Member, extraInfo string) []Member {
	var man, octets bytes.Buffer
	var n int64
	for _, p := range payload {
		s := sha256.Sum256(p.Data)
		fmt.Fprintf(&man, "%s  %s\n", hex.EncodeToString(s[:]), encodePath(p.Name))
		n += int64(len(p.Data))
	}
	fmt.Fprintf(&octets, "EVX-Counterpart: BE-FPP\n%sPayload-Oxum: %d.%d\n", extraInfo, n, len(payload))
	tags := []Member{
		{"bagit.txt", []byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")},
		{"bag-info.txt", octets.Bytes()},
		{"manifest-sha256.txt", man.Bytes()},
	}
	var tm bytes.Buffer
	for _, t := range tags {
		s := sha256.Sum256(t.Data)
		fmt.Fprintf(&tm, "%s  %s\n", hex.EncodeToString(s[:]), t.Name)
	}
	tags = append(tags, Member{"tagmanifest-sha256.txt", tm.Bytes()})
	return append(tags, payload...)
}

// Prefixed puts members under a top-level folder.
func Prefixed(top string, ms []Member) []Member {
	out := make([]Member, len(ms))
	for i, m := range ms {
		out[i] = Member{top + m.Name, m.Data}
	}
	return out
}

// OnePayload is a one-file payload.
func OnePayload() []Member {
	return []Member{{"data/report.txt", []byte("seizure report\n")}}
}

// ZipOf writes members with zip.Writer; mod may alter each header before it is written.
func ZipOf(top string, ms []Member, mod func(h *zip.FileHeader)) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range ms {
		h := &zip.FileHeader{Name: top + m.Name, Method: zip.Store}
		if mod != nil {
			mod(h)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			panic(err)
		}
		w.Write(m.Data)
	}
	zw.Close()
	return buf.Bytes()
}

// RawZip writes one member per header exactly as given (sizes, CRC, flags, method).
func RawZip(ms []Member, hs []*zip.FileHeader) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, m := range ms {
		w, err := zw.CreateRaw(hs[i])
		if err != nil {
			panic(err)
		}
		w.Write(m.Data)
	}
	zw.Close()
	return buf.Bytes()
}

// StoredHeader is a correct header for m stored uncompressed.
func StoredHeader(m Member) *zip.FileHeader {
	return &zip.FileHeader{Name: m.Name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(m.Data),
		CompressedSize64: uint64(len(m.Data)), UncompressedSize64: uint64(len(m.Data))}
}

// RawHeaders gives StoredHeader for each member, to be altered.
func RawHeaders(ms []Member) []*zip.FileHeader {
	hs := make([]*zip.FileHeader, len(ms))
	for i, m := range ms {
		hs[i] = StoredHeader(m)
	}
	return hs
}

// Deflated compresses data with raw deflate.
func Deflated(data []byte) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	fw.Write(data)
	fw.Close()
	return buf.Bytes()
}

// TarOf writes members as regular files, then any extra headers as they are.
func TarOf(ms []Member, extra ...*tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		tw.WriteHeader(&tar.Header{Name: m.Name, Mode: 0o644, Size: int64(len(m.Data)), Typeflag: tar.TypeReg})
		tw.Write(m.Data)
	}
	for _, h := range extra {
		tw.WriteHeader(h)
	}
	tw.Close()
	return buf.Bytes()
}

// TarHeader is one 512-byte header block for a member of size bytes, written by
// archive/tar in the given format (USTAR, GNU) and then given the type flag, which may
// be one archive/tar refuses to write ('S', 'x', 'L'); patch may alter the block
// further. The checksum is recomputed last.
func TarHeader(name string, size int64, flag byte, format tar.Format, patch func(b []byte)) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg, Format: format}); err != nil {
		panic(err)
	}
	b := append([]byte(nil), buf.Bytes()[:512]...)
	b[156] = flag
	if patch != nil {
		patch(b)
	}
	copy(b[148:156], "        ")
	var sum int64
	for _, c := range b {
		sum += int64(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// Octal writes v as a NUL-terminated octal field of len(field) bytes.
func Octal(field []byte, v int64) {
	copy(field, fmt.Sprintf("%0*o\x00", len(field)-1, v))
}

// Padded pads b with zeros to a multiple of 512 bytes.
func Padded(b []byte) []byte {
	return append(b, make([]byte, (512-len(b)%512)%512)...)
}

// PAXRecords encodes PAX extended-header records ("LEN key=value\n", LEN counting the
// whole record) in the order given.
func PAXRecords(kv ...string) []byte {
	var out []byte
	for i := 0; i+1 < len(kv); i += 2 {
		rec := " " + kv[i] + "=" + kv[i+1] + "\n"
		n := len(rec) + len(fmt.Sprint(len(rec)))
		if m := len(rec) + len(fmt.Sprint(n)); m != n {
			n = m
		}
		out = append(out, fmt.Sprintf("%d%s", n, rec)...)
	}
	return out
}

// PAXMember is a PAX extended header carrying records, then a regular member named
// name whose stored data is data (size as stored).
func PAXMember(name string, data []byte, kv ...string) []byte {
	recs := PAXRecords(kv...)
	out := TarHeader("PaxHeaders/"+path.Base(name), int64(len(recs)), tar.TypeXHeader, tar.FormatUSTAR, nil)
	out = append(out, Padded(recs)...)
	out = append(out, TarHeader(name, int64(len(data)), tar.TypeReg, tar.FormatUSTAR, nil)...)
	return append(out, Padded(append([]byte(nil), data...))...)
}

// TarThen writes members as regular files, then the raw blocks as they are, then the
// end-of-archive marker.
func TarThen(ms []Member, raw ...[]byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		tw.WriteHeader(&tar.Header{Name: m.Name, Mode: 0o644, Size: int64(len(m.Data)), Typeflag: tar.TypeReg})
		tw.Write(m.Data)
	}
	tw.Flush()
	out := buf.Bytes()
	for _, r := range raw {
		out = append(out, r...)
	}
	return append(out, make([]byte, 1024)...)
}

// TarFormat writes members as regular files in the given format (GNU writes long
// names as 'L' records, PAX as path records).
func TarFormat(ms []Member, format tar.Format) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		if err := tw.WriteHeader(&tar.Header{Name: m.Name, Mode: 0o644, Size: int64(len(m.Data)), Typeflag: tar.TypeReg, Format: format}); err != nil {
			panic(err)
		}
		tw.Write(m.Data)
	}
	tw.Close()
	return buf.Bytes()
}

// SparseGiB is the logical size the sparse cases claim: 1 GiB from a few KB.
const SparseGiB = 1 << 30

// SparseMembers returns the sparse forms of one member named name claiming SparseGiB
// bytes, keyed by form: PAX 1.0 (map in the data), PAX 0.1 (map in a record), PAX 0.0
// (offset and numbytes records) and the old GNU type 'S'.
func SparseMembers(name string) map[string][]byte {
	giB := fmt.Sprint(SparseGiB)
	last := fmt.Sprint(SparseGiB - 1)
	return map[string][]byte{
		"pax-1.0": PAXMember(name, Padded([]byte("1\n"+last+"\n1\n")),
			"GNU.sparse.major", "1", "GNU.sparse.minor", "0", "GNU.sparse.name", name, "GNU.sparse.realsize", giB),
		"pax-0.1": PAXMember(name, []byte{0},
			"GNU.sparse.major", "0", "GNU.sparse.minor", "1", "GNU.sparse.size", giB,
			"GNU.sparse.numblocks", "1", "GNU.sparse.map", last+",1"),
		"pax-0.0": PAXMember(name, []byte{0},
			"GNU.sparse.size", giB, "GNU.sparse.numblocks", "1",
			"GNU.sparse.offset", last, "GNU.sparse.numbytes", "1"),
		"gnu-old": append(TarHeader(name, 1, tar.TypeGNUSparse, tar.FormatGNU, func(b []byte) {
			Octal(b[386:398], SparseGiB-1) // first sparse entry: offset
			Octal(b[398:410], 1)           // and length
			Octal(b[483:495], SparseGiB)   // real size
		}), Padded([]byte{0})...),
	}
}

// GzipOf compresses b with gzip.
func GzipOf(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// ManyPayload is n one-byte payload files.
func ManyPayload(n int) []Member {
	var ms []Member
	for i := range n {
		ms = append(ms, Member{fmt.Sprintf("data/f%04d", i), []byte{byte(i)}})
	}
	return ms
}

// Cases returns every hostile archive, built afresh.
func Cases() []Case {
	zeros := make([]byte, 8<<20)
	valid := ValidBag(OnePayload(), "")
	slip := func(name string) []byte {
		return ZipOf("", append(ValidBag(OnePayload(), ""), Member{name, []byte("x")}), nil)
	}
	tarSlip := func(name string) []byte {
		return TarOf(append(ValidBag(OnePayload(), ""), Member{name, []byte("x")}))
	}
	withSpecial := func(h *tar.Header) []byte { return TarOf(ValidBag(OnePayload(), ""), h) }
	bombMember := Member{"data/zeros.bin", Deflated(zeros)}
	bombHeader := &zip.FileHeader{Name: "data/zeros.bin", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(zeros),
		CompressedSize64: uint64(len(bombMember.Data)), UncompressedSize64: uint64(len(zeros))}
	vb := ValidBag([]Member{{"data/zeros.bin", zeros}}, "")
	bombRatio := RawZip(append(vb[:4:4], bombMember), append(RawHeaders(vb[:4]), bombHeader))
	huge := *bombHeader
	huge.UncompressedSize64 = 1 << 40
	bombSize := RawZip(append(vb[:4:4], bombMember), append(RawHeaders(vb[:4]), &huge))
	enc := RawHeaders(valid)
	enc[4].Flags |= 1
	bzip := RawHeaders(valid)
	bzip[4].Method = 12
	badCRC := RawHeaders(valid)
	badCRC[4].CRC32 ^= 0xdeadbeef
	goodZip := ZipOf("", valid, nil)
	goodTar := TarOf(valid)
	corruptTar := append([]byte(nil), goodTar...)
	copy(corruptTar[148:156], "9999999\x00") // header checksum of the first member
	big := ValidBag([]Member{{"data/a.bin", make([]byte, 600<<10)}, {"data/b.bin", make([]byte, 600<<10)}}, "")
	longLine := "Note: " + strings.Repeat("x", 70<<10) + "\n"
	manyLines := ValidBag(ManyPayload(150), "")
	// bagit.txt, then payload, then the manifests: a single pass cannot know the claims.
	payloadFirst := append(append([]Member{valid[0]}, valid[4:]...), valid[1:4]...)

	cases := []Case{
		{Name: "zip-bomb-member-ratio", Data: bombRatio, Want: "LimitError", Limit: "MaxRatio", Path: "data/zeros.bin"},
		{Name: "zip-bomb-member-size", Data: bombSize, Want: "LimitError", Limit: "MaxMemberSize", Path: "data/zeros.bin"},
		{Name: "zip-bomb-total-size", Data: ZipOf("", big, nil), Limits: map[string]int64{"MaxTotalSize": 1 << 20}, Want: "LimitError", Limit: "MaxTotalSize", Path: "data/b.bin"},
		{Name: "targz-bomb-ratio", Data: GzipOf(TarOf(vb)), Want: "LimitError", Limit: "MaxRatio"},
		{Name: "zip-slip-dotdot", Data: slip("../evil.txt"), Want: "UnsafePathError", Path: "../evil.txt"},
		{Name: "zip-slip-dotdot-inside", Data: slip("data/../../evil.txt"), Want: "UnsafePathError", Path: "evil.txt"},
		{Name: "zip-slip-absolute", Data: slip("/etc/cron.d/evil"), Want: "UnsafePathError", Path: "/etc/cron.d/evil"},
		{Name: "zip-slip-home", Data: slip("~/.bashrc"), Want: "UnsafePathError", Path: "~/.bashrc"},
		{Name: "zip-slip-drive-letter", Data: slip("C:/Windows/evil.exe"), Want: "UnsafePathError", Path: "C:/Windows"},
		{Name: "zip-slip-unc", Data: slip("//server/share/evil"), Want: "UnsafePathError", Path: "//server"},
		{Name: "zip-slip-backslash", Data: slip("data\\..\\..\\evil.txt"), Want: "UnsafePathError", Path: "evil.txt"},
		{Name: "zip-slip-unc-backslash", Data: slip("\\\\server\\share\\evil"), Want: "UnsafePathError", Path: "server"},
		{Name: "tar-slip-dotdot", Data: tarSlip("../evil.txt"), Want: "UnsafePathError", Path: "../evil.txt"},
		{Name: "tar-slip-absolute", Data: tarSlip("/etc/passwd"), Want: "UnsafePathError", Path: "/etc/passwd"},
		{Name: "tar-symlink", Data: withSpecial(&tar.Header{Name: "data/link", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink}), Want: "ArchiveError", Path: "data/link"},
		{Name: "tar-hardlink", Data: withSpecial(&tar.Header{Name: "data/hard", Linkname: "../../etc/passwd", Typeflag: tar.TypeLink}), Want: "ArchiveError", Path: "data/hard"},
		{Name: "tar-char-device", Data: withSpecial(&tar.Header{Name: "data/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}), Want: "ArchiveError", Path: "data/null"},
		{Name: "tar-block-device", Data: withSpecial(&tar.Header{Name: "data/sda", Typeflag: tar.TypeBlock, Devmajor: 8}), Want: "ArchiveError", Path: "data/sda"},
		{Name: "tar-fifo", Data: withSpecial(&tar.Header{Name: "data/fifo", Typeflag: tar.TypeFifo}), Want: "ArchiveError", Path: "data/fifo"},
		{Name: "zip-symlink", Data: ZipOf("", append(ValidBag(OnePayload(), ""), Member{"data/link", []byte("/etc/passwd")}), func(h *zip.FileHeader) {
			if h.Name == "data/link" {
				h.SetMode(fs.ModeSymlink | 0o777)
			}
		}), Want: "ArchiveError", Path: "data/link"},
		{Name: "zip-duplicate-member", Data: ZipOf("", append(ValidBag(OnePayload(), ""), Member{"data/report.txt", []byte("other\n")}), nil), Want: "ArchiveError", Path: "data/report.txt"},
		{Name: "tar-duplicate-member", Data: TarOf(append(ValidBag(OnePayload(), ""), Member{"data/report.txt", []byte("other\n")})), Want: "ArchiveError", Path: "data/report.txt"},
		{Name: "zip-encrypted-member", Data: RawZip(valid, enc), Want: "ArchiveError", Path: "data/report.txt"},
		{Name: "zip-unsupported-method", Data: RawZip(valid, bzip), Want: "ArchiveError", Path: "data/report.txt"},
		{Name: "zip-crc-mismatch", Data: RawZip(valid, badCRC), Want: "ArchiveError", Path: "data/report.txt"},
		{Name: "zip-truncated", Data: goodZip[:len(goodZip)/2], Want: "ArchiveError"},
		{Name: "zip-trailing-garbage-cut", Data: goodZip[:len(goodZip)-10], Want: "ArchiveError"},
		{Name: "tar-truncated", Data: goodTar[:700], Want: "ArchiveError"},
		{Name: "targz-truncated", Data: GzipOf(goodTar)[:60], Want: "ArchiveError"},
		{Name: "tar-corrupt-header", Data: corruptTar, Want: "ArchiveError"},
		{Name: "zip-too-many-members", Data: ZipOf("", ValidBag(ManyPayload(30), ""), nil), Limits: map[string]int64{"MaxMembers": 20}, Want: "LimitError", Limit: "MaxMembers"},
		{Name: "tar-too-many-members", Data: TarOf(ValidBag(ManyPayload(30), "")), Limits: map[string]int64{"MaxMembers": 20}, Want: "LimitError", Limit: "MaxMembers"},
		{Name: "zip-central-directory-too-big", Data: ZipOf("", ValidBag(ManyPayload(6000), ""), nil), Limits: map[string]int64{"MaxDirectorySize": 64 << 10}, Want: "LimitError", Limit: "MaxDirectorySize"},
		{Name: "manifest-too-many-lines", Data: ZipOf("", manyLines, nil), Limits: map[string]int64{"MaxManifestLines": 100}, Want: "LimitError", Limit: "MaxManifestLines", Path: "manifest-sha256.txt"},
		{Name: "path-too-long", Data: slip("data/" + strings.Repeat("a", 2000)), Want: "LimitError", Limit: "MaxPathLen", Path: "data/aaaa"},
		{Name: "path-too-deep", Data: slip("data/" + strings.Repeat("d/", 100) + "f"), Want: "LimitError", Limit: "MaxPathDepth", Path: "data/d/d"},
		{Name: "tag-line-too-long", Data: ZipOf("", ValidBag(OnePayload(), longLine), nil), Want: "LimitError", Limit: "MaxTagLineLen", Path: "bag-info.txt"},
		{Name: "tag-file-too-big", Data: ZipOf("", ValidBag(OnePayload(), longLine), nil), Limits: map[string]int64{"MaxTagFileSize": 32 << 10}, Want: "LimitError", Limit: "MaxTagFileSize", Path: "bag-info.txt"},
		{Name: "not-an-archive", Data: []byte("this is a seizure report, not a bag\n"), Want: "ArchiveError"},
		{Name: "empty-file", Data: nil, Want: "ArchiveError"},
		{Name: "zip-no-bagit-txt", Data: ZipOf("", valid[1:], nil), Want: "ArchiveError", Path: "bagit.txt"},
		{Name: "zip-two-top-level-folders", Data: ZipOf("", append(Prefixed("a/", valid), Member{"b/x", nil}), nil), Want: "ArchiveError", Path: "bagit.txt"},
		{Name: "zip-member-outside-bag-folder", Data: ZipOf("", append(Prefixed("a/", valid), Member{"a", nil}), nil), Want: "ArchiveError"},
		{Name: "tar-gnu-longname-slip", Data: TarFormat(append(ValidBag(OnePayload(), ""), Member{"data/" + strings.Repeat("a", 120) + "/../../../evil.txt", []byte("x")}), tar.FormatGNU), Want: "UnsafePathError", Path: "evil.txt"},
		{Name: "tar-pax-path-slip", Data: TarFormat(append(ValidBag(OnePayload(), ""), Member{"data/" + strings.Repeat("a", 120) + "/../../../evil.txt", []byte("x")}), tar.FormatPAX), Want: "UnsafePathError", Path: "evil.txt"},
		{Name: "tar-gnu-longname-too-long", Data: TarFormat(append(ValidBag(OnePayload(), ""), Member{"data/" + strings.Repeat("a", 2000), []byte("x")}), tar.FormatGNU), Want: "LimitError", Limit: "MaxPathLen", Path: "data/aaaa"},
		{Name: "tar-pax-path-too-long", Data: TarFormat(append(ValidBag(OnePayload(), ""), Member{"data/" + strings.Repeat("a", 2000), []byte("x")}), tar.FormatPAX), Want: "LimitError", Limit: "MaxPathLen", Path: "data/aaaa"},
		{Name: "tar-gnu-longname-oversized", Data: TarThen(ValidBag(OnePayload(), ""), TarHeader("././@LongLink", 2<<20, tar.TypeGNULongName, tar.FormatGNU, nil), make([]byte, 2<<20)), Want: "ArchiveError"},
		{Name: "tar-pax-header-oversized", Data: TarThen(ValidBag(OnePayload(), ""), TarHeader("PaxHeaders/x", 2<<20, tar.TypeXHeader, tar.FormatUSTAR, nil), make([]byte, 2<<20)), Want: "ArchiveError"},
		{Name: "tar-payload-first-streamed", Streamed: true, Data: TarOf(payloadFirst), Want: "OrderError", Path: "manifest-sha256.txt"},
	}
	// Sparse members, each after a valid bag's tag files and before its payload, as a
	// tar and a tar.gz, from a file and streamed: 1 GiB of holes from a few KB.
	sparse := SparseMembers("data/holes.bin")
	forms := make([]string, 0, len(sparse))
	for f := range sparse {
		forms = append(forms, f)
	}
	sort.Strings(forms)
	for _, f := range forms {
		t := TarThen(valid[:4], sparse[f])
		cases = append(cases,
			Case{Name: "tar-sparse-" + f, Data: t, Want: "ArchiveError", Path: "data/holes.bin"},
			Case{Name: "tar-sparse-" + f + "-streamed", Data: t, Streamed: true, Want: "ArchiveError", Path: "data/holes.bin"},
			Case{Name: "targz-sparse-" + f, Data: GzipOf(t), Want: "ArchiveError", Path: "data/holes.bin"})
	}
	return cases
}
