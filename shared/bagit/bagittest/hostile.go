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

	return []Case{
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
		{Name: "tar-payload-first-streamed", Streamed: true, Data: TarOf(payloadFirst), Want: "OrderError", Path: "manifest-sha256.txt"},
	}
}
