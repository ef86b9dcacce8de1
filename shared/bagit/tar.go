package bagit

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// tarMembers reads a tar's headers, refusing links, devices, duplicates, unsafe names
// and members beyond the limits. Directories are counted and skipped.
type tarMembers struct {
	tr   *tar.Reader
	c    *counter
	seen map[string]bool
	lim  Limits
	end  *endCheck
	rest io.Reader // drained at the end (a gzip stream, to check its CRC); may be nil
}

func newTarMembers(r io.Reader, lim Limits) *tarMembers {
	var end *endCheck
	var in io.Reader
	if s, ok := r.(io.ReadSeeker); ok {
		end = &endCheck{r: s}
		in = &endCheckSeeker{endCheck: end, s: s}
	} else {
		end = &endCheck{r: r}
		in = end
	}
	t := &tarMembers{tr: tar.NewReader(in), c: &counter{lim: lim}, seen: map[string]bool{}, lim: lim, end: end}
	if _, ok := r.(*ratioReader); ok {
		t.rest = r
	}
	return t
}

// endCheck tracks how many zero bytes ended what was read, to tell a tar that ends with
// its end-of-archive marker (two zero blocks) from one cut short.
type endCheck struct {
	r     io.Reader
	zeros int64
}

func (e *endCheck) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	i := n
	for i > 0 && p[i-1] == 0 {
		i--
	}
	if i == 0 {
		e.zeros += int64(n)
	} else {
		e.zeros = int64(n - i)
	}
	return n, err
}

type endCheckSeeker struct {
	*endCheck
	s io.Seeker
}

func (e *endCheckSeeker) Seek(off int64, whence int) (int64, error) {
	e.zeros = 0
	return e.s.Seek(off, whence)
}

// finish checks the end-of-archive marker and, for tar.gz, the rest of the gzip stream.
func (t *tarMembers) finish() error {
	if t.end.zeros < 1024 {
		return &ArchiveError{Reason: "tar archive is truncated: its end-of-archive marker is missing"}
	}
	if t.rest != nil {
		if _, err := io.Copy(io.Discard, t.rest); err != nil {
			return tarErr(err)
		}
	}
	return nil
}

// next returns the next regular file's header and cleaned name, or io.EOF.
func (t *tarMembers) next() (*tar.Header, string, error) {
	for {
		h, err := t.tr.Next()
		if err == io.EOF {
			if err := t.finish(); err != nil {
				return nil, "", err
			}
			return nil, "", io.EOF
		}
		if err != nil {
			return nil, "", tarErr(err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue // pax global header (git archive writes one): metadata, not a member
		}
		if sparse(h) {
			// A sparse member's logical size is not in the archive: 10 KB of headers can
			// claim a gigabyte of holes. Refused, as links and devices are.
			return nil, "", &ArchiveError{Path: h.Name, Reason: fmt.Sprintf("is a sparse file (%d bytes claimed, GNU sparse map); a bag may hold only regular files stored whole", h.Size)}
		}
		name, dir, err := cleanMember(h.Name, t.lim)
		if err != nil {
			return nil, "", err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := t.c.member(h.Name, 0); err != nil {
				return nil, "", err
			}
			continue
		case tar.TypeReg, tar.TypeRegA:
			if dir {
				return nil, "", &ArchiveError{Path: h.Name, Reason: "is a regular file with a directory name"}
			}
		case tar.TypeSymlink:
			return nil, "", &ArchiveError{Path: h.Name, Reason: fmt.Sprintf("is a symbolic link (to %q); a bag may hold only regular files", h.Linkname)}
		case tar.TypeLink:
			return nil, "", &ArchiveError{Path: h.Name, Reason: fmt.Sprintf("is a hard link (to %q); a bag may hold only regular files", h.Linkname)}
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return nil, "", &ArchiveError{Path: h.Name, Reason: "is a device or FIFO; a bag may hold only regular files"}
		default:
			return nil, "", &ArchiveError{Path: h.Name, Reason: fmt.Sprintf("has unsupported tar type %q", h.Typeflag)}
		}
		if t.seen[name] {
			return nil, "", &ArchiveError{Path: h.Name, Reason: "appears twice in the archive (duplicate member)"}
		}
		t.seen[name] = true
		if err := t.c.member(h.Name, h.Size); err != nil {
			return nil, "", err
		}
		return h, name, nil
	}
}

// sparse reports whether h is a GNU sparse member: the old GNU type 'S', or a PAX
// header with GNU.sparse.* records (formats 0.0, 0.1 and 1.0, and any version
// archive/tar does not know, which it would pass on unexpanded).
func sparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func tarErr(err error) error {
	var le *LimitError
	if errors.As(err, &le) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &ArchiveError{Reason: "tar archive is truncated", Err: err}
	}
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return &ArchiveError{Reason: "gzip stream is corrupt", Err: err}
	}
	return &ArchiveError{Reason: "not a readable tar archive (corrupt header)", Err: err}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ratioReader fails once the inflated bytes exceed MaxRatio times the compressed bytes.
