// Package archive reads zip, tar and gzip files found among a bundle's documents for
// package extract: every member is listed with its name, size and SHA-256, and its text is
// read as a document of its own (through the dispatcher, Job.Nested) and appended after a
// line "--- member NAME ---". Bag validation never opens nested archives (they are
// payload); this is extraction only.
//
// The bounds are those of zip-based documents: at most MaxObjects members, MaxArchiveBytes
// decompressed in all, MaxRatio times the compressed size per zip member and per gzip
// stream, and MaxStreamBytes of one member kept for reading its text (a larger member is
// hashed in full and noted). Nesting depth is the dispatcher's.
package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// budget counts the decompressed bytes of one archive against MaxArchiveBytes.
type budget struct {
	j    *extractor.Job
	left int64
}

func newBudget(j *extractor.Job) *budget {
	left := j.Lim.MaxArchiveBytes
	if left <= 0 {
		left = 1 << 62
	}
	return &budget{j: j, left: left}
}

var errBudget = errors.New("archive limit reached")

// member hashes one member read from r, keeps up to MaxStreamBytes of it, and reads its
// text through the dispatcher. declared is the compressed size when known (zip), to bound
// the ratio.
func (b *budget) member(name string, r io.Reader, declared int64) error {
	j := b.j
	limit := b.left
	ratioCapped := false
	if j.Lim.MaxRatio > 0 && declared >= 0 {
		if c := declared*j.Lim.MaxRatio + 4096; c < limit {
			limit, ratioCapped = c, true
		}
	}
	keep := j.Lim.MaxStreamBytes
	if keep <= 0 {
		keep = 1 << 62
	}
	hash := sha256.New()
	var buf bytes.Buffer
	lr := &io.LimitedReader{R: r, N: limit + 1}
	n, err := io.Copy(io.MultiWriter(hash, &capWriter{w: &buf, left: keep}), lr)
	b.left -= min(n, limit)
	a := extractor.Attachment{Name: extractor.CleanMeta(name), MediaType: extractor.TypeUnknown, Size: n, SHA256: hex.EncodeToString(hash.Sum(nil))}
	switch {
	case n > limit && ratioCapped:
		j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitRatio, Max: j.Lim.MaxRatio})
		a.Size, a.SHA256, a.Note = 0, "", "not read: compression ratio above the limit"
		j.Res.Attach = append(j.Res.Attach, a)
		return errBudget
	case n > limit:
		j.Res.Halt(&extractor.LimitError{Limit: extractor.LimitArchive, Max: j.Lim.MaxArchiveBytes})
		a.Size, a.SHA256, a.Note = 0, "", "not read: archive limit reached"
		j.Res.Attach = append(j.Res.Attach, a)
		return errBudget
	case err != nil:
		a.Note = "damaged: " + err.Error()
		j.Res.Halt(fmt.Errorf("member %q: %w", name, err))
	case j.Nested == nil:
		a.Note = "not read: nested too deep"
	case n > keep:
		a.Note = "not read: larger than the stream limit"
	default:
		res, err := j.Nested(j.Ctx, buf.Bytes(), name)
		if err != nil {
			a.Note = err.Error()
			break
		}
		a.MediaType, a.Detected = res.MediaType, res.MediaType
		if res.Unsupported != nil {
			a.Note = res.Unsupported.Error()
		} else if res.Partial {
			a.Note = "partial text: " + res.StopReason
		}
		if t := strings.TrimSpace(res.Text); t != "" {
			before := j.TextLen()
			j.Write("--- member " + a.Name + " ---\n" + t + "\n")
			a.TextBytes = j.TextLen() - before
		}
		j.Res.Attach = append(j.Res.Attach, a)
		for _, inner := range res.Attach {
			inner.Name = a.Name + "/" + inner.Name
			j.Res.Attach = append(j.Res.Attach, inner)
		}
		return nil
	}
	j.Res.Attach = append(j.Res.Attach, a)
	return nil
}

// ReadZip lists and reads the members of a zip archive.
func ReadZip(j *extractor.Job) error {
	zr, err := zip.NewReader(io.NewSectionReader(j.R, 0, j.Size), j.Size)
	if err != nil {
		return err
	}
	b := newBudget(j)
	for _, f := range zr.File {
		if j.Object() || j.Deadline() || j.Full() {
			break
		}
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			j.Res.Attach = append(j.Res.Attach, extractor.Attachment{Name: extractor.CleanMeta(f.Name), MediaType: extractor.TypeUnknown, Note: "not read: " + err.Error()})
			continue
		}
		err = b.member(f.Name, rc, int64(f.CompressedSize64))
		rc.Close()
		if errors.Is(err, errBudget) {
			break
		}
	}
	return nil
}

// ReadTar lists and reads the regular files of a tar archive.
func ReadTar(j *extractor.Job) error {
	return readTar(j, io.NewSectionReader(j.R, 0, j.Size), newBudget(j), -1)
}

func readTar(j *extractor.Job, r io.Reader, b *budget, declared int64) error {
	tr := tar.NewReader(r)
	files := 0
	for {
		if j.Object() || j.Deadline() || j.Full() {
			return nil
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if files == 0 {
				return err
			}
			j.Res.Halt(fmt.Errorf("tar: %w", err))
			return nil
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
			continue
		}
		files++
		if err := b.member(h.Name, tr, declared); errors.Is(err, errBudget) {
			return nil
		}
	}
}

// ReadGzip reads a gzip file: a tar inside it is listed as a tar archive; anything else
// is one member, named by the gzip header or by the file, read like a zip member. The
// decompressed size is bounded by MaxRatio times the compressed size.
func ReadGzip(j *extractor.Job) error {
	zr, err := gzip.NewReader(io.NewSectionReader(j.R, 0, j.Size))
	if err != nil {
		return err
	}
	defer zr.Close()
	br := newPeekReader(zr)
	head := br.peek(512)
	b := newBudget(j)
	if len(head) >= 262 && string(head[257:262]) == "ustar" {
		if j.Lim.MaxRatio > 0 {
			if c := j.Size*j.Lim.MaxRatio + 4096; c < b.left {
				b.left = c
			}
		}
		return readTar(j, br, b, -1)
	}
	name := zr.Name
	if name == "" {
		name = "content"
	}
	b.member(name, br, j.Size)
	return nil
}

// peekReader reads ahead the first bytes of a stream without losing them.
type peekReader struct {
	r    io.Reader
	head []byte
}

func newPeekReader(r io.Reader) *peekReader { return &peekReader{r: r} }

func (p *peekReader) peek(n int) []byte {
	buf := make([]byte, n)
	k, _ := io.ReadFull(p.r, buf)
	p.head = buf[:k]
	return p.head
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// capWriter keeps the first left bytes and drops the rest without failing.
type capWriter struct {
	w    io.Writer
	left int64
}

func (c *capWriter) Write(p []byte) (int, error) {
	if c.left > 0 {
		k := min(int64(len(p)), c.left)
		c.w.Write(p[:k])
		c.left -= k
	}
	return len(p), nil
}
