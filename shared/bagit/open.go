package bagit

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strings"
)

// Bag is an opened bag: its tag files are read and its container checked; payload is
// read by [Bag.Validate]. A Bag read from a stream ([OpenTar]) can be validated once.
type Bag struct {
	lim      Limits
	kind     string            // "folder", "zip", "tar", "tar.gz"
	tags     map[string][]byte // tag files read at open, by path relative to the bag
	tagOrder []string
	src      source
	used     bool
	closer   io.Closer
}

func newBag(lim Limits, kind string) *Bag {
	return &Bag{lim: lim, kind: kind, tags: map[string][]byte{}}
}

func (b *Bag) addTag(rel string, data []byte) {
	if _, ok := b.tags[rel]; !ok {
		b.tagOrder = append(b.tagOrder, rel)
	}
	b.tags[rel] = data
}

// TagFile returns the bytes of a tag file read when the bag was opened (every tag file of a
// folder or zip; those before the first payload file of a tar stream), and whether it was.
func (b *Bag) TagFile(name string) ([]byte, bool) {
	data, ok := b.tags[name]
	return data, ok
}

// TagFiles names the tag files TagFile returns, in the order they were read.
func (b *Bag) TagFiles() []string { return append([]string(nil), b.tagOrder...) }

// Member is a payload file as its container lists it.
type Member struct {
	Path string // relative to the bag, "data/..."
	Size int64  // bytes, as the container declares them
}

// Members lists the payload files in the order Validate reads them, and reports whether the
// container lists them before they are read: a zip does (its central directory), a tar does
// not. The list is the container's, not yet checked against the manifests.
func (b *Bag) Members() ([]Member, bool) {
	if z, ok := b.src.(*zipSource); ok {
		return z.members(), true
	}
	return nil, false
}

// Kind names the container: "folder", "zip", "tar" or "tar.gz".
func (b *Bag) Kind() string { return b.kind }

// Close releases the files the Bag holds open.
func (b *Bag) Close() error {
	var err error
	if b.src != nil {
		err = b.src.Close()
	}
	if b.closer != nil {
		if e := b.closer.Close(); err == nil {
			err = e
		}
	}
	return err
}

func cutPrefix(name, prefix string) (string, bool) {
	if prefix == "" {
		return name, true
	}
	return strings.CutPrefix(name, prefix)
}

// Open opens a bag in a folder or an archive file. The archive's format is found from
// its content, not its name: zip, tar, or gzip-compressed tar. Anything else yields an
// *[ArchiveError]; a path that cannot be read yields the operating system's error.
func Open(path string, lim Limits) (*Bag, error) {
	lim = lim.withDefaults()
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return openFolder(path, lim)
	}
	if !st.Mode().IsRegular() {
		return nil, &ArchiveError{Path: path, Reason: "is a device, FIFO or socket, not a folder or an archive file"}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 512)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, err
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		b, err := OpenZip(f, st.Size(), lim)
		if err != nil {
			f.Close()
			return nil, err
		}
		b.closer = f
		return b, nil
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		f.Close()
		open := func() (io.Reader, io.Closer, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, nil, err
			}
			cr := &countingReader{r: f}
			zr, err := gzip.NewReader(cr)
			if err != nil {
				f.Close()
				return nil, nil, &ArchiveError{Reason: "not a readable gzip stream", Err: err}
			}
			return &ratioReader{r: zr, comp: cr, lim: lim}, f, nil
		}
		return openTarFile(open, lim, "tar.gz")
	case isTarHeader(head):
		f.Close()
		open := func() (io.Reader, io.Closer, error) {
			f, err := os.Open(path)
			return f, f, err // *os.File seeks: the first pass skips payload without reading it
		}
		return openTarFile(open, lim, "tar")
	}
	f.Close()
	return nil, &ArchiveError{Path: path, Reason: "is neither a folder nor a zip, tar or tar.gz archive"}
}

// isTarHeader reports whether b starts with a tar header: the ustar magic, or a valid
// header checksum (old V7 archives).
func isTarHeader(b []byte) bool {
	if len(b) < 512 {
		return false
	}
	if string(b[257:262]) == "ustar" {
		return true
	}
	var sum int64
	for i, c := range b[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	field := strings.Trim(string(b[148:156]), " \x00")
	if field == "" {
		return false
	}
	var want int64
	for _, c := range field {
		if c < '0' || c > '7' {
			return false
		}
		want = want*8 + int64(c-'0')
	}
	return want == sum
}
