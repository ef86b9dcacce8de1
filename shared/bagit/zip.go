package bagit

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"

	kflate "github.com/klauspost/compress/flate"
)

// inflater picks the deflate implementation for reading zip members; see
// BenchmarkValidateZipDeflated for the comparison that chose it.
var inflater = "klauspost"

type zipSource struct {
	payload []*zip.File // in storage order
	names   map[*zip.File]string
	lim     Limits
}

// OpenZip reads a zip archive through r, which may be a ranged reader over an object
// store: only the central directory, the tag files and (in Validate) each payload member
// once are read. The bag may sit at the archive's root or in its one top-level folder.
func OpenZip(r io.ReaderAt, size int64, lim Limits) (*Bag, error) {
	lim = lim.withDefaults()
	// archive/zip parses the whole central directory into memory before returning; cap
	// the bytes it may read for that.
	budget := &budgetReaderAt{r: r, left: lim.MaxDirectorySize + 128<<10, max: lim.MaxDirectorySize}
	zr, err := zip.NewReader(budget, size)
	budget.off = true
	var le *LimitError
	if errors.As(err, &le) {
		return nil, le
	}
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, &ArchiveError{Reason: "not a readable zip archive (corrupt, truncated or not a zip)", Err: err}
	}
	if inflater == "klauspost" {
		zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return kflate.NewReader(r) })
	}
	c := &counter{lim: lim}
	var compressedTotal int64
	seen := map[string]bool{}
	var names []string
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		name, dir, err := cleanMember(f.Name, lim)
		if err != nil {
			return nil, err
		}
		mode := f.Mode()
		if mode&fs.ModeSymlink != 0 {
			return nil, &ArchiveError{Path: f.Name, Reason: "is a symbolic link; a bag may hold only regular files"}
		}
		if dir || mode.IsDir() {
			if err := c.member(f.Name, 0); err != nil {
				return nil, err
			}
			continue
		}
		if mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
			return nil, &ArchiveError{Path: f.Name, Reason: "is a device, FIFO or socket; a bag may hold only regular files"}
		}
		if f.Flags&0x1 != 0 {
			return nil, &ArchiveError{Path: f.Name, Reason: "is encrypted; evidence must arrive unencrypted inside the archive"}
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, &ArchiveError{Path: f.Name, Reason: fmt.Sprintf("uses compression method %d; only stored (0) and deflated (8) members are read", f.Method)}
		}
		if seen[name] {
			return nil, &ArchiveError{Path: f.Name, Reason: "appears twice in the archive (duplicate member)"}
		}
		seen[name] = true
		usize := int64(f.UncompressedSize64)
		csize := int64(f.CompressedSize64)
		if f.UncompressedSize64 > 1<<62 {
			usize = 1 << 62
		}
		if err := c.member(f.Name, usize); err != nil {
			return nil, err
		}
		if lim.ratioExceeded(usize, csize) {
			return nil, &LimitError{Path: f.Name, Limit: "MaxRatio", Max: lim.MaxRatio, Got: ratio(usize, csize)}
		}
		compressedTotal += csize
		names = append(names, name)
		files[name] = f
	}
	if lim.ratioExceeded(c.total, size) {
		return nil, &LimitError{Limit: "MaxRatio", Max: lim.MaxRatio, Got: ratio(c.total, size)}
	}
	prefix, err := findPrefix(names)
	if err != nil {
		return nil, err
	}
	b := newBag(lim, "zip")
	zs := &zipSource{names: map[*zip.File]string{}, lim: lim}
	for _, n := range names {
		f := files[n]
		rel, ok := cutPrefix(n, prefix)
		if !ok {
			return nil, &ArchiveError{Path: f.Name, Reason: fmt.Sprintf("lies outside the bag's folder %s", prefix)}
		}
		if isPayload(rel) {
			zs.payload = append(zs.payload, f)
			zs.names[f] = rel
			continue
		}
		if err := c.tag(rel, int64(f.UncompressedSize64)); err != nil {
			return nil, err
		}
		rc, err := f.Open()
		if err != nil {
			return nil, readErr(f.Name, err)
		}
		data, err := readAllLimited(f.Name, rc, int64(f.UncompressedSize64))
		rc.Close()
		if err != nil {
			return nil, err
		}
		b.addTag(rel, data)
	}
	// Payload is read in the central directory's order, which is the order the members are
	// stored in for every ordinary writer (bagit.Create among them), so a ranged reader moves
	// forward. Sorting by the members' data offsets instead would read every member's local
	// header at open: over S3's ranged GETs, with read-ahead, nearly the whole bag, again at
	// every opening. A member whose local header is unreadable fails when the walk reads it.
	b.src = zs
	return b, nil
}

// budgetReaderAt fails reads once more than left bytes were read, until off is set.
type budgetReaderAt struct {
	r    io.ReaderAt
	left int64
	max  int64
	off  bool
}

func (b *budgetReaderAt) ReadAt(p []byte, o int64) (int, error) {
	if !b.off {
		b.left -= int64(len(p))
		if b.left < 0 {
			return 0, &LimitError{Path: "zip central directory", Limit: "MaxDirectorySize", Max: b.max, Got: b.max - b.left}
		}
	}
	return b.r.ReadAt(p, o)
}

func ratio(u, c int64) int64 {
	if c <= 0 {
		return u
	}
	return u / c
}

func (z *zipSource) stream(fn streamFunc) error {
	for _, f := range z.payload {
		// Opened at the first read, so that a member the walk passes over (Options.Select,
		// Options.Known) costs no read of its local header.
		lr := &lazyMember{f: f}
		er := &exactReader{name: f.Name, r: lr, left: int64(f.UncompressedSize64)}
		err := fn(z.names[f], int64(f.UncompressedSize64), er)
		lr.close()
		if err != nil {
			return err
		}
	}
	return nil
}

// members lists the payload members in storage order.
func (z *zipSource) members() []Member {
	out := make([]Member, 0, len(z.payload))
	for _, f := range z.payload {
		if isPayload(z.names[f]) {
			out = append(out, Member{Path: z.names[f], Size: int64(f.UncompressedSize64)})
		}
	}
	return out
}

// lazyMember opens a zip member at its first read.
type lazyMember struct {
	f  *zip.File
	rc io.ReadCloser
}

func (l *lazyMember) Read(p []byte) (int, error) {
	if l.rc == nil {
		rc, err := l.f.Open()
		if err != nil {
			return 0, readErr(l.f.Name, err)
		}
		l.rc = rc
	}
	return l.rc.Read(p)
}

func (l *lazyMember) close() {
	if l.rc != nil {
		l.rc.Close()
	}
}

func (z *zipSource) Close() error { return nil }