type ratioReader struct {
	r    io.Reader
	comp *countingReader
	n    int64
	lim  Limits
}

func (r *ratioReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	// The bytes that cross a limit are not passed on, so that what a reader gets never
	// exceeds the bound [Limits.MaxPayload] states.
	if r.lim.ratioExceeded(r.n, r.comp.n) {
		return 0, &LimitError{Limit: "MaxRatio", Max: r.lim.MaxRatio, Got: ratio(r.n, r.comp.n)}
	}
	if r.n > r.lim.MaxTotalSize+1<<20 {
		return 0, &LimitError{Limit: "MaxTotalSize", Max: r.lim.MaxTotalSize, Got: r.n}
	}
	return n, err
}

// untar returns a reader of tar bytes: r itself, or r inflated if it starts with the
// gzip magic number.
func untar(r io.Reader, lim Limits) (io.Reader, bool, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		cr := &countingReader{r: br}
		zr, err := gzip.NewReader(cr)
		if err != nil {
			return nil, true, &ArchiveError{Reason: "not a readable gzip stream", Err: err}
		}
		return &ratioReader{r: zr, comp: cr, lim: lim}, true, nil
	}
	return br, false, nil
}

// OpenTar reads a tar or tar.gz bag from a stream, once: bagit.txt and the payload
// manifests must precede the payload (see the package documentation). Members before
// bagit.txt are held in memory within MaxTagFileSize each.
func OpenTar(r io.Reader, lim Limits) (*Bag, error) {
	lim = lim.withDefaults()
	tr, gz, err := untar(r, lim)
	if err != nil {
		return nil, err
	}
	kind := "tar"
	if gz {
		kind = "tar.gz"
	}
	b := newBag(lim, kind)
	tm := newTarMembers(tr, lim)
	type held struct {
		name string
		data []byte
	}
	var pending []held
	prefix, known := "", false
	s := &tarStream{tm: tm, lim: lim}
	for {
		h, name, err := tm.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if !known {
			switch {
			case name == "bagit.txt":
				known = true
			case strings.Count(name, "/") == 1 && strings.HasSuffix(name, "/bagit.txt") && name != "data/bagit.txt":
				// A bag in one top-level folder ("data/bagit.txt" is a nested bag's).
				prefix, known = strings.TrimSuffix(name, "bagit.txt"), true
			}
			if !known {
				if h.Size > lim.MaxTagFileSize {
					return nil, &OrderError{Path: name}
				}
				if err := tm.c.tag(name, h.Size); err != nil {
					return nil, err
				}
				data, err := readAllLimited(name, tm.tr, h.Size)
				if err != nil {
					return nil, err
				}
				pending = append(pending, held{name, data})
				continue
			}
			for _, p := range pending {
				rel, ok := cutPrefix(p.name, prefix)
				if !ok {
					return nil, &ArchiveError{Path: p.name, Reason: fmt.Sprintf("lies outside the bag's folder %s", prefix)}
				}
				if isPayload(rel) {
					s.early = append(s.early, heldMember{rel, p.data})
				} else {
					b.addTag(rel, p.data)
				}
			}
			pending = nil
		}
		rel, ok := cutPrefix(name, prefix)
		if !ok {
			return nil, &ArchiveError{Path: name, Reason: fmt.Sprintf("lies outside the bag's folder %s", prefix)}
		}
		if isPayload(rel) {
			s.first, s.firstRel, s.prefix = h, rel, prefix
			b.src = s
			return b, nil
		}
		if err := tm.c.tag(rel, h.Size); err != nil {
			return nil, err
		}
		data, err := readAllLimited(name, tm.tr, h.Size)
		if err != nil {
			return nil, err
		}
		b.addTag(rel, data)
	}
	if !known {
		return nil, &ArchiveError{Path: "bagit.txt", Reason: "not found at the archive's root nor in its top-level folder; this is not a bag"}
	}
	s.prefix, s.done = prefix, true
	b.src = s
	return b, nil
}

