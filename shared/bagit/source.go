package bagit

import (
	"errors"
	"fmt"
	"io"

	"sort"
	"strings"
)

// streamFunc receives, in storage order, each member not read at open time: payload
// files and any tag file that came too late to be read then.
type streamFunc func(name string, size int64, r io.Reader) error

// source is a bag's container after open: folder, zip or tar.
type source interface {
	stream(fn streamFunc) error
	Close() error
}

// counter enforces the member count and size limits as members are met.
type counter struct {
	lim      Limits
	members  int
	total    int64
	tagBytes int64
}

func (c *counter) member(name string, size int64) error {
	c.members++
	if c.members > c.lim.MaxMembers {
		return &LimitError{Path: name, Limit: "MaxMembers", Max: int64(c.lim.MaxMembers), Got: int64(c.members)}
	}
	if size < 0 {
		return &ArchiveError{Path: name, Reason: "negative size"}
	}
	if size > c.lim.MaxMemberSize {
		return &LimitError{Path: name, Limit: "MaxMemberSize", Max: c.lim.MaxMemberSize, Got: size}
	}
	c.total += size
	if c.total > c.lim.MaxTotalSize || c.total < 0 {
		return &LimitError{Path: name, Limit: "MaxTotalSize", Max: c.lim.MaxTotalSize, Got: c.total}
	}
	return nil
}

// tag checks the size of a tag file that will be held in memory.
func (c *counter) tag(name string, size int64) error {
	if size > c.lim.MaxTagFileSize {
		return &LimitError{Path: name, Limit: "MaxTagFileSize", Max: c.lim.MaxTagFileSize, Got: size}
	}
	c.tagBytes += size
	if c.tagBytes > c.lim.MaxTagBytes {
		return &LimitError{Path: name, Limit: "MaxTagBytes", Max: c.lim.MaxTagBytes, Got: c.tagBytes}
	}
	return nil
}

// cleanMember normalizes an archive member name (a leading "./" is dropped, a trailing
// "/" marks a directory) and refuses unsafe ones.
func cleanMember(name string, lim Limits) (clean string, dir bool, err error) {
	n := name
	for strings.HasPrefix(n, "./") {
		n = n[2:]
	}
	if strings.HasSuffix(n, "/") {
		dir = true
		n = strings.TrimRight(n, "/")
	}
	if dir && (n == "" || n == ".") {
		return "", true, nil // the archive root itself
	}
	if len(n) > lim.MaxPathLen {
		return "", dir, &LimitError{Path: clip(n), Limit: "MaxPathLen", Max: int64(lim.MaxPathLen), Got: int64(len(n))}
	}
	if why := checkPath(n); why != "" {
		return "", dir, &UnsafePathError{Path: name, Source: "archive", Reason: why}
	}
	if d := strings.Count(n, "/") + 1; d > lim.MaxPathDepth {
		return "", dir, &LimitError{Path: clip(n), Limit: "MaxPathDepth", Max: int64(lim.MaxPathDepth), Got: int64(d)}
	}
	return n, dir, nil
}

// findPrefix locates the bag in an archive: at its root, or in its one top-level folder
// (RFC 8493 section 4). It returns "" or "folder/".
func findPrefix(names []string) (string, error) {
	top := map[string]bool{}
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
		top[strings.SplitN(n, "/", 2)[0]] = true
	}
	if has["bagit.txt"] {
		return "", nil
	}
	if len(top) == 1 {
		for t := range top {
			if has[t+"/bagit.txt"] {
				return t + "/", nil
			}
		}
	}
	if len(top) > 1 {
		tops := make([]string, 0, len(top))
		for t := range top {
			tops = append(tops, t)
		}
		sort.Strings(tops)
		if len(tops) > 5 {
			tops = append(tops[:5], "...")
		}
		return "", &ArchiveError{Path: "bagit.txt", Reason: fmt.Sprintf("not found at the archive's root, and the archive has several top-level entries (%s), not one bag folder", strings.Join(tops, ", "))}
	}
	return "", &ArchiveError{Path: "bagit.txt", Reason: "not found at the archive's root nor in its top-level folder; this is not a bag"}
}

// isPayload reports whether a path relative to the bag root is a payload file.
func isPayload(rel string) bool { return strings.HasPrefix(rel, "data/") }

// readAllLimited reads a tag file of declared size into memory, refusing more bytes than
// declared.
func readAllLimited(name string, r io.Reader, size int64) ([]byte, error) {
	buf := make([]byte, 0, size)
	w := &boundedBuffer{buf: buf, max: size}
	if _, err := io.Copy(w, r); err != nil {
		return nil, readErr(name, err)
	}
	if int64(len(w.buf)) != size {
		return nil, &ArchiveError{Path: name, Reason: fmt.Sprintf("holds %d bytes, its header says %d (truncated or corrupt)", len(w.buf), size)}
	}
	return w.buf, nil
}

type boundedBuffer struct {
	buf []byte
	max int64
}

var errTooLong = errors.New("more bytes than the member's declared size")

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if int64(len(b.buf)+len(p)) > b.max {
		return 0, errTooLong
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// exactReader passes through at most size bytes and fails if the underlying reader
// has more or fewer: a member's data must match its header.
type exactReader struct {
	name string
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		// Probe for excess bytes.
		var one [1]byte
		n, err := e.r.Read(one[:])
		if n > 0 {
			return 0, &ArchiveError{Path: e.name, Reason: "holds more bytes than its header declares"}
		}
		if err == nil || err == io.EOF {
			return 0, io.EOF
		}
		return 0, readErr(e.name, err)
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		return n, &ArchiveError{Path: e.name, Reason: fmt.Sprintf("ends %d bytes early (truncated)", e.left)}
	}
	if err != nil && err != io.EOF {
		return n, readErr(e.name, err)
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// readErr turns a reader's error into a typed error naming the member.
func readErr(name string, err error) error {
	var ae *ArchiveError
	var le *LimitError
	switch {
	case errors.As(err, &ae), errors.As(err, &le):
		return err
	case errors.Is(err, errTooLong):
		return &ArchiveError{Path: name, Reason: "holds more bytes than its header declares"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &ArchiveError{Path: name, Reason: "truncated", Err: err}
	case strings.Contains(err.Error(), "checksum error"):
		return &ArchiveError{Path: name, Reason: "CRC mismatch: the member's bytes do not match the archive's checksum", Err: err}
	default:
		return &ArchiveError{Path: name, Reason: "cannot be read (corrupt archive)", Err: err}
	}
}