type heldMember struct {
	name string
	data []byte
}

// tarStream continues a single-pass tar after the tag files.
type tarStream struct {
	tm       *tarMembers
	lim      Limits
	prefix   string
	early    []heldMember
	first    *tar.Header
	firstRel string
	done     bool
	closer   io.Closer
}

func (s *tarStream) stream(fn streamFunc) error {
	for _, m := range s.early {
		if err := fn(m.name, int64(len(m.data)), bytes.NewReader(m.data)); err != nil {
			return err
		}
	}
	if s.done {
		return nil
	}
	h, rel := s.first, s.firstRel
	for {
		if err := fn(rel, h.Size, &exactReader{name: h.Name, r: s.tm.tr, left: h.Size}); err != nil {
			return err
		}
		var name string
		var err error
		h, name, err = s.tm.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var ok bool
		if rel, ok = cutPrefix(name, s.prefix); !ok {
			return &ArchiveError{Path: name, Reason: fmt.Sprintf("lies outside the bag's folder %s", s.prefix)}
		}
	}
}

func (s *tarStream) Close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// tarFile is a tar read from a file in two passes: headers and tag files first
// (payload skipped without hashing), then the hashing pass.
type tarFile struct {
	open   func() (io.Reader, io.Closer, error)
	lim    Limits
	prefix string
	read   map[string]bool // tag files read in the first pass
}

func openTarFile(open func() (io.Reader, io.Closer, error), lim Limits, kind string) (*Bag, error) {
	r, cl, err := open()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	tm := newTarMembers(r, lim)
	var names []string
	cand := map[string][]byte{}
	var order []string
	for {
		h, name, err := tm.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		names = append(names, name)
		segs := strings.SplitN(name, "/", 3)
		if segs[0] == "data" || len(segs) > 2 && segs[1] == "data" {
			continue // payload of a bag at the root or in a folder: skipped, not hashed
		}
		if err := tm.c.tag(name, h.Size); err != nil {
			return nil, err
		}
		data, err := readAllLimited(name, tm.tr, h.Size)
		if err != nil {
			return nil, err
		}
		cand[name] = data
		order = append(order, name)
	}
	prefix, err := findPrefix(names)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, ok := cutPrefix(n, prefix); !ok {
			return nil, &ArchiveError{Path: n, Reason: fmt.Sprintf("lies outside the bag's folder %s", prefix)}
		}
	}
	b := newBag(lim, kind)
	tf := &tarFile{open: open, lim: lim, prefix: prefix, read: map[string]bool{}}
	for _, n := range order {
		rel, _ := cutPrefix(n, prefix)
		if isPayload(rel) {
			continue
		}
		b.addTag(rel, cand[n])
		tf.read[rel] = true
	}
	b.src = tf
	return b, nil
}

func (t *tarFile) stream(fn streamFunc) error {
	r, cl, err := t.open()
	if err != nil {
		return err
	}
	defer cl.Close()
	tm := newTarMembers(r, t.lim)
	for {
		h, name, err := tm.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		rel, ok := cutPrefix(name, t.prefix)
		if !ok {
			return &ArchiveError{Path: name, Reason: fmt.Sprintf("lies outside the bag's folder %s", t.prefix)}
		}
		if t.read[rel] {
			continue
		}
		if err := fn(rel, h.Size, &exactReader{name: h.Name, r: tm.tr, left: h.Size}); err != nil {
			return err
		}
	}
}

func (t *tarFile) Close() error { return nil }
